// Field-by-field differences between two input records, for `input-changed` reasons and `why`.
import type { Diff } from '../tasks/step.js';
import { canonicalJson } from './fingerprint.js';

/**
 * Differences from `before` to `after` as `{ field, actual: before, desired: after }`. Plain objects are walked
 * (nested fields dotted: `network_config.ip`); arrays and scalars compare whole. Missing means `undefined`.
 */
export function diffInputs(before: Record<string, unknown>, after: Record<string, unknown>): Diff[] {
  const out: Diff[] = [];
  walk(before, after, '', out);
  return out;
}

function walk(a: unknown, b: unknown, prefix: string, out: Diff[]): void {
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) walk(a[k], b[k], prefix === '' ? k : `${prefix}.${k}`, out);
  } else if (!same(a, b)) {
    out.push({ field: prefix === '' ? '(all)' : prefix, actual: a, desired: b });
  }
}

// `undefined` (absent) and `null` differ, as they do in the fingerprint's JSON.
function same(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
