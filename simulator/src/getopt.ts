// Argument parsing the way PVE's CLIHandler does it: Getopt::Long against the API schema (prefix_pattern
// `--|-`, unique prefixes, booleans with an optional value, permuted positionals, `--` ending options).
import { ParamError, UsageError } from './errors.js';

export type Checker = (value: string, key: string) => Record<string, string> | undefined;

export interface OptSpec {
  type: 'string' | 'integer' | 'number' | 'boolean';
  enum?: string[];
  min?: number;
  max?: number;
  /** Must match the whole value. */
  pattern?: RegExp;
  /** Further checks (formats, property strings); returns errors keyed by param path. */
  check?: Checker;
}

// Shorthands for the option tables.
export const bool: OptSpec = { type: 'boolean' };
export const str: OptSpec = { type: 'string' };
export const int = (min?: number, max?: number): OptSpec => ({ type: 'integer', min, max });

export interface CmdSpec {
  /** e.g. `pct create <vmid> <ostemplate> [OPTIONS]`. */
  usage: string;
  positionals: { name: string; spec?: OptSpec }[];
  /** The last positional swallows the rest (`extra-args`). */
  listParam?: boolean;
  options: Record<string, OptSpec>;
}

/**
 * A spec whose option table is built on first use. The big tables (pct/qm create and set: hundreds of keys with
 * property-string checkers) cost more to build than a whole `pct list` does, and most calls never parse them.
 */
export function lazyOptions(base: Omit<CmdSpec, 'options'>, build: () => Record<string, OptSpec>): CmdSpec {
  let options: Record<string, OptSpec> | undefined;
  return {
    ...base,
    get options() {
      return (options ??= build());
    },
  };
}

export interface Parsed {
  params: Record<string, string>;
  /** Options given on the command line, by canonical name (booleans normalized to 1/0). */
  opts: Record<string, string>;
  extra: string[];
}

function resolveOption(name: string, options: Record<string, OptSpec>): { name?: string; warning?: string } {
  const keys = Object.keys(options);
  const exact = keys.find((k) => k.toLowerCase() === name.toLowerCase());
  if (exact) return { name: exact };
  const matches = keys.filter((k) => k.toLowerCase().startsWith(name.toLowerCase()));
  if (matches.length === 1) return { name: matches[0] };
  if (matches.length > 1) return { warning: `Option ${name} is ambiguous (${matches.sort().join(', ')})` };
  return { warning: `Unknown option: ${name}` };
}

export function parseBoolean(v: string): 0 | 1 | undefined {
  if (/^(1|on|yes|true)$/i.test(v)) return 1;
  if (/^(0|off|no|false)$/i.test(v)) return 0;
  return undefined;
}

/** Validates one value against its spec; returns errors keyed by param path (empty when fine). */
export function checkValue(key: string, spec: OptSpec, value: string): Record<string, string> {
  if (spec.type === 'boolean') {
    return parseBoolean(value) === undefined
      ? { [key]: `type check ('boolean') failed - got '${value}'` }
      : {};
  }
  if (spec.type === 'integer' && !/^-?\d+$/.test(value)) {
    return { [key]: `type check ('integer') failed - got '${value}'` };
  }
  if (spec.type === 'number' && !/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) {
    return { [key]: `type check ('number') failed - got '${value}'` };
  }
  if (spec.type === 'integer' || spec.type === 'number') {
    const n = Number(value);
    if (spec.min !== undefined && n < spec.min)
      return { [key]: `value must have a minimum value of ${spec.min}` };
    if (spec.max !== undefined && n > spec.max)
      return { [key]: `value must have a maximum value of ${spec.max}` };
  }
  if (spec.enum && !spec.enum.includes(value)) {
    return { [key]: `value '${value}' does not have a value in the enumeration '${spec.enum.join(', ')}'` };
  }
  if (spec.pattern && !new RegExp(`^(?:${spec.pattern.source})$`).test(value)) {
    return { [key]: 'value does not match the regex pattern' };
  }
  if (spec.check) return spec.check(value, key) ?? {};
  return {};
}

export function parseArgs(spec: CmdSpec, args: string[]): Parsed {
  const warnings: string[] = [];
  const opts: Record<string, string> = {};
  const rest: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const tok = args[i]!;
    if (tok === '--') {
      rest.push(...args.slice(i + 1));
      break;
    }
    const m = /^--?([^=]+)(?:=(.*))?$/s.exec(tok);
    if (!m || tok === '-') {
      rest.push(tok);
      continue;
    }
    const { name, warning } = resolveOption(m[1]!, spec.options);
    if (!name) {
      warnings.push(warning!);
      continue;
    }
    const os = spec.options[name]!;
    let value = m[2];
    if (value === undefined) {
      const next = args[i + 1];
      if (os.type === 'boolean') {
        // `:s` in Getopt::Long: take the next word unless it looks like an option
        if (next !== undefined && !next.startsWith('-')) {
          value = next;
          i++;
        } else value = '';
      } else if (next === undefined) {
        warnings.push(`Option ${m[1]} requires an argument`);
        continue;
      } else {
        value = next;
        i++;
      }
    }
    opts[name] = value;
  }
  if (warnings.length > 0) throw new UsageError('unable to parse option', warnings, spec.usage);

  const params: Record<string, string> = {};
  let extra: string[] = [];
  const pos = spec.positionals;
  if (pos.length > 0) {
    const fixed = spec.listParam ? pos.length - 1 : pos.length;
    for (let p = 0; p < fixed; p++) {
      if (rest.length === 0) throw new UsageError('not enough arguments', [], spec.usage);
      params[pos[p]!.name] = rest.shift()!;
    }
    if (spec.listParam) {
      extra = rest.splice(0);
    }
  }
  if (rest.length > 0) throw new UsageError('too many arguments', [], spec.usage);

  let errors: Record<string, string> = {};
  for (const p of pos) {
    const v = params[p.name];
    if (v !== undefined && p.spec) errors = { ...errors, ...checkValue(p.name, p.spec, v) };
  }
  for (const [k, v] of Object.entries(opts)) {
    const os = spec.options[k]!;
    if (os.type === 'boolean') {
      if (v === '') opts[k] = '1';
      else {
        const b = parseBoolean(v);
        if (b === undefined) errors = { ...errors, ...checkValue(k, os, v) };
        else opts[k] = String(b);
      }
      continue;
    }
    errors = { ...errors, ...checkValue(k, os, v) };
  }
  if (Object.keys(errors).length > 0) throw new ParamError(errors, spec.usage);
  return { params: { ...params, ...opts }, opts, extra };
}
