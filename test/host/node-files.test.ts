// The node's own files as the live read uses them: a root laid out by hand as a Proxmox node has it (pmxcfs'
// /etc/pve, /proc, /var/run/qemu-server), read with no process; and every case where the files cannot answer,
// which must fall back to the listings and say why.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandFailure, CommandResult, HostExec } from '../../src/host/host.js';
import {
  activeContainers,
  createNodeFiles,
  isLiveStat,
  isVmCommandLine,
  parsePidfile,
  parseVmlist,
} from '../../src/host/node-files.js';
import type { NodeFiles } from '../../src/host/node-files.js';
import { readLiveState } from '../../src/host/read-live.js';
import { ok, type Result } from '../../src/result.js';

const UNIX_HEADER = 'Num       RefCount Protocol Flags    Type St Inode Path';
const socketLine = (path: string, inode = 4711): string =>
  `0000000000000000: 00000002 00000000 00010000 0001 01 ${inode} ${path}`;
const kvm = (id: number, pidfile = `/var/run/qemu-server/${id}.pid`): string =>
  [
    '/usr/bin/kvm',
    '-id',
    String(id),
    '-name',
    `vm${id},debug-threads=on`,
    '-no-shutdown',
    '-pidfile',
    pidfile,
    '-daemonize',
    '',
  ].join('\0');
const stat = (pid: number, state = 'S'): string =>
  `${pid} (kvm) ${state} 1 ${pid} ${pid} 0 -1 138412352 52100 0 12 0 830 240 0 0 20 0 9 0 6191257 4731609088 261244 18446744073709551615 1 1 0 0 0 0 0 4096 16963 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n`;

interface NodeLayout {
  local?: string;
  vmlist?: string | Record<string, { node: string; type: string }>;
  unix?: string[];
  /** VM id -> pid file text; pid -> {cmdline, stat}. */
  pidfiles?: Record<number, string>;
  procs?: Record<number, { cmdline: string; stat?: string }>;
  /** Leave out var/run/qemu-server. */
  noPidDir?: boolean;
}

const roots: string[] = [];

/** A root as a node shows it. */
function nodeRoot(layout: NodeLayout): string {
  const root = mkdtempSync(join(tmpdir(), 'phx-node-'));
  roots.push(root);
  const write = (rel: string, text: string): void => {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  mkdirSync(join(root, 'etc', 'pve', 'nodes', 'pve'), { recursive: true });
  if (layout.local !== '') symlinkSync(layout.local ?? 'nodes/pve', join(root, 'etc', 'pve', 'local'));
  const vmlist = layout.vmlist;
  if (typeof vmlist === 'string') write('etc/pve/.vmlist', vmlist);
  else if (vmlist) {
    const rows = Object.entries(vmlist).map(
      ([id, r], i) => `"${id}": { "node": "${r.node}", "type": "${r.type}", "version": ${i + 1} }`,
    );
    write('etc/pve/.vmlist', `{\n"version": 7,\n"ids": {\n${rows.join(',\n')}}\n\n}\n`);
  }
  if (layout.unix) write('proc/net/unix', [UNIX_HEADER, ...layout.unix, ''].join('\n'));
  if (!layout.noPidDir) mkdirSync(join(root, 'var', 'run', 'qemu-server'), { recursive: true });
  for (const [id, text] of Object.entries(layout.pidfiles ?? {}))
    write(`var/run/qemu-server/${id}.pid`, text);
  for (const [pid, p] of Object.entries(layout.procs ?? {})) {
    write(`proc/${pid}/cmdline`, p.cmdline);
    if (p.stat !== undefined) write(`proc/${pid}/stat`, p.stat);
  }
  return root;
}

/** A node with containers 900 (stopped), 950 (running), VMs 8000-8006 in every pid-file state, 970 elsewhere. */
const BUSY_NODE: NodeLayout = {
  vmlist: {
    '900': { node: 'pve', type: 'lxc' },
    '950': { node: 'pve', type: 'lxc' },
    '970': { node: 'pve2', type: 'lxc' },
    '8000': { node: 'pve', type: 'qemu' },
    '8001': { node: 'pve', type: 'qemu' },
    '8002': { node: 'pve', type: 'qemu' },
    '8003': { node: 'pve', type: 'qemu' },
    '8004': { node: 'pve', type: 'qemu' },
    '8005': { node: 'pve', type: 'qemu' },
    '8006': { node: 'pve', type: 'qemu' },
    '8100': { node: 'pve2', type: 'qemu' },
    '300': { node: 'pve', type: 'openvz' },
  },
  unix: [
    socketLine('/run/systemd/private'),
    '0000000000000000: 00000003 00000000 00000000 0001 03 24117',
    socketLine('@/var/lib/lxc/950/command'),
    socketLine('@/var/lib/lxc/970/command'), // another node's id cannot run here; the row decides
    socketLine('@/var/lib/lxc/900/command/extra'),
    socketLine('/var/lib/lxc/900/command'), // not abstract
  ],
  pidfiles: {
    8001: '31001\n', // running
    8002: '31002\n', // process gone
    8003: '31003\n', // pid reused by another program
    8004: '31004\n', // a kvm, but another VM's pid file
    8005: '31005\n', // zombie
    8006: 'garbage\n',
  },
  procs: {
    31001: { cmdline: kvm(8001), stat: stat(31001) },
    31003: { cmdline: ['/usr/bin/sleep', '100', ''].join('\0'), stat: stat(31003) },
    31004: { cmdline: kvm(8001), stat: stat(31004) },
    31005: { cmdline: kvm(8005), stat: stat(31005, 'Z') },
  },
};

describe('the node files, read as pct list / qm list read them', () => {
  it('lists this node’s guests with their run state, stale pid files reading as stopped', async () => {
    const r = await createNodeFiles(nodeRoot(BUSY_NODE), 'pve').listLocalGuests(['lxc', 'vm'], [950, 8001]);
    expect(r.ok, r.ok ? '' : r.error).toBe(true);
    if (!r.ok) return;
    const byId = Object.fromEntries(r.value.guests.map((g) => [g.id, `${g.kind} ${g.status}`]));
    expect(byId).toEqual({
      900: 'lxc stopped',
      950: 'lxc running',
      8000: 'vm stopped',
      8001: 'vm running',
      8002: 'vm stopped',
      8003: 'vm stopped',
      8004: 'vm stopped',
      8005: 'vm stopped',
      8006: 'vm stopped',
    });
  });

  it('reads only the kinds asked for (no pid directory needed for containers alone)', async () => {
    const root = nodeRoot({ ...BUSY_NODE, noPidDir: true, pidfiles: {}, procs: {} });
    const r = await createNodeFiles(root, 'pve').listLocalGuests(['lxc'], []);
    expect(r.ok && r.value.guests.map((g) => g.id)).toEqual([900, 950]);
  });

  it('reads a cluster without guests (pmxcfs then prints no ids key)', async () => {
    const root = nodeRoot({ vmlist: '{\n"version": 5\n\n}\n', unix: [] });
    const r = await createNodeFiles(root, 'pve').listLocalGuests(['lxc', 'vm'], [950]);
    expect(r.ok && r.value.guests).toEqual([]);
  });

  it.each<[string, NodeLayout, readonly number[], RegExp]>([
    [
      '/etc/pve is not mounted',
      { ...BUSY_NODE, local: '' },
      [],
      /etc\/pve\/local cannot be read.*not mounted/,
    ],
    [
      'this machine is another node',
      { ...BUSY_NODE, local: 'nodes/pve2' },
      [],
      /this machine is node pve2, not node pve/,
    ],
    ['.vmlist is missing', { ...BUSY_NODE, vmlist: undefined }, [], /\.vmlist cannot be read \(ENOENT\)/],
    [
      '.vmlist is not JSON',
      { ...BUSY_NODE, vmlist: '{"version": 3,' },
      [],
      /\.vmlist cannot be used: it is not JSON/,
    ],
    ['/proc/net/unix is missing', { ...BUSY_NODE, unix: undefined }, [], /proc\/net\/unix cannot be read/],
    [
      'the pid directory is missing',
      { ...BUSY_NODE, noPidDir: true, pidfiles: {} },
      [],
      /qemu-server cannot be read/,
    ],
    ['a requested guest is on another node', BUSY_NODE, [950, 970], /guest 970 is on node pve2/],
  ])('cannot answer when %s', async (_, layout, ids, why) => {
    const r = await createNodeFiles(nodeRoot(layout), 'pve').listLocalGuests(['lxc', 'vm'], ids);
    expect(r.ok ? 'answered' : r.error).toMatch(why);
  });
});

describe('the parsers, against Proxmox’s own patterns', () => {
  it('.vmlist: version required, rows need node and type', () => {
    expect(parseVmlist('{"version": 1, "ids": {"9": {"node": "a", "type": "lxc", "version": 2}}}')).toEqual(
      ok(new Map([[9, { node: 'a', type: 'lxc' }]])),
    );
    expect(parseVmlist('{"ids": {}}').ok).toBe(false);
    expect(parseVmlist('{"version": 1, "ids": {"9": {"node": "a"}}}').ok).toBe(false);
  });

  it('/proc/net/unix: only well-formed lines naming an abstract LXC command socket', () => {
    const text = [
      UNIX_HEADER,
      socketLine('@/var/lib/lxc/101/command'),
      socketLine('@/var/lib/lxc/102/command', 7).replace(' 7 ', ' x7 '), // inode not decimal
      '0000000000000000: 00000002 00000000 00010000 0001 01 4711 @/var/lib/lxc/103/command extra',
      socketLine('@/var/lib/lxc/abc/command'),
    ].join('\n');
    expect([...activeContainers(text)]).toEqual([101]);
  });

  it('pid file, command line and stat as qemu-server and ProcFSTools read them', () => {
    expect(parsePidfile('4242\n')).toBe(4242);
    expect(parsePidfile('4242')).toBe(4242);
    expect(parsePidfile(' 4242\n')).toBeUndefined();
    expect(isVmCommandLine(kvm(100), '/var/run/qemu-server/100.pid')).toBe(true);
    expect(
      isVmCommandLine(
        kvm(100).replace('/usr/bin/kvm', '/usr/bin/qemu-system-x86_64'),
        '/var/run/qemu-server/100.pid',
      ),
    ).toBe(true);
    expect(isVmCommandLine(kvm(100).replace('-pidfile', '--pidfile'), '/var/run/qemu-server/100.pid')).toBe(
      true,
    );
    expect(isVmCommandLine(kvm(100), '/var/run/qemu-server/101.pid')).toBe(false);
    expect(
      isVmCommandLine(kvm(100).replace('/usr/bin/kvm', '/usr/bin/qemu'), '/var/run/qemu-server/100.pid'),
    ).toBe(false);
    expect(isLiveStat(stat(7), 7)).toBe(true);
    expect(isLiveStat(stat(7, 'Z'), 7)).toBe(false);
    expect(isLiveStat(stat(7).replace('(kvm)', '(a) b (c)'), 7)).toBe(true);
    expect(isLiveStat(stat(7), 8)).toBe(false);
  });
});

/** A host that fails every command it is asked to run, and records it. */
function noCommandHost(files?: NodeFiles): HostExec & Partial<NodeFiles> & { calls: string[] } {
  const calls: string[] = [];
  return {
    node: 'pve',
    calls,
    run(argv): Promise<Result<CommandResult, CommandFailure>> {
      calls.push(argv.join(' '));
      const lines: Record<string, string> = {
        'pct list': 'VMID       Status     Lock         Name\n950        running                 web\n',
        'qm list': '',
      };
      const stdout = lines[argv.join(' ')] ?? '';
      return Promise.resolve(ok({ argv, exitCode: 0, stdout, stderr: '', durationMs: 1 }));
    },
    readGuest: () => Promise.resolve(undefined),
    readGuestConfig: () => Promise.resolve(undefined),
    editGuestConfig: () => Promise.reject(new Error('read-only test host')),
    withFiles: () => Promise.reject(new Error('read-only test host')),
    writeHostFile: () => Promise.reject(new Error('read-only test host')),
    statHostPath: () => Promise.resolve(undefined),
    readHostFile: () => Promise.resolve(undefined),
    ensureHostDir: () => Promise.reject(new Error('read-only test host')),
    ...(files && { listLocalGuests: files.listLocalGuests.bind(files) }),
  };
}

describe('readLiveState on a node', () => {
  it('starts no process and says where it read from', async () => {
    const root = nodeRoot(BUSY_NODE);
    const host = noCommandHost(createNodeFiles(root, 'pve'));
    const notes: string[] = [];
    const r = await readLiveState(host, { ids: [], note: (l) => notes.push(l) });
    expect(host.calls).toEqual([]);
    expect(r.ok && r.value.guests.get(8001)).toEqual({
      id: 8001,
      kind: 'vm',
      status: 'running',
      template: false,
    });
    expect(notes).toEqual([
      `live state: read from ${join(root, 'etc/pve/.vmlist')}, ${join(root, 'proc/net/unix')}, ${join(root, 'var/run/qemu-server')}/<id>.pid (no process started)`,
    ]);
  });

  it('falls back to the listings, saying why, when the files cannot answer', async () => {
    const host = noCommandHost(createNodeFiles(nodeRoot({ ...BUSY_NODE, local: 'nodes/pve2' }), 'pve'));
    const notes: string[] = [];
    const r = await readLiveState(host, { ids: [], note: (l) => notes.push(l) });
    expect(host.calls.sort()).toEqual(['pct list', 'qm list']);
    expect([...(r.ok ? r.value.guests.keys() : [])]).toEqual([950]);
    expect(notes).toEqual([
      'live state: pct list and qm list, because this machine is node pve2, not node pve',
    ]);
  });

  it('falls back on a host without node files (another transport), listing only the kinds asked for', async () => {
    const host = noCommandHost();
    const notes: string[] = [];
    await readLiveState(host, { ids: [], kinds: ['lxc'], note: (l) => notes.push(l) });
    expect(host.calls).toEqual(['pct list']);
    expect(notes).toEqual(['live state: pct list, because this host offers no node files']);
  });

  it('reads nothing at all when no kind is asked for', async () => {
    const host = noCommandHost(createNodeFiles('/nonexistent-root', 'pve'));
    const r = await readLiveState(host, { ids: [], kinds: [] });
    expect(host.calls).toEqual([]);
    expect(r.ok && r.value.guests.size).toBe(0);
  });
});

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});
