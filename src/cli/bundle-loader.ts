// Runs the bundled CLI (dist/cli/*.cjs, scripts/bundle-cli.js) through V8's code cache: a start-up trick, and the
// only one outside src/startup.ts. Most of what a no-op `phoenix plan` costs over bare Node is V8 compiling the
// verb's bundle; V8 can instead take the compiled code of an earlier run (`vm.Script` cachedData), which Node 22
// offers as module.enableCompileCache but Node 20, a Proxmox VE 9 host's Node, does not.
//
// - A bundle is a CommonJS script: an ES module cannot use a code cache on Node 20, and code compiled by
//   `vm.Script` cannot load an ES module dynamically (test/architecture.test.ts holds every built file to that).
// - The cache is the user's own folder (PHOENIX_CODE_CACHE, else `~/.cache/phoenix/code`), never a shared one: the
//   blobs are code root runs. A blob is used only when it is a regular file of this user that no one else may write,
//   and written only where every folder on the way is this user's or root's (root run with another user's HOME
//   writes none).
//   Its name is a hash of the bundle's path, then Node's version and the bundle file's identity (inode, size, and
//   the inode's change time in ns, which any write moves and no user can set back): a rebuilt, edited or replaced
//   bundle never meets an old blob (V8 itself checks only the source's length), and a new blob replaces the
//   bundle's older ones; blobs not rewritten for 30 days go at the next save (those of a deleted install). Not a
//   hash of the content: node:crypto alone costs more to load (2.5 ms) than `phoenix --help` has to spare.
// - Anything wrong with the cache (missing, unwritable, rejected by V8) costs only the compile it would have saved.
// Kept in step: test/cli/bundle-loader.test.ts; what it saves is figure 5 of `npm run bench`.
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Script } from 'node:vm';
import envPaths from 'env-paths';
import { runCommonJs } from '../commonjs.js';
import {
  ensurePrivateDir,
  ownedPath,
  readOwnBytes,
  removeOrphanTemps,
  writePrivateFile,
} from '../private-files.js';

export interface BundleLoader {
  /** A bundle's exports: run once per process, its own requires of sibling bundles loaded the same way. */
  load(file: string): unknown;
  /** Writes a blob for each bundle this process compiled without one (after the command: its functions too). */
  save(): Promise<void>;
}

/**
 * PHOENIX_CODE_CACHE: a folder, or `off` (also `0`, `false`, `no`, any case); unset: the user's cache folder. Set
 * to nothing it is off too (an empty path is never read as "not given"), and the command still runs: a cache never
 * stops one.
 */
export function codeCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  const given = env.PHOENIX_CODE_CACHE;
  if (given === undefined) return path.join(envPaths('phoenix', { suffix: '' }).cache, 'code');
  return OFF.has(given.trim().toLowerCase()) ? undefined : path.resolve(given);
}

const OFF = new Set(['', 'off', '0', 'false', 'no']);

/** FNV-1a, 32 bits: tells apart the bundles of two installs sharing one cache folder. */
export function pathHash(file: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < file.length; i++) h = Math.imul(h ^ file.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** `<hash of the path>-<Node and the file's identity>`: one bundle's blobs share the part before the dash. */
export function blobName(file: string, st: { ino: bigint; size: bigint; ctimeNs: bigint }): string {
  return `${pathHash(file)}-${process.version}.${process.arch}.${st.ino}.${st.size}.${st.ctimeNs}`;
}

/** A bundle's text and its file's identity, from one open. */
function readBundle(file: string): { source: string; name: string } {
  const fd = openSync(file, 'r');
  try {
    return { name: blobName(file, fstatSync(fd, { bigint: true })), source: readFileSync(fd, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

const BLOB = /^([0-9a-f]{8}-)v[\w.]*\.\d+$/;
const MONTH_MS = 30 * 24 * 3600 * 1000;

export function bundleLoader(given: string | undefined): BundleLoader {
  // Read and written only where every folder on the way is this user's or root's and shut to others.
  const cacheDir = given !== undefined && ownedPath(given) ? given : undefined;
  const loaded = new Map<string, unknown>();
  const unsaved: { name: string; script: Script }[] = [];

  const cached = (name: string): Buffer | undefined => {
    if (cacheDir === undefined) return undefined;
    try {
      return readOwnBytes(path.join(cacheDir, name));
    } catch {
      return undefined;
    }
  };

  const load = (file: string): unknown => {
    if (loaded.has(file)) return loaded.get(file);
    const { source, name } = readBundle(file);
    const cachedData = cached(name);
    const { exports, script } = runCommonJs(source, file, requireFrom(file), cachedData);
    if (cacheDir !== undefined && (cachedData === undefined || script.cachedDataRejected === true))
      unsaved.push({ name, script });
    loaded.set(file, exports);
    return exports;
  };

  /** Node's require for the bundle, but a sibling bundle (`./lazy/x.cjs`) comes through `load`. */
  const requireFrom = (file: string): NodeJS.Require => {
    const node = createRequire(file);
    const own = (id: string): unknown =>
      id.startsWith('.') && id.endsWith('.cjs') ? load(path.resolve(path.dirname(file), id)) : node(id);
    return Object.assign(own, {
      resolve: node.resolve,
      cache: node.cache,
      main: node.main,
      extensions: node.extensions,
    });
  };

  const save = async (): Promise<void> => {
    // Checked again: the folder may have been made, or linked, by someone else while the command ran.
    if (cacheDir === undefined || unsaved.length === 0 || !ownedPath(cacheDir)) return;
    try {
      ensurePrivateDir(cacheDir);
      const written = new Set<string>();
      for (const { name, script } of unsaved.splice(0)) {
        await writePrivateFile(path.join(cacheDir, name), script.createCachedData());
        written.add(name);
      }
      prune(cacheDir, written);
    } catch {
      // A cache that cannot be written is no cache: the next run compiles again.
    }
  };

  return { load, save };
}

/**
 * Removes what no run will read: the older blobs of the bundles just written, blobs not rewritten for a month (of an
 * install since deleted; one still in use is compiled and written again), and temp files whose writer is gone.
 */
function prune(dir: string, written: ReadonlySet<string>): void {
  const bundles = new Set([...written].map((name) => BLOB.exec(name)?.[1]));
  for (const name of readdirSync(dir)) {
    if (written.has(name)) continue;
    const file = path.join(dir, name);
    const blob = BLOB.exec(name);
    if (blob !== null && (bundles.has(blob[1]) || Date.now() - statSync(file).mtimeMs > MONTH_MS))
      rmSync(file, { force: true });
  }
  removeOrphanTemps(dir);
}

/** The launcher's call (bin/phoenix.cjs): the CLI's entry bundle beside this one, then the blobs it lacked. */
export async function runCli(argv: string[]): Promise<void> {
  const loader = bundleLoader(codeCacheDir(process.env));
  const cli = loader.load(path.join(import.meta.dirname, 'main.cjs')) as {
    main(argv: string[]): Promise<void>;
  };
  await cli.main(argv);
  await loader.save();
}
