// Opens the api transport for a session: the HTTP client (undici, the certificate pinned or verified), the API host
// over it (src/host/api/host.ts) with the fleet's placement, and the run states Phoenix's own tasks left, kept in the
// cache folder across runs: `/cluster/resources` shows a guest's run state up to ~12 s late, so a run right after
// another would otherwise see a guest it just started as stopped and start it again. And the snapshot lists it
// read, each with the config digest it was read at, so a run that changed nothing reads no list (live.ts).
import { join } from 'node:path';
import type { Fleet } from '../config/model.js';
import { fleetSecrets } from '../config/secrets.js';
import type { BackendHost } from '../host/exec.js';
import { createApiClient } from '../host/api/client.js';
import { createApiHost, type ApiHost, type SnapshotMemory, type StatusMemory } from '../host/api/host.js';
import { createHttpTransport } from '../host/api/http.js';
import { STATUS_LAG_MS, type KnownSnapshots, type KnownStatus } from '../host/api/live.js';
import { followMoved, placeGuests, type Placed, type PlacementRequest } from '../host/api/placement.js';
import type { ClusterView } from '../host/api/view.js';
import { createRedactor, openRunLog } from '../run/log.js';
import { readOwnFile, writePrivateFile } from '../private-files.js';
import { err, ok, type Result } from '../result.js';
import type { ApiAccess } from './api-access.js';
import { EXIT } from './exit-codes.js';
import { shortHash } from './paths.js';

/** Run states Phoenix's tasks left, in `<cache>/api-status-<url hash>.json` (0600), pruned once they are old. */
function statusFile(file: string): StatusMemory {
  const known = new Map<number, KnownStatus>();
  try {
    const raw = JSON.parse(readOwnFile(file)) as Record<string, KnownStatus>;
    for (const [id, s] of Object.entries(raw))
      if (Date.now() - s.at < STATUS_LAG_MS) known.set(Number(id), s);
  } catch {
    // none yet, or unreadable: nothing remembered
  }
  const save = writeBehind(file);
  return {
    get: (id) => known.get(id),
    set(id, status) {
      if (status === undefined) known.delete(id);
      else known.set(id, { status, at: Date.now() });
      save(known);
    },
  };
}

/**
 * Snapshot lists by guest with the config digest each was read at, in `<cache>/api-snapshots-<url hash>.json`
 * (0600). `reuse` false (--no-cache): nothing earlier is believed. `record` false (plans, dry runs): nothing is
 * written. The file changes only when a read learned something new, so a no-op run writes nothing.
 */
function snapshotFile(file: string, reuse: boolean, record: boolean): SnapshotMemory {
  const known = new Map<number, KnownSnapshots>();
  if (reuse) {
    try {
      const raw = JSON.parse(readOwnFile(file)) as Record<string, KnownSnapshots>;
      for (const [id, k] of Object.entries(raw))
        if (typeof k.digest === 'string' && Array.isArray(k.snapshots) && k.snapshots.every(isString))
          known.set(Number(id), { digest: k.digest, snapshots: k.snapshots });
    } catch {
      // none yet, or unreadable: every list is read
    }
  }
  const save = writeBehind(file);
  return {
    get: (id) => known.get(id),
    set(id, k) {
      const was = known.get(id);
      if (k === undefined ? was === undefined : was !== undefined && sameSnapshots(was, k)) return;
      if (k === undefined) known.delete(id);
      else known.set(id, k);
      if (record) save(known);
    },
  };
}

const isString = (v: unknown): v is string => typeof v === 'string';
const sameSnapshots = (a: KnownSnapshots, b: KnownSnapshots): boolean =>
  a.digest === b.digest && a.snapshots.join('\n') === b.snapshots.join('\n');

/** Writes a map to a private file, one write after another, a failed write only costing the memory. */
function writeBehind(file: string): (m: Map<number, unknown>) => void {
  let writing = Promise.resolve();
  return (m) => {
    const data = JSON.stringify(Object.fromEntries(m));
    writing = writing.then(() => writePrivateFile(file, data)).catch(() => undefined);
  };
}

export async function openApiHost(
  fleet: Fleet,
  access: ApiAccess,
  local: BackendHost,
  env: NodeJS.ProcessEnv,
  note: (line: string) => void,
  cacheDir: string,
  /** record: the run may write what it decides and learns (not a plan, not a dry run); reuse: not --no-cache. */
  memory: { record: boolean; reuse: boolean },
): Promise<Result<ApiHost, { message: string; exit: number }>> {
  const redactor = createRedactor([...fleetSecrets(fleet), access.token]);
  const client = createApiClient({
    transport: createHttpTransport(access),
    log: openRunLog(local.logFile),
    redact: (s) => redactor.text(s),
  });
  const host = createApiHost({
    client,
    local,
    ssh: { user: 'root', program: env.PHOENIX_SSH ?? 'ssh' },
    statuses: statusFile(join(cacheDir, `api-status-${shortHash(access.url)}.json`)),
    snapshots: snapshotFile(
      join(cacheDir, `api-snapshots-${shortHash(access.url)}.json`),
      memory.reuse,
      memory.record,
    ),
    note,
  });
  const view = await host.view();
  if (!view.ok) {
    await host.close();
    const untrusted = /does not match the pinned|sent no certificate|certificate is not trusted/.test(
      view.error.stderrTail,
    );
    return err({
      message: `Error: cannot read the cluster at ${access.url}: ${view.error.stderrTail}`,
      exit: untrusted ? EXIT.untrusted : EXIT.failed,
    });
  }
  note(`api: ${access.url}, nodes ${[...view.value.nodes.keys()].sort().join(', ')}`);
  const placed = await placeFleet(
    fleet,
    view.value,
    join(cacheDir, `api-placement-${shortHash(access.url)}.json`),
    memory.record,
  );
  for (const [id, p] of placed.fresh) note(`placement: ${id} on ${p.node}: ${p.why}`);
  host.setPlacement({
    nodeOf: (id) => nodeKey(fleet, id) ?? placed.nodes.get(id),
    keyed: (id) => nodeKey(fleet, id) !== undefined,
    storagesOf: (id) => {
      const g = fleet.guests.get(id);
      if (g === undefined) return undefined;
      // A container's volume mount points (volumes, zfs_volumes) may sit on other storages than its rootfs.
      const extra =
        g.kind === 'lxc'
          ? [...g.config.volumes.map((v) => v.pool), ...g.config.zfs_volumes.map((v) => v.pool)]
          : [];
      return [...new Set([g.config.storage_pool, ...extra.filter((p) => p !== undefined)])];
    },
    reasonOf: (id) =>
      placed.fresh.get(id)?.why ?? (placed.recorded.has(id) ? 'placed by an earlier run' : undefined),
  });
  return ok(host);
}

/**
 * Nodes for the fleet's guests without a `node` key (src/host/api/placement.ts), each choice kept in the cache
 * folder so it stays put across runs. `record`: a run that may change things writes new choices; a plan or a dry
 * run only shows them.
 */
async function placeFleet(
  fleet: Fleet,
  view: ClusterView,
  file: string,
  record: boolean,
): Promise<{ nodes: Map<number, string>; recorded: Set<number>; fresh: Map<number, Placed> }> {
  const recorded = new Map<number, string>();
  try {
    for (const [id, node] of Object.entries(JSON.parse(readOwnFile(file)) as Record<string, string>))
      if (typeof node === 'string') recorded.set(Number(id), node);
  } catch {
    // nothing recorded yet
  }
  const known = new Map(recorded);
  const requests: PlacementRequest[] = [];
  for (const g of fleet.guests.values()) {
    const key = nodeKey(fleet, g.id);
    if (key !== undefined) known.set(g.id, key);
    requests.push({
      id: g.id,
      storage: g.config.storage_pool,
      memoryMb: g.config.memory_mb,
      ...(g.cloneFrom !== undefined && { cloneFrom: g.cloneFrom }),
    });
  }
  const fresh = placeGuests(view, requests, known);
  const nodes = new Map(recorded);
  for (const [id, p] of fresh) nodes.set(id, p.node);
  // This run reports a placed guest that HA or a migration moved; the record follows it for the runs after.
  const followed = followMoved(nodes, view, (id) => nodeKey(fleet, id) !== undefined);
  const changed = fresh.size > 0 || [...followed].some(([id, n]) => recorded.get(id) !== n);
  if (record && changed) await writePrivateFile(file, JSON.stringify(Object.fromEntries(followed)));
  return { nodes, recorded: new Set(recorded.keys()), fresh };
}

function nodeKey(fleet: Fleet, id: number): string | undefined {
  const node = fleet.guests.get(id)?.config.node;
  return typeof node === 'string' ? node : undefined;
}
