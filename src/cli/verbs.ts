// The verbs, declared as data. Each verb's work lives in src/engine/verbs, loaded only when the verb runs: the
// one place Phoenix loads code lazily (start-up time is benchmarked).
import type { VerbContext, VerbRule } from '../engine/context.js';

export interface VerbSpec extends VerbRule {
  args: string;
  summary: string;
  load: () => Promise<{ run: (ctx: VerbContext) => Promise<number> }>;
}

/** The manager verbs (`lxc`, `vm`, `hypervisor`) stand for other verbs: main.ts routes them before loading. */
const routedByTheCli = (): never => {
  throw new Error('a manager verb is routed to the verb it stands for before it is loaded');
};

export const VERBS: VerbSpec[] = [
  {
    name: 'setup',
    args: '',
    targets: 'none',
    summary: 'run the hypervisor setup steps (host:*) that are out of date',
    mutating: true,
    load: () => import('../engine/verbs/setup.js'),
  },
  {
    name: 'create',
    args: '<ids...>',
    targets: 'required',
    summary: 'build guests and whatever they need (clone sources, dependencies)',
    mutating: true,
    load: () => import('../engine/verbs/create.js'),
  },
  {
    name: 'start',
    args: '<ids...>',
    targets: 'required',
    summary: 'start guests in ascending boot_order',
    mutating: true,
    load: () => import('../engine/verbs/power.js'),
  },
  {
    name: 'stop',
    args: '<ids...>',
    targets: 'required',
    summary: 'stop guests in descending boot_order',
    mutating: true,
    load: () => import('../engine/verbs/power.js'),
  },
  {
    name: 'restart',
    args: '<ids...>',
    targets: 'required',
    summary: 'stop, then start guests (in boot order)',
    mutating: true,
    load: () => import('../engine/verbs/power.js'),
  },
  {
    name: 'delete',
    args: '<ids...>',
    targets: 'required',
    summary: 'stop and destroy guests, dependents first (asks; --yes when not a TTY)',
    mutating: true,
    load: () => import('../engine/verbs/delete.js'),
  },
  {
    name: 'reconfigure',
    args: '<ids...>',
    targets: 'required',
    summary: 're-apply configuration and features to guests',
    mutating: true,
    load: () => import('../engine/verbs/reconfigure.js'),
  },
  {
    name: 'test',
    args: '<ids...|hypervisor>',
    targets: 'required',
    summary: "run a guest's test suite, or the hypervisor's (--suite NAME)",
    mutating: false,
    load: () => import('../engine/verbs/test.js'),
  },
  {
    name: 'LetsGo',
    args: '',
    targets: 'none',
    summary: 'build every guest in dependency order, then start all in boot order',
    mutating: true,
    load: () => import('../engine/verbs/letsgo.js'),
  },
  {
    name: 'run',
    args: '<id:step...>',
    targets: 'addresses',
    summary: 'run steps and the stale steps they need (--force re-runs the named ones)',
    mutating: true,
    load: () => import('../engine/verbs/run.js'),
  },
  {
    name: 'plan',
    args: '[ids...]',
    targets: 'optional',
    summary: 'list the stale steps, their reasons and commands; touch nothing',
    mutating: false,
    load: () => import('../engine/verbs/plan.js'),
  },
  {
    name: 'why',
    args: '<id|id:step>',
    targets: 'addresses',
    summary: 'explain every step of a guest: up to date or stale, and why',
    mutating: false,
    load: () => import('../engine/verbs/why.js'),
  },
  {
    name: 'graph',
    args: '[ids...]',
    targets: 'optional',
    summary: 'print the step graph (--format mermaid|dot|json)',
    mutating: false,
    load: () => import('../engine/verbs/graph.js'),
  },
  {
    name: 'status',
    args: '[ids...]',
    targets: 'optional',
    summary: 'a table per guest: exists, running, drift, stale steps',
    mutating: false,
    load: () => import('../engine/verbs/status.js'),
  },
  {
    name: 'adopt',
    args: '[ids...]',
    targets: 'optional',
    summary: 'record the steps of existing guests as done, without running scripts',
    mutating: true,
    load: () => import('../engine/verbs/adopt.js'),
  },
  {
    name: 'validate',
    args: '',
    targets: 'none',
    summary: 'check the config and print a summary',
    mutating: false,
    load: () => import('../engine/verbs/validate.js'),
  },
  {
    name: 'schema',
    args: '[lxc|vm|hypervisor|config]',
    targets: 'words',
    summary: 'print the JSON Schema of a config file',
    mutating: false,
    load: () => import('../engine/verbs/schema.js'),
  },
  {
    name: 'prefs',
    args: '<list|get|set|unset|reset> [key] [value]',
    targets: 'words',
    summary: 'user preferences: config, concurrency, renderer',
    mutating: false,
    load: () => import('../engine/verbs/prefs.js'),
  },
  {
    name: 'lxc',
    args: '<verb> <id>',
    targets: 'words',
    summary: 'container lifecycle for one CT (the lxc-manager interface)',
    mutating: true,
    load: routedByTheCli,
  },
  {
    name: 'vm',
    args: '<verb> <id>',
    targets: 'words',
    summary: 'VM lifecycle for one VM (the vm-manager interface)',
    mutating: true,
    load: routedByTheCli,
  },
  {
    name: 'hypervisor',
    args: '<setup|test>',
    targets: 'words',
    summary: 'hypervisor tasks (the hypervisor-manager interface)',
    mutating: true,
    load: routedByTheCli,
  },
];

export const findVerb = (name: string): VerbSpec | undefined => VERBS.find((v) => v.name === name);
