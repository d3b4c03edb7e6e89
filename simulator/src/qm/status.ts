// `qm status` and `qm list`.
import { loadGuest, type Command } from '../context.js';
import { bool } from '../getopt.js';
import { bootDiskBytes, guestName, isTemplate, uptimeSec, verboseStatus } from '../guests.js';
import { GiB, vmidArg } from '../props.js';

export const status: Command = {
  spec: { usage: 'qm status <vmid> [OPTIONS]', positionals: [vmidArg], options: { verbose: bool } },
  run(ctx, p) {
    const g = loadGuest(ctx.read(), 'qemu', p.params.vmid!, 2);
    if (p.opts.verbose !== '1') {
      ctx.out(`status: ${g.status}\n`);
      return;
    }
    const running = g.status === 'running';
    const maxmem = Number(g.config.memory ?? 512) * 1024 * 1024;
    const v: Record<string, string | number> = {
      cpus: Number(g.config.cores ?? 1) * Number(g.config.sockets ?? 1),
      disk: 0,
      diskread: running ? 104_857_600 : 0,
      diskwrite: running ? 20_971_520 : 0,
      maxdisk: bootDiskBytes(g),
      maxmem,
      mem: running ? Math.floor(maxmem * 0.25) : 0,
      name: guestName(g),
      netin: running ? 223_456 : 0,
      netout: running ? 33_456 : 0,
      qmpstatus: g.status,
      status: g.status,
      uptime: uptimeSec(g, ctx.now()),
      vmid: g.vmid,
    };
    if (g.config.agent) v.agent = 1;
    if (running && g.pid) v.pid = g.pid;
    if (g.config.lock) v.lock = g.config.lock;
    if (isTemplate(g)) v.template = 1;
    ctx.out(verboseStatus(v));
  },
};

export const list: Command = {
  spec: { usage: 'qm list [OPTIONS]', positionals: [], options: { full: bool } },
  run(ctx) {
    const vms = Object.values(ctx.read().guests)
      .filter((g) => g.type === 'qemu')
      .sort((a, b) => a.vmid - b.vmid);
    if (vms.length === 0) return;
    const row = (a: string, b: string, c: string, d: string, e: string, f: string): string =>
      `${a.padStart(10)} ${b.padEnd(20)} ${c.padEnd(10)} ${d.padEnd(10)} ${e.padStart(12)} ${f.padEnd(10)}\n`;
    let out = row('VMID', 'NAME', 'STATUS', 'MEM(MB)', 'BOOTDISK(GB)', 'PID');
    for (const g of vms) {
      out += row(
        String(g.vmid),
        guestName(g),
        g.status,
        String(Number(g.config.memory ?? 512)),
        (bootDiskBytes(g) / GiB).toFixed(2),
        String(g.status === 'running' ? (g.pid ?? 0) : 0),
      );
    }
    ctx.out(out);
  },
};
