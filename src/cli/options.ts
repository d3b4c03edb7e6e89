// Every command-line option, declared once as data and registered in a loop (see main.ts).
import { parseConcurrency, parseRenderer, type Parse, type PrefKey } from '../prefs/values.js';
// Precedence for options that also have an env variable or a preference: flag > env > preference > default.

export interface OptionSpec {
  /** Commander flags, e.g. '--concurrency <n>'. */
  flags: string;
  /** Property name commander gives the value. */
  key: string;
  description: string;
  /** Environment variable that supplies the value when the flag is absent. */
  env?: string;
  /** `phoenix prefs` key that supplies the value when neither flag nor env does. */
  pref?: PrefKey;
  /**
   * A path: an empty or blank value (a shell script's unset variable) is bad usage, never "not given", since
   * falling back to the default could drive the real host instead of the simulator.
   */
  path?: boolean;
  /** How the raw string becomes a value; the error is a message for bad input. */
  parse?: Parse;
}

export const GLOBAL_OPTIONS: OptionSpec[] = [
  {
    flags: '-c, --config <path>',
    key: 'config',
    env: 'PHOENIX_CONFIG',
    pref: 'config',
    path: true,
    description: 'phoenix.config.ts file, or a folder with the legacy JSON files (or its install root)',
  },
  {
    flags: '--sim',
    key: 'sim',
    description: 'run against the bundled Proxmox simulator instead of this host',
  },
  {
    flags: '--sim-dir <dir>',
    key: 'simDir',
    env: 'PHOENIX_SIM_DIR',
    path: true,
    description: 'simulator state folder (implies --sim; default .phoenixcache/sim beside the config)',
  },
  {
    flags: '-n, --dry-run',
    key: 'dryRun',
    description: 'list the stale steps and their commands; touch nothing',
  },
  { flags: '--json', key: 'json', description: 'machine-readable output' },
  {
    flags: '-j, --concurrency <n>',
    key: 'concurrency',
    env: 'PHOENIX_CONCURRENCY',
    pref: 'concurrency',
    parse: parseConcurrency,
    description: 'independent guests built at once (default 4)',
  },
  {
    flags: '-k, --keep-going',
    key: 'keepGoing',
    description: 'after a failure, finish independent branches',
  },
  { flags: '-f, --force', key: 'force', description: 're-run the named steps even when up to date' },
  { flags: '--replace', key: 'replace', description: 'allow steps that destroy and re-create a guest' },
  { flags: '-y, --yes', key: 'yes', description: 'confirm destructive actions without asking' },
  { flags: '--cascade', key: 'cascade', description: 'delete: also delete guests cloned from the targets' },
  { flags: '--no-cache', key: 'cache', description: 'ignore recorded steps: check and act on every step' },
  { flags: '--wait', key: 'wait', description: 'wait for another run holding the lock instead of exiting 3' },
  { flags: '--suite <name>', key: 'suite', description: 'test: the suite to run' },
  { flags: '--wipe-disks', key: 'wipeDisks', description: 'setup: let the ZFS step wipe disks (asks first)' },
  {
    flags: '--format <format>',
    key: 'format',
    description: 'graph: mermaid, dot or json (default mermaid)',
  },
  { flags: '--strict', key: 'strict', description: 'validate: treat warnings as errors (exit 2), for CI' },
  {
    flags: '--detailed-exitcode',
    key: 'detailedExitcode',
    description: 'plan: exit 4 when changes are pending',
  },
  {
    flags: '--renderer <name>',
    key: 'renderer',
    env: 'PHOENIX_RENDERER',
    pref: 'renderer',
    parse: parseRenderer,
    description: 'progress display: tree, lines, verbose or quiet',
  },
  {
    flags: '-v, --verbose',
    key: 'verbose',
    description: 'stream command output, and say how the live state was read',
  },
  { flags: '-q, --quiet', key: 'quiet', description: 'print only failures and the summary' },
];
