// What a config module returned, checked before anything else reads it: a config is data, and validation, the
// fleet cache and the fingerprints all walk it. A BigInt, a cycle, nesting deeper than any config needs, or a
// getter that throws would otherwise surface as a crash (or a stack overflow) somewhere later.
import type { Problem } from './model.js';
import { error } from './problems.js';
import { err, ok, type Result } from '../result.js';

/** Deeper than any real config (a guest's settings are 4-5 levels down). */
export const MAX_DEPTH = 64;

export type PlainData = Result<unknown, Problem[]>;

/** `value` rebuilt as plain data (each getter read once), or the first problem with its JSON path. */
export function toPlainData(file: string, value: unknown): PlainData {
  const problems: Problem[] = [];
  const ancestors = new Set<object>();
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (problems.length > 0) return undefined;
    if (typeof v === 'bigint') {
      problems.push(error(file, path, `is a BigInt (${v}n)`, 'write a number or a string'));
      return undefined;
    }
    if (v === null || typeof v !== 'object') return v;
    if (
      !Array.isArray(v) &&
      Object.getPrototypeOf(v) !== Object.prototype &&
      Object.getPrototypeOf(v) !== null
    )
      return v; // Date, Map, class instances: left for the schema to refuse where they do not belong
    if (ancestors.has(v)) {
      problems.push(
        error(file, path, 'refers back to itself (a cycle)', 'make the config a tree of plain values'),
      );
      return undefined;
    }
    if (path.length >= MAX_DEPTH) {
      problems.push(error(file, path, `is nested more than ${MAX_DEPTH} levels deep`, 'flatten the config'));
      return undefined;
    }
    ancestors.add(v);
    try {
      if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) out[key] = walk(read(v, key, [...path, key]), [...path, key]);
      return out;
    } catch (e) {
      if (problems.length === 0)
        problems.push(
          error(
            file,
            path,
            `could not be read: ${(e as Error).message}`,
            'use plain values, not getters that throw',
          ),
        );
      return undefined;
    } finally {
      ancestors.delete(v);
    }
  };
  /** A property's value; a getter that throws is a problem at the property's own path. */
  const read = (obj: object, key: string, at: (string | number)[]): unknown => {
    try {
      return (obj as Record<string, unknown>)[key];
    } catch (e) {
      problems.push(
        error(
          file,
          at,
          `could not be read: ${(e as Error).message}`,
          'use plain values, not getters that throw',
        ),
      );
      return undefined;
    }
  };
  const out = walk(value, []);
  return problems.length > 0 ? err(problems) : ok(out);
}
