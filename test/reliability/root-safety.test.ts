// Issue 14 end to end, on one small fleet built once (a container with an application, a VM template with a
// password and a linked clone with its own): nothing Phoenix writes or passes leaks a password, files handed to
// commands never go through a planted link, and a clone gets its own cloud-init settings.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { verify } from 'unixcrypt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCalls, readSimState, seedGuest, simBinDir, simEnv } from '../../simulator/src/testing.js';
import { callLine, isStateChanging, REPO, tempDir } from './helpers.js';
import { newWorkspace, phoenix, type FleetWorkspace } from './workspace.js';

const PW_TEMPLATE = 'tpl-Passw0rd-9f3a';
const PW_CLONE = 'clone-Passw0rd-7c1e';
const KEY_TEMPLATE = 'ssh-ed25519 AAAAtemplatekey tpl@host';
const KEY_CLONE = 'ssh-ed25519 AAAAclonekey svc@host';
const ATTACKER = 'ssh-ed25519 AAAAattacker evil@host';
const SECRETS = [PW_TEMPLATE, PW_CLONE];

function fleet(clonePassword: string): Record<string, unknown> {
  const ex = (d: string) => join(REPO, 'examples', d);
  return {
    scripts: { applications: ex('applications'), vm_features: ex('vm_features') },
    hypervisor: { node: 'pve', setup_scripts: [] },
    lxc: {
      '900': {
        name: 'app',
        template: 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst',
        network_config: { name: 'eth0', bridge: 'vmbr0', ip: 'dhcp' },
        application_script: 'phoenix_hypervisor_lxc_950.sh',
      },
    },
    vm_defaults: { cores: 1, memory_mb: 1024, storage_pool: 'local-lvm', network_bridge: 'vmbr0' },
    vms: [
      {
        vmid: 9000,
        name: 'tpl',
        is_template: true,
        template_image: 'noble-server-cloudimg-amd64.img',
        template_image_url: 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img',
        disk_size_gb: 16,
        network_config: { ip: 'dhcp', nameservers: '1.1.1.1' },
        user_config: { username: 'tpl', password: PW_TEMPLATE, ssh_public_key: KEY_TEMPLATE },
      },
      {
        vmid: 9001,
        name: 'svc',
        clone_from_vmid: 9000,
        disk_size_gb: 16,
        network_config: { ip: '10.0.0.91/24', gw: '10.0.0.1', nameservers: '9.9.9.9' },
        user_config: { username: 'svc', password: clonePassword, ssh_public_key: KEY_CLONE },
      },
    ],
  };
}

let ws: FleetWorkspace;
let cfgDir = '';
let tmp = '';
let victim = '';
const dirs: string[] = [];
const env = (): NodeJS.ProcessEnv => ({ TMPDIR: tmp });
const writeConfig = (clonePassword: string): void =>
  writeFileSync(
    join(cfgDir, 'phoenix.config.ts'),
    `export default ${JSON.stringify(fleet(clonePassword))};\n`,
  );

beforeAll(async () => {
  cfgDir = tempDir('phoenix-root-');
  tmp = tempDir('phoenix-roottmp-');
  dirs.push(cfgDir, tmp);
  writeConfig(PW_CLONE);
  ws = await newWorkspace(join(cfgDir, 'phoenix.config.ts'), {
    exec: [{ match: 'phoenix_run/', exit: 0, stdout: 'app ok\n' }],
  });
  dirs.push(ws.root, ws.sim);
  // What a local user could plant at the names older versions wrote to in the shared temp folder.
  victim = join(tmp, 'victim');
  writeFileSync(victim, `${ATTACKER}\n`);
  mkdirSync(join(tmp, 'victim-dir'));
  for (const id of [9000, 9001]) symlinkSync(victim, join(tmp, `phoenix-${id}-sshkeys.pub`));
  symlinkSync(join(tmp, 'victim-dir'), join(tmp, 'phoenix-app-900'));
  const built = await phoenix(ws, ['LetsGo'], { env: env() });
  expect(built.exit, built.stderr).toBe(0);
}, 150_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const vmConfig = (id: number): Record<string, string> =>
  readSimState(ws.sim).guests[String(id)]?.config ?? {};

describe('files handed to commands (item 1)', () => {
  it('never go through a link planted at the old fixed names in the temp folder', () => {
    expect(readFileSync(victim, 'utf8')).toBe(`${ATTACKER}\n`);
    expect(readdirSync(join(tmp, 'victim-dir'))).toEqual([]);
    for (const name of ['phoenix-9000-sshkeys.pub', 'phoenix-9001-sshkeys.pub', 'phoenix-app-900'])
      expect(lstatSync(join(tmp, name)).isSymbolicLink()).toBe(true);
    // Each VM got its own key, not the planted one; and nothing Phoenix made is left in the temp folder.
    expect(decodeURIComponent(vmConfig(9000).sshkeys ?? '')).toBe(`${KEY_TEMPLATE}\n`);
    expect(decodeURIComponent(vmConfig(9001).sshkeys ?? '')).toBe(`${KEY_CLONE}\n`);
    expect(
      readdirSync(tmp).filter(
        (n) => n.startsWith('phoenix-') && !n.includes('sshkeys') && n !== 'phoenix-app-900',
      ),
    ).toEqual([]);
  });
});

describe('a clone gets its own cloud-init settings (item 4)', () => {
  it('password, user, SSH key, IP config and nameserver differ from the template', () => {
    const tpl = vmConfig(9000);
    const clone = vmConfig(9001);
    expect(verify(PW_TEMPLATE, tpl.cipassword ?? '')).toBe(true);
    expect(verify(PW_CLONE, clone.cipassword ?? '')).toBe(true);
    expect(clone).toMatchObject({
      ciuser: 'svc',
      nameserver: '9.9.9.9',
      ipconfig0: expect.stringContaining('ip=10.0.0.91/24') as unknown,
    });
    expect(tpl).toMatchObject({ ciuser: 'tpl', nameserver: '1.1.1.1' });
  });

  it("changing the clone's password sends the new one (as a hash), and a second run sends nothing", async () => {
    const next = 'clone-N3w-Passw0rd-55';
    writeConfig(next);
    try {
      const before = readCalls(ws.sim).length;
      const run = await phoenix(ws, ['LetsGo'], { env: env() });
      expect(run.exit, run.stderr).toBe(0);
      const sets = readCalls(ws.sim)
        .slice(before)
        .map(callLine)
        .filter((l) => l.startsWith('qm set 9001'));
      expect(sets).toHaveLength(1);
      expect(sets[0]).toMatch(/--cipassword \$6\$/);
      expect(verify(next, vmConfig(9001).cipassword ?? '')).toBe(true);
      const again = readCalls(ws.sim).length;
      expect((await phoenix(ws, ['LetsGo'], { env: env() })).exit).toBe(0);
      expect(
        readCalls(ws.sim)
          .slice(again)
          .map(callLine)
          .filter((l) => l.startsWith('qm set')),
      ).toEqual([]);
    } finally {
      writeConfig(PW_CLONE);
    }
  });
});

describe('secrets leak nowhere (item 3)', () => {
  it('plan, --dry-run and their --json show *** for a password', async () => {
    writeConfig('a-Changed-Passw0rd-1');
    try {
      // (why and status: security.test.ts.)
      const runs = await Promise.all([
        phoenix(ws, ['plan']),
        phoenix(ws, ['plan', '--json']),
        phoenix(ws, ['LetsGo', '--dry-run']),
        phoenix(ws, ['LetsGo', '--dry-run', '--json']),
      ]);
      for (const r of runs) {
        expect(r.exit, r.stderr).toBe(0);
        for (const s of [...SECRETS, 'a-Changed-Passw0rd-1', '$6$', '$5$'])
          expect(r.stdout + r.stderr).not.toContain(s);
      }
      expect(runs[0]?.stdout).toMatch(/qm set 9001 --cipassword '\*\*\*'/);
    } finally {
      writeConfig(PW_CLONE);
    }
  });

  it('no password is in any argv Phoenix started (the simulator logs each call)', () => {
    const calls = readCalls(ws.sim).map((c) => [c.tool, ...c.argv].join('\0'));
    for (const s of SECRETS) expect(calls.filter((c) => c.includes(s))).toEqual([]);
    expect(calls.some((c) => c.startsWith('qm\0create\x009000') && c.includes('--cipassword\0$6$'))).toBe(
      true,
    );
  });

  it('everything derived from the config is 0600 in 0700 folders; no file holds a password or its plain hash', () => {
    const plainHashes = SECRETS.map((s) => createHash('sha256').update(s).digest('hex').slice(0, 12));
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((n) => {
        const p = join(d, n);
        expect(statSync(p).mode & 0o077, `${p} is open to others`).toBe(0);
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    const files = [...walk(ws.cache), ...walk(join(cfgDir, '.phoenixcache'))];
    expect(
      files.some((f) => f.endsWith('.cjs')),
      'the compiled config',
    ).toBe(true);
    expect(
      files.some((f) => f.endsWith('secret-fingerprint.key')),
      'the fingerprint key',
    ).toBe(true);
    for (const f of files.filter((f) => !f.endsWith('.cjs'))) {
      const text = readFileSync(f, 'utf8');
      for (const s of [...SECRETS, ...plainHashes]) expect(text, f).not.toContain(s);
    }
    // Exactly one compiled copy: the ones of earlier versions of the config were pruned.
    expect(
      readdirSync(join(cfgDir, '.phoenixcache', 'config')).filter((n) => n.endsWith('.cjs')),
    ).toHaveLength(1);
  });
});

describe("a guest re-created behind Phoenix's back (item 9)", () => {
  it('is reported as re-created and blocked (needs --replace): never renamed, reconfigured or given the app', async () => {
    const bin = (tool: string): string => join(simBinDir(), tool);
    for (const argv of [
      ['pct', 'stop', '900'],
      ['pct', 'destroy', '900', '--purge', '1'],
    ])
      expect(spawnSync(bin(argv[0]!), argv.slice(1), { env: simEnv(ws.sim) }).status).toBe(0);
    // Someone else's bare container under the same ID.
    await seedGuest(ws.sim, {
      vmid: 900,
      type: 'lxc',
      config: {
        hostname: 'someone-else',
        memory: '512',
        rootfs: 'local-lvm:vm-900-disk-0,size=4G',
        net0: 'name=eth0,bridge=vmbr0,hwaddr=BC:24:11:AA:BB:CC,ip=dhcp',
      },
      status: 'running',
    });
    const before = readCalls(ws.sim).length;
    const run = await phoenix(ws, ['LetsGo'], { env: env() });
    expect(run.exit, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /blocked: 900:define: needs --replace: guest 900 was re-created outside Phoenix/,
    );
    const touched = readCalls(ws.sim).slice(before).filter(isStateChanging).map(callLine);
    expect(touched.filter((l) => /\b900\b/.test(l))).toEqual([]);
    expect(readSimState(ws.sim).guests['900']?.config.hostname).toBe('someone-else');
  });
});
