// Every command-line option, declared once as data: main.ts parses argv with them, help.ts lists them.
import { parseConcurrency, parseRenderer, type Parse, type PrefKey } from '../prefs/values.js';
import { err, ok, type Result } from '../result.js';
/** A TCP port, 0 for any free one. */
function parsePort(raw: string): Result<number, string> {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 && n <= 65535
    ? ok(n)
    : err(`must be a port number, 0-65535 (got '${raw}')`);
}

// Precedence for options that also have an env variable or a preference: flag > env > preference > default.

export interface OptionSpec {
  /** The flags as help shows them and the parser reads them: `-j, --concurrency <n>`, `--no-cache`. */
  flags: string;
  /** The key of the resolved option (ResolvedOptions); `--no-x` sets `x` to false. */
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
  /** The verbs it applies to, for each verb's help (default: every verb). */
  verbs?: readonly string[];
}

/** Verbs that run steps (build, power, test). */
const RUNS = [
  'setup',
  'create',
  'start',
  'stop',
  'restart',
  'delete',
  'reconfigure',
  'test',
  'LetsGo',
  'run',
];
/** Verbs that plan the build steps against the step cache. */
const PLANS = ['setup', 'create', 'reconfigure', 'LetsGo', 'run', 'plan', 'why', 'status', 'adopt'];
/** Verbs that change the host or the step cache: they take the run lock and honour --dry-run. */
const MUTATES = [
  'setup',
  'create',
  'start',
  'stop',
  'restart',
  'delete',
  'reconfigure',
  'LetsGo',
  'run',
  'adopt',
];
/** Verbs that talk to the host (or the simulator). */
const HOST = [...new Set([...RUNS, ...PLANS, 'graph'])];
/** Verbs that read the config. */
const CONFIG = [...HOST, 'validate', 'doctor'];
/** Verbs that may destroy a guest, so may ask first. */
const ASKS = ['delete', 'setup', 'create', 'reconfigure', 'LetsGo', 'run'];

export const GLOBAL_OPTIONS: OptionSpec[] = [
  {
    flags: '-c, --config <path>',
    key: 'config',
    env: 'PHOENIX_CONFIG',
    pref: 'config',
    path: true,
    verbs: CONFIG,
    description: 'phoenix.config.ts file, or a folder with the legacy JSON files (or its install root)',
  },
  {
    flags: '--sim',
    key: 'sim',
    verbs: HOST,
    description: 'run against the bundled Proxmox simulator instead of this host',
  },
  {
    flags: '--sim-dir <dir>',
    key: 'simDir',
    env: 'PHOENIX_SIM_DIR',
    path: true,
    verbs: HOST,
    description: 'simulator state folder (implies --sim; default .phoenixcache/sim beside the config)',
  },
  {
    flags: '--api <url>',
    key: 'api',
    env: 'PHOENIX_API_URL',
    description:
      'drive a Proxmox VE cluster through its HTTPS API (https://node:8006); token from PHOENIX_API_TOKEN or --token-file',
  },
  {
    flags: '--token-file <path>',
    key: 'tokenFile',
    path: true,
    description: 'file holding the API token, user@realm!tokenid=secret (else PHOENIX_API_TOKEN)',
  },
  {
    flags: '--fingerprint <sha256>',
    key: 'fingerprint',
    env: 'PHOENIX_API_FINGERPRINT',
    description: "the API certificate's SHA-256 fingerprint, as `pvenode cert info` prints it (pins it)",
  },
  {
    flags: '--ca-file <path>',
    key: 'caFile',
    env: 'PHOENIX_API_CA_FILE',
    path: true,
    description: "a CA certificate (PEM) the API's certificate must chain to, instead of a pin",
  },
  {
    flags: '--nodes <list>',
    key: 'nodes',
    verbs: ['sim'],
    description: "sim serve: the simulated cluster's nodes (pve1,pve2)",
  },
  {
    flags: '--port <n>',
    key: 'port',
    parse: parsePort,
    verbs: ['sim'],
    description: 'sim serve: the port (default 8006)',
  },
  {
    flags: '-n, --dry-run',
    key: 'dryRun',
    verbs: MUTATES,
    description: 'list the stale steps and their commands; touch nothing',
  },
  {
    flags: '--json',
    key: 'json',
    verbs: [...CONFIG, 'schema'],
    description: 'one JSON document on stdout (a run: the plan, then each step); progress on stderr',
  },
  {
    flags: '-j, --concurrency <n>',
    key: 'concurrency',
    env: 'PHOENIX_CONCURRENCY',
    pref: 'concurrency',
    parse: parseConcurrency,
    verbs: RUNS,
    description: 'steps run at once, across guests (default 4)',
  },
  {
    flags: '-k, --keep-going',
    key: 'keepGoing',
    verbs: RUNS,
    description: 'after a failure, finish independent branches',
  },
  {
    flags: '-f, --force',
    key: 'force',
    verbs: ['run', 'setup', 'stop', 'restart'],
    description:
      'run, setup: re-run the named steps even when up to date; stop: stop at once (no clean shutdown)',
  },
  {
    flags: '--replace',
    key: 'replace',
    verbs: PLANS,
    description: 'allow steps that destroy and re-create a guest (asks first; plan: show them)',
  },
  { flags: '-y, --yes', key: 'yes', verbs: ASKS, description: 'confirm destructive actions without asking' },
  {
    flags: '--cascade',
    key: 'cascade',
    verbs: ['delete'],
    description: 'delete: also delete guests cloned from the targets',
  },
  {
    flags: '--no-cache',
    key: 'cache',
    verbs: PLANS,
    description: 'ignore recorded steps: check and act on every step',
  },
  {
    flags: '--wait',
    key: 'wait',
    verbs: MUTATES,
    description: 'wait for another run holding the lock instead of exiting 3',
  },
  { flags: '--suite <name>', key: 'suite', verbs: ['test'], description: 'test: the suite to run' },
  {
    flags: '--wipe-disks',
    key: 'wipeDisks',
    verbs: ['setup'],
    description: 'setup: let the ZFS step wipe disks (asks first)',
  },
  {
    flags: '--format <format>',
    key: 'format',
    verbs: ['graph'],
    description: 'graph: mermaid, dot or json (default mermaid)',
  },
  {
    flags: '--strict',
    key: 'strict',
    verbs: ['validate'],
    description: 'validate: treat warnings as errors (exit 2), for CI',
  },
  {
    flags: '--detailed-exitcode',
    key: 'detailedExitcode',
    verbs: ['plan'],
    description: 'plan: exit 4 when changes are pending',
  },
  {
    flags: '--renderer <name>',
    key: 'renderer',
    env: 'PHOENIX_RENDERER',
    pref: 'renderer',
    parse: parseRenderer,
    verbs: RUNS,
    description: 'progress display: tree, lines, verbose or quiet',
  },
  {
    flags: '-v, --verbose',
    key: 'verbose',
    verbs: HOST,
    description: 'stream command output, and say how the live state was read',
  },
  {
    flags: '-q, --quiet',
    key: 'quiet',
    verbs: RUNS,
    description: 'print only failures and the final line',
  },
];

/** The options a verb takes, for its help. */
export const optionsOf = (verb: string): OptionSpec[] =>
  GLOBAL_OPTIONS.filter((o) => o.verbs === undefined || o.verbs.includes(verb));
