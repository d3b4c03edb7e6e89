// Loads a phoenix.config.{ts,mts,cts,js,mjs,cjs}: bundled once with esbuild into a CommonJS script kept in
// `<config dir>/.phoenixcache/config/<sha256>.cjs`, so an unchanged config never runs the transpiler again, and run
// from the text that was checked against its manifest. CommonJS, because the CLI itself runs as CommonJS scripts
// (src/cli/bundle-loader.ts), which cannot load an ES module dynamically: a config's dynamic imports become
// require()s, and `import.meta` names the config file itself.
import { type Result, err, ok } from '../result.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configCacheDir, userConfigCacheDir } from './cache-dirs.js';
import type { Problem } from './model.js';
import { error } from './problems.js';
import { loadEsbuild } from '../startup.js';
import { toPlainData } from './plain-data.js';
import { runCommonJs } from '../commonjs.js';
import { ensurePrivateDir, readOwnFile, writePrivateFile } from '../private-files.js';

export type ModuleLoad = Result<unknown, Problem[]>;

export interface ModuleLoadHooks {
  /** Called each time the transpiler actually runs (tests use it to prove the cache is used). */
  onCompile?: (file: string) => void;
}

/** Bumped when the compiled form changes, so stale copies are not reused. */
const CACHE_FORMAT = '5';

interface CacheManifest {
  /** The config file compiled: a new copy of it replaces (prunes) the older ones. */
  source?: string;
  /** Local files bundled into the copy besides the config itself, with their sha256. */
  inputs: Record<string, string>;
  /** sha256 of the compiled code: a copy that is not this code is compiled again, never run. */
  code: string;
}

interface CachedCopy {
  /** The copy's text, as checked (or as compiled, when it could be kept nowhere). */
  code: string;
}

export async function loadConfigModule(file: string, hooks: ModuleLoadHooks = {}): Promise<ModuleLoad> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8'); // small, local, and on every command's path: no thread-pool round trip
  } catch (e) {
    return {
      ok: false,
      error: [error(file, [], `cannot read file: ${(e as Error).message}`, 'check the path')],
    };
  }
  const phoenix = phoenixEntry();
  const key = sha256(`${CACHE_FORMAT}\0${phoenix}\0${source}`);
  const compiled = cachedCopy(file, key);
  if (compiled === undefined) {
    hooks.onCompile?.(file);
    const built = await compile(file, phoenix);
    if (!built.ok) return built;
    // A copy that can be kept nowhere (a read-only config folder, no usable folder of the user's own) is run as
    // compiled, and compiled again next time.
    const written = await writeCopy(file, key, built.value.code, built.value.inputs).catch(() => ({
      code: built.value.code,
    }));
    return runDefault(file, written);
  }
  return runDefault(file, compiled);
}

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Beside the config, then the user's own cache folder (when it is theirs all the way). */
function cacheDirs(file: string): string[] {
  const user = userConfigCacheDir();
  return [configCacheDir(path.dirname(file)), ...(user === undefined ? [] : [user])];
}

/** The compiled copy for `key`, if one exists and every local file it bundled is unchanged. */
function cachedCopy(file: string, key: string): CachedCopy | undefined {
  for (const dir of cacheDirs(file)) {
    const copy = path.join(dir, `${key}.cjs`);
    if (!existsSync(copy)) continue;
    try {
      // Never through a link, never another user's file (readOwnFile refuses both): the copy is code root runs.
      const manifest = JSON.parse(readOwnFile(path.join(dir, `${key}.json`))) as CacheManifest;
      const fresh = Object.entries(manifest.inputs).every(
        ([input, hash]) => existsSync(input) && sha256(readFileSync(input)) === hash,
      );
      // The copy must be the code the manifest names: a torn or swapped copy is compiled again, never imported.
      const code = fresh ? readOwnFile(copy) : undefined;
      if (code !== undefined && manifest.code === sha256(code)) return { code };
    } catch {
      // A missing or torn manifest just means "compile again".
    }
  }
  return undefined;
}

/**
 * Writes the compiled copy and its manifest, 0600 in a 0700 folder (the copy holds every secret the config does),
 * and removes the older copies of the same config.
 */
async function writeCopy(file: string, key: string, code: string, inputs: string[]): Promise<CachedCopy> {
  const manifest: CacheManifest = { source: path.resolve(file), inputs: {}, code: sha256(code) };
  for (const input of inputs) manifest.inputs[input] = sha256(readFileSync(input));
  let lastError: unknown;
  for (const dir of cacheDirs(file)) {
    try {
      ensurePrivateDir(dir);
      const copy = path.join(dir, `${key}.cjs`);
      await writePrivateFile(copy, code);
      await writePrivateFile(path.join(dir, `${key}.json`), JSON.stringify(manifest));
      await pruneCopies(dir, key, manifest.source ?? '');
      return { code };
    } catch (e) {
      lastError = e; // read-only config folder: fall back to the user's own cache folder
    }
  }
  throw lastError instanceof Error ? lastError : new Error('cannot write the compiled config');
}

const COPY = /^([0-9a-f]{64})\.json$/;

/** Removes the copies of `source` other than `keep`, and copies in an older format (no source named). */
async function pruneCopies(dir: string, keep: string, source: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const m = COPY.exec(name);
    if (!m || m[1] === keep) continue;
    let owner: string | undefined;
    try {
      owner = (JSON.parse(readOwnFile(path.join(dir, name))) as CacheManifest).source;
    } catch {
      owner = undefined; // torn or a link: not a copy anyone can use
    }
    if (owner !== undefined && owner !== source) continue;
    for (const ext of ['cjs', 'mjs']) await rm(path.join(dir, `${m[1]}.${ext}`), { force: true }); // mjs: format 4
    await rm(path.join(dir, name), { force: true });
  }
}

type Compiled = Result<{ code: string; inputs: string[] }, Problem[]>;

/**
 * What `import 'phoenix'` means inside a config: this package's compiled entry, or its source when unbuilt. It is
 * bundled into the compiled copy (it holds only defineConfig, an identity function): Node then loads one file for
 * the config instead of three.
 */
function phoenixEntry(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'phoenix'
    ) {
      const dist = path.join(dir, 'dist', 'src', 'index.js');
      return existsSync(dist) ? dist : path.join(dir, 'src', 'index.ts');
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('phoenix: cannot find its own package.json');
    dir = parent;
  }
}

async function compile(file: string, phoenix: string): Promise<Compiled> {
  const esbuild = await loadEsbuild();
  const dir = path.dirname(file);
  try {
    const result = await esbuild.build({
      entryPoints: [file],
      absWorkingDir: dir,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      // Strict code, as the ES module a config is written as; `import.meta` names the config file itself.
      banner: { js: `"use strict"; const __phoenixImportMeta = Object.freeze(${importMeta(file)});` },
      supported: { 'dynamic-import': false },
      target: 'node20',
      define: { 'import.meta': '__phoenixImportMeta' },
      write: false,
      metafile: true,
      logLevel: 'silent',
      // npm packages stay imports and resolve from the cache folder, which sits inside the config's folder.
      packages: 'external',
      plugins: [
        {
          name: 'phoenix-self',
          setup(build) {
            build.onResolve({ filter: /^phoenix$/ }, () => ({ path: phoenix }));
          },
        },
      ],
    });
    const code = result.outputFiles[0]?.text ?? '';
    const inputs = Object.keys(result.metafile.inputs)
      .map((input) => path.resolve(dir, input))
      .filter(
        (input) => input !== path.resolve(file) && !input.includes(`${path.sep}node_modules${path.sep}`),
      );
    return ok({ code, inputs });
  } catch (e) {
    return err(compileProblems(file, e));
  }
}

function importMeta(file: string): string {
  const filename = path.resolve(file);
  return JSON.stringify({ url: pathToFileURL(filename).href, filename, dirname: path.dirname(filename) });
}

interface EsbuildMessage {
  text: string;
  location: { file: string; line: number; column: number } | null;
}

function compileProblems(file: string, e: unknown): Problem[] {
  const errors = (e as { errors?: EsbuildMessage[] }).errors;
  if (!Array.isArray(errors) || errors.length === 0) {
    return [error(file, [], `cannot compile config: ${String((e as Error).message)}`, 'fix the config file')];
  }
  return errors.map((m) => {
    const where = m.location === null ? file : path.resolve(path.dirname(file), m.location.file);
    const p = error(
      where,
      [],
      `cannot compile config: ${m.text}`,
      /top-level await/i.test(m.text)
        ? "await inside the config's function instead: `export default async () => ({ ... })`"
        : 'fix the TypeScript syntax at this position',
    );
    return m.location === null ? p : { ...p, line: m.location.line, column: m.location.column + 1 };
  });
}

/** How long a config module may take to load and return its value (PHOENIX_CONFIG_TIMEOUT_MS; default 30 s). */
function loadTimeoutMs(): number {
  const n = Number(process.env.PHOENIX_CONFIG_TIMEOUT_MS);
  return Number.isInteger(n) && n > 0 ? n : 30_000;
}

const fail = (file: string, message: string, fix = 'fix the code in the config file'): ModuleLoad =>
  err([error(file, [], message, fix)]);

/** Thrown in place of exiting when a config calls process.exit while it loads. */
class ExitCalled extends Error {
  constructor(readonly code: string | number | null | undefined) {
    super(`process.exit(${code ?? ''})`);
  }
}

/**
 * Runs a config module as a guest: while it loads, process.exit stops the config instead of Phoenix, what it
 * prints goes to stderr (stdout carries --json), an error thrown from its own callbacks fails the load, and a
 * module or function that never settles is given up after a time limit. (A synchronous endless loop cannot be
 * stopped from inside the process.)
 */
async function guarded(file: string, load: () => Promise<ModuleLoad>): Promise<ModuleLoad> {
  // Saved as they are and put back as they were: the process's own methods, never called here.
  const saved = {
    exit: Reflect.get(process, 'exit') as unknown,
    write: Reflect.get(process.stdout, 'write') as unknown,
  };
  let settle: (r: ModuleLoad) => void = () => undefined;
  const stopped = new Promise<ModuleLoad>((resolve) => (settle = resolve));
  const onUncaught = (e: unknown): void => settle(failure(file, e));
  process.exit = (code?: string | number | null): never => {
    const stop = new ExitCalled(code);
    settle(failure(file, stop));
    throw stop;
  };
  process.stdout.write = process.stderr.write.bind(process.stderr);
  process.on('uncaughtException', onUncaught);
  const ms = loadTimeoutMs();
  const timer = setTimeout(
    () =>
      settle(
        fail(file, `config did not finish loading within ${ms / 1000} s`, 'make its default export settle'),
      ),
    ms,
  );
  try {
    return await Promise.race([load().catch((e: unknown) => failure(file, e)), stopped]);
  } finally {
    clearTimeout(timer);
    process.removeListener('uncaughtException', onUncaught);
    Reflect.set(process.stdout, 'write', saved.write);
    Reflect.set(process, 'exit', saved.exit);
  }
}

function failure(file: string, e: unknown): ModuleLoad {
  if (e instanceof ExitCalled)
    return fail(
      file,
      `config called ${e.message} while loading`,
      'a config returns its value; it never exits',
    );
  const message = e instanceof Error ? e.message : String(e);
  // A package whose exports offer only an ES module entry ("import"): require() finds none.
  if ((e as NodeJS.ErrnoException | undefined)?.code === 'ERR_PACKAGE_PATH_NOT_EXPORTED')
    return fail(
      file,
      `config failed while loading: ${message}`,
      'a config runs as CommonJS: import a package that exports a "require" or "default" entry',
    );
  return fail(file, `config failed while loading: ${message}`);
}

function runDefault(file: string, compiled: CachedCopy): Promise<ModuleLoad> {
  return guarded(file, async () => {
    let mod: { default?: unknown };
    try {
      // Run as the config file itself: its require, __dirname and npm packages are those of its own folder, also
      // when the copy lives in the user's cache folder (a read-only config folder).
      mod = runCommonJs(compiled.code, path.resolve(file), createRequire(path.resolve(file))).exports as {
        default?: unknown;
      };
    } catch (e) {
      return failure(file, e);
    }
    if (mod.default === undefined)
      return fail(file, 'config has no default export', 'end it with `export default defineConfig({ ... })`');
    let value: unknown;
    try {
      // A function is called; a promise (or what the function returns) is awaited.
      value = await (typeof mod.default === 'function' ? (mod.default as () => unknown)() : mod.default);
    } catch (e) {
      if (e instanceof ExitCalled) return failure(file, e);
      return fail(file, `config function failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    return toPlainData(file, value);
  });
}
