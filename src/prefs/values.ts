// How a preference's text becomes its value: shared by `phoenix prefs set` and the options that a preference
// can supply (a flag or environment variable is parsed the same way).
import { err, ok, type Result } from '../result.js';

export const PREF_KEYS = ['config', 'concurrency', 'renderer'] as const;
export type PrefKey = (typeof PREF_KEYS)[number];

export const RENDERERS = ['tree', 'lines', 'verbose', 'quiet'] as const;

export type Parse = (raw: string) => Result<unknown, string>;

export const parseConcurrency: Parse = (raw) => {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 64
    ? ok(n)
    : err(`must be a whole number from 1 to 64, got '${raw}'`);
};

export const parseRenderer: Parse = (raw) =>
  (RENDERERS as readonly string[]).includes(raw)
    ? ok(raw)
    : err(`must be one of ${RENDERERS.join(', ')}, got '${raw}'`);

export const PREF_PARSERS: Record<PrefKey, Parse> = {
  config: (raw) => ok(raw),
  concurrency: parseConcurrency,
  renderer: parseRenderer,
};
