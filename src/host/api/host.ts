// The cluster behind the host seam: the same HostExec the step tables call on one node, implemented over the
// Proxmox API (commands.ts decides each command's lane) plus the ssh lane for what only root on the node may do.
// It knows where every guest lives (one /cluster/resources read, kept current as its own tasks move guests) and
// where the fleet wants the others (the placement the engine hands it), so `pct start 950` goes to 950's node.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { formatArgv, type Argv } from '../argv.js';
import type { GuestKind } from '../../config/model.js';
import type { BackendHost } from '../exec.js';
import type {
  CommandFailure,
  CommandResult,
  GuestConfigView,
  HostExec,
  HostPathInfo,
  RunOptions,
} from '../host.js';
import type { LiveGuest, LiveState } from '../live.js';
import type { LiveStateRequest } from '../read-live.js';
import { HostReadError } from '../read-live.js';
import { withPrivateFiles } from '../temp-files.js';
import { err, ok, type Result } from '../../result.js';
import { DEFAULT_SSH, remoteScript, shellLine, sshArgv, type SshOptions } from '../ssh.js';
import type { ApiClient, ApiFailure } from './client.js';
import {
  formatAplinfo,
  formatGuestExec,
  formatStorageStatus,
  formatVolumeList,
  uriEscape,
} from './cli-output.js';
import {
  describeRoute,
  isPveTool,
  routeCommand,
  type ApiCall,
  type Route,
  type RouteContext,
} from './commands.js';
import {
  believedStatus,
  configFromApi,
  readGuestDetails,
  readRunState,
  type KnownSnapshots,
  type KnownStatus,
} from './live.js';
import { agentExec, agentExecStatus, clusterResources, guestConfig, upidOrNull } from './schemas.js';
import { parseUpid, poll, taskFailureMessage, waitForTask } from './tasks.js';
import { clusterView, isShared, type ClusterView } from './view.js';
import { shipScript } from './ship.js';
import { takeClusterLock } from './cluster-lock.js';

/** Where the fleet wants its guests: the engine's placement, handed to the host before any step runs. */
export interface Placement {
  /** The node a guest of the config is placed on (config `node`, recorded choice or policy). */
  nodeOf(id: number): string | undefined;
  /** Why the placement chose the guest's node, when no `node` key named it (for plans). */
  reasonOf?(id: number): string | undefined;
  /** Whether the node comes from the config's `node` key (else from an earlier run's placement). */
  keyed?(id: number): boolean;
  /** The storages a guest of the config puts its disks on (`storage_pool`, volume mount points), before it exists. */
  storagesOf?(id: number): string[] | undefined;
}

/** Run states Phoenix saw its own tasks leave, so a lagging /cluster/resources does not undo them. */
export interface StatusMemory {
  get(id: number): KnownStatus | undefined;
  set(id: number, status: string | undefined): void;
}

/** Snapshot lists read at a config digest, so a guest whose config did not change is not asked for its list. */
export interface SnapshotMemory {
  get(id: number): KnownSnapshots | undefined;
  set(id: number, known: KnownSnapshots | undefined): void;
}

export interface ApiHostOptions {
  client: ApiClient;
  /** The local backend: it spawns `ssh` for the ssh lane and owns the run log. */
  local: BackendHost;
  ssh?: SshOptions;
  statuses?: StatusMemory;
  snapshots?: SnapshotMemory;
  /** PHOENIX_COMMAND_TIMEOUT_MS: replaces every task budget (tests). */
  timeoutOverride?: number;
  /** A line for the run log (a lane change the token forced). */
  note?: (line: string) => void;
}

/** A guest-less command (pvesm, pveam, scripts) needs a node: the step's. 'host' means every node in turn. */
export type TargetNode = string | { every: true };

export interface ApiHost extends HostExec {
  /** The cluster as last read (reads it the first time). */
  view(refresh?: boolean): Promise<Result<ClusterView, CommandFailure>>;
  setPlacement(p: Placement): void;
  /** This host as one step sees it: commands without a guest of their own go to `node`. */
  on(node: TargetNode): HostExec;
  /** The node a guest is on, or the one the placement puts it on when it does not exist yet. */
  guestNode(id: number): string;
  /** The lane a command of a guest's step would take, for plans: `api POST /nodes/pve1/lxc` or `ssh root@pve2: why`. */
  laneOf(argv: Argv, guest?: number): string;
  readLive(req: LiveStateRequest): Promise<Result<LiveState, CommandFailure>>;
  readonly client: ApiClient;
  close(): Promise<void>;
}

const NO_PLACEMENT: Placement = { nodeOf: () => undefined };

const memoryStatuses = (): StatusMemory => {
  const m = new Map<number, KnownStatus>();
  return {
    get: (id) => m.get(id),
    set: (id, status) => (status === undefined ? m.delete(id) : m.set(id, { status, at: Date.now() })),
  };
};

const memorySnapshots = (): SnapshotMemory => {
  const m = new Map<number, KnownSnapshots>();
  return { get: (id) => m.get(id), set: (id, k) => (k === undefined ? m.delete(id) : m.set(id, k)) };
};

/** Root-only refusals of a token (pve-container check_ct_modify_config_perm, qemu-server, pve-storage). */
const ROOT_ONLY = [
  /only allowed for root@pam/,
  /only root can set/,
  /Only root can pass arbitrary filesystem paths/,
];

export function createApiHost(opts: ApiHostOptions): ApiHost {
  const { client, local } = opts;
  const sshOpts = opts.ssh ?? DEFAULT_SSH;
  const statuses = opts.statuses ?? memoryStatuses();
  const snapshotMemory = opts.snapshots ?? memorySnapshots();
  let placement = NO_PLACEMENT;
  let current: ClusterView | undefined;
  let defaultNode = '';

  /** Whether the view was read and no live read has used it yet (the session's open reads it once). */
  let unused = false;
  const view = async (refresh = false): Promise<Result<ClusterView, CommandFailure>> => {
    if (current && !refresh) return ok(current);
    const res = await client.read('/cluster/resources', clusterResources);
    if (!res.ok) return err(apiFailure(['GET', '/cluster/resources'], res.error));
    current = clusterView(res.value);
    unused = true;
    defaultNode ||= [...current.nodes.keys()].sort()[0] ?? '';
    return ok(current);
  };

  const routeCtx = (v: ClusterView, node: string): RouteContext => ({
    node,
    guestNode: (id) => v.guests.get(id)?.node,
    placedNode: (id) => placement.nodeOf(id),
    sharedStorage: (s) => isShared(v, s),
    guestStorages: (id) => storagesOfGuest(id) ?? placement.storagesOf?.(id),
    storageNodes: (s) => {
      const nodes = v.storages.get(s);
      return nodes === undefined ? undefined : [...nodes.keys()];
    },
  });

  /** The storages a guest's disks are on, from configs read this run (clone routes need them). */
  const configs = new Map<number, Record<string, string>>();
  const storagesOfGuest = (id: number): string[] | undefined => {
    const c = configs.get(id);
    if (c === undefined) return undefined;
    const vols = Object.entries(c)
      .filter(([k]) => /^(?:rootfs|mp\d+|scsi\d+|virtio\d+|sata\d+|ide\d+|efidisk\d+|tpmstate\d+)$/.test(k))
      .map(([, v]) => v.split(',')[0] ?? '')
      .filter((vol) => vol.includes(':') && !vol.startsWith('/') && vol !== 'none');
    return [...new Set(vols.map((vol) => vol.slice(0, vol.indexOf(':'))))];
  };

  /** Where a guest is: the view, refreshed once when it does not know the guest (made by someone since). */
  const nodeOfGuest = async (id: number): Promise<Result<string | undefined, CommandFailure>> => {
    const v = await view();
    if (!v.ok) return v;
    const known = v.value.guests.get(id)?.node;
    if (known !== undefined) return ok(known);
    const fresh = await view(true);
    return fresh.ok ? ok(fresh.value.guests.get(id)?.node) : fresh;
  };

  /** A guest's config and snapshots from `node`, what it learned kept (undefined: not on that node). */
  const readDetails = async (node: string, kind: GuestKind, id: number) => {
    const read = await readGuestDetails(client, node, kind, id, snapshotMemory.get(id));
    if (!read.ok || read.value === undefined) return read;
    const { known, ...guest } = read.value;
    snapshotMemory.set(id, known);
    if (guest.config) configs.set(id, guest.config);
    return ok(guest);
  };

  const details = async (kind: GuestKind, id: number) => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const node = await nodeOfGuest(id);
      if (!node.ok) throw new HostReadError(node.error);
      if (node.value === undefined) return undefined;
      const read = await readDetails(node.value, kind, id);
      if (!read.ok) throw new HostReadError(apiFailure(['GET', `${kind} ${id} config`], read.error));
      if (read.value !== undefined) return { node: node.value, guest: read.value };
      // Not where the view said: moved (HA, a migration) since it was read. Look again once.
      await view(true);
    }
    return undefined;
  };

  const runOn = async (target: TargetNode, argv: Argv, ro: RunOptions = {}) => {
    if (typeof target !== 'string') return runEverywhere(argv, ro);
    const v = await view();
    if (!v.ok) return v;
    const route = routeCommand(argv, routeCtx(v.value, target));
    const started = Date.now();
    let res: Result<CommandResult, CommandFailure>;
    if (route.lane === 'refused') res = err(failure(argv, 'exit-non-zero', route.why));
    else if (route.lane === 'ssh') res = await runSsh(route, argv, ro);
    else {
      res = await runApi(route, argv, ro, started);
      if (!res.ok && ROOT_ONLY.some((re) => re.test(res.ok ? '' : res.error.stderrTail))) {
        opts.note?.(`the token was refused a root-only setting: ${formatArgv(argv)} goes over ssh instead`);
        res = await runSsh({ lane: 'ssh', node: route.node, why: 'root-only', argv }, argv, ro);
      }
    }
    if (res.ok) remember(argv, route);
    return res;
  };

  /** A host script of the hypervisor's own setup: run on every node in turn, stopping at the first failure. */
  const runEverywhere = async (
    argv: Argv,
    ro: RunOptions,
  ): Promise<Result<CommandResult, CommandFailure>> => {
    const v = await view();
    if (!v.ok) return v;
    let last: Result<CommandResult, CommandFailure> = err(
      failure(argv, 'exit-non-zero', 'the cluster has no node'),
    );
    for (const node of [...v.value.nodes.keys()].sort()) {
      last = await runOn(node, argv, ro);
      if (!last.ok) return last;
    }
    return last;
  };

  /** What the host learns from its own successful commands: where guests went, and the state it left them in. */
  const remember = (argv: Argv, route: Route): void => {
    if (!isPveTool(argv) || current === undefined || route.lane === 'refused') return;
    const tool = argv[0] === 'pct' || argv[0]?.endsWith('/pct') ? 'lxc' : 'vm';
    const sub = argv[1];
    const id = Number(sub === 'clone' ? argv[3] : argv[2]);
    if (!Number.isInteger(id)) return;
    const set = (node: string, status: string) => {
      current?.guests.set(id, { id, kind: tool, node, status });
      statuses.set(id, status);
    };
    if (sub === 'create') set(placement.nodeOf(id) ?? route.node, 'stopped');
    else if (sub === 'clone') {
      const moved = route.lane === 'api' && route.calls.at(-1)?.params?.target;
      set(typeof moved === 'string' ? moved : (placement.nodeOf(id) ?? route.node), 'stopped');
    } else if (sub === 'destroy') {
      current.guests.delete(id);
      statuses.set(id, undefined);
      snapshotMemory.set(id, undefined);
      configs.delete(id);
    } else if (sub === 'start' || sub === 'stop' || sub === 'shutdown') {
      const g = current.guests.get(id);
      if (g) set(g.node, sub === 'start' ? 'running' : 'stopped');
    }
  };

  const runApi = async (
    route: Extract<Route, { lane: 'api' }>,
    argv: Argv,
    ro: RunOptions,
    started: number,
  ): Promise<Result<CommandResult, CommandFailure>> => {
    let extra: Record<string, string> = {};
    for (const f of route.readFiles ?? []) {
      try {
        extra = { ...extra, [f.param]: uriEscape(await readFile(f.file, 'utf8')) };
      } catch (e) {
        return err(failure(argv, 'file-error', `cannot read ${f.file}: ${(e as Error).message}`));
      }
    }
    let stdout = '';
    const warnings: string[] = [];
    for (const [i, call] of route.calls.entries()) {
      const params = i === 0 && Object.keys(extra).length > 0 ? { ...call.params, ...extra } : call.params;
      const res = await client.call(call.method, call.path, params, {
        ...(ro.signal && { signal: ro.signal }),
        dispatch: call.method !== 'GET',
      });
      if (!res.ok) return err(apiFailure(argv, res.error));
      const done = await settle(call, res.value, argv, ro);
      if (!done.ok) return done;
      warnings.push(...done.value);
      if (i === route.calls.length - 1) {
        const out = await output(route, res.value, argv, ro);
        if (!out.ok) return out;
        stdout = out.value;
      }
    }
    for (const w of warnings) ro.onOutput?.(w);
    return ok({ argv, exitCode: 0, stdout, stderr: warnings.join('\n'), durationMs: Date.now() - started });
  };

  /** Waits for what a call started: its task, or a CT template's flag. Returns the task's warnings. */
  const settle = async (
    call: ApiCall,
    data: unknown,
    argv: Argv,
    ro: RunOptions,
  ): Promise<Result<string[], CommandFailure>> => {
    if (call.expect === 'sync') return ok([]);
    if (call.expect === 'template') return waitTemplate(call, argv, ro);
    const upidText = upidOrNull.safeParse(data);
    const upid = upidText.success && upidText.data !== null ? parseUpid(upidText.data) : undefined;
    if (upid === undefined)
      return err(
        failure(
          argv,
          'exit-non-zero',
          `${call.method} ${call.path} answered no task ID: ${JSON.stringify(data)}`,
        ),
      );
    const timeoutMs = opts.timeoutOverride ?? ro.timeoutMs ?? taskBudget(argv);
    const waited = await waitForTask(client, upid, {
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(ro.signal && { signal: ro.signal }),
    });
    if (waited.ok) return ok(waited.value.warnings ?? []);
    const f = waited.error;
    const message = `${shortCommand(argv)} failed: ${taskFailureMessage(f)}`;
    const tail = f.kind === 'failed' ? [...f.logTail, f.exitstatus] : [taskFailureMessage(f)];
    const reason =
      f.kind === 'timeout'
        ? 'timeout'
        : f.kind === 'api' && f.failure.kind === 'cancelled'
          ? 'cancelled'
          : 'exit-non-zero';
    return err({ reason, argv, exitCode: 255, stderrTail: tail.join('\n'), message });
  };

  /** `POST .../lxc/{id}/template` answers null (the task's UPID is lost): done when the config says template. */
  const waitTemplate = async (
    call: ApiCall,
    argv: Argv,
    ro: RunOptions,
  ): Promise<Result<string[], CommandFailure>> => {
    const configPath = call.path.replace(/\/template$/, '/config');
    const budget = opts.timeoutOverride ?? ro.timeoutMs ?? 10 * 60_000;
    const end = await poll<Result<string[], CommandFailure>>(
      async () => {
        const conf = await client.read(configPath, guestConfig);
        if (!conf.ok) return err(apiFailure(argv, conf.error));
        return configFromApi(conf.value).config.template === '1' ? ok([]) : undefined;
      },
      { budgetMs: budget, signal: ro.signal },
    );
    if ('done' in end) return end.done;
    return err(
      end.kind === 'timeout'
        ? failure(
            argv,
            'timeout',
            `${shortCommand(argv)}: the container is not a template after ${Math.round(budget / 1000)}s`,
          )
        : failure(argv, 'cancelled', `${shortCommand(argv)} was cancelled`),
    );
  };

  /** The stdout the CLI would have printed. */
  const output = async (
    route: Extract<Route, { lane: 'api' }>,
    data: unknown,
    argv: Argv,
    ro: RunOptions,
  ): Promise<Result<string, CommandFailure>> => {
    const o = route.output;
    const bad = (what: string) =>
      err(failure(argv, 'exit-non-zero', `${shortCommand(argv)}: unexpected answer (${what})`));
    switch (o.kind) {
      case 'none':
        return ok('');
      case 'json':
        return ok(`${JSON.stringify(data, null, 2)}\n`);
      case 'storage-status':
        return maybe(formatStorageStatus(data), bad);
      case 'volume-list':
        return maybe(formatVolumeList(data), bad);
      case 'aplinfo':
        return maybe(formatAplinfo(data), bad);
      case 'guest-exec':
        return guestExecOutput(o.guestPath, data, argv, ro);
    }
  };

  /** `qm guest exec`: the agent answers a pid; its status is polled until the command exited. */
  const guestExecOutput = async (
    base: string,
    data: unknown,
    argv: Argv,
    ro: RunOptions,
  ): Promise<Result<string, CommandFailure>> => {
    const pid = agentExec.safeParse(data);
    if (!pid.success)
      return err(failure(argv, 'exit-non-zero', `${shortCommand(argv)}: the agent answered no pid`));
    const budget = opts.timeoutOverride ?? ro.timeoutMs ?? 60 * 60_000;
    let last: Parameters<typeof formatGuestExec>[0] | undefined;
    const end = await poll<Result<string, CommandFailure>>(
      async () => {
        const st = await client.read(`${base}/agent/exec-status`, agentExecStatus, { pid: pid.data.pid });
        if (!st.ok) return err(apiFailure(argv, st.error));
        last = st.value;
        return st.value.exited ? ok(formatGuestExec(st.value)) : undefined;
      },
      { budgetMs: budget, signal: ro.signal },
    );
    if ('done' in end) return end.done;
    // Out of budget: what the command printed so far, as `qm guest exec` prints a command still running.
    if (end.kind === 'timeout' && last !== undefined) return ok(formatGuestExec(last));
    return err(failure(argv, 'cancelled', `${shortCommand(argv)} was cancelled`));
  };

  const runSsh = async (
    route: Extract<Route, { lane: 'ssh' }>,
    argv: Argv,
    ro: RunOptions,
  ): Promise<Result<CommandResult, CommandFailure>> => {
    const shipped = await shipScript(route, argv, ro);
    if (!shipped.ok) return err(failure(argv, 'file-error', shipped.error));
    const { script, plain } = shipped.value;
    const sshCmd =
      plain !== undefined ? sshArgv(route.node, plain, sshOpts) : sshArgv(route.node, 'sh -s', sshOpts);
    const res = await local.run(sshCmd, {
      ...(ro.timeoutMs !== undefined && { timeoutMs: ro.timeoutMs }),
      ...(ro.signal && { signal: ro.signal }),
      ...(ro.onOutput && { onOutput: ro.onOutput }),
      ...(script !== undefined && { input: script }),
    });
    if (res.ok) return ok({ ...res.value, argv });
    const e = res.error;
    const unreachable =
      e.exitCode === 255 && /ssh|Permission denied|Host key|Could not resolve|Connection/i.test(e.stderrTail);
    const hint = unreachable
      ? ` (ssh to ${sshOpts.user}@${route.node} failed: \`ssh ${sshOpts.user}@${route.node} true\` must work without a password)`
      : '';
    return err({ ...e, argv, message: `${shortCommand(argv)} on ${route.node} (ssh): ${e.message}${hint}` });
  };

  const readLive = async (req: LiveStateRequest): Promise<Result<LiveState, CommandFailure>> => {
    // The first live read uses the view the session's open just read; later ones (after acting) read it again.
    const v = await view(!unused);
    unused = false;
    if (!v.ok) return v;
    const kinds = req.kinds ?? ['lxc', 'vm'];
    const guests = new Map<number, LiveGuest>();
    for (const g of v.value.guests.values()) {
      if (!kinds.includes(g.kind)) continue;
      const status = believedStatus(v.value, g, statuses.get(g.id)) ?? 'unknown';
      // Not where the config or an earlier placement put it: HA or a migration moved it. Worked on where it is.
      const home = placement.nodeOf(g.id);
      guests.set(g.id, {
        id: g.id,
        kind: g.kind,
        node: g.node,
        ...(home !== undefined &&
          home !== g.node && { moved: { from: home, configured: placement.keyed?.(g.id) ?? false } }),
        status,
        template: g.template ?? false,
        ...(g.lock !== undefined && { lock: g.lock }),
      });
    }
    const wanted = req.configs === false ? [] : [...new Set(req.ids)].filter((id) => guests.has(id));
    const failures: CommandFailure[] = [];
    await eachLimited(wanted, 8, async (id) => {
      const g = guests.get(id)!;
      const read = await readDetails(g.node!, g.kind, id);
      if (!read.ok) {
        failures.push(apiFailure(['GET', `${g.kind} ${id} config`], read.error));
        return;
      }
      if (read.value === undefined) {
        guests.delete(id); // deleted between the two reads
        return;
      }
      const merged: LiveGuest = { ...g, ...read.value, status: g.status };
      if (g.status === 'unknown') {
        // Younger than pvestatd's last pass, and Phoenix did not start or stop it itself: ask its node.
        const run = await readRunState(client, g.node!, g.kind, id);
        if (run.ok && run.value !== undefined) merged.status = run.value;
      }
      guests.set(id, merged);
    });
    if (failures[0]) return err(failures[0]);
    const state: LiveState = { node: defaultNode, guests };
    if (req.storages) state.storages = new Set(v.value.storages.keys());
    return ok(state);
  };

  const bound = (node: TargetNode): HostExec => ({
    get node() {
      return typeof node === 'string' ? node : defaultNode;
    },
    run: (argv, ro) => runOn(node, argv, ro),
    readGuest: (kind, id) => host.readGuest(kind, id),
    readGuestConfig: (kind, id) => host.readGuestConfig(kind, id),
    editGuestConfig: (kind, id, edit) => host.editGuestConfig(kind, id, edit),
    withFiles: (files, fn) => host.withFiles(files, fn),
    writeHostFile: (file, content, mode) => writeFileOn(node, file, content, mode),
    statHostPath: (file) => statOverSsh(local, sshOpts, nodeName(node), file),
    readHostFile: (file) => readOverSsh(local, sshOpts, nodeName(node), file),
    ensureHostDir: (dir, owner) => ensureDirOverSsh(local, sshOpts, nodeName(node), dir, owner),
  });

  /** Where a guest is, else where the placement puts it. */
  const guestNode = (id: number): string =>
    current?.guests.get(id)?.node ?? placement.nodeOf(id) ?? defaultNode;
  /** The node a step works on: its guest's, or the default node for a step of no guest. */
  const stepNode = (guest: number | undefined): string =>
    guest === undefined ? defaultNode : guestNode(guest);

  /** Host paths of a guest's step live on its node; a setup step's on the default node. */
  const nodeName = (target: TargetNode): string => (typeof target === 'string' ? target : defaultNode);

  /** A file no Proxmox command writes, written over ssh on the node (every node for a hypervisor setup step). */
  const writeFileOn = async (
    target: TargetNode,
    file: string,
    content: string,
    mode: number,
  ): Promise<Result<{ changed: boolean }, CommandFailure>> => {
    if (typeof target === 'string') return writeOverSsh(local, sshOpts, target, file, content, mode);
    const v = await view();
    if (!v.ok) return v;
    let changed = false;
    for (const node of [...v.value.nodes.keys()].sort()) {
      const res = await writeOverSsh(local, sshOpts, node, file, content, mode);
      if (!res.ok) return res;
      changed ||= res.value.changed;
    }
    return ok({ changed });
  };

  const host: ApiHost = {
    get node() {
      return defaultNode;
    },
    client,
    view,
    setPlacement(p) {
      placement = p;
    },
    on: bound,
    guestNode,
    forGuest: (id) => bound(guestNode(id)),
    forHostSetup: () => bound({ every: true }),
    laneOf(argv, guest) {
      if (current === undefined) return 'api';
      const node = stepNode(guest);
      const lane = describeRoute(routeCommand(argv, routeCtx(current, node)));
      const why = guest !== undefined && !current.guests.has(guest) ? placement.reasonOf?.(guest) : undefined;
      return why === undefined ? lane : `${lane} (${guest} placed on ${node}: ${why})`;
    },
    clusterLock: (lockOpts) => takeClusterLock(local, sshOpts, defaultNode, lockOpts),
    refusalOf(argv, guest) {
      if (current === undefined) return undefined;
      const route = routeCommand(argv, routeCtx(current, stepNode(guest)));
      return route.lane === 'refused' ? route.why : undefined;
    },
    readLive,
    run: (argv, ro) => runOn(defaultNode, argv, ro),
    async readGuest(kind, id) {
      const found = await details(kind, id);
      if (found === undefined) return undefined;
      const run = await readRunState(client, found.node, kind, id);
      if (!run.ok) throw new HostReadError(apiFailure(['GET', `${kind} ${id} status`], run.error));
      if (run.value === undefined) return undefined;
      return { ...found.guest, node: found.node, status: run.value };
    },
    async readGuestConfig(kind, id): Promise<GuestConfigView | undefined> {
      const found = await details(kind, id);
      return found === undefined ? undefined : { ...found.guest, node: found.node };
    },
    async editGuestConfig(kind, id, edit) {
      const node = await nodeOfGuest(id);
      if (!node.ok) return node;
      if (node.value === undefined)
        return err(
          failure(
            ['edit', `${kind} ${id}`],
            'file-error',
            `${kind === 'lxc' ? 'CT' : 'VM'} ${id} does not exist`,
          ),
        );
      return editOverSsh(local, sshOpts, node.value, kind, id, edit);
    },
    withFiles: (files, fn) => withPrivateFiles(files, fn),
    writeHostFile: (file, content, mode) => writeFileOn(defaultNode, file, content, mode),
    statHostPath: (file) => statOverSsh(local, sshOpts, defaultNode, file),
    readHostFile: (file) => readOverSsh(local, sshOpts, defaultNode, file),
    ensureHostDir: (dir, owner) => ensureDirOverSsh(local, sshOpts, defaultNode, dir, owner),
    async close() {
      await client.close();
    },
  };
  return host;
}

function maybe<E>(text: string | undefined, bad: (what: string) => Result<never, E>): Result<string, E> {
  return text === undefined ? bad('not the documented shape') : ok(text);
}

/** The budget of a command's task: a shutdown waits its own --timeout plus two minutes for the hard stop. */
function taskBudget(argv: Argv): number | undefined {
  if (argv[1] !== 'shutdown') return undefined;
  const i = argv.indexOf('--timeout');
  const seconds = i > 0 ? Number(argv[i + 1]) : NaN;
  return Number.isFinite(seconds) ? seconds * 1000 + 2 * 60_000 : undefined;
}

async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function shortCommand(argv: Argv): string {
  const s = formatArgv(argv);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function failure(argv: Argv, reason: CommandFailure['reason'], message: string): CommandFailure {
  return { reason, argv, stderrTail: message, message };
}

/** An API failure as the CommandFailure the step tables handle (lock and missing-guest texts kept as they are). */
export function apiFailure(argv: Argv, f: ApiFailure): CommandFailure {
  const status = f.kind === 'http' ? ` (HTTP ${f.status})` : '';
  const message = `${shortCommand(argv)} failed${status}: ${f.message.split('\n')[0] ?? ''}`;
  const reason: CommandFailure['reason'] =
    f.kind === 'cancelled'
      ? 'cancelled'
      : f.kind === 'network'
        ? f.timeout
          ? 'timeout'
          : 'spawn-error'
        : 'exit-non-zero';
  return { reason, argv, ...(f.kind === 'http' && { exitCode: 255 }), stderrTail: f.message, message };
}

/**
 * Raw `lxc.*` lines have no API: the config file is edited on the node that holds it, under the config lock
 * Proxmox itself takes (/run/lock/lxc/pve-config-<id>.lock), only if the file is still the one read (its SHA-1),
 * written beside itself and renamed over it as pmxcfs expects. `PHOENIX_PVE_ROOT` is unset on a real node; the
 * simulator's ssh sets it to its folder.
 */
async function editOverSsh(
  local: BackendHost,
  ssh: SshOptions,
  node: string,
  kind: GuestKind,
  id: number,
  edit: (text: string) => string,
): Promise<Result<{ changed: boolean }, CommandFailure>> {
  const dir = kind === 'lxc' ? 'lxc' : 'qemu-server';
  const file = `"\${PHOENIX_PVE_ROOT-}"/etc/pve/nodes/${shellLine([node])}/${dir}/${id}.conf`;
  const label = ['edit', `/etc/pve/nodes/${node}/${dir}/${id}.conf`];
  const read = await local.run(sshArgv(node, `cat ${file}`, ssh));
  if (!read.ok)
    return err({
      ...read.error,
      reason: 'file-error',
      argv: label,
      message: `cannot read ${label[1]} on ${node}: ${read.error.message}`,
    });
  const text = read.value.stdout;
  const next = edit(text);
  if (next === text) return ok({ changed: false });
  const sha1 = createHash('sha1').update(text).digest('hex');
  const lockDir = '"${PHOENIX_PVE_ROOT-}"/run/lock/lxc';
  const script = [
    `f=${file}`,
    `mkdir -p ${lockDir} && exec 9>${lockDir}/pve-config-${id}.lock || exit 1`,
    `flock -w 10 9 || { echo "can't lock file '/run/lock/lxc/pve-config-${id}.lock' - got timeout" >&2; exit 1; }`,
    `[ "$(sha1sum < "$f" | cut -d' ' -f1)" = ${sha1} ] || { echo "config of ${id} changed since Phoenix read it; run again" >&2; exit 1; }`,
    ...base64Into('"$f.tmp.$$"', next),
    'mv "$f.tmp.$$" "$f"',
    '',
  ].join('\n');
  const wrote = await local.run(sshArgv(node, 'sh -s', ssh), { input: script });
  if (!wrote.ok) return err(writeFailure(wrote.error, label, node));
  return ok({ changed: true });
}

/** A write over ssh that failed, as the step reports it: `label` is the argv shown for it (`[verb, file]`). */
function writeFailure(error: CommandFailure, label: string[], node: string): CommandFailure {
  return {
    ...error,
    reason: 'file-error',
    argv: label,
    message: `cannot write ${label[1]} on ${node}: ${error.message}`,
  };
}

/** Shell lines that write `content` to `target` (a quoted shell word): base64 in a here-document, any bytes safe. */
function base64Into(target: string, content: string): string[] {
  return [
    `base64 -d > ${target} <<'PHOENIX_EOF_7f3a9c' || exit 1`,
    ...(Buffer.from(content)
      .toString('base64')
      .match(/.{1,76}/g) ?? []),
    'PHOENIX_EOF_7f3a9c',
  ];
}

/**
 * A file on a node (an AppArmor profile, a cloud-init snippet): sent inside a script on ssh's stdin, written beside
 * its place and renamed over it, left alone when it already holds the content with the mode. `PHOENIX_PVE_ROOT`
 * is unset on a real node; the simulator's ssh sets it to its folder.
 */
async function writeOverSsh(
  local: BackendHost,
  ssh: SshOptions,
  node: string,
  file: string,
  content: string,
  mode: number,
): Promise<Result<{ changed: boolean }, CommandFailure>> {
  const octal = (mode & 0o7777).toString(8);
  const script = [
    `f="\${PHOENIX_PVE_ROOT-}"${shellLine([file])}`,
    'mkdir -p "$(dirname "$f")" || exit 1',
    't="$f.phoenix.$$"',
    ...base64Into('"$t"', content),
    `if [ -f "$f" ] && cmp -s "$t" "$f" && [ "$(stat -c %a "$f")" = ${octal} ]; then rm -f "$t"; echo unchanged; exit 0; fi`,
    `chmod ${octal} "$t" && mv "$t" "$f" && echo written`,
    '',
  ].join('\n');
  const res = await local.run(sshArgv(node, 'sh -s', ssh), { input: script });
  if (!res.ok) return err(writeFailure(res.error, ['write', file], node));
  return ok({ changed: res.value.stdout.includes('written') });
}

/** A host path on a node, as `stat` sees it without following a final link (one ssh). */
async function statOverSsh(
  local: BackendHost,
  ssh: SshOptions,
  node: string,
  file: string,
): Promise<HostPathInfo | undefined> {
  const script = `f="\${PHOENIX_PVE_ROOT-}"${shellLine([file])}\n[ -e "$f" ] || [ -L "$f" ] || exit 3\nstat -c '%F %u %g' "$f"\n`;
  const res = await local.run(sshArgv(node, 'sh -s', ssh), { input: script });
  if (!res.ok) return undefined;
  const m = /^(.*) (\d+) (\d+)\s*$/.exec(res.value.stdout.trim());
  if (!m) return undefined;
  const type = m[1]!;
  const kind =
    type === 'directory'
      ? 'dir'
      : type.startsWith('regular')
        ? 'file'
        : type === 'symbolic link'
          ? 'link'
          : 'other';
  return { kind, uid: Number(m[2]), gid: Number(m[3]) };
}

/** A text file on a node; undefined when missing or unreadable (one ssh). */
async function readOverSsh(
  local: BackendHost,
  ssh: SshOptions,
  node: string,
  file: string,
): Promise<string | undefined> {
  const script = `f="\${PHOENIX_PVE_ROOT-}"${shellLine([file])}\n[ -f "$f" ] || exit 3\ncat "$f"\n`;
  const res = await local.run(sshArgv(node, 'sh -s', ssh), { input: script });
  return res.ok ? res.value.stdout : undefined;
}

/** ensureHostDir on a node: made when missing, the folder itself chowned, never through a link (one ssh). */
async function ensureDirOverSsh(
  local: BackendHost,
  ssh: SshOptions,
  node: string,
  dir: string,
  owner?: { uid: number; gid: number },
): Promise<Result<{ changed: boolean }, CommandFailure>> {
  const own = owner ? `${owner.uid}:${owner.gid}` : '';
  const script = [
    `d="\${PHOENIX_PVE_ROOT-}"${shellLine([dir])}`,
    '[ -L "$d" ] && { echo "$d is a symbolic link, not a folder" >&2; exit 1; }',
    '[ -d "$d" ] || { mkdir -p "$d" && echo changed; } || exit 1',
    '[ -d "$d" ] || { echo "$d is not a folder" >&2; exit 1; }',
    ...(own
      ? [`[ "$(stat -c %u:%g "$d")" = ${own} ] || { chown ${own} "$d" && echo changed; } || exit 1`]
      : []),
    '',
  ].join('\n');
  const res = await local.run(sshArgv(node, 'sh -s', ssh), { input: script });
  if (!res.ok)
    return err({
      ...res.error,
      reason: 'file-error',
      argv: ['mkdir', '-p', dir],
      message: `cannot make ${dir} on ${node}: ${res.error.message}`,
    });
  return ok({ changed: res.value.stdout.includes('changed') });
}

export { remoteScript, statOverSsh, readOverSsh, ensureDirOverSsh };
