// `qm cloudinit update` and `qm cloudinit dump`: the cloud-init drive's user, network and meta data.
import { checkLock, loadGuest, type Command } from '../context.js';
import { crypto } from '../crypto.js';
import { vmidArg } from '../props.js';

const CI_KEYS =
  /^(ciuser|cipassword|citype|ciupgrade|cicustom|nameserver|searchdomain|sshkeys|ipconfig\d+|name)$/;

export const ciUpdate: Command = {
  spec: { usage: 'qm cloudinit update <vmid>', positionals: [vmidArg], options: {} },
  async run(ctx, p) {
    await ctx.sleep('cloudinitUpdate');
    await ctx.tx((s) => {
      const g = loadGuest(s, 'qemu', p.params.vmid!);
      checkLock(g);
      const ci: Record<string, string> = {};
      for (const [k, v] of Object.entries(g.config)) if (CI_KEYS.test(k) || /^net\d+$/.test(k)) ci[k] = v;
      g.cloudinit = ci;
    });
  },
};

export const ciDump: Command = {
  spec: {
    usage: 'qm cloudinit dump <vmid> <type>',
    positionals: [vmidArg, { name: 'type', spec: { type: 'string', enum: ['user', 'network', 'meta'] } }],
    options: {},
  },
  run(ctx, p) {
    const g = loadGuest(ctx.read(), 'qemu', p.params.vmid!);
    const c = g.config;
    if (p.params.type === 'user') {
      let y = '#cloud-config\n';
      y += `hostname: ${c.name ?? `VM${g.vmid}`}\nmanage_etc_hosts: true\nfqdn: ${c.name ?? `VM${g.vmid}`}\n`;
      if (c.ciuser) y += `user: ${c.ciuser}\n`;
      if (c.cipassword) y += `password: ${c.cipassword}\n`;
      if (c.sshkeys) {
        y += 'ssh_authorized_keys:\n';
        for (const k of decodeURIComponent(c.sshkeys)
          .split('\n')
          .filter((l) => l.trim() !== ''))
          y += `  - ${k}\n`;
      }
      y += 'chpasswd:\n  expire: False\nusers:\n  - default\npackage_upgrade: true\n';
      ctx.out(y);
    } else if (p.params.type === 'network') {
      let y = 'version: 1\nconfig:\n';
      for (let i = 0; i < 32; i++) {
        const net = c[`net${i}`];
        if (!net) continue;
        const mac = /=([0-9A-Fa-f:]{17})/.exec(net)?.[1]?.toLowerCase() ?? '';
        y += `    - type: physical\n      name: eth${i}\n      mac_address: '${mac}'\n      subnets:\n`;
        const ipc = c[`ipconfig${i}`] ?? '';
        const ip = /ip=([^,]+)/.exec(ipc)?.[1];
        const gw = /gw=([^,]+)/.exec(ipc)?.[1];
        if (!ip || ip === 'dhcp') y += '      - type: dhcp4\n';
        else y += `      - type: static\n        address: '${ip}'\n${gw ? `        gateway: '${gw}'\n` : ''}`;
      }
      if (c.nameserver)
        y += `    - type: nameserver\n      address:\n${c.nameserver
          .split(/[ ,;]+/)
          .map((n) => `      - '${n}'\n`)
          .join('')}`;
      ctx.out(y);
    } else {
      const uuid = /uuid=([^,]+)/.exec(c.smbios1 ?? '')?.[1] ?? '';
      ctx.out(`instance-id: ${crypto().createHash('sha1').update(uuid).digest('hex')}\n`);
    }
  },
};
