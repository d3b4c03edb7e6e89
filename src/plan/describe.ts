// Words for plan data, shared by blocked messages and the plan/why reporters.
import { unreachable } from '../result.js';
import type { Diff } from '../tasks/step.js';
import type { StaleReason } from './types.js';

/** A config value as people read it: strings bare, absent as `(unset)`, the rest as compact JSON. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '(unset)';
  if (typeof v === 'string') return v === '' ? '""' : v;
  return JSON.stringify(v) ?? typeof v;
}

/** `memory_mb: 2048 -> 4096` */
export function formatDiff(d: Diff): string {
  return `${d.field}: ${formatValue(d.actual)} -> ${formatValue(d.desired)}`;
}

/** One line per reason, without its diffs (reporters list those underneath). */
export function describeReason(r: StaleReason): string {
  switch (r.type) {
    case 'never-ran':
      return 'never ran';
    case 'input-changed':
      return `config changed: ${r.diffs.map((d) => d.field).join(', ')}`;
    case 'script-changed':
      return `script changed: ${r.scripts.join(', ')}`;
    case 'upstream':
      return `upstream ${r.address} changed`;
    case 'drift':
      return `drift: ${r.detail}`;
    case 'missing':
      return `missing: ${r.detail}`;
    case 'recreated':
      return `re-created: ${r.detail}`;
    case 'forced':
      return 'forced (--force)';
    case 'format-changed':
      return "Phoenix's fingerprint format changed";
    case 'older-source':
      return `built from an older ${r.address}: ${r.detail}`;
    case 'failed':
      return `last run failed (${r.at}): ${r.message}`;
    case 'requested':
      return r.detail;
    default:
      return unreachable(r);
  }
}

/** The diffs a reason carries (input changes: recorded -> config; drift: host -> config). */
export function reasonDiffs(r: StaleReason): Diff[] {
  return r.type === 'input-changed' || r.type === 'drift' ? r.diffs : [];
}

/** A remark on one changed input, printed beside it (a mistyped key that made it take its default). */
export type DiffNote = (d: Diff) => string | undefined;

/** A reason as lines: the reason first, then its diffs (`memory_mb: 2048 -> 4096`), one per line, indented. */
export function reasonLines(r: StaleReason, note?: DiffNote): string[] {
  switch (r.type) {
    case 'input-changed':
      return [
        'config changed (recorded -> config)',
        ...r.diffs.map((d) => {
          const remark = note?.(d);
          return `  ${formatDiff(d)}${remark === undefined ? '' : `  <- ${remark}`}`;
        }),
      ];
    case 'drift':
      return [`drift: ${r.detail} (host -> config)`, ...r.diffs.map((d) => `  ${formatDiff(d)}`)];
    default:
      return [describeReason(r)];
  }
}

/** An argv as a shell would need it typed, for display only (Phoenix never runs shell strings). */
