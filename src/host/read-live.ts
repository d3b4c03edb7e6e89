// Reads the host's live state in as few processes as possible: on the node none at all (existence and run state
// from the node's own files, node-files.ts; each requested guest's config and snapshots from its config file),
// falling back to one listing per guest kind and `pct|qm config` + `listsnapshot` when the files cannot answer.
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { GuestKind } from '../config/model.js';
import type { Result } from '../result.js';
import { err, ok } from '../result.js';
import {
  parseConfigOutput,
  parsePendingOutput,
  parseGuestConfig,
  parseListSnapshot,
  parsePctList,
} from './conf.js';
import { parsePvesmStatus, parseQmList } from './conf.js';
import { parseProps } from './props.js';
import type { CommandFailure, GuestConfigView, HostExec } from './host.js';
import type { LiveGuest, LiveState, PendingChanges } from './live.js';
import type { ListedGuest, NodeFiles } from './node-files.js';

/**
 * One guest config file as read here: its text; `absent` when the node's guest folder is readable and has no such
 * file (pmxcfs is the authority pct/qm load guests from, so the guest does not exist on this node); `unreadable`
 * otherwise (off-host, pmxcfs not mounted, no permission), when only pct/qm can answer.
 */
export type GuestConfigFile =
  { state: 'found'; text: string } | { state: 'absent' } | { state: 'unreadable' };

/** Direct reads of the guest config files pmxcfs exposes under `/etc/pve`. */
export interface ConfigFileReader {
  readGuestConfigFile(kind: GuestKind, id: number): Promise<GuestConfigFile>;
  /** `/etc/pve/storage.cfg`: `unreadable` off the node (pvesh answers instead). */
  readStorageConfigFile(): Promise<{ state: 'found'; text: string } | { state: 'unreadable' }>;
}

/** `<pveRoot>/etc/pve/nodes/<node>/lxc/<id>.conf` or `.../qemu-server/<id>.conf`. */
export function guestConfigPath(pveRoot: string, node: string, kind: GuestKind, id: number): string {
  return join(pveRoot, 'etc', 'pve', 'nodes', node, kind === 'lxc' ? 'lxc' : 'qemu-server', `${id}.conf`);
}

export function createConfigFileReader(pveRoot: string, node: string): ConfigFileReader {
  return {
    async readGuestConfigFile(kind, id) {
      const file = guestConfigPath(pveRoot, node, kind, id);
      try {
        // Synchronous: a small file from pmxcfs's memory; an asynchronous read would cost four thread-pool round
        // trips per guest.
        return { state: 'found', text: readFileSync(file, 'utf8') };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return { state: 'unreadable' };
        // Missing file: absent only if the folder itself is there (off-host or unmounted it is not).
        const folder = await stat(dirname(file)).catch(() => undefined);
        return folder?.isDirectory() ? { state: 'absent' } : { state: 'unreadable' };
      }
    },
    async readStorageConfigFile() {
      try {
        return { state: 'found', text: await readFile(join(pveRoot, 'etc', 'pve', 'storage.cfg'), 'utf8') };
      } catch {
        return { state: 'unreadable' };
      }
    },
  };
}

export interface LiveStateRequest {
  /** Guests whose config and snapshots are read; every listed guest gets existence and run state anyway. */
  ids: readonly number[];
  /** Guest kinds to list (default both). */
  kinds?: readonly GuestKind[];
  /** Also read the node's storage IDs (`pvesm status`). */
  storages?: boolean;
  /**
   * Read each requested guest's config and snapshots (default true). With false only the listings are read:
   * `template` is then always false and `lock` unknown.
   */
  configs?: boolean;
  /** Told how the guests were listed (from the node's files, or which listings and why): `--verbose` shows it. */
  note?: (line: string) => void;
}

type ReadHost = HostExec &
  Partial<ConfigFileReader> &
  Partial<NodeFiles> & {
    /** A host that reads its live state its own way (the api transport: /cluster/resources and configs). */
    readLive?: (req: LiveStateRequest) => Promise<Result<LiveState, CommandFailure>>;
  };

const TOOL: Record<GuestKind, string> = { lxc: 'pct', vm: 'qm' };

/**
 * Read the live state. Existence and run state come from the node's own files when Phoenix runs on the node
 * (node-files.ts: what `pct list` / `qm list` read themselves, no process), else from `pct list` / `qm list`.
 * `/cluster/resources` would be a single call but its status comes from pvestatd and lags up to 10 s behind a
 * create/start/stop, exactly the moments a run reads the host again. Config files are read directly (no process).
 * Only the requested guests carry a config, snapshots and lock; the others carry existence, kind and run state.
 */
export async function readLiveState(
  host: ReadHost,
  req: LiveStateRequest,
): Promise<Result<LiveState, CommandFailure>> {
  if (host.readLive) return host.readLive(req);
  const kinds = req.kinds ?? (['lxc', 'vm'] as const);
  const [listed, pvesm] = await Promise.all([
    listGuests(host, kinds, req),
    req.storages ? host.run(['pvesm', 'status']) : undefined,
  ]);
  if (!listed.ok) return listed;
  if (pvesm && !pvesm.ok) return pvesm;
  const guests = new Map<number, LiveGuest>();
  for (const row of listed.value) guests.set(row.id, { ...row, template: false });
  const wanted = req.configs === false ? [] : [...new Set(req.ids)].flatMap((id) => guests.get(id) ?? []);
  const details = await Promise.all(wanted.map((g) => readDetails(host, g.kind, g.id)));
  for (const [i, detail] of details.entries()) {
    const guest = wanted[i];
    if (!guest) continue;
    if (!detail.ok) {
      if (isMissingGuest(detail.error))
        guests.delete(guest.id); // Deleted between the listing and the read.
      else return detail;
      continue;
    }
    guests.set(guest.id, { ...guest, ...detail.value });
  }
  const state: LiveState = { node: host.node, guests };
  if (pvesm?.ok) state.storages = new Set(parsePvesmStatus(pvesm.value.stdout).map((s) => s.name));
  return ok(state);
}

/**
 * Existence and run state of the node's guests of `kinds`: from the node's files when they can answer for the
 * requested guests, else (another machine, a missing or unreadable file, a guest on another node, a host without
 * files such as the API transport) from the host's listings. Both give the same rows.
 */
async function listGuests(
  host: ReadHost,
  kinds: readonly GuestKind[],
  req: LiveStateRequest,
): Promise<Result<ListedGuest[], CommandFailure>> {
  if (kinds.length === 0) return ok([]);
  const files = host.listLocalGuests
    ? await host.listLocalGuests(kinds, req.ids)
    : err('this host offers no node files');
  if (files.ok) {
    req.note?.(`live state: read from ${files.value.source} (no process started)`);
    return ok(files.value.guests);
  }
  req.note?.(`live state: ${kinds.map((k) => `${TOOL[k]} list`).join(' and ')}, because ${files.error}`);
  return listByCommands(host, kinds);
}

/** The fallback: `pct list` and `qm list`, at once. (A transport without these commands lists its own way here.) */
async function listByCommands(
  host: HostExec,
  kinds: readonly GuestKind[],
): Promise<Result<ListedGuest[], CommandFailure>> {
  const [pct, qm] = await Promise.all([
    kinds.includes('lxc') ? host.run(['pct', 'list']) : undefined,
    kinds.includes('vm') ? host.run(['qm', 'list']) : undefined,
  ]);
  if (pct && !pct.ok) return pct;
  if (qm && !qm.ok) return qm;
  return ok([
    ...(pct?.ok
      ? parsePctList(pct.value.stdout).map(({ id, status }) => ({ id, kind: 'lxc' as const, status }))
      : []),
    ...(qm?.ok
      ? parseQmList(qm.value.stdout).map(({ id, status }) => ({ id, kind: 'vm' as const, status }))
      : []),
  ]);
}

/** The details of one guest that a listing does not show. */
type GuestDetails = Pick<
  LiveGuest,
  'template' | 'config' | 'pending' | 'rawLxc' | 'snapshots' | 'incarnation' | 'lock'
>;

async function readDetails(
  host: ReadHost,
  kind: GuestKind,
  id: number,
  known?: GuestConfigFile,
  existenceUnknown = false,
): Promise<Result<GuestDetails, CommandFailure>> {
  const file = known ?? (await host.readGuestConfigFile?.(kind, id));
  if (file?.state === 'found') {
    const parsed = parseGuestConfig(file.text);
    const pending = pendingOf(parsed.pending ?? {}, parsed.pendingDelete ?? []);
    return ok(detailsFrom(kind, parsed.main, pending, parsed.rawLxc, Object.keys(parsed.snapshots)));
  }
  // `--current`: the values the guest runs with; `pending` lists what its next start changes.
  const configArgv = [TOOL[kind], 'config', String(id), '--current'];
  const restArgv = [
    [TOOL[kind], 'pending', String(id)],
    [TOOL[kind], 'listsnapshot', String(id)],
  ];
  // Not known to exist: `config` first answers that, and an absent guest costs one process, not three.
  const [config, pendingOut, snaps] = existenceUnknown
    ? await host
        .run(configArgv)
        .then(async (c) => (c.ok ? [c, ...(await Promise.all(restArgv.map((a) => host.run(a))))] : [c, c, c]))
    : await Promise.all([configArgv, ...restArgv].map((a) => host.run(a)));
  if (!config?.ok) return config!;
  if (!pendingOut?.ok) return pendingOut!;
  if (!snaps?.ok) return snaps!;
  const { main, rawLxc } = parseConfigOutput(config.value.stdout);
  const listed = parsePendingOutput(pendingOut.value.stdout);
  const names = parseListSnapshot(snaps.value.stdout).map((s) => s.name);
  return ok(detailsFrom(kind, main, pendingOf(listed.set, listed.delete), rawLxc, names));
}

function pendingOf(set: Record<string, string>, deleted: string[]): PendingChanges | undefined {
  return Object.keys(set).length === 0 && deleted.length === 0 ? undefined : { set, delete: deleted };
}

function detailsFrom(
  kind: GuestKind,
  current: Record<string, string>,
  pending: PendingChanges | undefined,
  rawLxc: [string, string][],
  snapshots: string[],
): GuestDetails {
  const incarnation = incarnationOf(kind, current);
  return {
    config: current,
    ...(pending ? { pending } : {}),
    ...(kind === 'lxc' ? { rawLxc } : {}),
    snapshots,
    template: current.template === '1',
    ...lockOf(current.lock),
    ...(incarnation === undefined ? {} : { incarnation }),
  };
}

function lockOf(lock: string | undefined): { lock?: string } {
  return lock ? { lock } : {};
}

/**
 * The identity of this incarnation of a guest.
 * - VM: the smbios1 uuid Proxmox generates at create and clone time. Stable across reboots, config changes and
 *   `qm template`; it changes only if someone edits smbios1 by hand.
 * - CT: the net0 MAC plus the rootfs volume. Proxmox draws a random MAC at create and clone time, so a CT deleted
 *   and re-created with the same ID almost always differs. Limits: a config that pins `hwaddr` and re-creates on
 *   the same storage yields the same value; moving the volume to another storage changes it; a CT without net0
 *   relies on the volume name alone, which Proxmox reuses. `base-` volumes (after `pct template`) are normalised
 *   to `vm-` so templating is not mistaken for a re-creation.
 */
export function incarnationOf(kind: GuestKind, config: Record<string, string>): string | undefined {
  if (kind === 'vm') {
    const uuid = parseProps(config.smbios1 ?? '').get('uuid');
    return uuid ? `vm:${uuid}` : undefined;
  }
  const mac = parseProps(config.net0 ?? '').get('hwaddr');
  const volume = parseProps(config.rootfs ?? '', 'volume')
    .get('volume')
    ?.replace(/\bbase-(\d+)-disk-/, 'vm-$1-disk-');
  if (mac === undefined && volume === undefined) return undefined;
  return `ct:${mac?.toUpperCase() ?? '-'}/${volume ?? '-'}`;
}

/** `Configuration file '...' does not exist` (pct/qm status, config) or `unable to find configuration file`. */
export function isMissingGuest(f: CommandFailure): boolean {
  return (
    f.reason === 'exit-non-zero' && /does not exist|unable to find configuration file/.test(f.stderrTail)
  );
}

/** A host read failed for a reason other than the guest being absent (HostExec.readGuest has no error channel). */
export class HostReadError extends Error {
  constructor(readonly failure: CommandFailure) {
    super(failure.message);
    this.name = 'HostReadError';
  }
}

/** The config file, when this host can read config files at all. */
async function configFile(host: ReadHost, kind: GuestKind, id: number): Promise<GuestConfigFile> {
  return (await host.readGuestConfigFile?.(kind, id)) ?? { state: 'unreadable' };
}

/**
 * HostExec.readGuest: one `pct status` / `qm status` call for the run state, the config file read before it (a
 * guest whose file is known absent costs no process). Undefined when the guest does not exist; throws
 * HostReadError when the host cannot be asked at all.
 */
export async function readGuestLive(
  host: ReadHost,
  kind: GuestKind,
  id: number,
): Promise<LiveGuest | undefined> {
  const file = await configFile(host, kind, id);
  if (file.state === 'absent') return undefined;
  const status = await host.run([TOOL[kind], 'status', String(id)]);
  if (!status.ok) {
    if (isMissingGuest(status.error)) return undefined;
    throw new HostReadError(status.error);
  }
  const runState = /^status:\s*(\S+)/m.exec(status.value.stdout)?.[1] ?? 'unknown';
  const details = await readDetails(host, kind, id, file);
  if (!details.ok) {
    if (isMissingGuest(details.error)) return undefined;
    throw new HostReadError(details.error);
  }
  return { id, kind, status: runState, ...details.value };
}

/**
 * HostExec.readGuestConfig: the guest without its run state. On the node the config file alone answers (its
 * presence on pmxcfs is the guest's existence); off the node `pct|qm config` + `listsnapshot`, no status call.
 * Undefined when the guest does not exist; throws HostReadError when the host cannot be asked at all.
 */
export async function readGuestConfigLive(
  host: ReadHost,
  kind: GuestKind,
  id: number,
): Promise<GuestConfigView | undefined> {
  const file = await configFile(host, kind, id);
  if (file.state === 'absent') return undefined;
  const details = await readDetails(host, kind, id, file, true);
  if (!details.ok) {
    if (isMissingGuest(details.error)) return undefined;
    throw new HostReadError(details.error);
  }
  return { id, kind, ...details.value };
}
