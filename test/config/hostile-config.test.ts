// Issue 14, item 7: a config module that misbehaves ends as a config error (exit 2 at the CLI) with a message,
// within a time limit, with stdout left clean; and values that would reach the host as a file path, a URL or a
// property string are refused at validate.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { loadFleet } from '../../src/config/load.js';
import { tempDir } from './helpers.js';

const VALID = `{ lxc: { '900': { name: 'base', template: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst' } } }`;

async function load(source: string) {
  const dir = tempDir();
  const file = path.join(dir, 'phoenix.config.ts');
  writeFileSync(file, source);
  const result = await loadFleet({ config: file, cwd: dir });
  return result.ok
    ? { ok: true as const, text: '' }
    : {
        ok: false as const,
        text: result.error.map((p) => `${p.path.join('.')}: ${p.message}`).join('\n'),
      };
}

afterEach(() => {
  delete process.env.PHOENIX_CONFIG_TIMEOUT_MS;
  vi.restoreAllMocks();
});

describe('a hostile or broken config module', () => {
  test('one that never settles is given up after the time limit', async () => {
    process.env.PHOENIX_CONFIG_TIMEOUT_MS = '300';
    const r = await load(`export default new Promise(() => {});`);
    expect(r).toEqual({
      ok: false,
      text: expect.stringMatching(/did not finish loading within 0\.3 s/) as unknown,
    });
  });

  test('a default function that never settles, too', async () => {
    process.env.PHOENIX_CONFIG_TIMEOUT_MS = '300';
    const r = await load(`export default () => new Promise(() => {});`);
    expect(r.text).toMatch(/did not finish loading/);
  });

  test('process.exit at load or in the default function stops the config, not Phoenix', async () => {
    const exit = vi.spyOn(process, 'exit');
    for (const source of [
      `process.exit(0); export default ${VALID};`,
      `export default () => { process.exit(3); };`,
    ]) {
      const r = await load(source);
      expect(r.text, source).toMatch(/config called process\.exit\(\d\) while loading/);
    }
    expect(exit).not.toHaveBeenCalled();
    expect(Reflect.get(process, 'exit')).toBe(exit); // put back
  });

  const values: [string, string, RegExp][] = [
    ['a BigInt', `{ ...${VALID}, globals: { big: 10n } }`, /globals\.big: is a BigInt/],
    [
      'a cycle',
      `(() => { const c: any = { ...${VALID} }; c.globals = { self: c }; return c; })()`,
      /globals\.self: refers back to itself/,
    ],
    [
      '100,000 levels of nesting',
      `(() => { let v: any = {}; for (let i = 0; i < 100000; i++) v = { a: v }; return { ...${VALID}, globals: v }; })()`,
      /is nested more than 64 levels deep/,
    ],
    [
      'a getter that throws',
      `{ ...${VALID}, get globals() { throw new Error('gotcha'); } }`,
      /globals: could not be read: gotcha/,
    ],
  ];
  for (const [name, value, message] of values) {
    test(`a value holding ${name} is a config error naming where`, async () => {
      const r = await load(`export default ${value};`);
      expect(r.ok).toBe(false);
      expect(r.text).toMatch(message);
    });
  }
});

describe('values that would reach the host are refused at validate', () => {
  const vmWith = (extra: string) =>
    `export default { vms: [{ vmid: 9000, name: 'v', is_template: true, ${extra} }] };`;
  const cases: [string, string, RegExp][] = [
    [
      'template_image naming a host file outside a storage',
      vmWith(`template_image: '/etc/shadow'`),
      /template_image: must be a file name on local:import/,
    ],
    [
      'template_image_url as a file:// URL',
      vmWith(`template_image: 'x.qcow2', template_image_url: 'file:///etc/shadow'`),
      /template_image_url: must be an http\(s\) URL/,
    ],
    [
      'pct_options smuggling an option',
      `export default { lxc: { '900': { name: 'b', template: 'local:vztmpl/d.tar.zst', pct_options: ['nesting=--purge'] } } };`,
      /pct_options\.0: must be nesting/,
    ],
    [
      'pct_options with a list separator',
      `export default { lxc: { '900': { name: 'b', template: 'local:vztmpl/d.tar.zst', pct_options: ['mount=nfs;cifs'] } } };`,
      /pct_options\.0: must be nesting/,
    ],
  ];
  for (const [name, source, message] of cases) {
    test(name, async () => {
      const r = await load(source);
      expect(r.ok).toBe(false);
      expect(r.text).toMatch(message);
    });
  }

  test('an image under local:import by path is still accepted', async () => {
    const r = await load(vmWith(`template_image: '/var/lib/vz/import/noble.qcow2'`));
    expect(r.text).not.toMatch(/template_image/);
  });
});
