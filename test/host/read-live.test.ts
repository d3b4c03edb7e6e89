import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CommandFailure, CommandResult, HostExec } from '../../src/host/host.js';
import {
  createConfigFileReader,
  guestConfigPath,
  HostReadError,
  incarnationOf,
  readGuestConfigLive,
  readGuestLive,
  readLiveState,
} from '../../src/host/read-live.js';
import type { ConfigFileReader } from '../../src/host/read-live.js';
import { err, ok } from '../../src/result.js';
import type { Result } from '../../src/result.js';
import type { Argv } from '../../src/tasks/step.js';
import { tempDir } from '../support/temp-dirs.js';

const PCT_LIST = [
  'VMID       Status     Lock         Name                ',
  '900        stopped                 tmpl                ',
  '950        running                 web                 ',
  '951        stopped    create       clone               ',
  '',
].join('\n');
const QM_LIST = [
  '      VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID       ',
  '      8000 ubuntu-tmpl          stopped    2048              32.00 0         ',
  '      8001 app                  running    4096              32.00 4242      ',
  '',
].join('\n');

const CONFS: Record<string, string> = {
  'lxc/900':
    'hostname: tmpl\nmemory: 512\nnet0: name=eth0,bridge=vmbr0,hwaddr=bc:24:11:00:00:01,ip=dhcp,type=veth\nparent: golden\nrootfs: local-lvm:vm-900-disk-0,size=8G\n\n[golden]\nhostname: tmpl\nsnaptime: 1735787045\n',
  'lxc/950':
    'hostname: web\nmemory: 2048\nnet0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:02,ip=dhcp,type=veth\nrootfs: local-lvm:vm-950-disk-0,size=16G\nlxc.apparmor.profile: unconfined\n',
  'lxc/951': 'hostname: clone\nlock: create\nmemory: 512\n',
  'qemu-server/8000':
    'memory: 2048\nname: ubuntu-tmpl\nsmbios1: uuid=11111111-2222-3333-4444-555555555555\ntemplate: 1\n',
  'qemu-server/8001':
    'lock: snapshot\nmemory: 4096\nname: app\nsmbios1: uuid=aaaaaaaa-2222-3333-4444-555555555555\n',
};

function pveRootWithConfs(): string {
  const root = tempDir('phx-pve-');
  for (const [rel, text] of Object.entries(CONFS)) {
    const [dir, id] = rel.split('/');
    const path = guestConfigPath(root, 'pve', dir === 'lxc' ? 'lxc' : 'vm', Number(id));
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  return root;
}

type Responder = (argv: Argv) => Result<string, string> | undefined;

/** A fake host answering from canned outputs; records every command it is asked to run. */
function fakeHost(
  respond: Responder,
  reader?: ConfigFileReader,
): HostExec & Partial<ConfigFileReader> & { calls: string[] } {
  const calls: string[] = [];
  const host: HostExec & Partial<ConfigFileReader> & { calls: string[] } = {
    node: 'pve',
    calls,
    editGuestConfig: () => Promise.reject(new Error('read-only test host')),
    writeHostFile: () => Promise.reject(new Error('read-only test host')),
    statHostPath: () => Promise.resolve(undefined),
    readHostFile: () => Promise.resolve(undefined),
    ensureHostDir: () => Promise.reject(new Error('read-only test host')),
    run(argv): Promise<Result<CommandResult, CommandFailure>> {
      calls.push(argv.join(' '));
      const r = respond(argv) ?? err(`unexpected command ${argv.join(' ')}`);
      if (r.ok) return Promise.resolve(ok({ argv, exitCode: 0, stdout: r.value, stderr: '', durationMs: 1 }));
      return Promise.resolve(
        err({
          reason: 'exit-non-zero',
          argv,
          exitCode: 255,
          stderrTail: r.error,
          message: `${argv.join(' ')} failed: ${r.error}`,
        }),
      );
    },
    readGuest: () => Promise.resolve(undefined),
    readGuestConfig: () => Promise.resolve(undefined),
    withFiles: () => Promise.reject(new Error('read-live writes no files')),
  };
  if (reader) host.readGuestConfigFile = reader.readGuestConfigFile.bind(reader);
  return host;
}

const listings: Responder = (argv) => {
  const cmd = argv.join(' ');
  if (cmd === 'pct list') return ok(PCT_LIST);
  if (cmd === 'qm list') return ok(QM_LIST);
  if (cmd === 'pvesm status') {
    return ok(
      'Name Type Status Total Used Available %\nlocal dir active 10 1 9 10.00%\nlocal-lvm lvmthin active 10 1 9 10.00%\n',
    );
  }
  return undefined;
};

describe('readLiveState', () => {
  it('reads N guests with exactly two processes when the config files are readable', async () => {
    const host = fakeHost(listings, createConfigFileReader(pveRootWithConfs(), 'pve'));
    const r = await readLiveState(host, { ids: [900, 950, 951, 8000, 8001] });
    expect(r.ok).toBe(true);
    expect(host.calls.sort()).toEqual(['pct list', 'qm list']);
    if (!r.ok) return;
    const g = r.value.guests;
    expect(g.get(950)).toMatchObject({
      kind: 'lxc',
      status: 'running',
      template: false,
      snapshots: [],
      rawLxc: [['lxc.apparmor.profile', 'unconfined']],
      incarnation: 'ct:BC:24:11:00:00:02/local-lvm:vm-950-disk-0',
    });
    expect(g.get(950)?.config?.memory).toBe('2048');
    expect(g.get(900)?.snapshots).toEqual(['golden']);
    expect(g.get(951)?.lock).toBe('create');
    expect(g.get(8000)).toMatchObject({ kind: 'vm', template: true, status: 'stopped' });
    expect(g.get(8001)).toMatchObject({
      lock: 'snapshot',
      incarnation: 'vm:aaaaaaaa-2222-3333-4444-555555555555',
    });
    expect(r.value.storages).toBeUndefined();
  });

  it('lists guests it was not asked about without reading their config (nor their lock)', async () => {
    const host = fakeHost(listings, createConfigFileReader(pveRootWithConfs(), 'pve'));
    const r = await readLiveState(host, { ids: [950] });
    expect(r.ok && r.value.guests.get(8001)).toEqual({
      id: 8001,
      kind: 'vm',
      status: 'running',
      template: false,
    });
    // `pct list` shows 951's lock, the node's files do not: neither path reports it for a guest not asked about.
    expect(r.ok && r.value.guests.get(951)).toEqual({
      id: 951,
      kind: 'lxc',
      status: 'stopped',
      template: false,
    });
  });

  it('reads storages only when asked, in the same round of calls', async () => {
    const host = fakeHost(listings);
    const r = await readLiveState(host, { ids: [], storages: true, kinds: ['lxc'] });
    expect(host.calls.sort()).toEqual(['pct list', 'pvesm status']);
    expect(r.ok && [...(r.value.storages ?? [])]).toEqual(['local', 'local-lvm']);
  });

  it('reads an empty host (no output from the listings)', async () => {
    const host = fakeHost((argv) => (argv[1] === 'list' ? ok('') : undefined));
    const r = await readLiveState(host, { ids: [950] });
    expect(r.ok && r.value.guests.size).toBe(0);
    expect(host.calls).toHaveLength(2);
  });

  it('falls back to pct config + listsnapshot when the config file cannot be read (off-host)', async () => {
    const host = fakeHost(
      (argv) => {
        const cmd = argv.join(' ');
        if (cmd === 'pct config 900 --current')
          return ok('hostname: tmpl\nmemory: 512\nparent: golden\ntemplate: 1\nlxc.mount.auto: proc:rw\n');
        if (cmd === 'pct pending 900') return ok('cur hostname: tmpl\ncur memory: 512\nnew memory: 1024\n');
        if (cmd === 'pct listsnapshot 900') {
          return ok(
            '`-> golden                      2025-01-02 03:04:05     no-description\n `-> current                                           You are here!\n',
          );
        }
        return listings(argv);
      },
      createConfigFileReader('/nonexistent-root', 'pve'),
    );
    const r = await readLiveState(host, { ids: [900] });
    expect(host.calls.sort()).toEqual([
      'pct config 900 --current',
      'pct list',
      'pct listsnapshot 900',
      'pct pending 900',
      'qm list',
    ]);
    expect(r.ok && r.value.guests.get(900)).toMatchObject({
      config: { memory: '512' },
      pending: { set: { memory: '1024' }, delete: [] },
      template: true,
      snapshots: ['golden'],
      rawLxc: [['lxc.mount.auto', 'proc:rw']],
    });
  });

  it('drops a guest deleted between the listing and the config read', async () => {
    const host = fakeHost((argv) => {
      if (argv[1] === 'config' || argv[1] === 'listsnapshot') {
        return err("Configuration file 'nodes/pve/lxc/950.conf' does not exist");
      }
      return listings(argv);
    });
    const r = await readLiveState(host, { ids: [950] });
    expect(r.ok && r.value.guests.has(950)).toBe(false);
  });

  it('returns the failure when a listing fails', async () => {
    const host = fakeHost((argv) =>
      argv[0] === 'qm' ? err('ipcc_send_rec[1] failed: Connection refused') : listings(argv),
    );
    const r = await readLiveState(host, { ids: [] });
    expect(!r.ok && r.error.stderrTail).toMatch(/Connection refused/);
  });
});

describe('readGuestLive (HostExec.readGuest)', () => {
  it('costs one status call when the config file is readable', async () => {
    const host = fakeHost(
      (argv) => (argv.join(' ') === 'pct status 950' ? ok('status: running\n') : undefined),
      createConfigFileReader(pveRootWithConfs(), 'pve'),
    );
    const g = await readGuestLive(host, 'lxc', 950);
    expect(host.calls).toEqual(['pct status 950']);
    expect(g).toMatchObject({ id: 950, kind: 'lxc', status: 'running', snapshots: [] });
  });

  it('is undefined for a guest that does not exist', async () => {
    const host = fakeHost(() => err("Configuration file 'nodes/pve/qemu-server/123.conf' does not exist"));
    expect(await readGuestLive(host, 'vm', 123)).toBeUndefined();
  });

  it('throws HostReadError when the host cannot be asked', async () => {
    const host = fakeHost(() => err('ipcc_send_rec failed'));
    await expect(readGuestLive(host, 'vm', 123)).rejects.toBeInstanceOf(HostReadError);
  });
});

describe('readGuestConfigLive (HostExec.readGuestConfig)', () => {
  const noCommands: Responder = () => undefined;

  it('answers from the config file alone: no process, no run state', async () => {
    const host = fakeHost(noCommands, createConfigFileReader(pveRootWithConfs(), 'pve'));
    const g = await readGuestConfigLive(host, 'lxc', 900);
    expect(host.calls).toEqual([]);
    expect(g).toMatchObject({ id: 900, kind: 'lxc', template: false, snapshots: ['golden'] });
    expect(g && 'status' in g).toBe(false);
    expect((await readGuestConfigLive(host, 'vm', 8000))?.template).toBe(true);
  });

  // pve-container PVE/LXC/Config.pm write_pct_config / vmconfig_hotplug_pending (docs/proxmox-facts.md, "Pending
  // changes"): a change a running guest cannot take stays in [pve:pending] until its next start.
  it('keeps the values the guest runs with apart from the pending ones', async () => {
    const root = pveRootWithConfs();
    writeFileSync(
      guestConfigPath(root, 'pve', 'lxc', 950),
      'features: nesting=0\nhostname: web\nmemory: 2048\nswap: 512\n\n[pve:pending]\ndelete: swap\nfeatures: nesting=1\n',
    );
    const g = await readGuestConfigLive(
      fakeHost(noCommands, createConfigFileReader(root, 'pve')),
      'lxc',
      950,
    );
    expect(g?.config).toEqual({ features: 'nesting=0', hostname: 'web', memory: '2048', swap: '512' });
    expect(g?.pending).toEqual({ set: { features: 'nesting=1' }, delete: ['swap'] });
  });

  it('knows a guest is absent when its folder is readable but has no file', async () => {
    const host = fakeHost(noCommands, createConfigFileReader(pveRootWithConfs(), 'pve'));
    expect(await readGuestConfigLive(host, 'lxc', 977)).toBeUndefined();
    expect(await readGuestLive(host, 'vm', 8077)).toBeUndefined();
    expect(host.calls).toEqual([]);
  });

  it('off the node asks pct config, then listsnapshot only when the guest exists; never status', async () => {
    const host = fakeHost(
      (argv) => {
        const cmd = argv.join(' ');
        if (cmd === 'pct config 950 --current') return ok('hostname: web\nmemory: 2048\n');
        if (cmd === 'pct pending 950') return ok('cur hostname: web\ncur memory: 2048\n');
        if (cmd === 'pct listsnapshot 950')
          return ok('`-> current                                    You are here!\n');
        if (cmd === 'pct config 977 --current')
          return err("Configuration file 'nodes/pve/lxc/977.conf' does not exist");
        return undefined;
      },
      createConfigFileReader('/nonexistent-root', 'pve'),
    );
    expect(await readGuestConfigLive(host, 'lxc', 950)).toMatchObject({ config: { memory: '2048' } });
    expect(await readGuestConfigLive(host, 'lxc', 977)).toBeUndefined();
    expect(host.calls).toEqual([
      'pct config 950 --current',
      'pct pending 950',
      'pct listsnapshot 950',
      'pct config 977 --current',
    ]);
  });

  it('throws HostReadError when the host cannot be asked', async () => {
    const host = fakeHost(() => err('ipcc_send_rec failed'));
    await expect(readGuestConfigLive(host, 'vm', 123)).rejects.toBeInstanceOf(HostReadError);
  });
});

describe('incarnationOf', () => {
  it('uses the VM smbios1 uuid', () => {
    expect(incarnationOf('vm', { smbios1: 'uuid=abc-def,manufacturer=x' })).toBe('vm:abc-def');
    expect(incarnationOf('vm', {})).toBeUndefined();
  });

  it('uses the CT MAC and rootfs volume, unchanged by templating or resizing', () => {
    const before = incarnationOf('lxc', {
      net0: 'name=eth0,bridge=vmbr0,hwaddr=bc:24:11:00:00:01,type=veth',
      rootfs: 'local-lvm:vm-900-disk-0,size=8G',
    });
    const after = incarnationOf('lxc', {
      net0: 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:01,type=veth',
      rootfs: 'local-lvm:base-900-disk-0,size=16G',
    });
    expect(before).toBe('ct:BC:24:11:00:00:01/local-lvm:vm-900-disk-0');
    expect(after).toBe(before);
  });

  it('tells a re-created CT (new MAC) apart', () => {
    const a = incarnationOf('lxc', {
      net0: 'name=eth0,hwaddr=BC:24:11:00:00:01',
      rootfs: 'local-lvm:vm-9-disk-0',
    });
    const b = incarnationOf('lxc', {
      net0: 'name=eth0,hwaddr=BC:24:11:00:00:02',
      rootfs: 'local-lvm:vm-9-disk-0',
    });
    expect(a).not.toBe(b);
  });
});
