// The fleet cache: a config whose evaluated input is unchanged is not validated again, yet every run reports the
// same problems (script existence re-checked each time); anything changed, broken or not plain JSON is a miss.
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadFleet, type LoadResult } from '../../src/config/load.js';
import type { LxcGuest, VmGuest } from '../../src/config/model.js';
import { formatProblems } from '../../src/config/problems.js';
import { LXC_FILE, VM_FILE, editJson, legacyCopy, lxc, tempDir, vm } from './helpers.js';

function setup(): { root: string; load: () => Promise<LoadResult> } {
  const root = legacyCopy();
  return { root, load: () => loadFleet({ config: root, cwd: '/', cacheFleet: true }) };
}

/** The fleet cache entries beside a config whose root is `root`. */
function entries(root: string): string[] {
  const dir = path.join(root, '.phoenixcache', 'config');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.startsWith('fleet-'))
        .map((f) => path.join(dir, f))
    : [];
}

const memoryOf = (r: LoadResult, id: number) =>
  r.ok ? (r.value.fleet.guests.get(id) as LxcGuest).config.memory_mb : undefined;
const shown = (r: LoadResult) => formatProblems(r.ok ? r.value.warnings : r.error);

/** Rewrites the stored fleet's memory of container `id`, so a load that reads the entry shows it. */
function tamper(file: string, id: number, memory: number): void {
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { fleet: { guests: LxcGuest[] } };
  const guest = stored.fleet.guests.find((g) => g.id === id);
  if (guest === undefined) throw new Error(`no guest ${id} in the entry`);
  guest.config.memory_mb = memory;
  writeFileSync(file, JSON.stringify(stored));
}

describe('fleet cache', () => {
  test('a second load of an unchanged config takes the fleet from the cache', async () => {
    const { root, load } = setup();
    const first = await load();
    expect(first.ok).toBe(true);
    const [entry] = entries(root);
    expect(entry).toBeDefined();
    tamper(entry ?? '', 950, 4242);
    const second = await load();
    expect(memoryOf(second, 950)).toBe(4242);
    expect(second.ok && [...second.value.fleet.guests.keys()]).toEqual(
      first.ok && [...first.value.fleet.guests.keys()],
    );
  });

  test('a changed input is validated again: the fleet is the new one', async () => {
    const { root, load } = setup();
    await load();
    tamper(entries(root)[0] ?? '', 950, 4242);
    editJson(root, LXC_FILE, (doc) => {
      lxc(doc, '950').memory_mb = 2048;
    });
    expect(memoryOf(await load(), 950)).toBe(2048);
    expect(memoryOf(await load(), 950)).toBe(2048); // and the new entry replaced the old one
    expect(entries(root)).toHaveLength(1);
  });

  test('a TS config is keyed by what it evaluates to, not its text', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'phoenix.config.ts');
    writeFileSync(
      file,
      `export default () => ({ lxc: { '900': { name: 'base', template: 'local:vztmpl/d.tar.zst', memory_mb: Number(process.env.PHX_TEST_MEMORY) } } });\n`,
    );
    const load = async (memory: string) => {
      process.env.PHX_TEST_MEMORY = memory;
      try {
        return await loadFleet({ config: file, cwd: dir, cacheFleet: true });
      } finally {
        delete process.env.PHX_TEST_MEMORY;
      }
    };
    expect(memoryOf(await load('1024'), 900)).toBe(1024);
    expect(memoryOf(await load('2048'), 900)).toBe(2048);
    const invalid = await load('8'); // below the minimum: the schema is applied, not a cached fleet
    expect(invalid.ok).toBe(false);
    expect(shown(invalid)).toContain('memory_mb');
  });

  test('a corrupt or foreign entry counts as a miss and is replaced', async () => {
    const { root, load } = setup();
    const first = await load();
    const entry = entries(root)[0] ?? '';
    for (const junk of [
      '{"format":1,"key":"',
      '{"format":1,"key":"0000","fleet":{"guests":[]},"problems":[]}',
    ]) {
      writeFileSync(entry, junk);
      const again = await load();
      expect(again.ok && again.value.fleet.guests.size).toBe(first.ok && first.value.fleet.guests.size);
      expect(JSON.parse(readFileSync(entry, 'utf8'))).toMatchObject({ format: 1 });
    }
  });

  test('warnings are shown on a warm load too, and scripts are checked again on every load', async () => {
    const { root, load } = setup();
    editJson(root, LXC_FILE, (doc) => {
      lxc(doc, '953').memroy_mb = 1; // a typo: a warning, cached with the fleet
    });
    const script = path.join(root, 'bin', 'lxc_setup', 'phoenix_hypervisor_feature_install_nvidia.sh');
    renameSync(script, `${script}.away`);
    const cold = await load();
    const warm = await load();
    expect(cold.ok && warm.ok).toBe(true);
    expect(shown(warm)).toBe(shown(cold));
    expect(shown(warm)).toMatch(/memroy_mb: unknown key; did you mean memory_mb\?/);
    expect(shown(warm)).toMatch(/feature script for nvidia not found/);
    renameSync(`${script}.away`, script);
    const restored = await load();
    expect(shown(restored)).not.toMatch(/nvidia not found/);
    expect(shown(restored)).toMatch(/memroy_mb/);
  });

  test('a config with errors is never cached', async () => {
    const { root, load } = setup();
    editJson(root, LXC_FILE, (doc) => {
      lxc(doc, '950').memory_mb = 'lots';
    });
    expect((await load()).ok).toBe(false);
    expect((await load()).ok).toBe(false);
    expect(entries(root)).toEqual([]);
  });

  test('secrets are stored masked and come back from the config input', async () => {
    const { root, load } = setup();
    const secret = 'hunter2-from-env';
    editJson(root, VM_FILE, (doc) => {
      (vm(doc, 0).user_config as Record<string, unknown>).password = secret;
    });
    const cold = await load();
    const [entry] = entries(root);
    expect(entry).toBeDefined();
    expect(readFileSync(entry ?? '', 'utf8')).not.toContain(secret);
    expect(readFileSync(entry ?? '', 'utf8')).not.toContain('NOT_SET'); // the fixture's hypervisor password_hash
    tamper(entry ?? '', 950, 4242); // proves the next load reads the entry
    const warm = await load();
    expect(memoryOf(warm, 950)).toBe(4242);
    const password = (r: LoadResult) =>
      r.ok ? (r.value.fleet.guests.get(8000) as VmGuest).config.user_config?.password : undefined;
    expect(password(warm)).toBe(secret);
    expect(password(cold)).toBe(secret);
    expect(warm.ok && warm.value.fleet.hypervisor).toEqual(cold.ok && cold.value.fleet.hypervisor);
  });

  test('an input that is not plain JSON data is validated, even when its JSON matches a cached one', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'phoenix.config.ts');
    // With PHX_TEST_ODD set, the container's features are a function: JSON drops it, so the input's JSON is the
    // valid config's, yet the schema refuses it.
    writeFileSync(
      file,
      `export default () => ({ lxc: { '900': { name: 'base', template: 'local:vztmpl/d.tar.zst',
         ...(process.env.PHX_TEST_ODD ? { features: () => ['docker'] } : {}) } } });\n`,
    );
    const load = async (odd: boolean) => {
      if (odd) process.env.PHX_TEST_ODD = '1';
      try {
        return await loadFleet({ config: file, cwd: dir, cacheFleet: true });
      } finally {
        delete process.env.PHX_TEST_ODD;
      }
    };
    expect((await load(false)).ok).toBe(true);
    expect(entries(dir)).toHaveLength(1);
    const odd = await load(true);
    expect(odd.ok).toBe(false);
    expect(shown(odd)).toContain('features');
  });
});
