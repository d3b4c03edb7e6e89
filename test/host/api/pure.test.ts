// The api transport's pure parts: UPIDs, the API's loose types, the retry rule, the certificate pin's format, and
// the argv -> endpoint mapping (checked against the simulated API's own inverse mapping, so the two cannot drift).
import { describe, expect, it } from 'vitest';
import { dispatchRetryable, envelope } from '../../../src/host/api/client.js';
import { routeCommand, type RouteContext } from '../../../src/host/api/commands.js';
import { bool01, clusterResources, numeric } from '../../../src/host/api/schemas.js';
import { parseUpid, poll } from '../../../src/host/api/tasks.js';
import { normalizeFingerprint } from '../../../src/host/api/tls.js';
import { clusterView } from '../../../src/host/api/view.js';
import { followMoved, placeGuests } from '../../../src/host/api/placement.js';
import { resolveApiAccess } from '../../../src/engine/api-access.js';
import type { ResolvedOptions } from '../../../src/engine/context.js';
import { writeAction } from '../../../simulator/src/api/routes.js';
import { readGuestDetails, type KnownSnapshots } from '../../../src/host/api/live.js';
import type { ApiClient } from '../../../src/host/api/client.js';
import { ok } from '../../../src/result.js';

describe('the poll loop (tasks, templates, agent commands)', () => {
  it('asks until an answer, stops before a pause past the budget, and stops when a pause is cancelled', async () => {
    const pauses: number[] = [];
    const sleep = (ms: number) => (pauses.push(ms), Promise.resolve(true));
    expect(
      await poll((n) => Promise.resolve(n === 3 ? 'done' : undefined), { budgetMs: 60_000, sleep }),
    ).toEqual({
      done: 'done',
    });
    expect(pauses).toEqual([50, 100, 200]);
    expect(await poll(() => Promise.resolve(undefined), { budgetMs: 10, sleep })).toMatchObject({
      kind: 'timeout',
    });
    const cancelled = await poll(() => Promise.resolve(undefined), {
      budgetMs: 60_000,
      sleep: () => Promise.resolve(false),
    });
    expect(cancelled).toEqual({ kind: 'cancelled' });
  });
});

describe('UPIDs (pve-common PVE/UPID.pm decode)', () => {
  it('reads node, type, worker ID and start time; the ID may be empty and pstart 9 digits', () => {
    const u = parseUpid('UPID:pve2:0001A2B3:00C0FFEE:66F0A1B2:vzclone:9000:phoenix@pve!fleet:');
    expect(u).toMatchObject({ node: 'pve2', type: 'vzclone', id: '9000', starttime: 0x66f0a1b2 });
    expect(parseUpid('UPID:pve1:0001A2B3:1C0FFEE00:66F0A1B2:aptupdate::root@pam:')?.id).toBe('');
  });
  it('refuses what decode refuses: no trailing colon, a short pid, a bad node name', () => {
    expect(parseUpid('UPID:pve2:0001A2B3:00C0FFEE:66F0A1B2:vzclone:9000:root@pam')).toBeUndefined();
    expect(parseUpid('UPID:pve2:1A2B3:00C0FFEE:66F0A1B2:vzclone:9000:root@pam:')).toBeUndefined();
    expect(parseUpid('UPID:-pve:0001A2B3:00C0FFEE:66F0A1B2:vzclone:9000:root@pam:')).toBeUndefined();
  });
});

describe("the API's loose types", () => {
  it('reads booleans sent as 0/1, "0"/"1" or true/false', () => {
    expect([0, 1, '0', '1', true, false].map((v) => bool01.parse(v))).toEqual([
      false,
      true,
      false,
      true,
      true,
      false,
    ]);
    expect(bool01.safeParse(2).success).toBe(false);
    expect(bool01.safeParse('true').success).toBe(false);
  });
  it('reads numbers sent as strings (a VM memory, cpulimit)', () => {
    expect(numeric.parse('2048')).toBe(2048);
    expect(numeric.parse('1.5')).toBe(1.5);
    expect(numeric.safeParse('2G').success).toBe(false);
  });
  it('/cluster/resources: template 0/1, shared storages, VMIDs as strings, other types kept', () => {
    const entries = clusterResources.parse([
      { type: 'lxc', vmid: '101', node: 'pve2', template: 0, status: 'running' },
      { type: 'qemu', vmid: 900, node: 'pve1', template: 1 },
      { type: 'storage', storage: 'nfs1', node: 'pve1', shared: 1, content: 'images,rootdir' },
      { type: 'storage', storage: 'nfs1', node: 'pve2', shared: 1, content: 'images,rootdir' },
      { type: 'storage', storage: 'local', node: 'pve1', shared: 0, content: 'vztmpl' },
      { type: 'sdn', sdn: 'localnetwork', node: 'pve1' },
    ]);
    const v = clusterView(entries);
    expect(v.guests.get(101)).toMatchObject({ kind: 'lxc', node: 'pve2', template: false });
    expect(v.guests.get(900)).toMatchObject({ kind: 'vm', node: 'pve1', template: true });
    expect(v.storages.get('nfs1')?.get('pve2')?.shared).toBe(true);
    expect(v.storages.get('local')?.get('pve1')?.shared).toBe(false);
  });
});

describe('retrying a dispatch: only when nothing started', () => {
  const http = (status: number, message: string) => {
    const r = envelope(status, message, JSON.stringify({ data: null, message }));
    if (r.ok) throw new Error('expected a failure');
    return r.error;
  };
  it('retries a lock wait or a proxy failure, never a refusal', () => {
    expect(
      dispatchRetryable(http(500, "can't lock file '/run/lock/lxc/pve-config-101.lock' - got timeout\n")),
    ).toBe(true);
    expect(dispatchRetryable(http(503, 'service unavailable'))).toBe(true);
    expect(dispatchRetryable(http(500, "CT 101 already exists on node 'pve2'\n"))).toBe(false);
    expect(dispatchRetryable(http(403, 'Permission check failed'))).toBe(false);
    expect(dispatchRetryable({ kind: 'network', message: 'pin', pin: true, code: 'ECONNREFUSED' })).toBe(
      false,
    );
  });
});

describe('the certificate pin', () => {
  it('takes colon hex in either case, or bare hex, and prints it as Proxmox does', () => {
    const upper = Array.from({ length: 32 }, (_, i) =>
      (i * 7).toString(16).padStart(2, '0').toUpperCase(),
    ).join(':');
    expect(normalizeFingerprint(upper.toLowerCase())).toEqual({ ok: true, value: upper });
    expect(normalizeFingerprint(upper.replace(/:/g, ''))).toEqual({ ok: true, value: upper });
    expect(normalizeFingerprint('AB:CD').ok).toBe(false);
  });
});

describe('--api options', () => {
  const base = { sim: false, api: 'https://pve1:8006' } as ResolvedOptions;
  const token = 'phoenix@pve!fleet=8d2e4e0a-4b8c-4f1e-9a57-1f7c8a0e2b11';
  it('needs a token of the form user@realm!tokenid=secret, https, and not --sim', () => {
    expect(resolveApiAccess(base, {}, '/').ok).toBe(false);
    expect(resolveApiAccess(base, { PHOENIX_API_TOKEN: 'secret' }, '/').ok).toBe(false);
    expect(resolveApiAccess({ ...base, api: 'http://pve1:8006' }, { PHOENIX_API_TOKEN: token }, '/').ok).toBe(
      false,
    );
    expect(resolveApiAccess({ ...base, sim: true }, { PHOENIX_API_TOKEN: token }, '/').ok).toBe(false);
    const ok = resolveApiAccess(base, { PHOENIX_API_TOKEN: token }, '/');
    expect(ok).toEqual({ ok: true, value: { url: 'https://pve1:8006', token, trust: { system: true } } });
  });
  it('pins a fingerprint when given one; a malformed one is bad usage, never "no verification"', () => {
    const pin = 'aa:'.repeat(31) + 'aa';
    const ok = resolveApiAccess({ ...base, fingerprint: pin }, { PHOENIX_API_TOKEN: token }, '/');
    expect(ok.ok && ok.value?.trust).toEqual({ pin: pin.toUpperCase() });
    expect(resolveApiAccess({ ...base, fingerprint: 'off' }, { PHOENIX_API_TOKEN: token }, '/').ok).toBe(
      false,
    );
  });
});

describe('pct/qm argv -> API calls (docs/cluster.md mapping table)', () => {
  const ctx: RouteContext = {
    node: 'pve1',
    guestNode: (id) => ({ 101: 'pve2', 900: 'pve1', 9000: 'pve1' })[id],
    placedNode: (id) => ({ 102: 'pve2', 103: 'pve1', 201: 'pve2' })[id],
    sharedStorage: (s) => s === 'nfs1',
    guestStorages: (id) =>
      id === 900 ? ['local-lvm'] : id === 9000 ? ['nfs1'] : id === 901 ? ['fast'] : undefined,
    storageNodes: (s) => (s === 'fast' ? ['pve1'] : ['pve1', 'pve2']),
  };
  const route = (...argv: string[]) => routeCommand(argv, ctx);
  const calls = (...argv: string[]) => {
    const r = route(...argv);
    if (r.lane !== 'api') throw new Error(`expected the api lane, got ${r.lane}: ${r.why}`);
    return r.calls.map((c) => [c.method, c.path, c.params ?? {}]);
  };

  it("sends a guest's commands to the node that holds it, a new guest to its placed node", () => {
    expect(calls('pct', 'start', '101')).toEqual([['POST', '/nodes/pve2/lxc/101/status/start', {}]]);
    expect(calls('pct', 'destroy', '101', '--purge', '1')).toEqual([
      ['DELETE', '/nodes/pve2/lxc/101', { purge: '1' }],
    ]);
    expect(
      calls('pct', 'create', '102', 'local:vztmpl/d.tar.zst', '--hostname', 'a', '--unprivileged', '1'),
    ).toEqual([
      [
        'POST',
        '/nodes/pve2/lxc',
        { vmid: '102', hostname: 'a', unprivileged: '1', ostemplate: 'local:vztmpl/d.tar.zst' },
      ],
    ]);
    expect(calls('qm', 'disk', 'resize', '9000', 'scsi0', '32G')).toEqual([
      ['PUT', '/nodes/pve1/qemu/9000/resize', { disk: 'scsi0', size: '32G' }],
    ]);
    expect(calls('qm', 'guest', 'exec', '9000', '--', 'cloud-init', 'clean')).toEqual([
      ['POST', '/nodes/pve1/qemu/9000/agent/exec', { command: ['cloud-init', 'clean'] }],
    ]);
  });

  it('clones beside a local source and moves the clone; straight to the node when the storage is shared', () => {
    expect(calls('pct', 'clone', '900', '103', '--hostname', 'b')).toEqual([
      ['POST', '/nodes/pve1/lxc/900/clone', { newid: '103', hostname: 'b' }],
    ]);
    expect(calls('pct', 'clone', '900', '102', '--hostname', 'b')).toEqual([
      ['POST', '/nodes/pve1/lxc/900/clone', { newid: '102', hostname: 'b', full: '1' }],
      ['POST', '/nodes/pve1/lxc/102/migrate', { target: 'pve2' }],
    ]);
    expect(calls('qm', 'clone', '9000', '201', '--name', 'c')).toEqual([
      ['POST', '/nodes/pve1/qemu/9000/clone', { newid: '201', name: 'c', target: 'pve2' }],
    ]);
  });

  it("refuses a clone whose source's local storage the target node lacks, naming the fixes (F16.3, F16.4)", () => {
    // 901 is on pve1's `fast`, which pve2 does not have: neither `target` nor a migration can get a copy there.
    expect(route('pct', 'clone', '901', '102', '--hostname', 'b')).toEqual({
      lane: 'refused',
      why:
        "102 cannot be made on pve2: its clone source 901 is on pve1's local storage fast, which Proxmox cannot " +
        'clone to another node, and fast is not on pve2 to migrate a copy to. Fix: give 102 node: pve1, or put ' +
        '901 on storage all nodes share, or enable fast on pve2',
    });
  });

  it('takes the ssh lane for what only root on the node may do', () => {
    expect(route('pct', 'exec', '101', '--', 'ls').lane).toBe('ssh');
    expect(route('pct', 'push', '101', '/tmp/a', '/root/a').lane).toBe('ssh');
    expect(route('pct', 'set', '101', '--features', 'nesting=1,keyctl=1')).toMatchObject({
      lane: 'ssh',
      node: 'pve2',
    });
    expect(route('pct', 'set', '101', '--mp0', '/srv/data,mp=/data')).toMatchObject({ lane: 'ssh' });
    // A token may change nesting only on an unprivileged container, which a `pct set` does not say (F11.2).
    expect(route('pct', 'set', '101', '--features', 'nesting=1').lane).toBe('ssh');
    const create = (unprivileged: string) =>
      route(
        'pct',
        'create',
        '101',
        'local:vztmpl/t.tar.zst',
        '--unprivileged',
        unprivileged,
        '--features',
        'nesting=1',
      );
    expect(create('1').lane).toBe('api');
    expect(create('0').lane).toBe('ssh');
    expect(route('pct', 'set', '101', '--delete', 'dev0')).toMatchObject({ lane: 'ssh' });
    expect(route('qm', 'set', '8000', '--delete', 'args')).toMatchObject({ lane: 'ssh' });
    expect(route('/usr/local/phoenix/feature.sh', '101')).toMatchObject({ lane: 'ssh', node: 'pve1' });
  });

  it("is undone by the simulated API's mapping back to the CLI (simulator/src/api/routes.ts)", () => {
    const cases: string[][] = [
      ['pct', 'create', '102', 'local:vztmpl/d.tar.zst', '--hostname', 'a', '--memory', '512'],
      ['pct', 'clone', '900', '103', '--hostname', 'b'],
      ['pct', 'set', '101', '--startup', 'order=1,up=0,down=180'],
      ['pct', 'resize', '101', 'rootfs', '8G'],
      ['pct', 'start', '101'],
      ['pct', 'shutdown', '101', '--timeout', '60', '--forceStop', '1'],
      ['pct', 'destroy', '101', '--purge', '1'],
      ['pct', 'snapshot', '101', 'base'],
      ['pct', 'delsnapshot', '101', 'base'],
      ['qm', 'disk', 'resize', '9000', 'scsi0', '32G'],
      ['qm', 'template', '9000'],
      ['qm', 'guest', 'cmd', '9000', 'ping'],
      ['qm', 'guest', 'exec', '9000', '--', 'truncate', '-s', '0', '/etc/machine-id'],
      ['pveam', 'download', 'local', 'debian-12-standard_12.12-1_amd64.tar.zst'],
    ];
    for (const argv of cases) {
      const r = route(...argv);
      if (r.lane !== 'api') throw new Error(`${argv.join(' ')}: ${r.lane}`);
      const call = r.calls[0]!;
      const params = Object.fromEntries(
        Object.entries(call.params ?? {}).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]),
      ) as Record<string, string | string[]>;
      const back = writeAction(call.method, call.path, params);
      expect(back && [back.tool, ...back.argv], argv.join(' ')).toEqual(argv);
    }
  });
});

describe('placement of a guest without a node key', () => {
  const GiB = 1024 ** 3;
  const view = clusterView(
    clusterResources.parse([
      { type: 'node', node: 'pve1', status: 'online', maxmem: 64 * GiB, mem: 40 * GiB },
      { type: 'node', node: 'pve2', status: 'online', maxmem: 64 * GiB, mem: 30 * GiB },
      { type: 'node', node: 'pve3', status: 'offline', maxmem: 64 * GiB, mem: 0 },
      ...['pve1', 'pve2', 'pve3'].map((node) => ({ type: 'storage', storage: 'local-lvm', node, shared: 0 })),
      { type: 'storage', storage: 'fast', node: 'pve1', shared: 0 },
      { type: 'lxc', vmid: 900, node: 'pve1' },
    ]),
  );
  const place = (reqs: Parameters<typeof placeGuests>[1], known = new Map<number, string>()) =>
    Object.fromEntries([...placeGuests(view, reqs, known)].map(([id, p]) => [id, p.node]));

  it('takes the online node with the most free memory that has the storage, counting what it placed', () => {
    // pve2 has 34 GiB free, pve1 24 GiB; pve3 is offline. 12 GiB to pve2 leaves it 22 GiB: the next goes to pve1.
    expect(
      place([
        { id: 101, storage: 'local-lvm', memoryMb: 12 * 1024 },
        { id: 102, storage: 'local-lvm', memoryMb: 1024 },
        { id: 103, storage: 'fast', memoryMb: 1024 },
      ]),
    ).toEqual({ 101: 'pve2', 102: 'pve1', 103: 'pve1' });
  });

  it('puts a clone beside its source, even one placed in the same pass, and keeps what is known', () => {
    // 900's node key says pve3, but the cluster has it on pve1 (moved): its clone goes where it is.
    expect(
      place(
        [
          { id: 951, storage: 'local-lvm', memoryMb: 512, cloneFrom: 950 },
          { id: 950, storage: 'local-lvm', memoryMb: 512 },
          { id: 952, storage: 'local-lvm', memoryMb: 512, cloneFrom: 900 },
          { id: 953, storage: 'local-lvm', memoryMb: 512 },
        ],
        new Map([
          [953, 'pve1'],
          [900, 'pve3'],
        ]),
      ),
    ).toEqual({ 950: 'pve2', 951: 'pve2', 952: 'pve1' });
  });

  it('follows a placed guest that HA or a migration moved, never one the config names a node for', () => {
    // 900 was placed on pve2 by an earlier run and is on pve1 now; 901 (not in the cluster yet) keeps its record.
    const recorded = new Map([
      [900, 'pve2'],
      [901, 'pve3'],
    ]);
    expect(Object.fromEntries(followMoved(recorded, view, () => false))).toEqual({
      900: 'pve1',
      901: 'pve3',
    });
    expect(Object.fromEntries(followMoved(recorded, view, (id) => id === 900))).toEqual({
      900: 'pve2',
      901: 'pve3',
    });
  });
});

describe("a guest's snapshots over the API: read again only when the config changed and may hold some", () => {
  /** A node answering one container's config and snapshot list, counting what was asked. */
  function node(config: Record<string, string>, snapshots: string[]) {
    const asked: string[] = [];
    const data = (path: string): unknown =>
      path.endsWith('/snapshot')
        ? [...snapshots.map((name) => ({ name })), { name: 'current' }]
        : { ...config, digest: 'd2' };
    const client = {
      read: (path: string, schema: { parse(v: unknown): unknown }) => {
        asked.push(path);
        return Promise.resolve(ok(schema.parse(data(path))));
      },
    } as unknown as ApiClient;
    return { client, asked };
  }
  const read = async (n: ReturnType<typeof node>, known?: KnownSnapshots) => {
    const r = await readGuestDetails(n.client, 'pve1', 'lxc', 101, known);
    if (!r.ok || r.value === undefined) throw new Error('no answer');
    return r.value.snapshots;
  };

  it('after a rollback to the oldest snapshot and its deletion: no parent, yet the later one is listed', async () => {
    // pve-guest-common snapshot_delete drops `parent` when the deleted snapshot had none; `final` stays.
    const n = node({ hostname: 'web' }, ['final']);
    expect(await read(n, { digest: 'd1', snapshots: ['base', 'final'] })).toEqual(['final']);
    expect(await read(n)).toEqual(['final']); // no earlier read (a fresh cache folder)
    expect(n.asked.filter((p) => p.endsWith('/snapshot'))).toHaveLength(2);
  });

  it('asks nothing more when the digest is the known one, or when nothing can hold a snapshot', async () => {
    const n = node({ hostname: 'web' }, []);
    expect(await read(n, { digest: 'd2', snapshots: ['final'] })).toEqual(['final']);
    expect(await read(n, { digest: 'd1', snapshots: [] })).toEqual([]);
    expect(n.asked.filter((p) => p.endsWith('/snapshot'))).toEqual([]);
  });
});
