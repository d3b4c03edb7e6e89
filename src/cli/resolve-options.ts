// Flag > env > preference > default, for every option declared in options.ts.
import { type Result, err, ok } from '../result.js';
import type { ResolvedOptions } from '../engine/context.js';
import { GLOBAL_OPTIONS } from './options.js';
import { readPrefs } from '../prefs/read.js';

const DEFAULTS: ResolvedOptions = {
  sim: false,
  dryRun: false,
  json: false,
  concurrency: 4,
  keepGoing: false,
  force: false,
  replace: false,
  yes: false,
  cascade: false,
  cache: true,
  wait: false,
  wipeDisks: false,
  detailedExitcode: false,
  strict: false,
  renderer: 'tree',
  verbose: false,
  quiet: false,
};

export async function resolveOptions(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  /** Whether preferences supply values (not for `phoenix prefs` itself, which must work on a broken file). */
  usePrefs = true,
): Promise<Result<ResolvedOptions, string>> {
  const out: Record<string, unknown> = { ...DEFAULTS };
  let prefs: Record<string, unknown> | undefined;
  for (const spec of GLOBAL_OPTIONS) {
    let value: unknown = raw[spec.key];
    let source = `option ${spec.flags.split(', ').pop()?.split(' ')[0] ?? spec.key}`;
    // An empty variable counts as unset, except for a path, where it is refused below.
    if (
      value === undefined &&
      spec.env &&
      env[spec.env] !== undefined &&
      (spec.path || env[spec.env] !== '')
    ) {
      value = env[spec.env];
      source = `environment variable ${spec.env}`;
    }
    if (value === undefined && spec.pref && usePrefs) {
      if (prefs === undefined) {
        const read = await readPrefs(env);
        if (!read.ok) return read;
        prefs = read.value;
      }
      value = prefs[spec.pref];
      source = `preference '${spec.pref}' (phoenix prefs)`;
      if (typeof value === 'number') value = String(value);
    }
    if (value === undefined) continue;
    if (spec.path && typeof value === 'string' && value.trim() === '')
      return err(`${source} is empty: give a path, or leave it out`);
    if (spec.parse && typeof value === 'string') {
      const parsed = spec.parse(value);
      if (!parsed.ok) return { ok: false, error: `${source} ${parsed.error}` };
      value = parsed.value;
    }
    out[spec.key] = value;
  }
  const cacheDir = env.PHOENIX_CACHE_DIR;
  if (cacheDir !== undefined && cacheDir.trim() === '')
    return err('environment variable PHOENIX_CACHE_DIR is empty: give a path, or unset it');
  const opts = out as unknown as ResolvedOptions;
  if (opts.simDir) opts.sim = true;
  if (opts.verbose && opts.quiet) return err('--verbose and --quiet cannot be used together');
  if (opts.verbose) opts.renderer = 'verbose';
  if (opts.quiet) opts.renderer = 'quiet';
  return ok(opts);
}
