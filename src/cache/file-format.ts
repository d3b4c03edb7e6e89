// The on-disk format of one target's cache file, without zod: the version constants, the type, and a plain check
// that accepts a file exactly as Phoenix writes it. Reading the step cache is on every run's start-up path; only a
// file this check refuses goes through the zod schema (format.ts), which then decides and explains.
import type { StepRecord } from './cache.js';

export const CACHE_FORMAT = 'phoenix-step-cache';
export const CACHE_VERSION = 1;

export interface CacheFile {
  format: typeof CACHE_FORMAT;
  version: number;
  target: string;
  steps: Record<string, StepRecord>;
}

const FILE_KEYS = new Set(['format', 'version', 'target', 'steps']);
const RECORD_KEYS = new Set([
  'fingerprint',
  'inputs',
  'scripts',
  'upstream',
  'at',
  'durationMs',
  'incarnation',
  'failed',
  'source',
]);

const FAILED_KEYS = new Set(['at', 'message']);
const SOURCE_KEYS = new Set(['address', 'fingerprint', 'incarnation']);

/**
 * A plain JSON object. One with an own `__proto__` key (JSON.parse makes one from `"__proto__": ...`) is not: zod's
 * records drop that key, so such a file goes to the schema.
 */
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.hasOwn(v, '__proto__');
const onlyKeys = (v: Record<string, unknown>, known: Set<string>): boolean =>
  Object.keys(v).every((k) => known.has(k));
const stringValues = (v: unknown): boolean =>
  isObject(v) && Object.values(v).every((s) => typeof s === 'string');

function isRecord(r: unknown): r is StepRecord {
  return (
    isObject(r) &&
    onlyKeys(r, RECORD_KEYS) &&
    typeof r.fingerprint === 'string' &&
    r.fingerprint !== '' &&
    isObject(r.inputs) &&
    stringValues(r.scripts) &&
    (r.upstream === undefined || stringValues(r.upstream)) &&
    typeof r.at === 'string' &&
    typeof r.durationMs === 'number' &&
    Number.isFinite(r.durationMs) &&
    r.durationMs >= 0 &&
    (r.incarnation === undefined || typeof r.incarnation === 'string') &&
    (r.failed === undefined ||
      (isObject(r.failed) &&
        onlyKeys(r.failed, FAILED_KEYS) &&
        typeof r.failed.at === 'string' &&
        typeof r.failed.message === 'string')) &&
    (r.source === undefined ||
      (isObject(r.source) &&
        onlyKeys(r.source, SOURCE_KEYS) &&
        typeof r.source.address === 'string' &&
        typeof r.source.fingerprint === 'string' &&
        (r.source.incarnation === undefined || typeof r.source.incarnation === 'string')))
  );
}

/**
 * True when `json` (parsed JSON) is a cache file with nothing the schema would refuse or drop: then the schema's
 * result is `json` itself. False says nothing: the schema decides.
 */
export function isWrittenCacheFile(json: unknown): json is CacheFile {
  return (
    isObject(json) &&
    onlyKeys(json, FILE_KEYS) &&
    json.format === CACHE_FORMAT &&
    Number.isSafeInteger(json.version) && // zod's int() refuses unsafe integers too
    typeof json.target === 'string' &&
    isObject(json.steps) &&
    Object.values(json.steps).every(isRecord)
  );
}
