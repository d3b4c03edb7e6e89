// What a real Proxmox VE 9 host does where Phoenix and the simulator used to share a wrong belief (issue 13), run
// as the real `phoenix` process against the simulator. Each test names the fact it relies on (docs/proxmox-facts.md).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSimDir, readCalls, simBinDir, simEnv } from '../../simulator/src/testing.js';
import { removedLater } from '../support/temp-dirs.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const BIN = join(REPO, 'bin', 'phoenix.cjs');
if (!existsSync(join(REPO, 'dist', 'src', 'cli', 'main.js'))) {
  throw new Error('dist/ is missing: run `npm run build` (npm test does) before the e2e tests');
}

const CURRENT = 'debian-12-standard_12.12-1_amd64.tar.zst';
const GONE = 'debian-12-standard_12.7-1_amd64.tar.zst';
const IMAGE_URL = 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img';

let scratch = '';
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'phoenix-facts-'));
});
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

interface World {
  sim: string;
  config: string;
  run(args: string[]): Promise<{ code: number; stdout: string; stderr: string; calls: string[] }>;
  /** A simulated tool run behind Phoenix's back. */
  tool(tool: string, ...args: string[]): string;
  write(fleet: object): void;
}

async function world(name: string, fleet: object, sim: object = {}): Promise<World> {
  const dir = join(scratch, name);
  const simDir = removedLater(await createSimDir({ config: sim }));
  const config = join(dir, 'phoenix.config.json');
  execFileSync('mkdir', ['-p', dir]);
  const write = (f: object): void => writeFileSync(config, JSON.stringify(f, null, 2));
  write(fleet);
  return {
    sim: simDir,
    config,
    write,
    tool: (tool, ...args) =>
      execFileSync(join(simBinDir(), tool), args, { env: simEnv(simDir), encoding: 'utf8' }),
    run: (args) => {
      const before = readCalls(simDir).length;
      const env = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CI: '1',
        NO_COLOR: '1',
        PHOENIX_SIM_DIR: simDir,
        PHOENIX_CACHE_DIR: join(dir, 'cache'),
        PHOENIX_PREFS_DIR: join(dir, 'prefs'),
      };
      return new Promise((done) => {
        execFile(
          process.execPath,
          [BIN, ...args, '--config', config, '--sim'],
          { env },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
            const calls = readCalls(simDir)
              .slice(before)
              .map((c) => [c.tool, ...c.argv].join(' '));
            done({ code, stdout, stderr, calls });
          },
        );
      });
    },
  };
}

const ct = (template: string, extra: object = {}): object => ({
  hypervisor: { setup_scripts: [] },
  lxc: { '900': { name: 'base', template, template_snapshot_name: 'base-ready', ...extra } },
});

describe('OS templates come from the host catalogue (pve-manager aplinfo.dat, pveam download) [F1.1, F1.3]', () => {
  it('a template gone from the catalogue fails before any pct create, naming the current build; plan says so too', async () => {
    const w = await world('gone', ct(`local:vztmpl/${GONE}`));
    const plan = await w.run(['plan']);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(`OS template ${GONE}`);
    expect(plan.stdout).toContain(`the closest it has: ${CURRENT}`);
    const build = await w.run(['LetsGo']);
    expect(build.code).toBe(1);
    expect(build.stderr).toContain(`the closest it has: ${CURRENT}`);
    expect(build.stderr).toContain('Nothing was run');
    expect(build.calls.filter((c) => !/^(pct|qm) list|^pveam (list|available)/.test(c))).toEqual([]);
  });

  it("a template given as a path in local's template folder is downloaded by its catalogue name", async () => {
    const w = await world('path', ct(`/var/lib/vz/template/cache/${CURRENT}`));
    const build = await w.run(['create', '900']);
    expect(build.code, build.stderr).toBe(0);
    const changing = build.calls.filter((c) => /^(pveam download|pct create)/.test(c));
    expect(changing[0]).toBe(`pveam download local ${CURRENT}`);
    expect(changing[1]).toMatch(new RegExp(`^pct create 900 local:vztmpl/${CURRENT.replace(/\./g, '\\.')} `));
  });
});

describe('storage content of local (pve-installer StorageConfig.pm; pve-storage download_url) [F4.1, F4.2]', () => {
  const vmFleet = {
    hypervisor: { setup_scripts: [] },
    vms: [
      {
        vmid: 9000,
        name: 'img',
        is_template: true,
        template_image: 'noble-server-cloudimg-amd64.img',
        template_image_url: IMAGE_URL,
      },
    ],
  };

  it('a host upgraded from PVE 8 (local without import) gets the exact pvesm set fix before anything runs', async () => {
    const upgraded = { local: { type: 'dir', content: ['iso', 'vztmpl', 'backup'], path: '/var/lib/vz' } };
    const w = await world('upgraded', vmFleet, { storages: upgraded });
    const build = await w.run(['LetsGo']);
    expect(build.code).toBe(1);
    expect(build.stderr).toContain('Fix: pvesm set local --content iso,vztmpl,backup,import');
    expect(build.calls.some((c) => /^(qm create|pvesh create)/.test(c))).toBe(false);
    // The fix as printed, on the (simulated) host: now the plan can run.
    w.tool('pvesm', 'set', 'local', '--content', 'iso,vztmpl,backup,import');
    const plan = await w.run(['plan']);
    expect(plan.code, plan.stdout).toBe(0);
    expect(plan.stdout).not.toContain('missing');
  });
});

describe('pending changes (pve-container vmconfig_hotplug_pending, vm_start applies pending) [F7.1, F7.2]', () => {
  it('features set on a running CT wait for a restart: plan says so, restart applies them', async () => {
    const w = await world('pending', ct(`local:vztmpl/${CURRENT}`, { pct_options: ['nesting=1'] }));
    expect((await w.run(['LetsGo'])).code).toBe(0);
    w.write(ct(`local:vztmpl/${CURRENT}`, { pct_options: ['nesting=1', 'keyctl=1'] }));
    const set = await w.run(['run', '900:configure']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.calls).toContain('pct set 900 --features nesting=1,keyctl=1');
    const conf = (): string => readFileSync(join(w.sim, 'etc/pve/nodes/pve/lxc/900.conf'), 'utf8');
    expect(conf()).toMatch(/^features: nesting=1\n[\s\S]*\[pve:pending\]\nfeatures: nesting=1,keyctl=1\n/m);

    const plan = await w.run(['plan']);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(
      "pending 900:configure: until 900 restarts: features nesting=1 -> nesting=1,keyctl=1 ('phoenix restart 900' applies it)",
    );
    const restart = await w.run(['restart', '900']);
    expect(restart.code, restart.stderr).toBe(0);
    expect(restart.calls.filter((c) => /^pct (shutdown|stop|start)/.test(c))).toEqual([
      'pct shutdown 900 --timeout 180 --forceStop 1',
      'pct start 900',
    ]);
    expect(conf()).not.toContain('[pve:pending]');
    expect(conf()).toMatch(/^features: nesting=1,keyctl=1$/m);
    expect((await w.run(['plan'])).stdout).not.toContain('pending');
  });
});
