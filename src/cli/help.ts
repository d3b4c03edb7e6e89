// `phoenix help <verb>` and `phoenix <verb> --help`: the verb's synopsis, what its targets mean, what it does,
// the options that apply to it and examples, from the verb and option tables. Built only when asked for.
import { GUEST_VERBS, HYPERVISOR_VERBS, MANAGERS } from './manager.js';
import { GLOBAL_OPTIONS, optionsOf } from './options.js';
import { STEP_NAMES, type VerbSpec } from './verbs.js';

/** Verbs whose targets are step addresses or IDs that stand for all of a guest's steps. */
const TAKES_STEPS = new Set(['run', 'why', 'plan', 'graph']);

export function verbHelp(verb: VerbSpec): string {
  const lines = [
    `Usage: phoenix ${verb.name} ${`${verb.args} [options]`.trim()}`,
    '',
    capital(verb.summary) + '.',
  ];
  if (verb.about) lines.push('', verb.about);
  if (TAKES_STEPS.has(verb.name)) lines.push('', STEP_NAMES);
  const stands = verb.name === 'hypervisor' ? HYPERVISOR_VERBS : GUEST_VERBS;
  const names = (MANAGERS as readonly string[]).includes(verb.name) ? stands : [verb.name];
  const options = GLOBAL_OPTIONS.filter((o) => names.some((n) => optionsOf(n).includes(o)));
  if (options.length > 0) {
    const width = Math.max(...options.map((o) => o.flags.length));
    lines.push('', 'Options:');
    for (const o of options) lines.push(`  ${o.flags.padEnd(width)}  ${o.description}`);
  }
  if (verb.examples && verb.examples.length > 0) {
    const width = Math.max(...verb.examples.map(([cmd]) => cmd.length));
    lines.push('', 'Examples:');
    for (const [cmd, what] of verb.examples) lines.push(`  ${cmd.padEnd(width)}  ${what}`);
  }
  lines.push('', "Exit codes and every verb: 'phoenix --help'.");
  return lines.join('\n');
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
