// `pct status` and `pct list`.
import { effectiveConfig, loadGuest, type Command } from '../context.js';
import { bool } from '../getopt.js';
import { configDisks, guestName, isTemplate, uptimeSec, verboseStatus } from '../guests.js';
import { vmidArg } from '../props.js';

export const status: Command = {
  spec: { usage: 'pct status <vmid> [OPTIONS]', positionals: [vmidArg], options: { verbose: bool } },
  run(ctx, p) {
    const s = ctx.read();
    const g = loadGuest(s, 'lxc', p.params.vmid!, 2);
    if (p.opts.verbose !== '1') {
      ctx.out(`status: ${g.status}\n`);
      return;
    }
    const running = g.status === 'running';
    const c = effectiveConfig(g, true);
    const maxmem = Number(c.memory ?? 512) * 1024 * 1024;
    const rootfs = configDisks('lxc', c).find((d) => d.key === 'rootfs');
    const v: Record<string, string | number> = {
      cpus: Number(c.cores ?? 1),
      disk: running ? Math.floor((rootfs?.size ?? 0) * 0.12) : 0,
      diskread: running ? 52_428_800 : 0,
      diskwrite: running ? 10_485_760 : 0,
      maxdisk: rootfs?.size ?? 0,
      maxmem,
      maxswap: Number(c.swap ?? 512) * 1024 * 1024,
      mem: running ? Math.floor(maxmem * 0.08) : 0,
      name: guestName(g),
      netin: running ? 123_456 : 0,
      netout: running ? 23_456 : 0,
      status: g.status,
      swap: 0,
      type: 'lxc',
      uptime: uptimeSec(g, ctx.now()),
      vmid: g.vmid,
    };
    if (g.config.lock) v.lock = g.config.lock;
    if (running && g.pid) v.pid = g.pid;
    if (isTemplate(g)) v.template = 1;
    if (running) {
      for (const k of [
        'pressurecpusome',
        'pressureiofull',
        'pressureiosome',
        'pressurememoryfull',
        'pressurememorysome',
      ])
        v[k] = 0;
    }
    ctx.out(verboseStatus(v));
  },
};

export const list: Command = {
  spec: { usage: 'pct list', positionals: [], options: {} },
  run(ctx) {
    const s = ctx.read();
    const cts = Object.values(s.guests)
      .filter((g) => g.type === 'lxc')
      .sort((a, b) => a.vmid - b.vmid);
    if (cts.length === 0) return;
    const row = (a: string, b: string, c: string, d: string): string =>
      `${a.padEnd(10)} ${b.padEnd(10)} ${c.padEnd(12)} ${d.padEnd(20)}\n`;
    let out = row('VMID', 'Status', 'Lock', 'Name');
    for (const g of cts) out += row(String(g.vmid), g.status, g.config.lock ?? '', guestName(g));
    ctx.out(out);
  },
};
