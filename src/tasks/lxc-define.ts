// How a container comes into existence: `pct clone` from its source's template snapshot, or `pct create` from an
// OS template. Pure: the argv and the fields it depends on, from the config alone.
import type { Fleet, LxcGuest } from '../config/model.js';
import type { LiveState } from '../host/live.js';
import { desiredLxc, lxcNet0 } from './lxc-desired.js';
import { parseProps, printProps } from '../host/props.js';
import { nameserverList } from './managed-key.js';
import { fieldOrigin } from './act.js';
import type { Argv, HostNeed } from './step.js';

/** An OS template: a volid on a template storage (downloadable with pveam), or an absolute path on the host. */
export type OsTemplate = { volid: string; storage: string; file: string } | { path: string };

/** Where `local` keeps OS templates: its path (fixed at /var/lib/vz by pve-storage) plus `template/cache`. */
const LOCAL_TEMPLATE_DIR = '/var/lib/vz/template/cache/';

/**
 * `local:vztmpl/x.tar.zst`, `local:x.tar.zst`, a bare file name (on `local`), or an absolute path. A path in
 * local's template folder is that volume, so a template missing there is downloaded by its catalogue name.
 */
export function osTemplate(template: string): OsTemplate {
  if (template.startsWith(LOCAL_TEMPLATE_DIR) && !template.slice(LOCAL_TEMPLATE_DIR.length).includes('/')) {
    const file = template.slice(LOCAL_TEMPLATE_DIR.length);
    return { volid: `local:vztmpl/${file}`, storage: 'local', file };
  }
  if (template.startsWith('/')) return { path: template };
  const m = /^([A-Za-z][A-Za-z0-9_.-]*):(?:vztmpl\/)?(.+)$/.exec(template);
  const storage = m?.[1] ?? 'local';
  const file = m?.[2] ?? template;
  return { volid: `${storage}:vztmpl/${file}`, storage, file };
}

export type LxcDefinition =
  | { how: 'clone'; source: number; snapname?: string; argv: Argv }
  | { how: 'create'; template: OsTemplate; argv: Argv }
  | { how: 'invalid'; message: string };

/** The storage a guest's root disk is on according to the live config (`local-lvm:vm-100-disk-0,...`). */
export function rootfsStorage(rootfs: string | undefined): string | undefined {
  const volume = parseProps(rootfs, 'volume').get('volume');
  return volume?.includes(':') ? volume.slice(0, volume.indexOf(':')) : undefined;
}

function sourcePool(source: number, fleet: Fleet, live: LiveState): string | undefined {
  const g = fleet.guests.get(source);
  if (g?.kind === 'lxc') return g.config.storage_pool;
  return rootfsStorage(live.guests.get(source)?.config?.rootfs);
}

/** `pct clone` argv: from the source's template snapshot; a full clone onto another pool when pools differ. */
export function lxcCloneArgv(g: LxcGuest, fleet: Fleet, live: LiveState): LxcDefinition {
  // The guest it is really cloned from: its clone_from_ctid, or that template's copy on its node (node_copies).
  const source = g.cloneFrom ?? g.config.clone_from_ctid;
  if (source === undefined) throw new Error('not a clone');
  const src = fleet.guests.get(source);
  const snapname = src?.kind === 'lxc' ? src.config.template_snapshot_name : undefined;
  if (src?.kind === 'lxc' && snapname === undefined) {
    return {
      how: 'invalid',
      message: `CT ${g.id} is cloned from CT ${source}, which has no template_snapshot_name to clone from`,
    };
  }
  const argv = ['pct', 'clone', String(source), String(g.id), '--hostname', g.config.name];
  if (snapname !== undefined) argv.push('--snapname', snapname);
  const pool = g.config.storage_pool;
  if (sourcePool(source, fleet, live) !== pool) argv.push('--full', '1', '--storage', pool);
  return snapname === undefined ? { how: 'clone', source, argv } : { how: 'clone', source, snapname, argv };
}

/** `pct create` argv; unprivileged is always passed (its default differs between PVE 8 and 9). */
export function lxcCreateArgv(g: LxcGuest, template: OsTemplate): Argv {
  const c = g.config;
  return [
    'pct',
    'create',
    String(g.id),
    'path' in template ? template.path : template.volid,
    '--hostname',
    c.name,
    '--memory',
    String(c.memory_mb),
    '--swap',
    String(c.swap_mb),
    '--cores',
    String(c.cores),
    '--rootfs',
    `${c.storage_pool}:${c.storage_size_gb}`,
    '--net0',
    printProps(lxcNet0(g)),
    '--unprivileged',
    c.unprivileged ? '1' : '0',
    ...(c.network_config?.nameservers === undefined
      ? []
      : ['--nameserver', nameserverList(c.network_config.nameservers)]),
  ];
}

/** How this container is defined. */
export function lxcDefinition(g: LxcGuest, fleet: Fleet, live: LiveState): LxcDefinition {
  if (g.config.clone_from_ctid !== undefined) return lxcCloneArgv(g, fleet, live);
  if (g.config.template === undefined) {
    return { how: 'invalid', message: `CT ${g.id} has neither template nor clone_from_ctid` };
  }
  const template = osTemplate(g.config.template);
  return { how: 'create', template, argv: lxcCreateArgv(g, template) };
}

/** What defining the container needs on the host: its disk storage and, for a create, the OS template. */
export function lxcDefineNeeds(g: LxcGuest, fleet: Fleet, live: LiveState): HostNeed[] {
  const def = lxcDefinition(g, fleet, live);
  const guest = `CT ${g.id}`;
  const pool = g.config.storage_pool;
  const disk: HostNeed = {
    kind: 'content',
    storage: pool,
    content: 'rootdir',
    guest,
    where: fieldOrigin(g, 'storage_pool'),
    why: 'container disks',
  };
  if (def.how === 'create') {
    const t = def.template;
    const where = fieldOrigin(g, 'template');
    return 'path' in t
      ? [disk]
      : [disk, { kind: 'os-template', storage: t.storage, file: t.file, guest, where }];
  }
  return def.how === 'clone' && def.argv.includes('--storage') ? [disk] : [];
}

/** The fields that decide what the container is; changing one means replacing it (the planner blocks). */
export function lxcDefineInputs(g: LxcGuest, fleet: Fleet): Record<string, unknown> {
  const c = g.config;
  if (c.clone_from_ctid !== undefined) {
    const src = fleet.guests.get(c.clone_from_ctid);
    const snap = src?.kind === 'lxc' ? src.config.template_snapshot_name : undefined;
    return { clone_from_ctid: c.clone_from_ctid, clone_snapshot: snap, storage_pool: c.storage_pool };
  }
  return { template: c.template, storage_pool: c.storage_pool, unprivileged: c.unprivileged };
}

/**
 * The config a container will have right after `define`, for previews of steps that follow it in a plan where
 * the container does not exist yet (so `plan` does not list settings the create or clone already applies).
 */
export function lxcConfigAfterDefine(
  g: LxcGuest,
  fleet: Fleet,
  live: LiveState,
  depth = 0,
): Record<string, string> {
  const c = g.config;
  const def = lxcDefinition(g, fleet, live);
  const net0 = printProps(lxcNet0(g));
  if (def.how === 'create') {
    return {
      hostname: c.name,
      memory: String(c.memory_mb),
      swap: String(c.swap_mb),
      cores: String(c.cores),
      net0,
      rootfs: `${c.storage_pool}:vm-${g.id}-disk-0,size=${c.storage_size_gb}G`,
      unprivileged: c.unprivileged ? '1' : '0',
      ...(c.network_config?.nameservers === undefined
        ? {}
        : { nameserver: nameserverList(c.network_config.nameservers) }),
    };
  }
  if (def.how === 'clone') return { ...sourceConfig(def.source, fleet, live, depth), hostname: c.name, net0 };
  return {};
}

/** A clone source's config: as read, or (not built yet) as its own steps will leave it. */
export function sourceConfig(id: number, fleet: Fleet, live: LiveState, depth = 0): Record<string, string> {
  const read = live.guests.get(id)?.config;
  const src = fleet.guests.get(id);
  if (read || src?.kind !== 'lxc' || depth > 8) return read ?? {};
  const config = lxcConfigAfterDefine(src, fleet, live, depth + 1);
  for (const k of desiredLxc(src).keys) config[k.key] = k.valueFor(config[k.key]);
  return config;
}
