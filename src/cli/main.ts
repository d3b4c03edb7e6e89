// The CLI edge: parse argv, resolve options, dispatch to a verb handler, turn failures into messages and exit
// codes. Handlers are imported only when their verb runs, so `phoenix --help` stays close to bare Node.
import { Command, CommanderError, Option } from 'commander';
import type { VerbContext } from '../engine/context.js';
import { EXIT, EXIT_CODES_HELP } from '../engine/exit-codes.js';
import { processOutput, type Output } from '../reporters/output.js';
import { nearestWord } from '../config/typos.js';
import { confirm } from './confirm.js';
import { verbHelp } from './help.js';
import { MANAGERS, routeManager, type Manager } from './manager.js';
import { GLOBAL_OPTIONS, optionsOf } from './options.js';
import { resolveOptions } from './resolve-options.js';
import { findVerb, VERBS, type VerbSpec } from './verbs.js';

const DESCRIPTION = `Phoenix builds and keeps a Proxmox VE host's LXC containers and VMs in the state its config describes.
Every guest step is a node in one dependency graph; a run does only the steps that are out of date.`;

const EXAMPLES = `Examples:
  phoenix LetsGo --sim            build the whole example fleet against the simulator
  phoenix create 950 900          build 900, then 950 (and any clone ancestor not built yet)
  phoenix start 953 950           start in boot order
  phoenix plan                    what would run, and why
  phoenix why 950                 every step of 950: up to date or stale, and why
  phoenix run 902:snapshot        run one step and the stale steps it needs`;

export async function main(argv: string[], io: Output = processOutput(process.env)): Promise<void> {
  // A closed pipe (`phoenix LetsGo | head -1`) is the reader's choice, not a reason to stop the work halfway: what
  // would have been printed there is dropped (processOutput stops writing), the run goes on to its own exit code,
  // and the run log keeps every command.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
    });
  }
  process.exitCode = await dispatch(argv, io, process.env, process.cwd());
}

export async function dispatch(
  argv: string[],
  io: Output,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<number> {
  let picked: { verb: VerbSpec; words: string[]; raw: Record<string, unknown> } | undefined;
  let helpFor: string[] | undefined;
  const program = buildProgram(
    io,
    new Set(argv),
    (verb, words, raw) => {
      picked = { verb, words, raw };
    },
    (words) => (helpFor = words),
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return commanderExit(e, io, program);
    throw e;
  }
  if (helpFor !== undefined) return showHelp(helpFor, io, program);
  if (!picked) {
    io.err(program.helpInformation());
    return EXIT.usage;
  }
  const resolved = await resolveOptions(picked.raw, env, picked.verb.name !== 'prefs');
  if (!resolved.ok) {
    io.err(`Error: ${resolved.error}`);
    return EXIT.usage;
  }
  let { verb, words } = picked;
  let kind: VerbContext['kind'];
  if ((MANAGERS as readonly string[]).includes(verb.name)) {
    const routed = routeManager(verb.name as Manager, words);
    const spec = routed.ok ? findVerb(routed.value.verb) : undefined;
    if (!routed.ok || spec === undefined) {
      io.err(routed.ok ? `Error: Invalid verb '${routed.value.verb}'` : routed.error);
      return EXIT.failed;
    }
    ({ words, kind } = routed.value);
    verb = spec;
  }
  const options = resolved.value;
  // A verb with nothing to say in JSON refuses --json rather than print text a script would fail to parse.
  if (options.json && !optionsOf(verb.name).some((o) => o.key === 'json')) {
    io.err(`Error: '${verb.name}' has no JSON output: drop --json`);
    return EXIT.usage;
  }
  const ctx: VerbContext = {
    verb: {
      name: verb.name,
      targets: verb.targets,
      mutating: verb.mutating,
      ...(verb.readOnly && { readOnly: true }),
    },
    words,
    options,
    io,
    cwd,
    env,
    argv,
    confirm: (what) => confirm(io, options.yes, what),
    ...(kind && { kind }),
  };
  const targetError = checkTargets(verb, words);
  if (targetError) {
    io.err(targetError);
    return EXIT.failed;
  }
  const handler = await verb.load();
  return handler.run(ctx);
}

function buildProgram(
  io: Output,
  argvWords: ReadonlySet<string>,
  onAction: (verb: VerbSpec, words: string[], raw: Record<string, unknown>) => void,
  onHelp: (words: string[]) => void,
): Command {
  const program = new Command('phoenix')
    .description(DESCRIPTION)
    .usage('<verb> [targets...] [options]')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: () => undefined })
    .helpCommand(false)
    // List each verb with the targets it takes (`create <ids...>`), not commander's generic `[words...]`.
    .configureHelp({
      subcommandTerm: (cmd) => `${cmd.name()} ${cmd.usage().replace(/ ?\[options\]$/, '')}`.trim(),
    })
    .addHelpText(
      'after',
      `\n${EXAMPLES}\n\n${EXIT_CODES_HELP}\n\nEnvironment: PHOENIX_CONFIG, PHOENIX_SIM_DIR, PHOENIX_CONCURRENCY, PHOENIX_RENDERER, NO_COLOR, CI`,
    );
  for (const spec of GLOBAL_OPTIONS) program.addOption(new Option(spec.flags, spec.description));
  for (const verb of VERBS) {
    const cmd = program
      .command(verb.name)
      .usage(`${verb.args} [options]`.trim())
      .description(verb.summary)
      .argument('[words...]')
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: () => undefined })
      .action((words: string[], _opts: unknown, self: Command) => {
        onAction(verb, words, { ...givenOptions(program), ...givenOptions(self) });
      });
    if (verb.name === 'LetsGo') cmd.alias('letsgo');
    // `phoenix run --help`: the verb's own help (synopsis, steps, its options, examples), made only when asked.
    cmd.helpInformation = () => `${verbHelp(verb)}\n`;
    // The options go only on verbs whose name is in argv: the verb that runs is one of them, and making them for
    // all twenty verbs is a noticeable part of start-up.
    if (!argvWords.has(verb.name) && !cmd.aliases().some((a) => argvWords.has(a))) continue;
    for (const spec of GLOBAL_OPTIONS) cmd.addOption(new Option(spec.flags, spec.description).hideHelp());
  }
  program
    .command('help')
    .usage('[verb]')
    .description('show the help of a verb (phoenix help run)')
    .argument('[words...]')
    .exitOverride()
    .action((words: string[]) => onHelp(words));
  return program;
}

/** `phoenix help [verb]`: the verb's help, or the program's; an unknown verb is an invalid verb (exit 1). */
function showHelp(words: string[], io: Output, program: Command): number {
  const [name, ...rest] = words;
  if (name === undefined) {
    io.out(program.helpInformation().trimEnd());
    return EXIT.ok;
  }
  const verb = findVerb(name) ?? (name.toLowerCase() === 'letsgo' ? findVerb('LetsGo') : undefined);
  if (verb === undefined || rest.length > 0) {
    const meant =
      verb === undefined
        ? nearestWord(
            name,
            VERBS.map((v) => v.name),
          )
        : undefined;
    io.err(
      verb === undefined
        ? `Error: Invalid verb '${name}': no help for it\n${meant ? `Did you mean ${meant}?\n` : ''}` +
            `Run 'phoenix --help' for the list of verbs.`
        : `Error: phoenix help takes one verb (got '${words.join(' ')}')`,
    );
    return verb === undefined ? EXIT.failed : EXIT.usage;
  }
  io.out(verbHelp(verb));
  return EXIT.ok;
}

/**
 * Options the user actually gave, on the program or the verb. Commander fills in defaults on both (`--no-cache`
 * defaults `cache` to true), and a default on the verb must not hide a flag given before it.
 */
function givenOptions(cmd: Command): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(cmd.opts()).filter(([key]) => cmd.getOptionValueSource(key) !== 'default'),
  );
}

function commanderExit(e: CommanderError, io: Output, program: Command): number {
  switch (e.code) {
    case 'commander.help':
      // No verb at all (`phoenix`, `phoenix --sim`): a usage error. The usage goes to stderr, so a script sees
      // exit 2 and no data; `phoenix help` is the same code with exit code 0.
      if (e.exitCode === 0) return EXIT.ok;
      io.err(program.helpInformation());
      return EXIT.usage;
    case 'commander.helpDisplayed':
    case 'commander.version':
      return EXIT.ok;
    case 'commander.unknownCommand': {
      const verb = /'([^']*)'/.exec(e.message)?.[1] ?? '';
      const meant = nearestWord(
        verb,
        VERBS.map((v) => v.name),
      );
      io.err(
        `Error: Invalid verb '${verb}'\n${meant ? `Did you mean ${meant}?\n` : ''}` +
          `Run 'phoenix --help' for the list of verbs.`,
      );
      return EXIT.failed;
    }
    default:
      // One line, as every other error: commander's message without its `error: ` prefix.
      io.err(`Error: ${e.message.replace(/^error: /, '').split('\n')[0] ?? ''} (see 'phoenix --help')`);
      return EXIT.usage;
  }
}

/** The dispatcher's own target rules (spec PHOENIX-DIS-03); unknown IDs are checked once the config is read. */
function checkTargets(verb: VerbSpec, words: readonly string[]): string | undefined {
  if ((verb.targets === 'required' || verb.targets === 'addresses') && words.length === 0) {
    return `Error: Verb '${verb.name}' requires at least one target ID`;
  }
  if (verb.targets === 'none' && words.length > 0) {
    return `Error: Verb '${verb.name}' takes no targets (got '${words.join(' ')}')`;
  }
  return undefined;
}
