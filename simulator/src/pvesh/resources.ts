// `/cluster/resources` (guests as they were resourcesStaleMs ago, the node, the storages) and the guest rows of
// `/nodes/<n>/{lxc,qemu}`.
import type { Ctx } from '../context.js';
import { bootDiskBytes, guestName, isTemplate, memBytes, uptimeSec } from '../guests.js';
import { totalKiB, usedKiB } from '../pvesm.js';
import type { GuestState, SimState } from '../state.js';

function guestStatusAt(g: GuestState, t: number): string {
  let st = g.statusLog[0]?.status ?? g.status;
  for (const e of g.statusLog) if (e.t <= t) st = e.status;
  return st;
}

export function clusterResources(ctx: Ctx, s: SimState, type?: string): unknown[] {
  const now = ctx.now();
  const stale = ctx.cfg.resourcesStaleMs * ctx.cfg.latencyScale;
  const out: unknown[] = [];
  if (type === undefined || type === 'vm') {
    for (const g of Object.values(s.guests).sort((a, b) => a.vmid - b.vmid)) {
      const base = { id: `${g.type}/${g.vmid}`, vmid: g.vmid, node: s.node, type: g.type };
      if (stale > 0 && g.createdAt > now - stale) {
        out.push({ ...base, status: 'unknown' });
        continue;
      }
      const status = stale > 0 ? guestStatusAt(g, now - stale) : g.status;
      const running = status === 'running';
      const r: Record<string, unknown> = {
        ...base,
        status,
        name: guestName(g),
        template: isTemplate(g) ? 1 : 0,
        maxmem: memBytes(g),
        mem: running ? Math.floor(memBytes(g) * 0.1) : 0,
        maxdisk: bootDiskBytes(g),
        disk: 0,
        maxcpu: Number(g.config.cores ?? 1),
        cpu: running ? 0.01 : 0,
        uptime: running ? uptimeSec(g, now - stale) : 0,
        netin: 0,
        netout: 0,
        diskread: 0,
        diskwrite: 0,
      };
      if (g.type === 'qemu') r.memhost = r.mem;
      if (g.config.lock) r.lock = g.config.lock;
      if (g.config.tags) r.tags = g.config.tags;
      out.push(r);
    }
  }
  if (type === undefined || type === 'node') {
    out.push({
      id: `node/${s.node}`,
      node: s.node,
      type: 'node',
      status: 'online',
      level: '',
      maxcpu: 16,
      cpu: 0.03,
      maxmem: 68719476736,
      mem: 8589934592,
      maxdisk: 100861726720,
      disk: 10366459904,
      uptime: 864000,
      cgroup_mode: 2,
    });
  }
  if (type === undefined || type === 'storage') {
    for (const sid of Object.keys(s.storages).sort()) {
      const st = s.storages[sid]!;
      out.push({
        id: `storage/${s.node}/${sid}`,
        storage: sid,
        node: s.node,
        type: 'storage',
        status: st.disabled ? 'unknown' : 'available',
        plugintype: st.type,
        content: st.content.join(','),
        shared: 0,
        maxdisk: totalKiB(st) * 1024,
        disk: usedKiB(st) * 1024,
      });
    }
  }
  return out;
}

export function guestListEntry(g: GuestState, now: number): Record<string, unknown> {
  const running = g.status === 'running';
  const r: Record<string, unknown> = {
    vmid: g.vmid,
    name: guestName(g),
    status: g.status,
    maxmem: memBytes(g),
    mem: running ? Math.floor(memBytes(g) * 0.1) : 0,
    maxdisk: bootDiskBytes(g),
    disk: 0,
    cpus: Number(g.config.cores ?? 1),
    cpu: running ? 0.01 : 0,
    uptime: uptimeSec(g, now),
    netin: 0,
    netout: 0,
    diskread: 0,
    diskwrite: 0,
  };
  if (g.type === 'lxc') {
    r.type = 'lxc';
    r.maxswap = Number(g.config.swap ?? 512) * 1048576;
    r.swap = 0;
  }
  if (running && g.pid) r.pid = g.pid;
  if (g.config.lock) r.lock = g.config.lock;
  if (g.config.tags) r.tags = g.config.tags;
  if (isTemplate(g)) r.template = 1;
  return r;
}
