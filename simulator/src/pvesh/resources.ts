// `/cluster/resources` (guests as they were resourcesStaleMs ago, the node, the storages) and the guest rows of
// `/nodes/<n>/{lxc,qemu}`.
import type { Ctx } from '../context.js';
import { bootDiskBytes, guestName, isTemplate, memBytes, uptimeSec } from '../guests.js';
import { totalKiB, usedKiB } from '../pvesm.js';
import { clusterOf, isShared, nodeView, type GuestState, type SimState } from '../state.js';

function guestStatusAt(g: GuestState, t: number): string {
  let st = g.statusLog[0]?.status ?? g.status;
  for (const e of g.statusLog) if (e.t <= t) st = e.status;
  return st;
}

/**
 * `/cluster/resources` (pve-manager API2/Cluster.pm resources): every node's guests, the nodes, and one entry per
 * node and enabled storage. Existence, node, lock and tags are live (pmxcfs); status, name, template and the
 * numbers are what pvestatd last broadcast, resourcesStaleMs ago (a guest younger than that has none yet).
 */
export function clusterResources(ctx: Ctx, s: SimState, type?: string): unknown[] {
  const c = clusterOf(s);
  const now = ctx.now();
  const stale = ctx.cfg.resourcesStaleMs * ctx.cfg.latencyScale;
  const out: unknown[] = [];
  if (type === undefined || type === 'vm') {
    for (const g of Object.values(c.guests).sort((a, b) => a.vmid - b.vmid)) {
      const base: Record<string, unknown> = {
        id: `${g.type}/${g.vmid}`,
        vmid: g.vmid,
        node: g.node,
        type: g.type,
      };
      if (g.config.lock) base.lock = g.config.lock;
      if (g.config.tags) base.tags = g.config.tags;
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
      out.push(r);
    }
  }
  if (type === undefined || type === 'node') {
    for (const node of c.nodes) {
      const used = Object.values(c.guests)
        .filter((g) => g.node === node && g.status === 'running')
        .reduce((sum, g) => sum + memBytes(g), 0);
      out.push({
        id: `node/${node}`,
        node,
        type: 'node',
        status: 'online',
        level: '',
        maxcpu: 16,
        cpu: 0.03,
        maxmem: NODE_MEMORY,
        mem: NODE_BASE_MEMORY + used,
        maxdisk: 100861726720,
        disk: 10366459904,
        uptime: 864000,
        'cgroup-mode': 2,
        'host-arch': 'x86_64',
      });
    }
  }
  if (type === undefined || type === 'storage') {
    for (const node of c.nodes) {
      const ns = node === s.node ? s : nodeView(c, node);
      for (const sid of Object.keys(ns.storages).sort()) {
        const st = ns.storages[sid]!;
        if (st.disabled) continue; // storage_check_enabled: not listed
        out.push({
          id: `storage/${node}/${sid}`,
          storage: sid,
          node,
          type: 'storage',
          status: 'available',
          plugintype: st.type,
          content: st.content.join(','),
          shared: isShared(st) ? 1 : 0,
          maxdisk: totalKiB(st) * 1024,
          disk: usedKiB(st) * 1024,
        });
      }
    }
  }
  return out;
}

/** A node's memory, and what it uses with no guest running (placement reads `mem`/`maxmem`). */
const NODE_MEMORY = 68719476736;
const NODE_BASE_MEMORY = 4294967296;

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
