// The live read over the API: one `GET /cluster/resources` answers existence, node, lock and (lagging) run state
// for the whole cluster, then one `GET .../config` per guest the plan covers answers its settings, template flag,
// raw lxc lines, newest snapshot (`parent`) and `digest`. The digest is the SHA-1 of the whole config file,
// snapshot sections included (pve-container `src/PVE/LXC/Config.pm` `parse_pct_config`, qemu-server
// `src/PVE/QemuServer.pm` `parse_vm_config`), so a snapshot list read at a digest holds for as long as the digest
// does: a no-op plan of N guests costs N + 1 requests, none writing, once their lists are known.
import type { GuestKind } from '../../config/model.js';
import { ok, type Result } from '../../result.js';
import type { LiveGuest } from '../live.js';
import { incarnationOf } from '../read-live.js';
import type { ApiClient, ApiFailure } from './client.js';
import { guestConfig, guestStatus, snapshotList } from './schemas.js';
import type { ClusterView, GuestView } from './view.js';
import type { z } from 'zod';

export const apiKind = (kind: GuestKind): 'lxc' | 'qemu' => (kind === 'lxc' ? 'lxc' : 'qemu');

export const guestPath = (node: string, kind: GuestKind, id: number): string =>
  `/nodes/${encodeURIComponent(node)}/${apiKind(kind)}/${id}`;

/** A guest's config as `pct config` / `qm config` print it: every value a string, raw lxc lines apart. */
export function configFromApi(data: z.infer<typeof guestConfig>): {
  config: Record<string, string>;
  rawLxc: [string, string][];
} {
  const config: Record<string, string> = {};
  let rawLxc: [string, string][] = [];
  for (const [k, v] of Object.entries(data)) {
    if (k === 'lxc' && Array.isArray(v)) rawLxc = v.map(([a, b]) => [a, b]);
    else if (k === 'digest') continue;
    else if (typeof v === 'boolean') config[k] = v ? '1' : '0';
    else if (!Array.isArray(v)) config[k] = String(v);
  }
  return { config, rawLxc };
}

/** A guest's snapshot names as read at a config digest: they hold while the config's digest is that one. */
export interface KnownSnapshots {
  digest: string;
  snapshots: string[];
}

export type GuestRead = Omit<LiveGuest, 'status'> & { known?: KnownSnapshots };

/**
 * A guest's config (and, when needed, its snapshot list) from the node that holds it. `known`: the snapshots read
 * earlier at some digest; when the config's digest is still that one the file is byte for byte the same, so the
 * list is not read again, nor when nothing says there can be one (mayHaveSnapshots). The answer's `known` is what
 * the read learned, for the caller to keep. Undefined when the node says the guest's config does not exist.
 */
export async function readGuestDetails(
  client: ApiClient,
  node: string,
  kind: GuestKind,
  id: number,
  known?: KnownSnapshots,
): Promise<Result<GuestRead | undefined, ApiFailure>> {
  const base = guestPath(node, kind, id);
  const conf = await client.read(`${base}/config`, guestConfig);
  if (!conf.ok) return isMissing(conf.error) ? ok(undefined) : conf;
  const { config, rawLxc } = configFromApi(conf.value);
  const digest = typeof conf.value.digest === 'string' ? conf.value.digest : undefined;
  let snapshots: string[] = [];
  if (digest !== undefined && known?.digest === digest) snapshots = known.snapshots;
  else if (mayHaveSnapshots(config, known)) {
    const list = await client.read(`${base}/snapshot`, snapshotList);
    if (!list.ok) return isMissing(list.error) ? ok(undefined) : list;
    snapshots = list.value.map((s) => s.name).filter((n) => n !== 'current');
  }
  const incarnation = incarnationOf(kind, config);
  return ok({
    id,
    kind,
    config,
    ...(kind === 'lxc' ? { rawLxc } : {}),
    snapshots,
    template: config.template === '1',
    ...(config.lock ? { lock: config.lock } : {}),
    ...(incarnation === undefined ? {} : { incarnation }),
    ...(digest === undefined ? {} : { known: { digest, snapshots } }),
  });
}

/**
 * Whether a changed config may hold snapshots. Taking one sets `parent`, so a guest whose last read had none and
 * whose config has no `parent` has none. But deleting the snapshot `parent` names moves `parent` to that snapshot's
 * own parent, or drops it (pve-guest-common `src/PVE/AbstractConfig.pm` `snapshot_delete`, its `$unlink_parent`;
 * simulator/src/snapshots.ts does the same): after a rollback to the oldest snapshot and its deletion, later
 * snapshots remain with no `parent` in the config. So the list is read whenever the last read found snapshots, or
 * there was no last read.
 */
function mayHaveSnapshots(config: Record<string, string>, known: KnownSnapshots | undefined): boolean {
  return (config.parent ?? '') !== '' || known === undefined || known.snapshots.length > 0;
}

/** The run state as the node itself reports it now (`status/current`: not lagging). */
export async function readRunState(
  client: ApiClient,
  node: string,
  kind: GuestKind,
  id: number,
): Promise<Result<string | undefined, ApiFailure>> {
  const res = await client.read(`${guestPath(node, kind, id)}/status/current`, guestStatus);
  if (!res.ok) return isMissing(res.error) ? ok(undefined) : res;
  // A paused VM reports `running` with qmpstatus `paused`: the CLI's `qm status` says paused.
  return ok(res.value.qmpstatus === 'paused' ? 'paused' : res.value.status);
}

/** `Configuration file 'nodes/pve1/lxc/101.conf' does not exist` (500): not on that node. */
export function isMissing(f: ApiFailure): boolean {
  return (
    f.kind === 'http' && /does not exist|no such (?:VM|CT)|unable to find configuration file/.test(f.message)
  );
}

/** A run state Phoenix recorded itself after a power task, with when. */
export interface KnownStatus {
  status: string;
  at: number;
}

/** pvestatd broadcasts every 10 s and two 2 s caches sit on the way: a status this young may not show yet. */
export const STATUS_LAG_MS = 15_000;

/**
 * The run state to believe: /cluster/resources' (lagging) unless Phoenix changed the guest's state itself more
 * recently than the lag could show; undefined when neither can tell (a guest younger than pvestatd's last pass),
 * and the node must be asked.
 */
export function believedStatus(
  view: ClusterView,
  g: GuestView,
  known: KnownStatus | undefined,
): string | undefined {
  if (known !== undefined && view.readAt - known.at < STATUS_LAG_MS) return known.status;
  if (g.status === undefined || g.status === 'unknown') return undefined;
  return g.status;
}
