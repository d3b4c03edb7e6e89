// `phoenix --help`, `phoenix help <verb>` and `phoenix <verb> --help`: from the verb and option tables; a verb's
// help is its synopsis, what its targets mean, what it does, the options that apply to it and examples.
import { GUEST_VERBS, HYPERVISOR_VERBS, MANAGERS } from './manager.js';
import { GLOBAL_OPTIONS, optionsOf } from './options.js';
import { STEP_NAMES, VERBS, type VerbSpec } from './verbs.js';
import { EXIT_CODES_HELP } from '../engine/exit-codes.js';

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
  if (options.length > 0) lines.push('', 'Options:', ...table(options.map((o) => [o.flags, o.description])));
  if (verb.examples && verb.examples.length > 0) lines.push('', 'Examples:', ...table(verb.examples));
  lines.push('', "Exit codes and every verb: 'phoenix --help'.");
  return lines.join('\n');
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

const DESCRIPTION = `Phoenix builds and keeps a Proxmox VE host's LXC containers and VMs in the state
its config describes. Every guest step is a node in one dependency graph; a run
does only the steps that are out of date.`;

const EXAMPLES = `Examples:
  phoenix LetsGo --sim            build the whole example fleet against the simulator
  phoenix create 950 900          build 900, then 950 (and any clone ancestor not built yet)
  phoenix start 953 950           start in boot order
  phoenix plan                    what would run, and why
  phoenix why 950                 every step of 950: up to date or stale, and why
  phoenix run 902:snapshot        run one step and the stale steps it needs`;

/** `phoenix --help`: what Phoenix is, every option, every verb with the targets it takes, examples, exit codes. */
export function programHelp(): string {
  return [
    'Usage: phoenix <verb> [targets...] [options]',
    '',
    DESCRIPTION,
    '',
    'Options:',
    ...table([
      ...GLOBAL_OPTIONS.map((o): [string, string] => [o.flags, o.description]),
      ['-h, --help', "this help; phoenix <verb> --help: the verb's"],
    ]),
    '',
    'Verbs:',
    ...table([
      ...VERBS.map((v): [string, string] => [`${v.name} ${v.args}`.trim(), v.summary]),
      ['help [verb]', 'show the help of a verb (phoenix help run)'],
    ]),
    '',
    EXAMPLES,
    '',
    EXIT_CODES_HELP,
    '',
    'Environment: PHOENIX_CONFIG, PHOENIX_SIM_DIR, PHOENIX_CONCURRENCY, PHOENIX_RENDERER, NO_COLOR, CI,',
    '  PHOENIX_CODE_CACHE (where compiled code is kept: a folder, or off; default ~/.cache/phoenix/code)',
  ].join('\n');
}

/** Help lines are wrapped to this width: the classic terminal's. */
const WIDTH = 80;

/** Two columns, the second wrapped under itself. */
function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([a]) => a.length));
  const room = Math.max(WIDTH - width - 4, 30);
  return rows.flatMap(([a, b]) =>
    wrap(b, room).map((line, i) => `  ${(i === 0 ? a : '').padEnd(width)}  ${line}`.trimEnd()),
  );
}

function wrap(text: string, room: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}
