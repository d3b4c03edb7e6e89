// loadFleet: find the config (phoenix.config.* or the legacy JSON files), read it, validate it, normalize it.
import { type Result, err, ok } from '../result.js';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { configSource } from './config-source.js';
import { addPositions, parseJsonText, readJsonFile } from './json-file.js';
import { findLegacyLayout, isLegacyFileName, readLegacy } from './legacy.js';
import type { Fleet, KeyTypo, Problem } from './model.js';
import { fleetSlot, readFleetEntry, writeFleetEntry, type FleetEntry } from './fleet-cache.js';
import { loadConfigModule, type ModuleLoadHooks } from './module-loader.js';
import { error, hasErrors } from './problems.js';
import type { RawSource } from './raw-source.js';
import { secretMasker, type SecretMasker } from './secrets.js';
import { loadSecretKey } from '../cache/secret-key.js';
import { configCacheDir } from './cache-dirs.js';
import { hypervisorJsonPath } from './hypervisor-file.js';
import { checkScripts, validateFleet } from './validate.js';
import { MISSING_SCRIPT, readScriptFacts, readScriptModes } from './script-files.js';
import { loadValidation } from '../startup.js';
import { foundFileReason } from '../private-files.js';
import { cosmiconfigSync, getDefaultSearchPlaces } from 'cosmiconfig';

export interface LoadOptions {
  /** `--config`: a config file, a legacy folder (or install root), or a legacy JSON file. */
  config?: string;
  cwd: string;
  /** Reads PHOENIX_CONFIG when `config` is not given. */
  env?: NodeJS.ProcessEnv;
  hooks?: ModuleLoadHooks;
  /**
   * Cache the validated fleet beside the config (`<root>/.phoenixcache/config/`, with the compiled config), so an
   * unchanged config input is not validated again.
   */
  cacheFleet?: boolean;
}

/** The fleet and its warnings, or every problem (errors and warnings) when it has errors. */
export type LoadResult = Result<{ fleet: Fleet; warnings: Problem[] }, Problem[]>;

export async function loadFleet(opts: LoadOptions): Promise<LoadResult> {
  const found = await readSource(opts);
  if (!found.ok) return err(found.error);
  const raw = found.value;
  const { fleet, problems: validated } = await validate(raw, opts.cacheFleet ?? false);
  // Scripts may appear, vanish or change without the config changing: read on every load, cached fleet or not.
  const facts = readScriptFacts(fleet);
  const scripts = facts.hashes;
  fleet.scriptHashes = scripts;
  const modes = readScriptModes(fleet);
  fleet.scriptInterpreters = modes.interpreters;
  fleet.scriptGlobals = facts.globals;
  const problems = [
    ...validated,
    ...checkScripts(
      fleet,
      (file) => (scripts.has(file) ? scripts.get(file) !== MISSING_SCRIPT : existsSync(file)),
      modes.unrunnable,
    ),
  ];
  const placed = addPositions(problems, raw.texts);
  if (hasErrors(placed)) return err(placed);
  fleet.keyTypos = keyTypos(fleet, placed);
  if (raw.layout === 'config') {
    fleet.hypervisorConfigFile = hypervisorJsonPath(raw.files[0] ?? raw.root);
    fleet.generatedHypervisorConfig = true;
  }
  return ok({ fleet, warnings: placed });
}

/** The typo warnings that make a guest's setting take its default, with the guest and the setting they hit. */
export function keyTypos(fleet: Fleet, problems: readonly Problem[]): KeyTypo[] {
  const out: KeyTypo[] = [];
  for (const p of problems) {
    if (!p.typo?.fallsBack) continue;
    for (const g of fleet.guests.values()) {
      const { file, path: at } = g.origin;
      if (p.file !== file || p.path.length <= at.length || !at.every((k, i) => p.path[i] === k)) continue;
      const field = [...p.path.slice(at.length, -1), p.typo.meant].join('.');
      out.push({ guest: g.id, field, key: p.typo.key });
    }
  }
  return out;
}

/** The fleet and its problems, from the fleet cache when the same input was validated before. */
async function validate(raw: RawSource, useCache: boolean): Promise<FleetEntry> {
  const dir = configCacheDir(raw.root);
  const slot = useCache ? fleetSlot(dir, raw) : undefined;
  // Secret values are stored as keyed hashes; a folder whose key cannot be had (read-only) is never a cache.
  const mask = slot === undefined ? undefined : await folderMasker(dir);
  const cached = slot === undefined || mask === undefined ? undefined : readFleetEntry(slot, raw, mask);
  if (cached !== undefined) return cached;
  const { normalize } = await loadValidation();
  const { fleet, problems, invalid } = normalize(raw);
  problems.push(...validateFleet(fleet, invalid));
  if (slot !== undefined && mask !== undefined && !hasErrors(problems))
    await writeFleetEntry(slot, raw, { fleet, problems }, mask);
  return { fleet, problems };
}

async function folderMasker(dir: string): Promise<SecretMasker | undefined> {
  try {
    return secretMasker(await loadSecretKey(dir));
  } catch {
    return undefined;
  }
}

type SourceRead = Result<RawSource, Problem[]>;

async function readSource(opts: LoadOptions): Promise<SourceRead> {
  const given = opts.config ?? opts.env?.PHOENIX_CONFIG;
  if (given === undefined || given === '') return search(opts.cwd, opts.hooks);
  const target = path.resolve(opts.cwd, given);
  if (!existsSync(target)) {
    const hint = 'pass a phoenix.config.ts file, or a folder holding the phoenix_*.json files';
    return fail(error(target, [], 'config not found', hint));
  }
  if (statSync(target).isDirectory()) {
    const layout = findLegacyLayout(target);
    if (layout !== undefined) return ok(await readLegacy(layout));
    return search(target, opts.hooks, true);
  }
  if (isLegacyFileName(target)) {
    return {
      ok: true,
      value: await readLegacy(
        findLegacyLayout(path.dirname(target)) ?? { etc: path.dirname(target), root: path.dirname(target) },
      ),
    };
  }
  return loadConfigFile(target, opts.hooks);
}

function fail(problem: Problem): SourceRead {
  return err([problem]);
}

const MODULE_EXT = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

/** A config file named explicitly: TS/JS and JSON are read directly; rc/YAML files go through cosmiconfig. */
async function loadConfigFile(file: string, hooks?: ModuleLoadHooks): Promise<SourceRead> {
  const ext = path.extname(file);
  if (MODULE_EXT.includes(ext)) {
    const loaded = await loadConfigModule(file, hooks);
    return loaded.ok ? ok(configSource(file, loaded.value)) : err(loaded.error);
  }
  if (ext === '.json') {
    const read = await readJsonFile(file);
    if (!read.ok) return err(read.error);
    if (path.basename(file) === 'package.json') {
      const value = (read.value.json as { phoenix?: unknown } | null)?.phoenix;
      if (value === undefined)
        return fail(error(file, ['phoenix'], 'package.json has no "phoenix" key', 'add "phoenix": { ... }'));
      return ok(withPathPrefix(configSource(file, value, read.value.text), ['phoenix']));
    }
    return ok(configSource(file, read.value.json, read.value.text));
  }
  try {
    const { found, texts } = explorer();
    return fromCosmiconfig(found.load(file), file, texts);
  } catch (e) {
    return err(loaderProblems(e, file));
  }
}

/** package.json#phoenix: paths inside the file start at "phoenix". */
function withPathPrefix(raw: RawSource, prefix: string[]): RawSource {
  const shift = <T extends { path: (string | number)[] }>(x: T): T => ({
    ...x,
    path: [...prefix, ...x.path],
  });
  return {
    ...raw,
    scripts: shift(raw.scripts),
    hypervisor: shift(raw.hypervisor),
    lxc: shift(raw.lxc),
    vmDefaults: shift(raw.vmDefaults),
    vms: shift(raw.vms),
    problems: raw.problems.map(shift),
  };
}

/** Thrown by our cosmiconfig loaders so their problems survive cosmiconfig's error path. */
class LoaderProblems extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map((p) => p.message).join('; '));
  }
}

function loaderProblems(e: unknown, file: string): Problem[] {
  if (e instanceof LoaderProblems) return e.problems;
  const err = e as { message?: string; filepath?: string; mark?: { line: number; column: number } };
  const p = error(
    err.filepath ?? file,
    [],
    `cannot read config: ${String(err.message)}`,
    'fix the config file',
  );
  return err.mark === undefined ? [p] : [{ ...p, line: err.mark.line + 1, column: err.mark.column + 1 }];
}

type Loader = (file: string, contents: string) => unknown;

/** cosmiconfig 9's search places for "phoenix", in its order, then phoenix.config.json. */
export const SEARCH_PLACES = [...getDefaultSearchPlaces('phoenix'), 'phoenix.config.json'];

/** What the search's loader answers for a TS/JS config: found; it is compiled and imported after the search. */
const MODULE_FOUND = Object.freeze({ module: 'found' });

/**
 * cosmiconfig finds the config (from a folder upward to the nearest package.json, or only in it) and reads what
 * only it reads (.phoenixrc, YAML); JSON is read by our loader (with positions for problems). Its synchronous
 * explorer: the search looks at a score of places in each folder, and a thread-pool round trip for each was most of
 * a no-op plan's config load (8 ms of 25). Modules, which load asynchronously (compiled with esbuild, cached,
 * imported), are only found by the search and loaded after it.
 */
function explorer(searchStrategy: 'none' | 'project' = 'none') {
  const texts = new Map<string, string>();
  const jsonLoader = (file: string, contents: string) => {
    const read = parseJsonText(file, contents.replace(/^\uFEFF/, ''));
    if (!read.ok) throw new LoaderProblems(read.error);
    texts.set(file, read.value.text);
    return read.value.json;
  };
  const found = cosmiconfigSync('phoenix', {
    searchStrategy,
    searchPlaces: SEARCH_PLACES,
    loaders: Object.fromEntries<Loader>([
      ...MODULE_EXT.map((ext): [string, Loader] => [ext, () => MODULE_FOUND]),
      ['.json', jsonLoader],
    ]),
  });
  return { found, texts };
}

function fromCosmiconfig(
  result: { config: unknown; filepath: string } | null,
  where: string,
  texts: ReadonlyMap<string, string> = new Map(),
): SourceRead {
  if (result === null) {
    return fail(
      error(
        where,
        [],
        'no phoenix config found here or in any parent folder',
        'create phoenix.config.ts, or pass --config DIR for the legacy phoenix_*.json layout',
      ),
    );
  }
  const raw = configSource(result.filepath, result.config, texts.get(result.filepath));
  return {
    ok: true,
    value: path.basename(result.filepath) === 'package.json' ? withPathPrefix(raw, ['phoenix']) : raw,
  };
}

/**
 * A legacy layout in `dir` itself (the three JSON files, or an install root with etc/) wins; otherwise
 * phoenix.config.* and friends, from `dir` upward to the nearest package.json (or only in `dir`).
 */
async function search(dir: string, hooks?: ModuleLoadHooks, onlyHere = false): Promise<SourceRead> {
  const legacy = findLegacyLayout(dir);
  if (legacy !== undefined) return ok(await readLegacy(legacy));
  try {
    const { found, texts } = explorer(onlyHere ? 'none' : 'project');
    const result = found.search(dir);
    const stranger = result === null || onlyHere ? undefined : foundFileReason(result.filepath);
    if (stranger !== undefined && result !== null)
      return fail(
        error(
          result.filepath,
          [],
          `the config found searching up from ${dir} is not loaded: ${stranger}`,
          `pass --config ${result.filepath} to load it anyway, or make it yours (chown; chmod go-w)`,
        ),
      );
    // package.json is read again for the positions of its problems (cosmiconfig keeps no text of it).
    if (
      result !== null &&
      (result.config === MODULE_FOUND || path.basename(result.filepath) === 'package.json')
    )
      return await loadConfigFile(result.filepath, hooks);
    return fromCosmiconfig(result, dir, texts);
  } catch (e) {
    return err(loaderProblems(e, dir));
  }
}
