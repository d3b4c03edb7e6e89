// `pvesh get`: the API paths Phoenix reads.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crypto } from '../crypto.js';
import { effectiveConfig, guestNotFound, type Ctx } from '../context.js';
import { ParamError as PveParamError, PveError } from '../errors.js';
import { maskPassword } from '../guests.js';
import { viewOf } from './nodes.js';
import { totalKiB, usedKiB } from '../pvesm.js';
import { clusterOf, isShared, type GuestState, type SimState } from '../state.js';
import { getStorage, storagePath } from '../storage.js';
import { accessPermissions } from './permissions.js';
import { clusterResources, guestListEntry } from './resources.js';

/**
 * Integer and boolean keys come back as JSON numbers, like the API's typed values; `number` keys (cpulimit) stay
 * strings, and so does a VM's `memory`, a property string in qemu-server 9 (QemuServer.pm $confdesc).
 */
const NUMERIC_KEYS =
  /^(cores|memory|swap|onboot|unprivileged|template|protection|cpuunits|balloon|sockets|vcpus|tty|console|numa|kvm|acpi|tablet|ciupgrade|shares|debug|localtime|freeze|autostart|snaptime)$/;

export function typedConfig(c: Record<string, string>, type: 'lxc' | 'qemu'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c))
    out[k] =
      NUMERIC_KEYS.test(k) && !(type === 'qemu' && k === 'memory') && /^-?\d+$/.test(v) ? Number(v) : v;
  return out;
}

/** The guest of a `/nodes/<node>/<kind>/<id>` path, loaded on that node (load_config: no proxying by VMID). */
export function guestFor(s: SimState, node: string, kind: string, id: string): GuestState {
  const type = kind === 'lxc' ? 'lxc' : 'qemu';
  const ns = viewOf(s, node);
  const g = ns.guests[id];
  if (!g || g.type !== type) throw guestNotFound(ns, type, id);
  return g;
}

/** A `/nodes` entry (pve-manager API2/Nodes.pm index); `ssl_fingerprint` is the API server's when it runs. */
function nodeEntry(node: string, fingerprint: string): Record<string, unknown> {
  return {
    node,
    status: 'online',
    type: 'node',
    id: `node/${node}`,
    level: '',
    maxcpu: 16,
    cpu: 0.03,
    maxmem: 68719476736,
    mem: 8589934592,
    uptime: 864000,
    ssl_fingerprint: fingerprint,
  };
}

/** A fingerprint for `/nodes` when no API server runs (pvesh on a node reads the node's own certificate). */
export const PLACEHOLDER_FINGERPRINT =
  '3A:7B:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD';

/**
 * The datacenter firewall's options from cluster.fw inside the simulator's folder (where Phoenix's host:firewall
 * writes it), read as pve-firewall `parse_clusterfw_option` reads them, with the digest `copy_opject_with_digest`
 * makes (sha1 of the sorted `key:value` lines). A fresh node has no file: no options, the empty digest.
 */
function clusterFwOptions(ctx: Ctx): Record<string, unknown> {
  const file = join(ctx.dir, 'etc/pve/firewall/cluster.fw');
  const options: Record<string, string | number> = {};
  let section = '';
  for (const raw of existsSync(file) ? readFileSync(file, 'utf8').split('\n') : []) {
    const line = raw.trim();
    const head = /^\[(\w+)/.exec(line);
    if (head) section = head[1]!.toLowerCase();
    const m = /^(enable|ebtables|policy_(?:in|out|forward)|log_ratelimit):\s*(\S+)$/i.exec(line);
    if (section !== 'options' || !m) continue;
    const key = m[1]!.toLowerCase();
    options[key] = /^(enable|ebtables)$/.test(key)
      ? Number(m[2])
      : key.startsWith('policy')
        ? m[2]!.toUpperCase()
        : m[2]!;
  }
  const sha = crypto().createHash('sha1');
  for (const k of Object.keys(options).sort()) sha.update(`${k}:${String(options[k])}\n`);
  return { ...options, digest: sha.digest('hex') };
}

export interface GetOptions {
  [k: string]: string | undefined;
}

export function getPath(
  ctx: Ctx,
  s: SimState,
  path: string,
  opts: GetOptions,
  fingerprint = PLACEHOLDER_FINGERPRINT,
): unknown {
  const parts = path.replace(/^\/+|\/+$/g, '').split('/');
  const [a, b, c, d, e, f] = parts;
  if (a === 'access' && b === 'permissions' && parts.length === 2)
    return accessPermissions(ctx.cfg, opts.path);
  if (a === 'version' && parts.length === 1)
    return { release: '9.1', repoid: 'b1d5f6f0a3e2c4d7', version: '9.1.1' };
  if (a === 'cluster' && b === 'resources' && parts.length === 2) return clusterResources(ctx, s, opts.type);
  if (a === 'cluster' && b === 'firewall' && c === 'options' && parts.length === 3)
    return clusterFwOptions(ctx);
  // pve-storage `PVE/API2/Storage/Config.pm` `index` / `read`: each storage's configuration (the content list as
  // one comma-joined string, `disable` only when set), as in /etc/pve/storage.cfg.
  if (a === 'storage' && parts.length <= 2) {
    const row = (sid: string): Record<string, unknown> => {
      const st = getStorage(s, sid);
      return {
        storage: sid,
        type: st.type,
        content: st.content.join(','),
        ...(st.type === 'dir' || st.type === 'nfs' ? { path: storagePath(sid, st) } : {}),
        ...(st.disabled ? { disable: 1 } : {}),
        digest: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      };
    };
    return b === undefined ? Object.keys(s.storages).sort().map(row) : row(b);
  }
  if (a === 'cluster' && b === 'nextid' && parts.length === 2) return nextId(s, opts.vmid);
  if (a === 'nodes' && parts.length === 1) return s.nodes.map((n) => nodeEntry(n, fingerprint));
  if (a === 'nodes' && b !== undefined) {
    const ns = viewOf(s, b);
    if (parts.length === 2)
      return [{ name: 'lxc' }, { name: 'qemu' }, { name: 'storage' }, { name: 'tasks' }];
    if (c === 'storage' && parts.length === 3) return storageList(ns, opts);
    // pve-manager PVE/API2/Nodes.pm apl_info (the catalogue `pveam available` prints): every entry is amd64.
    if (c === 'aplinfo' && parts.length === 3)
      return ctx.cfg.catalog.map((t) => ({
        template: t.name,
        section: t.section,
        type: 'lxc',
        architecture: 'amd64',
      }));
    if (c === 'storage' && d !== undefined && e === 'content' && parts.length === 5) {
      const st = getStorage(ns, d);
      return Object.entries(st.volumes)
        .filter(([, v]) => opts.content === undefined || v.content === opts.content)
        .map(([name, v]) => ({
          volid: `${d}:${name}`,
          format: v.format,
          content: v.content,
          size: v.size,
          ...(v.vmid !== undefined ? { vmid: v.vmid } : {}),
        }));
    }
    if ((c === 'lxc' || c === 'qemu') && parts.length === 3) {
      return Object.values(ns.guests)
        .filter((g) => g.type === c)
        .sort((x, y) => x.vmid - y.vmid)
        .map((g) => guestListEntry(g, ctx.now()));
    }
    if ((c === 'lxc' || c === 'qemu') && d !== undefined) {
      const g = guestFor(s, b, c, d);
      if (e === 'config' && parts.length === 5) {
        const current = effectiveConfig(g, opts.current === '1');
        const conf = typedConfig(g.type === 'qemu' ? maskPassword(current) : current, g.type);
        if (g.lxc.length > 0) conf.lxc = g.lxc;
        conf.digest = g.mirrorHash ?? '';
        return conf;
      }
      if (e === 'status' && f === 'current' && parts.length === 6) {
        const r = guestListEntry(g, ctx.now());
        if (g.type === 'qemu') {
          r.qmpstatus = g.status;
          if (g.config.agent) r.agent = 1;
        }
        r.ha = { managed: 0 };
        return r;
      }
      if (e === 'snapshot' && parts.length === 5) {
        const vm = g.type === 'qemu';
        const list: Record<string, unknown>[] = Object.entries(g.snapshots).map(([name, snap]) => ({
          name,
          snaptime: snap.snaptime,
          description: snap.description ?? '',
          ...(snap.config.parent ? { parent: snap.config.parent } : {}),
          // qemu-server snapshot_list sets vmstate on every entry
          ...(vm ? { vmstate: snap.config.vmstate ? 1 : 0 } : {}),
        }));
        list.push({
          name: 'current',
          description: 'You are here!',
          running: g.status === 'running' ? 1 : 0,
          digest: g.mirrorHash ?? '',
          ...(g.config.parent ? { parent: g.config.parent } : {}),
        });
        return list;
      }
    }
  }
  throw new PveError(`No '${path.replace(/^\/+/, '')}' handler`);
}

/**
 * `/cluster/nextid` (pve-manager API2/Cluster.pm nextid): the first VMID no node uses; `vmid` given: echoed as
 * given when free. The simulator answers a string, as Perl may (clients must take both).
 */
function nextId(s: SimState, vmid: string | undefined): string {
  const guests = clusterOf(s).guests;
  if (vmid !== undefined) {
    if (guests[vmid]) throw new PveParamError({ vmid: `VM ${vmid} already exists` });
    return vmid;
  }
  let id = 100;
  while (guests[id]) id++;
  return String(id);
}

/** `/nodes/<n>/storage` (pve-storage API2/Storage/Status.pm index): with `content`, enabled storages that hold it. */
function storageList(ns: SimState, opts: GetOptions): unknown[] {
  return Object.keys(ns.storages)
    .sort()
    .filter((sid) => {
      const st = ns.storages[sid]!;
      if (opts.storage !== undefined && opts.storage !== sid) return false;
      if (opts.content === undefined) return true;
      return !st.disabled && opts.content.split(',').some((ct) => st.content.includes(ct as never));
    })
    .map((sid) => {
      const st = ns.storages[sid]!;
      const total = totalKiB(st) * 1024;
      const used = usedKiB(st) * 1024;
      return {
        storage: sid,
        type: st.type,
        content: st.content.join(','),
        active: st.disabled ? 0 : 1,
        enabled: st.disabled ? 0 : 1,
        shared: isShared(st) ? 1 : 0,
        total,
        used,
        avail: total - used,
        ...(total > 0 ? { used_fraction: used / total } : {}),
      };
    });
}
