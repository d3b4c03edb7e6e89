import { describe, expect, it } from 'vitest';
import { applyRawEdit } from '../../src/tasks/raw-lxc.js';
import { desiredLxc, diffLxc } from '../../src/tasks/lxc-desired.js';
import { diffVm } from '../../src/tasks/vm-desired.js';
import { parseSize } from '../../src/host/props.js';
import { hashPassword } from '../../src/tasks/cipassword.js';
import { verify } from 'unixcrypt';
import { lxc, vm } from './fixtures.js';

const ct = lxc(950, {
  memory_mb: 2048,
  swap_mb: 512,
  cores: 2,
  start_at_boot: true,
  boot_order: 3,
  boot_delay: 10,
  network_config: { name: 'eth0', bridge: 'vmbr0', ip: '10.0.0.50/24', gw: '10.0.0.1' },
  pct_options: ['nesting=1', 'keyctl=1'],
  apparmor_profile: 'unconfined',
  lxc_options: ['lxc.cgroup2.devices.allow: c 195:* rwm', 'lxc.mount.auto = sys:rw'],
});

/** The config Proxmox would print after the original orchestrator configured the CT. */
const converged: Record<string, string> = {
  hostname: 'ct950',
  memory: '2048',
  swap: '512',
  cores: '2',
  onboot: '1',
  startup: 'order=3,up=10,down=180',
  features: 'keyctl=1,nesting=1',
  net0: 'name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=BC:24:11:AA:BB:CC,ip=10.0.0.50/24,type=veth',
  rootfs: 'local-lvm:vm-950-disk-0,size=8G',
};
const convergedRaw: [string, string][] = [
  ['lxc.cgroup2.devices.allow', 'c 195:* rwm'],
  ['lxc.mount.auto', 'sys:rw'],
  ['lxc.apparmor.profile', 'unconfined'],
];

describe('container desired config', () => {
  it('finds nothing to change on a converged container, whatever the key order and generated parts', () => {
    const changes = diffLxc(desiredLxc(ct), { config: converged, rawLxc: convergedRaw });
    expect(changes).toEqual({ diffs: [], setArgs: [], raw: undefined });
  });

  it('changes only the memory when only memory differs', () => {
    const changes = diffLxc(desiredLxc(ct), {
      config: { ...converged, memory: '1024' },
      rawLxc: convergedRaw,
    });
    expect(changes.diffs).toEqual([{ field: 'memory', actual: '1024', desired: '2048' }]);
    expect(changes.setArgs).toEqual(['--memory', '2048']);
  });

  it('keeps the MAC Proxmox generated when it re-sets net0 (a new one would change the identity)', () => {
    const live = {
      ...converged,
      net0: 'name=eth0,bridge=vmbr1,hwaddr=BC:24:11:AA:BB:CC,ip=10.0.0.50/24,type=veth',
    };
    const changes = diffLxc(desiredLxc(ct), { config: live, rawLxc: convergedRaw });
    expect(changes.setArgs).toEqual([
      '--net0',
      'name=eth0,bridge=vmbr0,ip=10.0.0.50/24,gw=10.0.0.1,hwaddr=BC:24:11:AA:BB:CC,type=veth',
    ]);
  });

  it('sets a configured MAC and compares it case-insensitively', () => {
    const withMac = lxc(951, { mac_address: '52:54:00:12:34:56' });
    const same = 'name=eth0,bridge=vmbr0,hwaddr=52:54:00:12:34:56,ip=dhcp,type=veth';
    expect(diffLxc(desiredLxc(withMac), { config: { net0: same } }).diffs.map((d) => d.field)).not.toContain(
      'net0',
    );
    const other = diffLxc(desiredLxc(withMac), {
      config: { net0: same.replace('52:54:00:12:34:56', 'BC:24:11:00:00:01') },
    });
    expect(other.setArgs).toEqual(
      expect.arrayContaining(['--net0', 'name=eth0,bridge=vmbr0,ip=dhcp,hwaddr=52:54:00:12:34:56,type=veth']),
    );
  });

  it('treats absent keys as the Proxmox defaults and startup "3" as order=3', () => {
    const plain = lxc(952, { boot_order: 3 });
    const live = {
      hostname: 'ct952',
      cores: '1',
      startup: '3,up=0,down=180',
      net0: 'name=eth0,bridge=vmbr0,ip=dhcp',
    };
    expect(diffLxc(desiredLxc(plain), { config: live }).diffs).toEqual([]);
  });

  it('leaves features alone when pct_options is empty', () => {
    const plain = lxc(953, {});
    const live = {
      hostname: 'ct953',
      cores: '1',
      startup: 'order=0,up=0,down=180',
      net0: 'name=eth0,bridge=vmbr0,ip=dhcp',
      features: 'nesting=1',
    };
    expect(diffLxc(desiredLxc(plain), { config: live }).diffs).toEqual([]);
  });

  it('replaces a different AppArmor profile line and appends missing raw lines', () => {
    const changes = diffLxc(desiredLxc(ct), {
      config: converged,
      rawLxc: [
        ['lxc.apparmor.profile', 'generated'],
        ['lxc.mount.auto', 'sys:rw'],
      ],
    });
    expect(changes.setArgs).toEqual([]);
    expect(changes.raw).toEqual({
      removeKeys: ['lxc.apparmor.profile'],
      append: [
        ['lxc.apparmor.profile', 'unconfined'],
        ['lxc.cgroup2.devices.allow', 'c 195:* rwm'],
      ],
    });
  });

  it('writes a capability list as one lxc.cap.keep line per capability, replacing the old lines (LXC splits on blanks)', () => {
    const caps = lxc(954, {
      ...ct.config,
      lxc_options: ['lxc.cap.keep=sys_admin,mknod,sys_chroot', 'lxc.mount.auto=proc:rw sys:rw'],
    });
    const keep = (...values: string[]): [string, string][] => values.map((v) => ['lxc.cap.keep', v]);
    const base: [string, string][] = [
      ['lxc.mount.auto', 'proc:rw sys:rw'],
      ['lxc.apparmor.profile', 'unconfined'],
    ];
    // Written by an earlier Phoenix as one line, which LXC reads as a single unknown capability.
    const changes = diffLxc(desiredLxc(caps), {
      config: converged,
      rawLxc: [...base, ...keep('sys_admin,mknod,sys_chroot')],
    });
    expect(changes.raw).toEqual({
      removeKeys: ['lxc.cap.keep'],
      append: keep('sys_admin', 'mknod', 'sys_chroot'),
    });
    const file = applyRawEdit('arch: amd64\nlxc.cap.keep: sys_admin,mknod,sys_chroot\n', changes.raw!);
    expect(file).toBe(
      'arch: amd64\nlxc.cap.keep: sys_admin\nlxc.cap.keep: mknod\nlxc.cap.keep: sys_chroot\n',
    );
    const done = { config: converged, rawLxc: [...base, ...keep('sys_admin', 'mknod', 'sys_chroot')] };
    expect(diffLxc(desiredLxc(caps), done).raw).toBeUndefined();
  });

  it('adds missing mount points on the next free mpN and leaves present ones alone', () => {
    const withVols = lxc(954, {
      zfs_volumes: [{ name: 'data', pool: 'tank', size_gb: 10, mount_point: '/data' }],
      volumes: [{ host_path: '/srv/models', mount_point: '/models' }],
    });
    const live = { ...converged, mp0: 'tank:subvol-954-disk-1,mp=/data,size=10G' };
    const changes = diffLxc(desiredLxc(withVols), { config: live });
    expect(changes.setArgs.slice(-2)).toEqual(['--mp1', '/srv/models,mp=/models']);
    expect(changes.diffs.map((d) => d.field)).not.toContain('mp0 (mp=/data)');
  });
});

describe('raw lxc line edit', () => {
  const file =
    'arch: amd64\nhostname: ct950\nlxc.apparmor.profile: generated\n\n[pve:pending]\nmemory: 4096\n\n[snap1]\nhostname: ct950\n';

  it('edits the main section only, before pending and snapshot sections', () => {
    const out = applyRawEdit(file, {
      removeKeys: ['lxc.apparmor.profile'],
      append: [['lxc.apparmor.profile', 'unconfined']],
    });
    expect(out).toBe(
      'arch: amd64\nhostname: ct950\nlxc.apparmor.profile: unconfined\n\n[pve:pending]\nmemory: 4096\n\n[snap1]\nhostname: ct950\n',
    );
  });

  it('is idempotent', () => {
    const edit = { removeKeys: [], append: [['lxc.mount.auto', 'sys:rw']] as [string, string][] };
    const once = applyRawEdit('arch: amd64\n', edit);
    expect(once).toBe('arch: amd64\nlxc.mount.auto: sys:rw\n');
    expect(applyRawEdit(once, edit)).toBe(once);
  });
});

describe('VM desired config', () => {
  const cfg = {
    memory_mb: 4096,
    cores: 4,
    network_bridge: 'vmbr0',
    network_config: { ip: '10.0.0.101/24', gw: '10.0.0.1', nameservers: '10.0.0.1, 8.8.8.8' },
    user_config: { username: 'phoenix', ssh_public_key: 'ssh-ed25519 AAAA phoenix@host' },
    disk_size_gb: 32,
  };
  const v = vm(1001, cfg);
  const live = {
    name: 'vm1001',
    memory: '4096',
    cores: '4',
    net0: 'virtio=BC:24:11:00:00:01,bridge=vmbr0',
    ipconfig0: 'gw=10.0.0.1,ip=10.0.0.101/24',
    nameserver: '10.0.0.1 8.8.8.8',
    ciuser: 'phoenix',
    sshkeys: 'ssh-ed25519%20AAAA%20phoenix%40host%0A',
    startup: 'order=0,up=0,down=180',
    scsi0: 'local-lvm:vm-1001-disk-0,size=32G',
  };

  it('finds nothing to change on a converged VM', () => {
    expect(diffVm(v, { config: live }, '/tmp').diffs).toEqual([]);
  });

  it('re-points the bridge keeping model and MAC, and grows a smaller disk', () => {
    const changes = diffVm(
      v,
      {
        config: {
          ...live,
          net0: 'virtio=BC:24:11:00:00:01,bridge=vmbr1',
          scsi0: 'local-lvm:vm-1001-disk-0,size=3584M',
        },
      },
      '/tmp',
    );
    expect(changes.setArgs).toEqual(['--net0', 'virtio=BC:24:11:00:00:01,bridge=vmbr0']);
    expect(changes.grow).toEqual({ key: 'scsi0', size: '32G' });
  });

  it('refuses to shrink a disk', () => {
    const changes = diffVm(v, { config: { ...live, scsi0: 'local-lvm:vm-1001-disk-0,size=64G' } }, '/tmp');
    expect(changes.shrink).toMatch(/never shrunk/);
  });

  it("hands SSH keys over as a file in the folder it is given (the step's private one)", () => {
    const changes = diffVm(v, { config: { ...live, sshkeys: undefined as unknown as string } }, '/run/x');
    expect(changes.setArgs).toEqual(['--sshkeys', '/run/x/sshkeys.pub']);
    expect(changes.files).toEqual({ 'sshkeys.pub': 'ssh-ed25519 AAAA phoenix@host\n' });
  });

  it('sets the password as a SHA-512 crypt hash when the stored hash is of another password (a clone)', () => {
    const withPw = vm(1001, { ...cfg, user_config: { ...cfg.user_config, password: 'clone-pw' } });
    const template = hashPassword('template-pw');
    const changes = diffVm(withPw, { config: { ...live, cipassword: template } }, '/run/x');
    const i = changes.setArgs.indexOf('--cipassword');
    expect(i).toBeGreaterThanOrEqual(0);
    const sent = changes.setArgs[i + 1] ?? '';
    expect(sent).toMatch(/^\$6\$[./0-9A-Za-z]+\$[./0-9A-Za-z]{86}$/);
    expect(verify('clone-pw', sent)).toBe(true);
    expect(changes.setArgs.join(' ')).not.toContain('clone-pw');
    // Diffs name neither the password nor the stored hash.
    expect(JSON.stringify(changes.diffs)).not.toContain(template);
    expect(JSON.stringify(changes.diffs)).not.toContain('clone-pw');
    // Its own password already in place: nothing to set.
    expect(diffVm(withPw, { config: { ...live, cipassword: sent } }, '/run/x').setArgs).not.toContain(
      '--cipassword',
    );
  });
});

describe('sizes', () => {
  it('reads Proxmox sizes; a bare number is bytes', () => {
    expect(parseSize('8G')).toBe(8 * 1024 ** 3);
    expect(parseSize('512M')).toBe(512 * 1024 ** 2);
    expect(parseSize('1T')).toBe(1024 ** 4);
    expect(parseSize('32')).toBe(32);
  });
});
