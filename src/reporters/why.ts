// `phoenix why`: every step asked about, up to date or not, and the reason with its input diffs, in the spirit
// of wireit's explain logger and `ninja -d explain`.
import pc from 'picocolors';
import { formatArgv } from '../host/argv.js';
import { formatValue, reasonLines } from '../plan/describe.js';
import type { MovedGuest, PlannedStep, StaleReason } from '../plan/types.js';
import { movedText } from './plan.js';

export interface WhyOptions {
  color?: boolean;
  /** Guests found on another node than expected (plan.moved): said under the guest's heading. */
  moved?: readonly MovedGuest[];
}

/** Steps grouped by target in plan order; one step alone also shows its inputs, scripts and commands. */
export function formatWhy(steps: readonly PlannedStep[], options: WhyOptions = {}): string {
  const c = pc.createColors(options.color ?? false);
  if (steps.length === 0) return 'No steps.';
  const lines: string[] = [];
  let target: number | 'host' | undefined;
  for (const step of steps) {
    if (step.target !== target) {
      target = step.target;
      const mine = steps.filter((s) => s.target === target);
      const work = mine.filter((s) => s.status !== 'up-to-date').length;
      if (lines.length > 0) lines.push('');
      lines.push(
        c.bold(`${target}: ${work === 0 ? 'up to date' : `${work} of ${mine.length} steps need to run`}`),
      );
      const moved = options.moved?.find((m) => m.id === target);
      if (moved) lines.push(`  ${c.cyan('moved')}       ${movedText(moved)}`);
    }
    lines.push(...explain(step, c));
    if (steps.length === 1) lines.push(...details(step));
  }
  return lines.join('\n');
}

type Colors = ReturnType<typeof pc.createColors>;

function explain(step: PlannedStep, c: Colors): string[] {
  if (step.status === 'up-to-date') {
    return [
      `  ${c.green('up to date')}  ${step.address}: fingerprint ${step.fingerprint.slice(0, 12)} matches`,
    ];
  }
  const head =
    step.status === 'blocked'
      ? `  ${c.red('blocked')}     ${step.address}: ${step.blocked ?? ''}`
      : `  ${c.yellow('stale')}       ${step.address}`;
  return [head, ...step.reasons.flatMap((r) => reasonLines(r)).map((l) => `                ${l}`)];
}

function details(step: PlannedStep): string[] {
  const inputs = Object.entries(step.inputs).map(([k, v]) => `    ${k} = ${formatValue(v)}`);
  const scripts = Object.entries(step.scripts).map(([p, h]) => `    ${p} (${h.slice(0, 12)})`);
  const upstream = Object.entries(step.upstream ?? {}).map(([a, f]) => `    ${a} (${f.slice(0, 12)})`);
  return [
    '',
    `  fingerprint ${step.fingerprint}`,
    `  inputs:${inputs.length === 0 ? ' (none)' : ''}`,
    ...inputs,
    ...(scripts.length > 0 ? ['  scripts:', ...scripts] : []),
    ...(upstream.length > 0 ? ['  folds in upstream:', ...upstream] : []),
    ...(step.after.length > 0 ? [`  runs after: ${step.after.join(', ')}`] : []),
    ...(step.warning !== undefined ? [`  warning: ${step.warning}`] : []),
    ...(step.preview.length > 0
      ? ['  would run:', ...step.preview.map((a) => `    $ ${formatArgv(a)}`)]
      : []),
  ];
}

export interface WhyJson {
  address: string;
  status: PlannedStep['status'];
  reasons: StaleReason[];
  blocked?: string;
  fingerprint: string;
  inputs: Record<string, unknown>;
  scripts: Record<string, string>;
  /** Its guest is on another node than the config or an earlier placement says (HA, a migration). */
  moved?: Omit<MovedGuest, 'id' | 'kind'>;
}

export function whyToJson(steps: readonly PlannedStep[], moved: readonly MovedGuest[] = []): WhyJson[] {
  return steps.map((s) => ({
    address: s.address,
    status: s.status,
    reasons: s.reasons,
    ...(s.blocked !== undefined && { blocked: s.blocked }),
    fingerprint: s.fingerprint,
    inputs: s.inputs,
    scripts: s.scripts,
    ...movedOf(moved, s.target),
  }));
}

function movedOf(moved: readonly MovedGuest[], target: number | 'host'): Pick<WhyJson, 'moved'> {
  const m = moved.find((x) => x.id === target);
  return m === undefined ? {} : { moved: { from: m.from, to: m.to, configured: m.configured } };
}
