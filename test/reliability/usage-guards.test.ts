// Issue 14, item 2: an empty or blank path (a shell script's unset variable) is bad usage, never "not given".
// `--sim-dir ""` used to fall through to the real pct/qm on PATH; here fake ones record any call.
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHOENIX, REPO, tempDir } from './helpers.js';
import { spawnSync } from 'node:child_process';

let root = '';
let fakeBin = '';
let called = '';

beforeAll(() => {
  root = tempDir('phoenix-empty-');
  fakeBin = join(root, 'bin');
  called = join(root, 'called');
  mkdirSync(fakeBin);
  for (const tool of ['pct', 'qm', 'pvesm', 'pveam', 'pvesh']) {
    writeFileSync(join(fakeBin, tool), `#!/bin/sh\necho "${tool} $*" >> '${called}'\n`);
    chmodSync(join(fakeBin, tool), 0o755);
  }
  cpSync(join(REPO, 'test', 'fixtures', 'bad', '_valid'), join(root, 'cfg'), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(base)) if (k.startsWith('PHOENIX_')) delete base[k];
  const r = spawnSync(process.execPath, [PHOENIX, ...args], {
    cwd: join(root, 'cfg'),
    env: {
      ...base,
      PATH: `${fakeBin}:${process.env.PATH ?? ''}`,
      PHOENIX_CACHE_DIR: join(root, 'cache'),
      PHOENIX_PREFS_DIR: join(root, 'prefs'),
      CI: '1',
      NO_COLOR: '1',
      ...env,
    },
    encoding: 'utf8',
  });
  return { exit: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('an empty or blank path is bad usage: exit 2, one line, nothing started', () => {
  const cases: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
    ['--sim-dir ""', ['plan', '--sim-dir', ''], {}, /option --sim-dir is empty/],
    ['--sim-dir " "', ['status', '--sim-dir', ' '], {}, /option --sim-dir is empty/],
    ['--config ""', ['plan', '--sim', '--config', ''], {}, /option --config is empty/],
    ['PHOENIX_SIM_DIR=""', ['plan'], { PHOENIX_SIM_DIR: '' }, /PHOENIX_SIM_DIR is empty/],
    ['PHOENIX_SIM_DIR=" "', ['plan'], { PHOENIX_SIM_DIR: '  ' }, /PHOENIX_SIM_DIR is empty/],
    ['PHOENIX_CONFIG=""', ['plan', '--sim'], { PHOENIX_CONFIG: '' }, /PHOENIX_CONFIG is empty/],
    ['PHOENIX_CACHE_DIR=""', ['plan', '--sim'], { PHOENIX_CACHE_DIR: '' }, /PHOENIX_CACHE_DIR is empty/],
  ];
  for (const [name, args, env, message] of cases) {
    it(name, () => {
      const r = run(args, env);
      expect(r.exit, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toBe('');
      expect(existsSync(called), 'a Proxmox tool on PATH was started').toBe(false);
    });
  }
});

describe('an unusable cache folder is one line naming it and the fix: exit 2, nothing started (item 8)', () => {
  const cases: [string, (root: string) => string][] = [
    ['a file in its place', (r) => join(r, 'cfg', 'phoenix.config.json')],
    ['under a file', (r) => join(r, 'cfg', 'phoenix.config.json', 'cache')],
    [
      'a link to a folder',
      (r) => {
        mkdirSync(join(r, 'elsewhere'), { recursive: true });
        if (!existsSync(join(r, 'linked'))) symlinkSync(join(r, 'elsewhere'), join(r, 'linked'));
        return join(r, 'linked');
      },
    ],
  ];
  for (const [name, dir] of cases) {
    it(name, () => {
      const cache = dir(root);
      const r = run(['LetsGo', '--sim-dir', join(root, 'sim')], { PHOENIX_CACHE_DIR: cache });
      expect(r.exit, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        expect.stringContaining(`cannot use the cache folder ${cache}`),
      ]);
      expect(r.stderr).toMatch(/PHOENIX_CACHE_DIR/);
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(existsSync(join(root, 'sim', 'calls.jsonl')), 'a simulated tool was started').toBe(false);
    });
  }
});

describe('a config that prints or exits while it loads (item 7)', () => {
  const ts = (name: string, source: string): string => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'phoenix.config.ts'), source);
    return join(dir, 'phoenix.config.ts');
  };
  const VALID = `{ lxc: { '900': { name: 'base', template: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst' } } }`;

  it('what it prints goes to stderr: --json output stays parseable', () => {
    const config = ts('prints', `console.log('hello from the config'); export default ${VALID};`);
    const r = run(['validate', '--json', '--config', config]);
    expect(r.exit, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true });
    expect(r.stderr).toContain('hello from the config');
  });

  it('validate --json on an invalid config prints its problems as the JSON document (exit 2)', () => {
    const config = ts('invalid', `export default { lxc: { '900': { name: 'base', memory_mb: 'lots' } } };`);
    const r = run(['validate', '--json', '--config', config]);
    expect(r.exit, r.stderr).toBe(2);
    const doc = JSON.parse(r.stdout) as { valid: boolean; problems: { file: string; path: unknown[] }[] };
    expect(doc.valid).toBe(false);
    expect(doc.problems).toContainEqual(
      expect.objectContaining({ severity: 'error', file: config, path: ['lxc', '900', 'memory_mb'] }),
    );
  });

  it('process.exit(0) is a config error (exit 2), not a silent success', () => {
    const config = ts('exits', `process.exit(0); export default ${VALID};`);
    const r = run(['plan', '--sim-dir', join(root, 'sim'), '--config', config]);
    expect(r.exit, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/config called process\.exit\(0\) while loading/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
