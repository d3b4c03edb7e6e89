// What a verb receives from the CLI: its words, the resolved options, where to print, and how to ask the user.
import type { Output } from '../reporters/output.js';

export interface ResolvedOptions {
  config?: string;
  sim: boolean;
  simDir?: string;
  /** The cluster's API URL (`--api`, PHOENIX_API_URL): the api transport instead of the local CLI. */
  api?: string;
  tokenFile?: string;
  fingerprint?: string;
  caFile?: string;
  /** sim serve. */
  nodes?: string;
  port?: number;
  dryRun: boolean;
  json: boolean;
  concurrency: number;
  keepGoing: boolean;
  force: boolean;
  replace: boolean;
  yes: boolean;
  cascade: boolean;
  cache: boolean;
  wait: boolean;
  suite?: string;
  wipeDisks: boolean;
  format?: string;
  detailedExitcode: boolean;
  /** validate: warnings are errors. */
  strict: boolean;
  renderer: 'tree' | 'lines' | 'verbose' | 'quiet';
  verbose: boolean;
  quiet: boolean;
}

export type TargetRule =
  /** At least one guest ID (or `hypervisor` where the verb supports it). */
  | 'required'
  /** Guest IDs, none meaning all. */
  | 'optional'
  /** Step addresses (`950:snapshot`). */
  | 'addresses'
  /** No targets. */
  | 'none'
  /** Free-form words (prefs, schema). */
  | 'words';

/** What the verb table declares of a verb, as the engine needs it. */
export interface VerbRule {
  name: string;
  targets: TargetRule;
  /** Mutating verbs take the run lock and honour --dry-run. */
  mutating: boolean;
  /** Reads the config, the host and the cache and changes nothing: writes no run log (plan, why, status, ...). */
  readOnly?: boolean;
}

export interface VerbContext {
  /** The verb as the user means it (`start`, `LetsGo`); the manager interface passes the routed verb. */
  verb: VerbRule;
  /** Positional words after the verb (guest IDs, step addresses, sub-verbs). */
  words: string[];
  options: ResolvedOptions;
  io: Output;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The full argv, for the lock holder's description. */
  argv: string[];
  /** Asks the user to confirm a destructive action (`--yes` answers it); false means refused, already reported. */
  confirm(what: string): Promise<boolean>;
  /** Set by the manager interface (`phoenix lxc start 950`): the targets must be guests of this kind. */
  kind?: 'lxc' | 'vm';
}
