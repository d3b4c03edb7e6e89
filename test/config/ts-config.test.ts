import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ensureHypervisorJson } from '../../src/config/hypervisor-file.js';
import { loadFleet, type LoadResult } from '../../src/config/load.js';
import type { LxcGuest } from '../../src/config/model.js';
import { tempDir } from './helpers.js';

const FLEET = `
import { defineConfig } from 'phoenix';
import { SIZE } from './sizes';

export default defineConfig({
  lxc: {
    '900': { name: 'base', template: 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst', template_snapshot_name: 'ready', memory_mb: SIZE },
    '950': { name: 'app', clone_from_ctid: 900, dependencies: [953], vllm_model: 'm' },
    '953': { name: 'gateway', clone_from_ctid: '900' },
  },
});
`;

/** A config outside this repository, importing 'phoenix' (which Node could not resolve there). */
function project(source = FLEET, size = 1024): { dir: string; file: string } {
  const dir = tempDir();
  const file = path.join(dir, 'phoenix.config.ts');
  writeFileSync(file, source);
  writeFileSync(path.join(dir, 'sizes.ts'), `export const SIZE: number = ${size};\n`);
  return { dir, file };
}

async function loadCounting(config: string | undefined, cwd: string) {
  const compiled: string[] = [];
  const result = await loadFleet({
    ...(config === undefined ? {} : { config }),
    cwd,
    hooks: { onCompile: (f) => compiled.push(f) },
  });
  return { result, compiled };
}

function errorsOf(result: LoadResult) {
  return result.ok ? [] : result.error.filter((p) => p.severity === 'error');
}

function fleetOf(result: LoadResult) {
  if (!result.ok) throw new Error(JSON.stringify(result.error, null, 1));
  return result.value.fleet;
}

describe('phoenix.config.ts', () => {
  test('a TS config outside the repo that imports phoenix loads into the fleet', async () => {
    const { file } = project();
    const { result } = await loadCounting(file, '/');
    const fleet = fleetOf(result);
    expect([...fleet.guests.keys()]).toEqual([900, 950, 953]);
    const app = fleet.guests.get(950) as LxcGuest;
    expect(app.origin).toEqual({ file, path: ['lxc', '950'] });
    expect(app.cloneFrom).toBe(900);
    expect((app.config as Record<string, unknown>).vllm_model).toBe('m');
    expect((fleet.guests.get(900) as LxcGuest).config.memory_mb).toBe(1024);
    expect(fleet.files).toEqual([file]);
  });

  test('the compiled copy is cached by content and reused: the second load does not run esbuild', async () => {
    const { dir, file } = project();
    const first = await loadCounting(file, '/');
    expect(first.compiled).toEqual([file]);
    const cached = readdirSync(path.join(dir, '.phoenixcache', 'config')).filter((f) => f.endsWith('.cjs'));
    expect(cached).toEqual([expect.stringMatching(/^[0-9a-f]{64}\.cjs$/)]);
    const second = await loadCounting(file, '/');
    expect(second.compiled).toEqual([]);
    expect(fleetOf(second.result).guests.size).toBe(3);
  });

  test('a compiled copy that is not the code its manifest names is compiled again, never imported', async () => {
    const { dir, file } = project();
    await loadCounting(file, '/');
    const cacheDir = path.join(dir, '.phoenixcache', 'config');
    const copy = readdirSync(cacheDir).find((f) => f.endsWith('.cjs'))!;
    writeFileSync(path.join(cacheDir, copy), "throw new Error('planted');\n");
    const again = await loadCounting(file, '/');
    expect(again.compiled).toEqual([file]);
    expect(fleetOf(again.result).guests.size).toBe(3);
  });

  test('a compiled copy and manifest that others could have written are never run, however well they match', async () => {
    const { dir, file } = project();
    await loadCounting(file, '/');
    const cacheDir = path.join(dir, '.phoenixcache', 'config');
    const copy = path.join(
      cacheDir,
      readdirSync(cacheDir).find((f) => f.endsWith('.cjs'))!,
    );
    const planted = 'globalThis.__plantedRan = true;\nmodule.exports = { default: {} };\n';
    writeFileSync(copy, planted);
    const manifest = copy.replace(/\.cjs$/, '.json');
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { code: string };
    m.code = createHash('sha256').update(planted).digest('hex'); // a manifest that names the planted code
    writeFileSync(manifest, JSON.stringify(m));
    chmodSync(copy, 0o666);
    chmodSync(manifest, 0o666);
    const again = await loadCounting(file, '/');
    expect((globalThis as { __plantedRan?: boolean }).__plantedRan).toBeUndefined();
    expect(again.compiled).toEqual([file]);
    expect(fleetOf(again.result).guests.size).toBe(3);
  });

  test('editing the config, or a file it imports, compiles it again', async () => {
    const { dir, file } = project();
    await loadCounting(file, '/');
    writeFileSync(file, FLEET.replace("name: 'gateway'", "name: 'gw'"));
    const edited = await loadCounting(file, '/');
    expect(edited.compiled).toEqual([file]);
    expect((fleetOf(edited.result).guests.get(953) as LxcGuest).config.name).toBe('gw');
    writeFileSync(path.join(dir, 'sizes.ts'), 'export const SIZE: number = 4096;\n');
    const helper = await loadCounting(file, '/');
    expect(helper.compiled).toEqual([file]);
    expect((fleetOf(helper.result).guests.get(900) as LxcGuest).config.memory_mb).toBe(4096);
  });

  test('found from a sub-folder by searching upward to the project root', async () => {
    const { dir, file } = project();
    writeFileSync(path.join(dir, 'package.json'), '{ "name": "my-fleet" }');
    const cwd = path.join(dir, 'a', 'b');
    mkdirSync(cwd, { recursive: true });
    const { result } = await loadCounting(undefined, cwd);
    expect(fleetOf(result).files).toEqual([file]);
  });

  test('a config the search finds that another user could have written is not run; named with --config it is', async () => {
    const { dir, file } = project(
      "globalThis.__strangerRan = true;\nexport default { lxc: { '900': { name: 'base', template: 'local:vztmpl/x.tar.zst' } } };\n",
    );
    writeFileSync(path.join(dir, 'package.json'), '{ "name": "shared" }');
    chmodSync(file, 0o666); // as anyone's phoenix.config.ts in /tmp above the folder root works in
    const cwd = path.join(dir, 'sub');
    mkdirSync(cwd);
    const { result } = await loadCounting(undefined, cwd);
    expect(result).toMatchObject({ ok: false, error: [{ file }] });
    expect(errorsOf(result)[0]?.message).toContain('is not loaded: others may write it');
    expect((globalThis as { __strangerRan?: boolean }).__strangerRan).toBeUndefined();
    expect(fleetOf((await loadCounting(file, cwd)).result).guests.size).toBe(1);
    delete (globalThis as { __strangerRan?: boolean }).__strangerRan;
  });

  test('a config whose compiled copy can be kept nowhere still loads (compiled again each time)', async () => {
    const { dir, file } = project();
    writeFileSync(path.join(dir, '.phoenixcache'), 'a file in the way'); // the config folder's cache unusable
    const elsewhere = tempDir();
    symlinkSync(tempDir(), path.join(elsewhere, 'link'));
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = path.join(elsewhere, 'link'); // the user's cache folder: not its own all the way
    try {
      const first = await loadCounting(file, '/');
      expect(fleetOf(first.result).guests.size).toBe(3);
      expect((await loadCounting(file, '/')).compiled).toEqual([file]);
      expect(readdirSync(path.join(elsewhere, 'link'))).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  test('a plain object default export works without defineConfig', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'phoenix.config.mjs');
    writeFileSync(
      file,
      "export default { lxc: { '900': { name: 'base', template: 'local:vztmpl/x.tar.zst' } } };\n",
    );
    const { result } = await loadCounting(undefined, dir);
    expect(fleetOf(result).guests.get(900)?.kind).toBe('lxc');
  });

  test('a TS syntax error is reported with file, line and column', async () => {
    const { file } = project(
      "import { defineConfig } from 'phoenix';\nexport default defineConfig({\n  lxc: { '900': { name: } },\n});\n",
    );
    const { result } = await loadCounting(file, '/');
    expect(result).toMatchObject({ ok: false, error: [{ severity: 'error', file, line: 3, column: 25 }] });
  });

  test('import.meta and __dirname name the config file itself, not its compiled copy', async () => {
    const { file } = project(
      "import { readFileSync } from 'node:fs';\nconst name = readFileSync(new URL('./name.txt', import.meta.url), 'utf8').trim();\n" +
        'const meta = import.meta;\n' +
        `export default { lxc: { '900': { name, template: 'local:vztmpl/x.tar.zst', description: [meta.dirname, import.meta.filename, __dirname].join('|') } } };\n`,
    );
    writeFileSync(path.join(path.dirname(file), 'name.txt'), 'from-a-file\n');
    const guest = fleetOf((await loadCounting(file, '/')).result).guests.get(900) as LxcGuest;
    expect(guest.config.name).toBe('from-a-file');
    const dir = path.dirname(file);
    expect((guest.config as Record<string, unknown>).description).toBe(`${dir}|${file}|${dir}`);
  });

  test('a package with only an ES module entry is refused with what to use instead', async () => {
    const { dir, file } = project(
      "import { NAME } from 'esm-only';\nexport default { lxc: { '900': { name: NAME } } };\n",
    );
    const pkg = path.join(dir, 'node_modules', 'esm-only');
    mkdirSync(pkg, { recursive: true });
    writeFileSync(
      path.join(pkg, 'package.json'),
      JSON.stringify({ name: 'esm-only', exports: { import: './index.mjs' } }),
    );
    writeFileSync(path.join(pkg, 'index.mjs'), "export const NAME = 'x';\n");
    const { result } = await loadCounting(file, '/');
    expect(result).toMatchObject({ ok: false, error: [{ file }] });
    expect(errorsOf(result)[0]?.hint).toContain('exports a "require" or "default" entry');
  });

  test('a config runs as strict code, as the ES module it is written as', async () => {
    const { file } = project('undeclared = 1;\nexport default {};\n');
    const { result } = await loadCounting(file, '/');
    expect(result).toMatchObject({
      ok: false,
      error: [{ file, message: 'config failed while loading: undeclared is not defined' }],
    });
  });

  test('a top-level await is refused at its position, with the form that works instead', async () => {
    const { file } = project('const n = await Promise.resolve(1);\nexport default { n };\n');
    const { result } = await loadCounting(file, '/');
    expect(result).toMatchObject({ ok: false, error: [{ file, line: 1 }] });
    expect(errorsOf(result)[0]?.hint).toContain('export default async () =>');
  });

  test('a config that throws is reported, not thrown', async () => {
    const { file } = project("throw new Error('boom');\nexport default {};\n");
    const { result } = await loadCounting(file, '/');
    expect(result).toMatchObject({
      ok: false,
      error: [{ file, message: 'config failed while loading: boom' }],
    });
  });

  test('a config without a default export says how to write one', async () => {
    const { file } = project('export const x = 1;\n');
    const { result } = await loadCounting(file, '/');
    expect(result).toMatchObject({ ok: false, error: [{ message: 'config has no default export' }] });
  });

  test('validation problems in a TS config carry its JSON paths', async () => {
    const { file } = project(
      FLEET.replace('dependencies: [953]', 'dependencies: [953, 954]').replace(
        "name: 'app'",
        "name: 'app_1'",
      ),
    );
    const { result } = await loadCounting(file, '/');
    expect(errorsOf(result).map((p) => [p.file, p.path.join('.'), p.message])).toEqual([
      [file, 'lxc.950.name', expect.stringContaining('valid host name')],
    ]);
  });

  test('an unknown top-level key is an error that suggests the right one', async () => {
    const { file } = project('export default { lxcs: {} };\n');
    const { result } = await loadCounting(file, '/');
    expect(errorsOf(result)).toMatchObject([{ path: ['lxcs'], message: 'unknown key; did you mean lxc?' }]);
  });

  test('for a phoenix.config fleet the hypervisor scripts get a JSON file with the hypervisor settings', async () => {
    const { dir, file } = project(
      "export default { hypervisor: { setup_scripts: ['hypervisor_feature_setup_zfs.sh'], zfs: { arc_max_gb: 8 } }, globals: { nvidia_driver_version: '580' } };\n",
    );
    const { result } = await loadCounting(file, '/');
    const fleet = fleetOf(result);
    expect(fleet.hypervisorConfigFile).toBe(
      path.join(dir, '.phoenixcache', 'config', 'phoenix_hypervisor_config.json'),
    );
    // Loading only names the file; a run writes it before its first step.
    expect(existsSync(fleet.hypervisorConfigFile)).toBe(false);
    await ensureHypervisorJson(fleet);
    expect(JSON.parse(readFileSync(fleet.hypervisorConfigFile, 'utf8'))).toMatchObject({
      zfs: { arc_max_gb: 8 },
      node: 'pve',
      nvidia_driver_version: '580',
    });
    expect(fleet.hostSteps).toMatchObject([
      { name: 'setup_zfs', path: path.join(dir, 'bin/hypervisor_setup/hypervisor_feature_setup_zfs.sh') },
    ]);
    expect(result.ok && result.value.warnings).toMatchObject([
      {
        severity: 'warning',
        path: ['hypervisor', 'setup_scripts', 0],
        message: expect.stringContaining('scripts folder not found') as unknown,
      },
    ]);
  });
});

describe('JSON configs', () => {
  test('phoenix.config.json with a syntax error names line and column', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'phoenix.config.json');
    writeFileSync(file, '{\n  "lxc": {\n    "900": { "name": "x" "template": "t" }\n  }\n}\n');
    const { result } = await loadCounting(file, '/');
    expect(result).toMatchObject({ ok: false, error: [{ file, line: 3, column: 26 }] });
  });

  test('a problem in a JSON config points at the line of the value', async () => {
    const dir = tempDir();
    const file = path.join(dir, '.phoenixrc.json');
    writeFileSync(
      file,
      '{\n  "lxc": {\n    "900": {\n      "name": "x",\n      "template": "t",\n      "cores": "two"\n    }\n  }\n}\n',
    );
    const { result } = await loadCounting(undefined, dir);
    expect(errorsOf(result)).toMatchObject([{ file, path: ['lxc', '900', 'cores'], line: 6, column: 7 }]);
  });

  test('package.json#phoenix is found, and paths start at "phoenix"', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'package.json');
    writeFileSync(
      file,
      JSON.stringify(
        { name: 'x', phoenix: { lxc: { '900': { name: 'bad name', template: 't' } } } },
        null,
        2,
      ),
    );
    const { result } = await loadCounting(undefined, dir);
    expect(errorsOf(result)).toMatchObject([{ file, path: ['phoenix', 'lxc', '900', 'name'], line: 6 }]);
  });

  test('a YAML .phoenixrc is read through cosmiconfig', async () => {
    const dir = tempDir();
    writeFileSync(
      path.join(dir, '.phoenixrc'),
      "lxc:\n  '900':\n    name: base\n    template: local:vztmpl/x.tar.zst\n",
    );
    const { result } = await loadCounting(undefined, dir);
    expect(fleetOf(result).guests.get(900)?.kind).toBe('lxc');
  });

  test('a YAML syntax error names line and column', async () => {
    const dir = tempDir();
    const file = path.join(dir, '.phoenixrc.yaml');
    writeFileSync(file, 'lxc:\n  a: [1, 2\n  b: 3\n');
    const { result } = await loadCounting(undefined, dir);
    expect(result).toMatchObject({ ok: false, error: [{ file, line: expect.any(Number) as unknown }] });
  });

  test('search order follows cosmiconfig: package.json#phoenix, then .phoenixrc*, then phoenix.config.*', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'package.json'), '{ "name": "no-phoenix-key" }');
    writeFileSync(path.join(dir, 'phoenix.config.mjs'), 'export default {};\n');
    writeFileSync(path.join(dir, '.phoenixrc.json'), '{}');
    expect(fleetOf((await loadCounting(undefined, dir)).result).files).toEqual([
      path.join(dir, '.phoenixrc.json'),
    ]);
    writeFileSync(path.join(dir, 'package.json'), '{ "name": "x", "phoenix": {} }');
    expect(fleetOf((await loadCounting(undefined, dir)).result).files).toEqual([
      path.join(dir, 'package.json'),
    ]);
  });

  test('no config anywhere is one error that says what to create', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'package.json'), '{ "name": "empty" }');
    const { result } = await loadCounting(undefined, dir);
    expect(result).toMatchObject({
      ok: false,
      error: [{ severity: 'error', message: expect.stringContaining('no phoenix config found') as unknown }],
    });
    expect(existsSync(path.join(dir, '.phoenixcache'))).toBe(false);
  });

  test('the hypervisor settings go to the user folder only when it is theirs all the way; else one message', async () => {
    const { dir, file } = project('export default { hypervisor: { zfs: { arc_max_gb: 8 } } };\n');
    const fleet = fleetOf((await loadCounting(file, '/')).result);
    writeFileSync(path.join(dir, '.phoenixcache', 'in-the-way'), '');
    fleet.hypervisorConfigFile = path.join(dir, '.phoenixcache', 'in-the-way', 'x.json'); // cannot be written
    const target = tempDir();
    const elsewhere = tempDir();
    symlinkSync(target, path.join(elsewhere, 'link'));
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = path.join(elsewhere, 'link'); // root run with a HOME someone else linked
    try {
      expect(await ensureHypervisorJson(fleet)).toContain('cannot write the hypervisor settings');
      expect(readdirSync(target)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });
});
