// The planning half of the Make loop: read the live state of exactly the guests a request covers, then plan
// purely against it (src/plan/planner.ts). Nothing here changes the host or the cache.
import type { Guest } from '../config/model.js';
import { closureFor, stepsOf } from '../graph/query.js';
import type { LiveState } from '../host/live.js';
import { readLiveState } from '../host/read-live.js';
import { SUBID_FILES } from '../tasks/lxc-idmap-step.js';
import { firewallFile } from '../tasks/firewall.js';
import { CLUSTER_FW } from '../tasks/host-firewall.js';
import { stepAddress } from '../graph/types.js';
import { mountsArgv, readsMounts, volumeHostFolders } from '../tasks/vm-volumes.js';
import { parseGuestExec } from '../host/conf.js';
import { plan } from '../plan/planner.js';
import { scriptHasher } from '../config/script-files.js';
import type { MovedGuest, Plan } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import { preflight } from './preflight.js';
import type { Session } from './session.js';

export interface ConvergeRequest {
  /** Step addresses or guest IDs (a guest ID means all of its steps). */
  targets: string[];
  /** Addresses to re-run even when up to date. */
  force?: string[];
}

/** A plan and the live state it was made against. */
export interface Planned {
  plan: Plan;
  live: LiveState;
}

/** Guest IDs whose live state the plan needs: every guest owning a step in the request's closure. */
function guestsIn(session: Session, addresses: string[]): number[] {
  const ids = new Set<number>();
  for (const a of addresses) {
    const node = session.graph.getNodeAttributes(a);
    if (typeof node.target === 'number') ids.add(node.target);
  }
  return [...ids];
}

/** Read the live state of every guest owning a step in the request's closure (one listing per kind). */
export async function readLiveFor(session: Session, targets: string[]): Promise<Result<LiveState, string>> {
  const closure = closureFor(session.graph, targets);
  const ids = guestsIn(session, closure);
  // Host setup steps list no guests (`phoenix setup`): host:firewall reads only its file, below.
  const live = await readLiveState(session.host, {
    ids,
    ...(ids.length === 0 && { kinds: [] }),
    note: session.note,
  });
  if (!live.ok) return err(live.error.message);
  const cts = ids.flatMap((id) => {
    const g = session.fleet.guests.get(id);
    return g?.kind === 'lxc' ? [g] : [];
  });
  // A cluster: a guest's host folders are on its node (the live state keys them by path alone); cluster.fw is
  // the same on every node.
  const hostOf = (id: number | 'host') =>
    (id === 'host' ? session.host.forHostSetup?.() : session.host.forGuest?.(id)) ?? session.host;
  const vms = ids.flatMap((id) => {
    const g = session.fleet.guests.get(id);
    return g?.kind === 'vm' ? [g] : [];
  });
  const paths = [
    ...cts.flatMap((g) => g.config.mount_points.map((m) => [g.id, m.host_path] as const)),
    ...vms.flatMap((g) => volumeHostFolders(session.fleet, g).map((p) => [g.id, p] as const)),
  ];
  // What is mounted inside a running VM takes a process (the guest agent), so it is read only when every step is
  // checked (--no-cache): like the features' effects inside a guest, the step cache answers otherwise, and a
  // no-op run starts no process.
  const mounted = session.options.cache
    ? []
    : vms.filter((g) => readsMounts(g, live.value.guests.get(g.id)?.status));
  const walled = ids.filter((id) => session.fleet.guests.get(id)?.config.firewall !== undefined);
  const idmapped = cts.find((g) => g.config.id_maps.length > 0);
  const hostWalled = closure.includes(stepAddress('host', 'firewall'));
  const files = [
    ...(idmapped ? SUBID_FILES.map((f) => [idmapped.id, f] as const) : []),
    ...walled.map((id) => [id, firewallFile(id)] as const),
    ...(hostWalled ? [['host', CLUSTER_FW] as const] : []),
  ];
  if (paths.length === 0 && files.length === 0 && mounted.length === 0) return ok(live.value);
  // The bind mounts' and NFS exports' host folders, the subordinate id files and the firewall files: a stat or a
  // read each (on a node no process; over the api transport one ssh each). The mounts inside a running VM with
  // volumes: one `qm guest exec` each (a process, or an api call).
  const [hostPaths, hostFiles, guestMounts] = await Promise.all([
    Promise.all(paths.map(async ([id, p]) => [p, (await hostOf(id).statHostPath(p)) ?? null] as const)),
    Promise.all(files.map(async ([id, f]) => [f, (await hostOf(id).readHostFile(f)) ?? null] as const)),
    Promise.all(mounted.map(async (g) => [g.id, await readMounts(hostOf(g.id), g.id)] as const)),
  ]);
  const answered = guestMounts.flatMap(([id, text]) => (text === undefined ? [] : [[id, text] as const]));
  return ok({
    ...live.value,
    ...(paths.length > 0 && { hostPaths: new Map(hostPaths) }),
    ...(files.length > 0 && { hostFiles: new Map(hostFiles) }),
    ...(mounted.length > 0 && { guestMounts: new Map(answered) }),
  });
}

/** `/proc/mounts` inside a VM through its agent; undefined when the agent does not answer (the cache decides). */
async function readMounts(host: Session['host'], id: number): Promise<string | undefined> {
  const res = await host.run(mountsArgv(id), { timeoutMs: 30_000 });
  const parsed = res.ok ? parseGuestExec(res.value.stdout) : undefined;
  return parsed?.ok && parsed.value.exitcode === 0 ? (parsed.value.outData ?? '') : undefined;
}

/** Read the live state of some guests: only the listings of their kinds (`start 950` needs no `qm list`). */
export async function readLiveOf(
  session: Session,
  guests: readonly Guest[],
): Promise<Result<LiveState, string>> {
  const kinds = [...new Set(guests.map((g) => g.kind))];
  const live = await readLiveState(session.host, { ids: guests.map((g) => g.id), kinds, note: session.note });
  return live.ok ? ok(live.value) : err(live.error.message);
}

/** The plan of a request against a live state already read. */
export function planWith(session: Session, live: LiveState, request: ConvergeRequest): Plan {
  return withMoved(
    plan({
      graph: session.graph,
      fleet: session.fleet,
      live,
      cache: session.options.cache ? session.cache.all() : new Map(),
      scriptHash: scriptHasher(session.fleet),
      maskSecrets: session.maskSecrets,
      request: {
        targets: request.targets,
        force: request.force ?? [],
        replace: session.options.replace,
        noCache: !session.options.cache,
      },
    }),
    live,
  );
}

/**
 * The plan's guests that the cluster holds on another node than the config or an earlier placement says (the api
 * transport marks them in the live read). Nothing in the plan changes: a moved guest's steps are judged as any
 * other's, its commands go to the node it is on, and nothing migrates it back.
 */
export function withMoved(p: Plan, live: LiveState): Plan {
  const moved: MovedGuest[] = [];
  const seen = new Set<number>();
  for (const s of p.steps) {
    if (s.target === 'host' || seen.has(s.target)) continue;
    seen.add(s.target);
    const g = live.guests.get(s.target);
    if (g?.moved !== undefined && g.node !== undefined)
      moved.push({
        id: s.target,
        kind: g.kind,
        from: g.moved.from,
        to: g.node,
        configured: g.moved.configured,
      });
  }
  return moved.length > 0 ? { ...p, moved } : p;
}

/** Read the live state the request needs, then plan it and check what its work needs on the host. */
export async function planFor(session: Session, request: ConvergeRequest): Promise<Result<Planned, string>> {
  const live = await readLiveFor(session, request.targets);
  if (!live.ok) return live;
  const checked = await withPreflight(session, planWith(session, live.value, request), live.value);
  return checked.ok ? ok({ plan: checked.value, live: live.value }) : checked;
}

/**
 * The plan with what its work lacks on the host (`problems`): read from the host only when a step to run needs
 * something (an OS template, a storage content type), so a plan with nothing to create reads nothing more.
 */
export async function withPreflight(
  session: Session,
  plan: Plan,
  live: LiveState,
): Promise<Result<Plan, string>> {
  const problems = await preflight(session, plan, live);
  if (!problems.ok) return problems;
  return ok(problems.value.length > 0 ? { ...plan, problems: problems.value } : plan);
}

/**
 * The plan with the host setup steps it leaves out that are out of date (`setupLeftOut`): a plan of guests says
 * that `phoenix setup` has work rather than leaving it out silently. It reads nothing more from the host: the
 * script steps check nothing live, and host:firewall, whose file is not read here, leaves it to the cache.
 */
export function withSetupLeftOut(session: Session, plan: Plan, live: LiveState): Plan {
  const host = stepsOf(session.graph, 'host');
  if (host.length === 0 || plan.steps.some((s) => s.target === 'host')) return plan;
  const stale = planWith(session, live, { targets: host })
    .steps.filter((s) => s.status !== 'up-to-date')
    .map((s) => s.address);
  return stale.length > 0 ? { ...plan, setupLeftOut: stale } : plan;
}

/** Whether a plan has work: a stale or blocked step. */
export const hasWork = (plan: Plan): boolean => plan.steps.some((s) => s.status !== 'up-to-date');

/** The live state of a plan that reads nothing from the host (a test run). */
export const emptyLive = (session: Session): LiveState => ({ node: session.target.node, guests: new Map() });
