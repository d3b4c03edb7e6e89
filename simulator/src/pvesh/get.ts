// `pvesh get`: the API paths Phoenix reads.
import { effectiveConfig, guestNotFound, type Ctx } from '../context.js';
import { PveError } from '../errors.js';
import { maskPassword } from '../guests.js';
import { totalKiB, usedKiB } from '../pvesm.js';
import type { GuestState, SimState } from '../state.js';
import { getStorage, storagePath } from '../storage.js';
import { checkNode } from './nodes.js';
import { clusterResources, guestListEntry } from './resources.js';

/** Numbers/booleans in configs come back as JSON numbers, like the API's typed values. */
const NUMERIC_KEYS =
  /^(cores|memory|swap|onboot|unprivileged|template|protection|cpuunits|balloon|sockets|vcpus|tty|console|numa|kvm|acpi|tablet|ciupgrade|shares|debug|localtime|freeze|autostart|snaptime)$/;

function typedConfig(c: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c))
    out[k] = NUMERIC_KEYS.test(k) && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  return out;
}

function guestFor(s: SimState, node: string, kind: string, id: string): GuestState {
  const type = kind === 'lxc' ? 'lxc' : 'qemu';
  const g = s.guests[id];
  checkNode(s, node);
  if (!g || g.type !== type) throw guestNotFound(s, type, id);
  return g;
}

export function getPath(ctx: Ctx, s: SimState, path: string, opts: Record<string, string>): unknown {
  const parts = path.replace(/^\/+|\/+$/g, '').split('/');
  const [a, b, c, d, e, f] = parts;
  if (a === 'version' && parts.length === 1)
    return { release: '9.1', repoid: 'b1d5f6f0a3e2c4d7', version: '9.1.1' };
  if (a === 'cluster' && b === 'resources' && parts.length === 2) return clusterResources(ctx, s, opts.type);
  // A fresh node has no /etc/pve/firewall/cluster.fw: PVE answers with no options set, only the (empty) digest.
  if (a === 'cluster' && b === 'firewall' && c === 'options' && parts.length === 3)
    return { digest: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' };
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
  if (a === 'cluster' && b === 'nextid' && parts.length === 2) {
    let id = 100;
    while (s.guests[id]) id++;
    return String(id);
  }
  if (a === 'nodes' && parts.length === 1) {
    return [
      {
        node: s.node,
        status: 'online',
        type: 'node',
        id: `node/${s.node}`,
        level: '',
        maxcpu: 16,
        cpu: 0.03,
        maxmem: 68719476736,
        mem: 8589934592,
        uptime: 864000,
        ssl_fingerprint:
          '3A:7B:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD',
      },
    ];
  }
  if (a === 'nodes' && b !== undefined) {
    checkNode(s, b);
    if (c === 'storage' && parts.length === 3) {
      return Object.keys(s.storages)
        .sort()
        .map((sid) => {
          const st = s.storages[sid]!;
          const total = totalKiB(st) * 1024;
          const used = usedKiB(st) * 1024;
          return {
            storage: sid,
            type: st.type,
            content: st.content.join(','),
            active: st.disabled ? 0 : 1,
            enabled: st.disabled ? 0 : 1,
            shared: 0,
            total,
            used,
            avail: total - used,
            used_fraction: used / total,
          };
        });
    }
    if (c === 'storage' && d !== undefined && e === 'content' && parts.length === 5) {
      const st = getStorage(s, d);
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
      return Object.values(s.guests)
        .filter((g) => g.type === c)
        .sort((x, y) => x.vmid - y.vmid)
        .map((g) => guestListEntry(g, ctx.now()));
    }
    if ((c === 'lxc' || c === 'qemu') && d !== undefined) {
      const g = guestFor(s, b, c, d);
      if (e === 'config' && parts.length === 5) {
        const current = effectiveConfig(g, opts.current === '1');
        const conf = typedConfig(g.type === 'qemu' ? maskPassword(current) : current);
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
        const list: Record<string, unknown>[] = Object.entries(g.snapshots).map(([name, snap]) => ({
          name,
          snaptime: snap.snaptime,
          description: snap.description ?? '',
          ...(snap.config.parent ? { parent: snap.config.parent } : {}),
          ...(snap.config.vmstate ? { vmstate: 1 } : {}),
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
