// The CLI edge: parse argv (Node's util.parseArgs), resolve options, dispatch to a verb handler, turn failures into messages and exit
// codes. Handlers are imported only when their verb runs, so `phoenix --help` stays close to bare Node.
import { parseArgs } from 'node:util';
import type { VerbContext } from '../engine/context.js';
import { EXIT } from '../engine/exit-codes.js';
import { processOutput, type Output } from '../reporters/output.js';
import { nearestWord } from '../config/typos.js';
import { confirm } from './confirm.js';
import { programHelp, verbHelp } from './help.js';
import { MANAGERS, routeManager, type Manager } from './manager.js';
import { GLOBAL_OPTIONS, optionsOf, type OptionSpec } from './options.js';
import { resolveOptions } from './resolve-options.js';
import { findVerb, VERBS, type VerbSpec } from './verbs.js';
import { err, ok, type Result } from '../result.js';

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
  const parsed = parseCommandLine(argv);
  if (!parsed.ok) {
    io.err(`Error: ${parsed.error} (see 'phoenix --help')`);
    return EXIT.usage;
  }
  const { name, words: given, raw, help } = parsed.value;
  if (name === undefined) {
    if (help) {
      io.out(programHelp());
      return EXIT.ok;
    }
    // No verb at all (`phoenix`, `phoenix --sim`): a usage error. The usage goes to stderr, so a script sees exit 2
    // and no data; `phoenix help` is the same text with exit code 0.
    io.err(programHelp());
    return EXIT.usage;
  }
  if (name === 'help') return showHelp(given, io);
  const found = findVerb(name) ?? (name === 'letsgo' ? findVerb('LetsGo') : undefined);
  if (found === undefined) {
    const meant = nearestWord(
      name,
      VERBS.map((v) => v.name),
    );
    io.err(
      `Error: Invalid verb '${name}'\n${meant ? `Did you mean ${meant}?\n` : ''}` +
        `Run 'phoenix --help' for the list of verbs.`,
    );
    return EXIT.failed;
  }
  if (help) {
    io.out(verbHelp(found));
    return EXIT.ok;
  }
  const resolved = await resolveOptions(raw, env, found.name !== 'prefs');
  if (!resolved.ok) {
    io.err(`Error: ${resolved.error}`);
    return EXIT.usage;
  }
  let verb = found;
  let words = given;
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

interface CommandLine {
  /** The first word that is not an option or an option's value: the verb. */
  name?: string;
  words: string[];
  /** The options given (not their defaults), by their key in options.ts. */
  raw: Record<string, unknown>;
  help: boolean;
}

/** `-c, --config <path>` -> its long name, short letter and whether it takes a value. */
function flagsOf(spec: OptionSpec): { long: string; short?: string; value: boolean } {
  const m = /^(?:-(\w), )?--([\w-]+)( <[^>]+>)?$/.exec(spec.flags);
  if (m === null) throw new Error(`option flags not understood: ${spec.flags}`);
  return { long: m[2] ?? '', ...(m[1] !== undefined && { short: m[1] }), value: m[3] !== undefined };
}

/**
 * argv as Node's parseArgs reads it: options anywhere (before the verb or after it), `--opt value` or
 * `--opt=value`, short letters grouped (`-ny`). `--no-cache` sets `cache` to false.
 */
export function parseCommandLine(argv: readonly string[]): Result<CommandLine, string> {
  const specs = GLOBAL_OPTIONS.map((spec) => ({ spec, ...flagsOf(spec) }));
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const f of specs)
    options[f.long] = { type: f.value ? 'string' : 'boolean', ...(f.short && { short: f.short }) };
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    return err(parseError(e as NodeJS.ErrnoException, specs));
  }
  const { values, positionals } = parsed;
  const raw: Record<string, unknown> = {};
  for (const f of specs) {
    const v = values[f.long];
    if (v === undefined) continue;
    raw[f.spec.key] = f.long.startsWith('no-') ? !v : v;
  }
  const [name, ...words] = positionals;
  return ok({ ...(name !== undefined && { name }), words, raw, help: values.help === true });
}

/** parseArgs's errors in Phoenix's words: which option, and what is wrong with it. */
function parseError(e: NodeJS.ErrnoException, specs: { spec: OptionSpec; long: string }[]): string {
  const named = /'([^']+)'/.exec(e.message)?.[1] ?? '';
  const flags = (word: string): string =>
    specs.find((f) => `--${f.long}` === word || f.spec.flags.split(', ').includes(word))?.spec.flags ?? word;
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option '${named}'`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const word = named.split(', ').pop()?.split(' ')[0] ?? named;
      return /does not take an argument/.test(e.message)
        ? `option '${flags(word)}' takes no value`
        : `option '${flags(word)}' argument missing`;
    }
    default:
      return e.message.split('\n')[0] ?? 'bad usage';
  }
}

/** `phoenix help [verb]`: the verb's help, or the program's; an unknown verb is an invalid verb (exit 1). */
function showHelp(words: string[], io: Output): number {
  const [name, ...rest] = words;
  if (name === undefined) {
    io.out(programHelp());
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
