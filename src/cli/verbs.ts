// The verbs, declared as data. Each verb's work lives in src/engine/verbs, loaded only when the verb runs: the
// one place Phoenix loads code lazily (start-up time is benchmarked).
import type { VerbContext, VerbRule } from '../engine/context.js';

export interface VerbSpec extends VerbRule {
  args: string;
  summary: string;
  /** More for `phoenix help <verb>`: what the targets mean, what it does and does not do. */
  about?: string;
  /** `phoenix help <verb>` examples: [command line, what it does]. */
  examples?: [string, string][];
  load: () => Promise<{ run: (ctx: VerbContext) => Promise<number> }>;
}

/** The steps a target has, as `run` and `why` take them (held to the step tables by test/cli/help.test.ts). */
export const STEP_NAMES = `Steps (address them as <id>:<step>):
  containers  define, configure, firewall, idmap, apparmor, disk, mounts, start, pre-configured, feature:<name>, portainer, app, health, snapshot
  VMs         define, configure, firewall, cloudinit, start, agent, volumes, feature:<name>, snapshot, template
  host        host:<setup script> (hypervisor_feature_setup_zfs.sh is host:setup_zfs), host:firewall
A guest has only the steps its config asks for (app with application_script, mounts with mount_points,
volumes with a VM's volumes, portainer with portainer_role, pre-configured with enable_lifecycle_snapshots: true,
...; snapshot unless enable_lifecycle_snapshots is false and there is no template_snapshot_name; host:firewall
with shared_volumes.firewall); 'phoenix why <id>' lists them.`;

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
    about: `Runs the hypervisor setup scripts (hypervisor.setup_scripts, in that order) whose step is out of date:
never run, or its script or the hypervisor settings changed. Each gets the hypervisor config file as $1.
With shared_volumes.firewall, host:firewall writes it into /etc/pve/firewall/cluster.fw instead of
hypervisor_feature_setup_firewall.sh.`,
    examples: [
      ['phoenix setup --dry-run', 'which setup scripts would run, and why'],
      ['phoenix setup --force', 'run every setup script again'],
    ],
    load: () => import('../engine/verbs/setup.js'),
  },
  {
    name: 'create',
    args: '<ids...>',
    targets: 'required',
    summary: 'build guests and whatever they need (clone sources, dependencies)',
    mutating: true,
    about: `Builds the guests and whatever they need first: clone sources (clone_from_ctid / clone_from_vmid) and
dependencies, each only as far as it is out of date. A guest already in the desired state is left alone.`,
    examples: [
      ['phoenix create 950 900', 'build 900, then 950 (and any clone source of 950 not built yet)'],
      ['phoenix create 950 --dry-run', 'the steps and commands it would run'],
    ],
    load: () => import('../engine/verbs/create.js'),
  },
  {
    name: 'start',
    args: '<ids...>',
    targets: 'required',
    summary: 'start guests in ascending boot_order',
    mutating: true,
    about: `Starts the guests in ascending boot_order (ties: dependency order, then ID), waiting boot_delay between
them. A guest already running is left alone; templates are never started; a guest that does not exist is an
error (build it with create).`,
    examples: [['phoenix start 953 950', 'start 953 (boot order 1) before 950 (boot order 3)']],
    load: () => import('../engine/verbs/power.js'),
  },
  {
    name: 'stop',
    args: '<ids...>',
    targets: 'required',
    summary: 'stop guests in descending boot_order',
    mutating: true,
    about: `Shuts the guests down cleanly in descending boot_order: pct/qm shutdown, stopped hard by Proxmox after
shutdown_timeout seconds (default 180). --force stops at once (pct/qm stop: pulling the plug).`,
    examples: [
      ['phoenix stop 950', 'shut 950 down cleanly'],
      ['phoenix stop 1000 --force', 'stop VM 1000 at once'],
    ],
    load: () => import('../engine/verbs/power.js'),
  },
  {
    name: 'restart',
    args: '<ids...>',
    targets: 'required',
    summary: 'stop, then start guests (in boot order)',
    mutating: true,
    about: `Stops the guests (descending boot_order), then starts them (ascending), as stop and start do.`,
    examples: [['phoenix restart 953 950', 'stop 950 then 953, start 953 then 950']],
    load: () => import('../engine/verbs/power.js'),
  },
  {
    name: 'delete',
    args: '<ids...>',
    targets: 'required',
    summary: 'stop and destroy guests, dependents first (asks; --yes when not a TTY)',
    mutating: true,
    about: `Stops and destroys the guests and their disks, dependents first. Asks on a terminal; elsewhere it needs
--yes (exit 2 without). Refuses a guest other configured guests are cloned from unless --cascade, which deletes
those too. Their recorded steps are forgotten, so a later create builds them from scratch.`,
    examples: [
      ['phoenix delete 950 --yes', 'stop and destroy 950'],
      ['phoenix delete 920 --cascade --yes', 'destroy 920 and the guests cloned from it'],
    ],
    load: () => import('../engine/verbs/delete.js'),
  },
  {
    name: 'reconfigure',
    args: '<ids...>',
    targets: 'required',
    summary: 're-apply configuration and features to guests',
    mutating: true,
    about: `Applies the configuration (configure) and runs the feature scripts of the guests again, even when
they are up to date, then whatever steps that makes stale.`,
    examples: [['phoenix reconfigure 950', "re-apply 950's settings and features"]],
    load: () => import('../engine/verbs/reconfigure.js'),
  },
  {
    name: 'test',
    args: '<ids...|hypervisor>',
    targets: 'required',
    summary: "run a guest's test suite, or the hypervisor's (--suite NAME)",
    mutating: false,
    about: `Runs the guest test runner with the guest's test scripts (all suites, or --suite NAME), or with
'hypervisor' the hypervisor test runner; their report is the output. Changes nothing Phoenix records.`,
    examples: [
      ['phoenix test 953 --suite smoke', "run 953's smoke tests"],
      ['phoenix test hypervisor --suite smoke', "the hypervisor's smoke tests"],
    ],
    load: () => import('../engine/verbs/test.js'),
  },
  {
    name: 'LetsGo',
    args: '',
    targets: 'none',
    summary: 'build every guest in dependency order, then start all in boot order',
    mutating: true,
    about: `Builds every guest in dependency order (each step only if it is out of date), then starts every built
guest that is stopped, in boot order. Stale hypervisor setup steps are named, not run: 'phoenix setup' runs them.
With nothing to do it reads the host once (pct list, qm list) and changes nothing.`,
    examples: [
      ['phoenix LetsGo', 'build and start the whole fleet'],
      ['phoenix LetsGo --dry-run --json', 'the plan, as JSON'],
    ],
    load: () => import('../engine/verbs/letsgo.js'),
  },
  {
    name: 'run',
    args: '<id:step...>',
    targets: 'addresses',
    summary: 'run steps and the stale steps they need (--force re-runs the named ones)',
    mutating: true,
    about: `Runs the named steps and every out-of-date step they need first (Make semantics). A step that is up to
date does nothing unless --force, which re-runs the named steps (all steps of a guest named by its ID).`,
    examples: [
      ['phoenix run 950:app --force', "run 950's application script again"],
      ['phoenix run 902:snapshot', "take 902's snapshot again if its build changed"],
      ['phoenix run host:setup_zfs', 'one hypervisor setup step'],
    ],
    load: () => import('../engine/verbs/run.js'),
  },
  {
    name: 'plan',
    args: '[ids...]',
    targets: 'optional',
    summary: 'list the stale steps, their reasons and commands; touch nothing',
    mutating: false,
    readOnly: true,
    about: `Lists every out-of-date step of the guests (all when none are named) in the order it would run, why it
is out of date, and the exact commands; blocked steps say what they need. Reads the host, touches nothing.`,
    examples: [
      ['phoenix plan', 'the whole fleet'],
      ['phoenix plan 950 --json', "950's steps as JSON"],
      ['phoenix plan --detailed-exitcode', 'exit 4 when something is pending (for scripts)'],
    ],
    load: () => import('../engine/verbs/plan.js'),
  },
  {
    name: 'why',
    args: '<id|id:step>',
    targets: 'addresses',
    summary: 'explain every step of a guest: up to date or stale, and why',
    mutating: false,
    readOnly: true,
    about: `Explains every step of a guest, up to date or not: the fingerprint that matches, or the reason it must
run with the changed inputs. One step (<id>:<step>) also shows its inputs, scripts and commands.`,
    examples: [
      ['phoenix why 950', 'every step of 950'],
      ['phoenix why 950:configure', 'one step in full'],
    ],
    load: () => import('../engine/verbs/why.js'),
  },
  {
    name: 'graph',
    args: '[ids...]',
    targets: 'optional',
    summary: 'print the step graph (--format mermaid|dot|json)',
    mutating: false,
    readOnly: true,
    about: `Prints the step graph of the fleet, or of the named guests and what they need: thick edges re-run what
follows, dashed ones only order (clone, dependency). Steps that are out of date are marked.`,
    examples: [['phoenix graph 950 --format dot | dot -Tsvg > 950.svg', 'draw what 950 needs']],
    load: () => import('../engine/verbs/graph.js'),
  },
  {
    name: 'status',
    args: '[ids...]',
    targets: 'optional',
    summary: 'a table per guest: exists, running, drift, stale steps',
    mutating: false,
    readOnly: true,
    about: `One row per guest: whether it exists and runs, the steps whose host state drifted from what Phoenix
applied, and how many steps are out of date or blocked.`,
    examples: [
      ['phoenix status', 'the whole fleet'],
      ['phoenix status 950 --json', 'one guest as JSON'],
    ],
    load: () => import('../engine/verbs/status.js'),
  },
  {
    name: 'adopt',
    args: '[ids...]',
    targets: 'optional',
    summary: 'record the steps of existing guests as done, without running scripts',
    mutating: true,
    about: `Records as done every step of existing guests whose live check passes, running no script: for a host
built by the bash orchestrator, so the first LetsGo re-runs no feature or application script.`,
    examples: [
      ['phoenix adopt --dry-run', 'what would be recorded'],
      ['phoenix adopt 950', "record 950's steps"],
    ],
    load: () => import('../engine/verbs/adopt.js'),
  },
  {
    name: 'validate',
    args: '',
    targets: 'none',
    summary: 'check the config and print a summary',
    mutating: false,
    readOnly: true,
    about: `Checks the config (every file, JSON path and fix), and the scripts it names. Touches no host.`,
    examples: [['phoenix validate --strict', 'fail (exit 2) on warnings too, for CI']],
    load: () => import('../engine/verbs/validate.js'),
  },
  {
    name: 'schema',
    args: '[lxc|vm|hypervisor|config]',
    targets: 'words',
    summary: 'print the JSON Schema of a config file',
    mutating: false,
    about: `Prints the JSON Schema of a config file, for editor completion and checks.`,
    examples: [['phoenix schema lxc > lxc.schema.json', 'the schema of phoenix_lxc_configs.json']],
    load: () => import('../engine/verbs/schema.js'),
  },
  {
    name: 'prefs',
    args: '<action> [key] [value]',
    targets: 'words',
    summary: 'preferences: list, get, set, unset, reset',
    mutating: false,
    about: `User preferences (a file in your config folder; PHOENIX_PREFS_DIR moves it):
  list               every preference and its value
  get KEY            one value
  set KEY VALUE      store a value
  unset KEY          remove one (also repairs a hand-broken file)
  reset              remove them all (also repairs a hand-broken file)
Keys: config (--config), concurrency (--concurrency), renderer (--renderer). A flag beats its environment
variable, which beats a preference.`,
    examples: [
      ['phoenix prefs set concurrency 2', 'run two steps at a time by default'],
      ['phoenix prefs unset concurrency', 'back to the default'],
    ],
    load: () => import('../engine/verbs/prefs.js'),
  },
  {
    name: 'doctor',
    args: '',
    targets: 'none',
    summary: 'check a cluster (--api) for what the fleet needs: certificate, token privileges, storages, ssh',
    mutating: false,
    readOnly: true,
    about: `Checks the cluster --api names against the fleet, and prints each missing piece with its fix: that the
API answers, its certificate is the trusted one and the token is accepted; that the token holds every privilege the
fleet's steps need on each path (GET /access/permissions); that each node the fleet uses has storages with the
content its guests need (rootdir, images, vztmpl, import); and that ssh root@<node> works without a password.
Exit 0 when every check passes, 1 when one fails, 5 when the certificate is refused.`,
    examples: [
      [
        'PHOENIX_API_TOKEN=... phoenix doctor --api https://pve1:8006 --fingerprint AB:CD:...',
        'check the cluster',
      ],
    ],
    load: () => import('../engine/verbs/doctor.js'),
  },
  {
    name: 'sim',
    args: 'serve',
    targets: 'words',
    summary: 'serve the simulated Proxmox VE API (--sim-dir DIR --nodes pve1,pve2 [--port N])',
    mutating: false,
    load: () => import('../engine/verbs/sim.js'),
  },
  {
    name: 'lxc',
    args: '<verb> <id>',
    targets: 'words',
    summary: 'container lifecycle for one CT (the lxc-manager interface)',
    mutating: true,
    about: `The lxc-manager interface: phoenix lxc <verb> <id> with one container ID.
Verbs: create, delete, start, stop, restart, reconfigure, test (each as 'phoenix help <verb>' describes).`,
    examples: [
      ['phoenix lxc create 950', 'same as phoenix create 950'],
      ['phoenix lxc stop 950', 'same as phoenix stop 950'],
    ],
    load: routedByTheCli,
  },
  {
    name: 'vm',
    args: '<verb> <id>',
    targets: 'words',
    summary: 'VM lifecycle for one VM (the vm-manager interface)',
    mutating: true,
    about: `The vm-manager interface: phoenix vm <verb> <id> with one VM ID.
Verbs: create, delete, start, stop, restart, reconfigure, test (each as 'phoenix help <verb>' describes).`,
    examples: [['phoenix vm create 1000', 'same as phoenix create 1000']],
    load: routedByTheCli,
  },
  {
    name: 'hypervisor',
    args: '<setup|test>',
    targets: 'words',
    summary: 'hypervisor tasks (the hypervisor-manager interface)',
    mutating: true,
    about: `The hypervisor-manager interface.
Verbs: setup (as 'phoenix setup'), test [--suite NAME] (as 'phoenix test hypervisor').`,
    examples: [
      ['phoenix hypervisor setup', 'same as phoenix setup'],
      ['phoenix hypervisor test --suite smoke', "the hypervisor's smoke tests"],
    ],
    load: routedByTheCli,
  },
];

export const findVerb = (name: string): VerbSpec | undefined => VERBS.find((v) => v.name === name);
