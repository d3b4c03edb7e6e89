// The verbs, declared as data. Handlers are loaded only when their verb runs (start-up time matters).
import type { CommandContext } from './context.js';

export type TargetRule =
  /** At least one guest ID (or `hypervisor` where the verb supports it). */
  | 'required'
  /** Guest IDs, none meaning all. */
  | 'optional'
  /** Step addresses (`950:snapshot`). */
  | 'addresses'
  /** No targets. */
  | 'none'
  /** Free-form words (prefs, schema, manager verbs). */
  | 'words';

export interface VerbSpec {
  name: string;
  args: string;
  targets: TargetRule;
  summary: string;
  /** Mutating verbs take the run lock and honour --dry-run. */
  mutating: boolean;
  load: () => Promise<{ run: (ctx: CommandContext) => Promise<number> }>;
}

export const VERBS: VerbSpec[] = [
  {
    name: 'setup',
    args: '',
    targets: 'none',
    summary: 'run the hypervisor setup steps (host:*) that are out of date',
    mutating: true,
    load: () => import('./commands/setup.js'),
  },
  {
    name: 'create',
    args: '<ids...>',
    targets: 'required',
    summary: 'build guests and whatever they need (clone sources, dependencies)',
    mutating: true,
    load: () => import('./commands/create.js'),
  },
  {
    name: 'start',
    args: '<ids...>',
    targets: 'required',
    summary: 'start guests in ascending boot_order',
    mutating: true,
    load: () => import('./commands/power.js'),
  },
  {
    name: 'stop',
    args: '<ids...>',
    targets: 'required',
    summary: 'stop guests in descending boot_order',
    mutating: true,
    load: () => import('./commands/power.js'),
  },
  {
    name: 'restart',
    args: '<ids...>',
    targets: 'required',
    summary: 'stop, then start guests (in boot order)',
    mutating: true,
    load: () => import('./commands/power.js'),
  },
  {
    name: 'delete',
    args: '<ids...>',
    targets: 'required',
    summary: 'stop and destroy guests, dependents first (asks; --yes when not a TTY)',
    mutating: true,
    load: () => import('./commands/delete.js'),
  },
  {
    name: 'reconfigure',
    args: '<ids...>',
    targets: 'required',
    summary: 're-apply configuration and features to guests',
    mutating: true,
    load: () => import('./commands/reconfigure.js'),
  },
  {
    name: 'test',
    args: '<ids...|hypervisor>',
    targets: 'required',
    summary: "run a guest's test suite, or the hypervisor's (--suite NAME)",
    mutating: false,
    load: () => import('./commands/test.js'),
  },
  {
    name: 'LetsGo',
    args: '',
    targets: 'none',
    summary: 'build every guest in dependency order, then start all in boot order',
    mutating: true,
    load: () => import('./commands/letsgo.js'),
  },
  {
    name: 'run',
    args: '<id:step...>',
    targets: 'addresses',
    summary: 'run steps and the stale steps they need (--force re-runs the named ones)',
    mutating: true,
    load: () => import('./commands/run.js'),
  },
  {
    name: 'plan',
    args: '[ids...]',
    targets: 'optional',
    summary: 'list the stale steps, their reasons and commands; touch nothing',
    mutating: false,
    load: () => import('./commands/plan.js'),
  },
  {
    name: 'why',
    args: '<id|id:step>',
    targets: 'addresses',
    summary: 'explain every step of a guest: up to date or stale, and why',
    mutating: false,
    load: () => import('./commands/why.js'),
  },
  {
    name: 'graph',
    args: '[ids...]',
    targets: 'optional',
    summary: 'print the step graph (--format mermaid|dot|json)',
    mutating: false,
    load: () => import('./commands/graph.js'),
  },
  {
    name: 'status',
    args: '[ids...]',
    targets: 'optional',
    summary: 'a table per guest: exists, running, drift, stale steps',
    mutating: false,
    load: () => import('./commands/status.js'),
  },
  {
    name: 'adopt',
    args: '[ids...]',
    targets: 'optional',
    summary: 'record the steps of existing guests as done, without running scripts',
    mutating: true,
    load: () => import('./commands/adopt.js'),
  },
  {
    name: 'validate',
    args: '',
    targets: 'none',
    summary: 'check the config and print a summary',
    mutating: false,
    load: () => import('./commands/validate.js'),
  },
  {
    name: 'schema',
    args: '[lxc|vm|hypervisor|config]',
    targets: 'words',
    summary: 'print the JSON Schema of a config file',
    mutating: false,
    load: () => import('./commands/schema.js'),
  },
  {
    name: 'prefs',
    args: '<list|get|set> [key] [value]',
    targets: 'words',
    summary: 'user preferences: config, concurrency, renderer',
    mutating: false,
    load: () => import('./commands/prefs.js'),
  },
  {
    name: 'lxc',
    args: '<verb> <id>',
    targets: 'words',
    summary: 'container lifecycle for one CT (the lxc-manager interface)',
    mutating: true,
    load: () => import('./commands/manager.js'),
  },
  {
    name: 'vm',
    args: '<verb> <id>',
    targets: 'words',
    summary: 'VM lifecycle for one VM (the vm-manager interface)',
    mutating: true,
    load: () => import('./commands/manager.js'),
  },
  {
    name: 'hypervisor',
    args: '<setup|test>',
    targets: 'words',
    summary: 'hypervisor tasks (the hypervisor-manager interface)',
    mutating: true,
    load: () => import('./commands/manager.js'),
  },
];

export const findVerb = (name: string): VerbSpec | undefined => VERBS.find((v) => v.name === name);
