// The step cache on disk: <dir>/hosts/<namespace>/<target>.json, one small file per guest (and one for the host),
// rewritten atomically after each success. An unreadable file is a warning and counts as empty, never a crash.
import { readdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { StepCache, StepRecord } from './cache.js';
import { CACHE_FORMAT, CACHE_VERSION, isWrittenCacheFile, type CacheFile } from './file-format.js';
import { loadCacheSchema } from '../startup.js';
import {
  ensurePrivateDir,
  isLinkRefused,
  readOwnFile,
  removeOrphanTemps,
  writePrivateFile,
} from '../private-files.js';

export { cacheNamespace } from './namespace.js';

export interface FileStepCache extends StepCache {
  /** Folder holding this namespace's files. */
  readonly dir: string;
  forgetTarget(target: number | 'host'): Promise<void>;
}

const FILE = /^(host|\d+)\.json$/;

export async function openStepCache(
  dir: string,
  namespace: string,
): Promise<{ cache: FileStepCache; warnings: string[] }> {
  const folder = join(dir, 'hosts', namespace);
  const { records, warnings } = await load(folder);
  return { cache: new TargetFiles(folder, records), warnings };
}

async function load(folder: string): Promise<{ records: Map<string, StepRecord>; warnings: string[] }> {
  const records = new Map<string, StepRecord>();
  const warnings: string[] = [];
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (e) {
    if (code(e) !== 'ENOENT')
      warnings.push(`step cache ${folder} is unreadable (${message(e)}); treating it as empty`);
    return { records, warnings };
  }
  for (const name of names.filter((n) => FILE.test(n)).sort()) {
    const path = join(folder, name);
    const parsed = await readTargetFile(path, name.slice(0, -'.json'.length));
    if (typeof parsed === 'string') warnings.push(`step cache file ${path} ${parsed}; treating it as empty`);
    else for (const [address, record] of Object.entries(parsed.steps)) records.set(address, record);
  }
  return { records, warnings };
}

/** The file's contents, or what is wrong with it. */
async function readTargetFile(path: string, target: string): Promise<CacheFile | string> {
  let json: unknown;
  try {
    json = JSON.parse(readOwnFile(path));
  } catch (e) {
    // A link where Phoenix keeps its own records was planted: never followed, never written through.
    if (isLinkRefused(e)) return 'is a symbolic link (not followed)';
    return `is unreadable (${message(e)})`;
  }
  const file = isWrittenCacheFile(json) ? json : await schemaParse(json);
  if (file === undefined) return 'is not a Phoenix step cache file';
  if (file.version !== CACHE_VERSION) return `has format version ${file.version} (expected ${CACHE_VERSION})`;
  if (file.target !== target || Object.keys(file.steps).some((a) => targetOf(a) !== target)) {
    return `holds steps of another target than ${target}`;
  }
  return file;
}

/** A file as the zod schema reads it (loaded only for a file the plain check does not accept). */
async function schemaParse(json: unknown): Promise<CacheFile | undefined> {
  const { cacheFile } = await loadCacheSchema();
  const file = cacheFile.safeParse(json);
  return file.success ? file.data : undefined;
}

class TargetFiles implements FileStepCache {
  /** Per target file: the tail of its write queue, so writes to one file never overlap. */
  private readonly queues = new Map<string, Promise<void>>();
  private readonly byTarget = new Map<string, Map<string, StepRecord>>();
  private tempsChecked = false;

  constructor(
    readonly dir: string,
    private readonly records: Map<string, StepRecord>,
  ) {
    for (const [a, r] of records) this.group(targetOf(a)).set(a, r);
  }

  private group(target: string): Map<string, StepRecord> {
    let g = this.byTarget.get(target);
    if (!g) this.byTarget.set(target, (g = new Map<string, StepRecord>()));
    return g;
  }

  get(address: string): StepRecord | undefined {
    return this.records.get(address);
  }

  all(): ReadonlyMap<string, StepRecord> {
    return this.records;
  }

  set(address: string, record: StepRecord): Promise<void> {
    this.records.set(address, record);
    this.group(targetOf(address)).set(address, record);
    return this.flush(targetOf(address));
  }

  async delete(addresses: string[]): Promise<void> {
    for (const a of addresses) {
      this.records.delete(a);
      this.byTarget.get(targetOf(a))?.delete(a);
    }
    await Promise.all([...new Set(addresses.map(targetOf))].map((t) => this.flush(t)));
  }

  forgetTarget(target: number | 'host'): Promise<void> {
    const t = String(target);
    for (const a of this.byTarget.get(t)?.keys() ?? []) this.records.delete(a);
    this.byTarget.delete(t);
    return this.flush(t);
  }

  /** Queues a rewrite of the target's file from the records as they are when the write starts. */
  private flush(target: string): Promise<void> {
    const write = (this.queues.get(target) ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => this.write(target));
    this.queues.set(target, write);
    return write;
  }

  private async write(target: string): Promise<void> {
    const path = join(this.dir, `${target}.json`);
    const steps = Object.fromEntries(this.byTarget.get(target) ?? []);
    if (Object.keys(steps).length === 0) {
      await unlink(path).catch((e: unknown) => {
        if (code(e) !== 'ENOENT') throw e;
      });
      return;
    }
    const file: CacheFile = { format: CACHE_FORMAT, version: CACHE_VERSION, target, steps };
    // 0600 in 0700 folders, replacing (never following) a link planted in the file's place.
    ensurePrivateDir(dirname(this.dir));
    ensurePrivateDir(this.dir);
    if (!this.tempsChecked) {
      this.tempsChecked = true;
      removeOrphanTemps(this.dir); // of a run killed while it wrote, once per run (never by a read-only verb)
    }
    await writePrivateFile(path, `${JSON.stringify(file, null, 2)}\n`);
  }
}

function targetOf(address: string): string {
  return address.slice(0, address.indexOf(':'));
}

function code(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : undefined;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
