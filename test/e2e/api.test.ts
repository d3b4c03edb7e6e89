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
const BIN = join(REPO, 'bin', 'phoenix.js');
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
  sim = await createSimDir({ config: { nodes: ['pve1', 'pve2'] } });
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
    execFile(
      process.execPath,
      [BIN, ...args, '--config', join(work, 'phoenix.config.json')],
      { env },
      (e, stdout, stderr) =>
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
