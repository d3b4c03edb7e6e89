// Config problems as data, and their two renderings: one line per problem for people, plain objects for JSON.
import type { z } from 'zod';
import type { Problem } from './model.js';
import { isSecretPath } from './secrets.js';

export type JsonPath = (string | number)[];

export function error(file: string, path: JsonPath, message: string, hint?: string): Problem {
  return hint === undefined
    ? { severity: 'error', file, path, message }
    : { severity: 'error', file, path, message, hint };
}

export function warning(file: string, path: JsonPath, message: string, hint?: string): Problem {
  return hint === undefined
    ? { severity: 'warning', file, path, message }
    : { severity: 'warning', file, path, message, hint };
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** `lxc_configs.950.memory_mb`, `vms[0].name`; keys that are not identifiers are quoted: `tests["a b"]`. */
export function formatJsonPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z0-9_$-]+$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out === '' ? '(top level)' : out;
}

/** `file:line:col: path: message (fix: hint)`, with `warning: ` in front of warnings. */
export function formatProblem(p: Problem): string {
  const where =
    p.line === undefined ? p.file : `${p.file}:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
  const prefix = p.severity === 'warning' ? 'warning: ' : '';
  const hint = p.hint === undefined ? '' : ` (fix: ${p.hint})`;
  return `${prefix}${where}: ${formatJsonPath(p.path)}: ${p.message}${hint}`;
}

/** One line per problem, errors first, then warnings, each group in the order found; lines joined by "\n". */
export function formatProblems(problems: readonly Problem[]): string {
  const ordered = [
    ...problems.filter((p) => p.severity === 'error'),
    ...problems.filter((p) => p.severity !== 'error'),
  ];
  return ordered.map(formatProblem).join('\n');
}

export interface ProblemJson {
  severity: 'error' | 'warning';
  file: string;
  path: (string | number)[];
  /** The path as one string, as printed for people. */
  where: string;
  message: string;
  hint: string | null;
  line: number | null;
  column: number | null;
}

/** Stable, JSON-serializable form (`phoenix validate --json`). */
export function problemToJson(p: Problem): ProblemJson {
  return {
    severity: p.severity,
    file: p.file,
    path: [...p.path],
    where: formatJsonPath(p.path),
    message: p.message,
    hint: p.hint ?? null,
    line: p.line ?? null,
    column: p.column ?? null,
  };
}

/** Turn zod issues into problems, placing each at `base + issue.path` (or where `place` says) in `file`. */
export function problemsFromZod(
  issues: readonly z.core.$ZodIssue[],
  file: string,
  base: JsonPath,
  place: (issuePath: JsonPath) => JsonPath = (p) => [...base, ...p],
): Problem[] {
  return issues.map((issue) => {
    const path = place(issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k)));
    // A secret's value is never echoed back, even when it has the wrong type.
    const message = isSecretPath(path) ? secretIssueMessage(issue) : issueMessage(issue);
    return error(file, path, message, issueHint(issue));
  });
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return `is required (${issue.expected})`;
  if (issue.code === 'invalid_type')
    return `must be ${article(issue.expected)}, got ${describe(issue.input)}`;
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  return issue.message;
}

function secretIssueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input !== undefined)
    return `must be ${article(issue.expected)} (the value is not shown: it is a secret)`;
  return issueMessage(issue);
}

function issueHint(issue: z.core.$ZodIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'add this key' : `write ${article(issue.expected)} here`;
    case 'too_small':
      return `use a value of at least ${String(issue.minimum)}`;
    case 'too_big':
      return `use a value of at most ${String(issue.maximum)}`;
    case 'unrecognized_keys':
      return 'remove the key or check its spelling';
    case 'custom': {
      const hint = (issue.params as { hint?: unknown } | undefined)?.hint;
      return typeof hint === 'string' ? hint : 'correct the value';
    }
    default:
      return 'correct the value';
  }
}

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value === 'object' ? 'an object' : typeof value;
}
