// The api transport end to end (issue 15): the real `phoenix sim serve` on two nodes, the real `phoenix LetsGo
// --api` building a container on one node and a VM on the other, a no-op run counted in requests, and a wrong
// certificate pin refused before a request is sent. One server for the whole file (its start is a process start).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimDir, readCalls } from '../../simulator/src/testing.js';
import { createHttpTransport } from '../../src/host/api/http.js';
import { ALL_PRIVILEGES } from '../../simulator/src/pvesh/permissions.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const BIN = join(REPO, 'bin', 'phoenix.cjs');
if (!existsSync(join(REPO, 'dist', 'src', 'cli', 'main.js'))) {
  throw new Error('dist/ is missing: run `npm run build` (npm test does) before the e2e tests');
}

interface ApiInfo {
  url: string;
  token: string;
  fingerprint: string;
  ssh: string;
}

const FLEET = {
  hypervisor: { setup_scripts: [] },
  lxc: {
    '101': {
      name: 'web',
      template: 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst',
      node: 'pve2',
      template_snapshot_name: 'base',
      // Only root@pam may set keyctl, and no API sets raw lxc.* lines: both take the ssh lane.
      pct_options: ['nesting=1', 'keyctl=1'],
      apparmor_profile: 'unconfined',
    },
  },
  vms: [
    {
      vmid: 200,
      name: 'app',
      node: 'pve1',
      template_image: 'noble-server-cloudimg-amd64.img',
      template_image_url: 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img',
    },
  ],
};

let sim = '';
let work = '';
let server: ChildProcess | undefined;
let api: ApiInfo;

beforeAll(async () => {
  // local-lvm as a local ZFS pool (as many clusters have it): a guest with snapshots can be migrated off it (F16.2).
  sim = await createSimDir({
    config: {
      nodes: ['pve1', 'pve2'],
      // `fast` is pve1's alone: a clone source on it cannot reach pve2 (F16.3).
      storages: {
        'local-lvm': { type: 'zfspool', content: ['rootdir', 'images'] },
        fast: { type: 'lvmthin', content: ['rootdir', 'images'], nodes: ['pve1'] },
      },
    },
  });
  work = join(sim, 'work');
  mkdirSync(work);
  writeFileSync(join(work, 'phoenix.config.json'), JSON.stringify(FLEET));
  server = spawn(
    process.execPath,
    [BIN, 'sim', 'serve', '--sim-dir', sim, '--nodes', 'pve1,pve2', '--port', '0'],
    {
      stdio: 'ignore',
      env: { PATH: process.env.PATH, HOME: process.env.HOME, PHOENIX_PREFS_DIR: join(work, 'prefs') },
    },
  );
  const info = join(sim, 'api.json');
  for (let i = 0; i < 300 && !existsSync(info); i++) await new Promise((r) => setTimeout(r, 50));
  api = JSON.parse(readFileSync(info, 'utf8')) as ApiInfo;
});

afterAll(() => {
  server?.kill('SIGTERM');
  if (sim) rmSync(sim, { recursive: true, force: true });
});

function phoenix(
  args: string[],
  fingerprint = api.fingerprint,
  config = 'phoenix.config.json',
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CI: '1',
    NO_COLOR: '1',
    PHOENIX_API_URL: api.url,
    PHOENIX_API_TOKEN: api.token,
    PHOENIX_API_FINGERPRINT: fingerprint,
    PHOENIX_SSH: api.ssh,
    PHOENIX_CACHE_DIR: join(work, 'cache'),
    PHOENIX_PREFS_DIR: join(work, 'prefs'),
  };
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args, '--config', join(work, config)], { env }, (e, stdout, stderr) =>
      done({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** The requests served since `from` (calls.jsonl lines of the API), as `METHOD PATH`. */
const requestsSince = (from: number): string[] =>
  readCalls(sim)
    .slice(from)
    .filter((c) => c.tool === 'api')
    .map((c) => c.argv.join(' '));

describe('phoenix over the Proxmox VE API (sim serve, 2 nodes)', () => {
  it('writes api.json for its owner only, and answers a wrong token with 401 (the request logged)', async () => {
    expect(statSync(join(sim, 'api.json')).mode & 0o777).toBe(0o600);
    expect(api.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const http = createHttpTransport({
      url: api.url,
      token: 'root@pam!phoenix=wrong',
      trust: { pin: api.fingerprint },
    });
    const res = await http.request({ method: 'GET', path: '/version', timeoutMs: 10_000 });
    await http.close();
    expect(res.status).toBe(401);
    expect(readCalls(sim).at(-1)).toMatchObject({ tool: 'api', argv: ['GET', '/version'], exit: 401 });
  });

  it('builds each guest on its node, then a no-op LetsGo reads each guest’s config once, no snapshot list, and writes nothing', async () => {
    const build = await phoenix(['LetsGo']);
    expect(build.code, build.stderr).toBe(0);
    // Where pmxcfs keeps each guest's config: the node the config named.
    expect(existsSync(join(sim, 'etc/pve/nodes/pve2/lxc/101.conf'))).toBe(true);
    expect(existsSync(join(sim, 'etc/pve/nodes/pve1/qemu-server/200.conf'))).toBe(true);
    // The CT's OS template went to pve2's own local storage (not shared), over the API.
    expect(requestsSince(0)).toContain('POST /nodes/pve2/aplinfo');
    // The root-only setting and the raw line went over ssh to pve2: pct ran there, not behind a request.
    const conf = readFileSync(join(sim, 'etc/pve/nodes/pve2/lxc/101.conf'), 'utf8');
    expect(conf).toContain('features: nesting=1,keyctl=1');
    expect(conf).toContain('lxc.apparmor.profile: unconfined');
    const bySsh = readCalls(sim).filter((c) => c.tool === 'pct' && (c as { via?: string }).via === undefined);
    expect(bySsh.map((c) => c.argv.slice(0, 2).join(' '))).toEqual(['set 101']);

    const before = readCalls(sim).length;
    const again = await phoenix(['LetsGo']);
    expect(again.code, again.stderr).toBe(0);
    const served = requestsSince(before);
    // /cluster/resources, then each guest's config: its digest is the one the build last read the snapshot list
    // at, so the list is not read again. Issue 15's bound is guests + 2.
    expect(served.length, served.join('\n')).toBeLessThanOrEqual(2 + 2);
    expect(served.filter((r) => r.endsWith('/snapshot'))).toEqual([]);
    expect(served.filter((r) => !r.startsWith('GET '))).toEqual([]);
    // Nothing ran on a node behind the API's back either.
    expect(
      readCalls(sim)
        .slice(before)
        .filter((c) => c.tool !== 'api'),
    ).toEqual([]);

    // An older snapshot deleted by hand on the node leaves `parent` (final-form) as it was, but not the digest:
    // the plan reads the list again and sees it gone.
    await new Promise((done) => execFile(api.ssh, ['root@pve2', 'pct', 'delsnapshot', '101', 'base'], done));
    const drift = await phoenix(['plan', '--detailed-exitcode']);
    expect(drift.code, drift.stderr).toBe(4);
    expect(drift.stdout).toContain("snapshot 'base' does not exist");
    // The next run takes it again (and leaves the fleet built for the scenarios below).
    const mended = await phoenix(['LetsGo']);
    expect(mended.code, mended.stderr).toBe(0);
    expect((await phoenix(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('doctor: every check passes for the fleet; a token without VM.Snapshot and Datastore.Audit is told the fix', async () => {
    const good = await phoenix(['doctor']);
    expect(good.code, good.stdout + good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^ok +privileges +root@pam!phoenix holds the \d+ privileges/m);
    expect(good.stdout).toMatch(/^ok +storage pve1 +local-lvm \(images\), local \(import\)$/m);
    expect(good.stdout).toMatch(/^ok +ssh pve2 +root@pve2 runs commands without a password$/m);

    const simJson = join(sim, 'sim.json');
    const saved = readFileSync(simJson, 'utf8');
    const acl = { '/': ALL_PRIVILEGES.filter((p) => p !== 'VM.Snapshot' && p !== 'Datastore.Audit') };
    writeFileSync(simJson, JSON.stringify({ ...JSON.parse(saved), tokenPrivileges: acl }));
    try {
      const bad = await phoenix(['doctor']);
      expect(bad.code, bad.stdout + bad.stderr).toBe(1);
      expect(bad.stdout).toContain('/vms/101, /vms/200: VM.Snapshot — for CT 101 snapshot, VM 200 snapshot');
      expect(bad.stdout).toContain("pveum acl modify /vms --tokens 'root@pam!phoenix' --roles Phoenix");
      // Without Datastore.Audit the cluster hides its storages: doctor says it cannot judge them, not that they lack.
      expect(bad.stdout).toMatch(/^FAIL +storage pve2 +cannot tell what storage 'local-lvm' holds/m);
    } finally {
      writeFileSync(simJson, saved);
    }
  });

  it('a guest migrated behind its back is "moved": status and LetsGo say so; nothing re-runs, moves it back or re-creates it; work waits for the cluster lock', async () => {
    // HA (or an admin) moves the running 101 from pve2, where its config's node key puts it, to pve1.
    const http = createHttpTransport({ url: api.url, token: api.token, trust: { pin: api.fingerprint } });
    const res = await http.request({
      method: 'POST',
      path: '/nodes/pve2/lxc/101/migrate',
      params: { target: 'pve1', restart: 1 },
      timeoutMs: 10_000,
    });
    const upid = (JSON.parse(res.body) as { data: string }).data;
    let status: { status: string; exitstatus?: string } = { status: 'running' };
    for (let i = 0; i < 200 && status.status !== 'stopped'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const s = await http.request({
        method: 'GET',
        path: `/nodes/pve2/tasks/${encodeURIComponent(upid)}/status`,
        timeoutMs: 10_000,
      });
      status = (JSON.parse(s.body) as { data: typeof status }).data;
    }
    await http.close();
    expect(status.exitstatus).toBe('OK');
    expect(existsSync(join(sim, 'etc/pve/nodes/pve1/lxc/101.conf'))).toBe(true);

    // status plans every guest as plan does: 101 on pve1, moved from pve2, nothing stale (the wording of plan, why
    // and --json is held by test/plan/reporters.test.ts).
    const status2 = await phoenix(['status']);
    expect(status2.code, status2.stderr).toBe(0);
    expect(status2.stdout).toMatch(
      /│ 101 │ lxc +│ web +│ pve1 \(moved from pve2\) │ yes +│ yes +│ - +│ 0 +│/,
    );
    expect(status2.stdout).toContain("101: moved: on pve1, not on pve2 as its config's node key says");

    // Another machine's run holds the cluster's run lock (pmxcfs's priv/lock, under the simulator's folder).
    const lockDir = join(sim, 'etc/pve/priv/lock/phoenix-run');
    mkdirSync(lockDir, { recursive: true });
    const other = {
      machine: 'ci-runner',
      pid: 4242,
      command: 'phoenix LetsGo',
      startedAt: '2026-12-02T10:00:00Z',
    };
    writeFileSync(join(sim, 'etc/pve/priv/phoenix-run.json'), JSON.stringify(other));

    // LetsGo says so, writes nothing (no create, no migrate) and runs nothing on a node; with no work it takes no
    // cluster lock, so the other machine's run does not stop it.
    const before = readCalls(sim).length;
    const again = await phoenix(['LetsGo']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('moved   101: on pve1, not on pve2');
    expect(requestsSince(before).filter((r) => !r.startsWith('GET '))).toEqual([]);
    expect(requestsSince(before)).toContain('GET /nodes/pve1/lxc/101/config');
    expect(existsSync(join(sim, 'etc/pve/nodes/pve2/lxc/101.conf'))).toBe(false);

    // Work waits for the other machine: exit 3 naming it, nothing sent.
    const locked = await phoenix(['restart', '101']);
    expect(locked.code).toBe(3);
    expect(locked.stderr).toContain(
      "another phoenix run holds the cluster's run lock (ci-runner, PID 4242, 'phoenix LetsGo', started 2026-12-02T10:00:00Z)",
    );
    expect(requestsSince(before).filter((r) => !r.startsWith('GET '))).toEqual([]);
    rmSync(lockDir, { recursive: true });

    // A command for it goes to the node it is on now: its restart is two tasks on pve1. The lock is released.
    const restart = await phoenix(['restart', '101']);
    expect(restart.code, restart.stderr).toBe(0);
    expect(existsSync(lockDir)).toBe(false);
    expect(requestsSince(before).filter((r) => r.startsWith('POST'))).toEqual([
      'POST /nodes/pve1/lxc/101/status/shutdown',
      'POST /nodes/pve1/lxc/101/status/start',
    ]);
  });

  it("clones across nodes: a local source's clone is made beside it and migrated; one the target cannot take is refused before anything runs", async () => {
    // node_copies: 101's copy on pve2 (9102) is made once (a full clone moved there, snapshotted as 101 is), and
    // 103 on pve2 is cloned from it there. Its plan is read beside the refused run (neither writes anything).
    const web = { ...FLEET.lxc['101'], node: 'pve1', template_snapshot_name: 'base' };
    const copies = (web101: object) =>
      JSON.stringify({
        hypervisor: { setup_scripts: [] },
        lxc: {
          '101': { ...web101, node_copies: { pve2: 9102 } },
          '102': { name: 'api', clone_from_ctid: 101, node: 'pve2' },
          '103': { name: 'db', clone_from_ctid: 101, node: 'pve2' },
        },
      });
    writeFileSync(join(work, 'copies.json'), copies(web));
    const template = 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst';
    // 300 would keep a volume on pve1's `fast`, which pve2 lacks: 301, its clone on pve2, cannot be made.
    const stuck = {
      hypervisor: { setup_scripts: [] },
      lxc: {
        '300': {
          name: 'src',
          template,
          node: 'pve1',
          template_snapshot_name: 'base',
          volumes: [{ name: 'data', pool: 'fast', size_gb: 1, mount_point: '/srv/data' }],
        },
        '301': { name: 'far', clone_from_ctid: 300, node: 'pve2' },
      },
    };
    writeFileSync(join(work, 'stuck.json'), JSON.stringify(stuck));
    const before = readCalls(sim).length;
    const [plan, refused, planned] = await Promise.all([
      phoenix(['plan'], api.fingerprint, 'stuck.json'),
      phoenix(['LetsGo'], api.fingerprint, 'stuck.json'),
      phoenix(['plan'], api.fingerprint, 'copies.json'),
    ]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(
      "301:define: 301 cannot be made on pve2: its clone source 300 is on pve1's local storage local-lvm, fast, which Proxmox cannot clone to another node, and fast is not on pve2 to migrate a copy to. Fix: give 301 node: pve1, or put 300 on storage all nodes share, or enable fast on pve2",
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Nothing was run');
    expect(requestsSince(before).filter((r) => !r.startsWith('GET '))).toEqual([]);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain(
      'via api POST /nodes/pve1/lxc/101/clone, then POST /nodes/pve1/lxc/9102/migrate (cloned in full on pve1, then moved to pve2: local-lvm is local to pve1)',
    );
    expect(planned.stdout).toMatch(/9102:snapshot[\s\S]*pct snapshot 9102 base/);
    expect(planned.stdout).toContain('pct clone 9102 103 --hostname db --snapname base');

    // 102 on pve2, cloned from 101 on pve1's local (not shared) storage: a full clone on pve1, then migrated.
    writeFileSync(
      join(work, 'clone.json'),
      JSON.stringify({
        hypervisor: { setup_scripts: [] },
        lxc: { '101': web, '102': { name: 'api', clone_from_ctid: 101, node: 'pve2' } },
      }),
    );
    const from = readCalls(sim).length;
    const built = await phoenix(['LetsGo'], api.fingerprint, 'clone.json');
    expect(built.code, built.stderr).toBe(0);
    expect(requestsSince(from)).toEqual(
      expect.arrayContaining(['POST /nodes/pve1/lxc/101/clone', 'POST /nodes/pve1/lxc/102/migrate']),
    );
    expect(existsSync(join(sim, 'etc/pve/nodes/pve2/lxc/102.conf'))).toBe(true);
    // Its steps after the clone ran on pve2, where it went: it was started there.
    expect(requestsSince(from)).toContain('POST /nodes/pve2/lxc/102/status/start');

    // The copy is made, then 103 from it; 102, cloned before the copy existed, is left as it is.
    const at = readCalls(sim).length;
    const copied = await phoenix(['LetsGo'], api.fingerprint, 'copies.json');
    expect(copied.code, copied.stderr).toBe(0);
    const writes = requestsSince(at).filter((r) => !r.startsWith('GET '));
    expect(writes.slice(0, 4)).toEqual([
      'POST /nodes/pve1/lxc/101/clone',
      'POST /nodes/pve1/lxc/9102/migrate',
      'POST /nodes/pve2/lxc/9102/snapshot',
      'POST /nodes/pve2/lxc/9102/clone',
    ]);
    expect(writes.some((r) => r.includes('/lxc/102'))).toBe(false);
    expect(existsSync(join(sim, 'etc/pve/nodes/pve2/lxc/103.conf'))).toBe(true);
    // A new build of 101 (its template snapshot re-taken, here under another name) makes the copy older than its
    // template: re-making it is a re-create, so only --replace does it, as for any clone; never implicitly.
    writeFileSync(join(work, 'copies.json'), copies({ ...web, template_snapshot_name: 'base2' }));
    const older = await phoenix(['plan'], api.fingerprint, 'copies.json');
    expect(older.stdout).toMatch(
      /^blocked 9102:define: needs --replace[^\n]*\n(?: {10}[^\n]*\n)* {10}built from an older 101:snapshot/m,
    );
    expect(older.stdout).toMatch(/^blocked 103:define: needs --replace/m);
  });

  it('refuses a server whose certificate is not the pinned one (exit 5) before sending a request', async () => {
    const before = readCalls(sim).length;
    const wrong = api.fingerprint.replace(/^../, api.fingerprint.startsWith('00') ? '11' : '00');
    const run = await phoenix(['plan'], wrong);
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`does not match the pinned ${wrong}`);
    // doctor says so with the fix, and asks nothing else.
    const doctor = await phoenix(['doctor'], wrong);
    expect(doctor.code).toBe(5);
    expect(doctor.stdout).toMatch(
      /^FAIL +certificate +certificate fingerprint .* does not match the pinned/m,
    );
    expect(doctor.stdout).toContain('`pvenode cert info`');
    expect(readCalls(sim).length).toBe(before);
  });
});
