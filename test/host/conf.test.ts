import { describe, expect, it } from 'vitest';
import { parseProps, printProps } from '../../src/host/props.js';
import {
  configFromPveshJson,
  effectiveConfig,
  parseStorageCfg,
  parseConfigOutput,
  parseGuestConfig,
  parseGuestExec,
  parseListSnapshot,
  parsePctList,
  parsePveamList,
  parsePvesmStatus,
  parseQmList,
  snapshotNamesFromPveshJson,
} from '../../src/host/conf.js';

const CT_CONF = `#web server%3A nginx
#second line
arch: amd64
cores: 2
features: nesting=1,keyctl=1
hostname: web
lock: snapshot
memory: 2048
net0: name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=BC:24:11:AA:BB:CC,ip=10.0.0.50/24,type=veth
onboot: 1
ostype: debian
parent: base
rootfs: local-lvm:vm-950-disk-0,size=8G
swap: 512
unprivileged: 1
lxc.apparmor.profile: unconfined
lxc.cgroup2.devices.allow = c 195:* rwm

[pve:pending]
cores: 4
delete: onboot,!swap

[base]
arch: amd64
cores: 2
hostname: web
memory: 1024
snaptime: 1735787045
lxc.apparmor.profile: unconfined

[second]
memory: 2048
parent: base
snaptime: 1735787100
`;

describe('parseGuestConfig', () => {
  const parsed = parseGuestConfig(CT_CONF);

  it('reads the main section and the percent-encoded description', () => {
    expect(parsed.main.memory).toBe('2048');
    expect(parsed.main.net0).toBe(
      'name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=BC:24:11:AA:BB:CC,ip=10.0.0.50/24,type=veth',
    );
    expect(parsed.main.lock).toBe('snapshot');
    expect(parsed.main.description).toBe('web server%3A nginx%0Asecond line');
    expect(parsed.main.snaptime).toBeUndefined();
  });

  it('keeps raw lxc lines of both spellings in file order, only from the main section', () => {
    expect(parsed.rawLxc).toEqual([
      ['lxc.apparmor.profile', 'unconfined'],
      ['lxc.cgroup2.devices.allow', 'c 195:* rwm'],
    ]);
  });

  it('reads snapshot sections by name', () => {
    expect(Object.keys(parsed.snapshots)).toEqual(['base', 'second']);
    expect(parsed.snapshots.base?.memory).toBe('1024');
    expect(parsed.snapshots.second?.parent).toBe('base');
  });

  it('reads the pending section and merges it like `pct config` does', () => {
    expect(parsed.pending).toEqual({ cores: '4' });
    expect(parsed.pendingDelete).toEqual(['onboot', 'swap']);
    const eff = effectiveConfig(parsed);
    expect(eff.cores).toBe('4');
    expect(eff.onboot).toBeUndefined();
    expect(eff.swap).toBeUndefined();
    expect(eff.memory).toBe('2048');
  });

  it('reads a VM config with [PENDING] and [special:cloudinit] sections', () => {
    const vm = parseGuestConfig(
      [
        'agent: enabled=1',
        'boot: order=scsi0',
        'ide2: local-lvm:vm-100-cloudinit,media=cdrom',
        'memory: 2048',
        'smbios1: uuid=7b1f3c2e-1111-2222-3333-444455556666',
        'template: 1',
        '',
        '[PENDING]',
        'memory: 4096',
        '',
        '[special:cloudinit]',
        'ipconfig0: ip=dhcp',
        '',
      ].join('\n'),
    );
    expect(vm.main.template).toBe('1');
    expect(vm.pending).toEqual({ memory: '4096' });
    expect(vm.cloudinit).toEqual({ ipconfig0: 'ip=dhcp' });
    expect(vm.snapshots).toEqual({});
    expect(effectiveConfig(vm).memory).toBe('4096');
  });

  it('tolerates trailing spaces and CRLF-free blank lines', () => {
    expect(parseGuestConfig('memory: 512   \n\n\ncores: 1 \n').main).toEqual({ memory: '512', cores: '1' });
  });
});

describe('parseConfigOutput (pct config / qm config)', () => {
  it('reads sorted key lines and trailing lxc lines', () => {
    const out = 'arch: amd64\ncores: 2\nparent: base\nlxc.apparmor.profile: unconfined\n';
    expect(parseConfigOutput(out)).toEqual({
      main: { arch: 'amd64', cores: '2', parent: 'base' },
      rawLxc: [['lxc.apparmor.profile', 'unconfined']],
    });
  });
});

describe('property strings', () => {
  it.each([
    [
      'name=eth0,bridge=vmbr0,ip=dhcp',
      undefined,
      [
        ['name', 'eth0'],
        ['bridge', 'vmbr0'],
        ['ip', 'dhcp'],
      ],
    ],
    [
      'local-lvm:vm-101-disk-0,size=8G',
      'volume',
      [
        ['volume', 'local-lvm:vm-101-disk-0'],
        ['size', '8G'],
      ],
    ],
    ['3', 'order', [['order', '3']]],
    [
      'virtio=BC:24:11:00:00:01,bridge=vmbr0',
      undefined,
      [
        ['virtio', 'BC:24:11:00:00:01'],
        ['bridge', 'vmbr0'],
      ],
    ],
    [
      'nesting=1,mount=nfs;cifs',
      undefined,
      [
        ['nesting', '1'],
        ['mount', 'nfs;cifs'],
      ],
    ],
  ] as const)('%s', (text, defaultKey, entries) => {
    const map = parseProps(text, defaultKey);
    expect([...map]).toEqual(entries);
    expect(printProps(map, defaultKey)).toBe(text);
  });

  it('reads an explicit default key and writes it bare', () => {
    const map = parseProps('order=3,up=30,down=60', 'order');
    expect([...map]).toEqual([
      ['order', '3'],
      ['up', '30'],
      ['down', '60'],
    ]);
    expect(printProps(map, 'order')).toBe('3,up=30,down=60');
  });

  it('writes the default key bare and first', () => {
    const map = new Map([
      ['size', '8G'],
      ['volume', 'local-lvm:8'],
    ]);
    expect(printProps(map, 'volume')).toBe('local-lvm:8,size=8G');
  });
});

describe('parsePctList', () => {
  it('reads padded rows, with and without a lock', () => {
    const out = [
      'VMID       Status     Lock         Name                ',
      '100        running                 web                 ',
      '101        stopped    create       CT101               ',
      '950        stopped                 a-very-long-hostname-beyond-twenty.example.com',
      '',
    ].join('\n');
    expect(parsePctList(out)).toEqual([
      { id: 100, status: 'running', name: 'web' },
      { id: 101, status: 'stopped', lock: 'create', name: 'CT101' },
      { id: 950, status: 'stopped', name: 'a-very-long-hostname-beyond-twenty.example.com' },
    ]);
  });

  it('reads no output as no containers', () => {
    expect(parsePctList('')).toEqual([]);
  });
});

describe('parseQmList', () => {
  it('reads rows, including the default name with a space', () => {
    const out = [
      '      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       ',
      '       100 web                  running    2048              32.00 12345     ',
      '      9000 VM 9000              stopped    512                0.00 0         ',
      '',
    ].join('\n');
    expect(parseQmList(out)).toEqual([
      { id: 100, name: 'web', status: 'running', memMb: 2048, bootDiskGb: 32, pid: 12345 },
      { id: 9000, name: 'VM 9000', status: 'stopped', memMb: 512, bootDiskGb: 0, pid: 0 },
    ]);
  });

  it('reads no output as no VMs', () => {
    expect(parseQmList('')).toEqual([]);
  });
});

describe('parsePvesmStatus', () => {
  const rows = [
    'local             dir     active        98497780        10123456        83321234   10.28%',
    'local-lvm     lvmthin     active       366878720        12345678       354533042    3.37%',
    'nfs-off           nfs   disabled               0               0               0      N/A',
  ];
  it.each([
    [
      'PVE 9.1+ header',
      'Name             Type     Status     Total (KiB)      Used (KiB) Available (KiB)        %',
    ],
    [
      'PVE 8 header',
      'Name             Type     Status           Total            Used       Available        %',
    ],
  ])('%s', (_label, header) => {
    const parsed = parsePvesmStatus([header, ...rows, ''].join('\n'));
    expect(parsed.map((r) => r.name)).toEqual(['local', 'local-lvm', 'nfs-off']);
    expect(parsed[0]).toEqual({
      name: 'local',
      type: 'dir',
      status: 'active',
      totalKiB: 98497780,
      usedKiB: 10123456,
      availableKiB: 83321234,
      usedPercent: 10.28,
    });
    expect(parsed[2]?.status).toBe('disabled');
    expect(parsed[2]?.usedPercent).toBeUndefined();
  });
});

describe('parsePveamList', () => {
  it('reads volids and sizes', () => {
    const out = [
      'NAME                                                         SIZE  ',
      'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst         120.17MB',
      '',
    ].join('\n');
    expect(parsePveamList(out)).toEqual([
      { volid: 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst', sizeMb: 120.17 },
    ]);
  });
});

describe('parseListSnapshot', () => {
  it('reads the tree without the current pseudo-entry', () => {
    const out = [
      '`-> snap1                       2025-01-02 03:04:05     no-description',
      ' `-> golden                     2025-01-03 03:04:05     ready for clones',
      '  `-> current                                           You are here!',
      '',
    ].join('\n');
    expect(parseListSnapshot(out)).toEqual([
      { name: 'snap1', depth: 0, time: '2025-01-02 03:04:05', description: 'no-description' },
      { name: 'golden', depth: 1, time: '2025-01-03 03:04:05', description: 'ready for clones' },
    ]);
  });

  it('reads a guest without snapshots', () => {
    expect(
      parseListSnapshot('`-> current                                            You are here!\n'),
    ).toEqual([]);
  });
});

describe('pvesh json', () => {
  it('turns a config into strings and raw lxc pairs, dropping the digest', () => {
    const data = { cores: 2, hostname: 'web', digest: 'abc', lxc: [['lxc.apparmor.profile', 'unconfined']] };
    expect(configFromPveshJson(data)).toEqual({
      main: { cores: '2', hostname: 'web' },
      rawLxc: [['lxc.apparmor.profile', 'unconfined']],
    });
  });

  it('lists snapshot names without current', () => {
    const data = [
      { name: 'current', description: 'You are here!', running: 1, parent: 'golden' },
      { name: 'golden', snaptime: 1735787045, description: '' },
    ];
    expect(snapshotNamesFromPveshJson(data)).toEqual(['golden']);
  });
});

describe('parseGuestExec', () => {
  it('reads the guest exit code from pretty JSON', () => {
    const out = '{\n   "exitcode" : 3,\n   "exited" : 1,\n   "err-data" : "boom\\n"\n}\n';
    expect(parseGuestExec(out)).toEqual({
      ok: true,
      value: { exitcode: 3, exited: true, errData: 'boom\n' },
    });
  });

  it('reads the pid object printed on timeout', () => {
    expect(parseGuestExec('{\n   "pid" : 4242\n}\n')).toEqual({ ok: true, value: { pid: 4242 } });
  });

  it('reports output that is not JSON', () => {
    expect(parseGuestExec('QEMU guest agent is not running').ok).toBe(false);
  });
});

// pve-installer Proxmox/Install/StorageConfig.pm (what a fresh install writes) and pve-storage Plugin.pm
// parse_config (plugin default content, the built-in `local`): docs/proxmox-facts.md, "Storage content".
describe('parseStorageCfg', () => {
  it('reads the storages a fresh PVE 9 install writes', () => {
    const text =
      'dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup,import\n\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n';
    expect(parseStorageCfg(text)).toEqual([
      {
        id: 'local',
        type: 'dir',
        path: '/var/lib/vz',
        content: ['iso', 'vztmpl', 'backup', 'import'],
        disabled: false,
      },
      { id: 'local-lvm', type: 'lvmthin', content: ['rootdir', 'images'], disabled: false },
    ]);
  });

  it('gives a section without content its type default, and a file without local the built-in one', () => {
    const parsed = parseStorageCfg('zfspool: tank\n\tpool tank/data\n\tdisable\n');
    expect(parsed).toEqual([
      {
        id: 'local',
        type: 'dir',
        path: '/var/lib/vz',
        content: ['backup', 'images', 'iso', 'rootdir', 'snippets', 'vztmpl'],
        disabled: false,
      },
      { id: 'tank', type: 'zfspool', content: ['images', 'rootdir'], disabled: true },
    ]);
  });
});
