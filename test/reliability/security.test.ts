// Security: config values reach processes only as argv elements (one module spawns, never through a shell, the
// one deliberate shell being health_check.command inside the guest); secrets stay out of logs, the cache, --json
// and messages; run logs are 0600; delete never touches a guest that is not in the config.
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCalls, readSimState, seedGuest } from '../../simulator/src/testing.js';
import { callLine, isStateChanging, REPO, tempDir } from './helpers.js';
import { newWorkspace, phoenix, type FleetWorkspace } from './workspace.js';

const SECRETS = ['hunter2-Sup3rSecret', 'tok-9f8e7d6c5b4a', 'sk-live-0123456789'];
const HEALTH = 'test "$(id -u)" = 0; echo `hostname`; ls /nonexistent || true; rm -rf /tmp/x';

function srcFiles(dir = join(REPO, 'src')): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? srcFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('processes are spawned in one place, with argument arrays', () => {
  const files = srcFiles().map((p) => ({ rel: relative(REPO, p), text: readFileSync(p, 'utf8') }));

  it('only src/host/exec.ts runs execa, and nothing imports child_process', () => {
    const spawners = files.filter((f) =>
      /from '(?:execa|node:child_process|child_process)'|import\('execa'\)/.test(f.text),
    );
    // src/startup.ts only names execa for the lazy load; host/exec.ts is the one caller of that load.
    expect(spawners.map((f) => f.rel)).toEqual(['src/startup.ts']);
    expect(
      files
        .filter((f) => /\bloadExeca\b/.test(f.text))
        .map((f) => f.rel)
        .sort(),
    ).toEqual(['src/host/exec.ts', 'src/startup.ts']);
  });

  it('no shell option, no command strings (execaCommand, $``, exec/execSync)', () => {
    const bad = files.filter((f) =>
      /\bshell\s*:|execaCommand|(?:^|[\s(=,])\$`|\bexecSync\b|\bexec\(\s*`/m.test(f.text),
    );
    expect(bad.map((f) => f.rel)).toEqual([]);
  });

  it('exec.ts hands execa a file and an argument array', () => {
    const exec = files.find((f) => f.rel === 'src/host/exec.ts')?.text ?? '';
    expect(exec).toMatch(/execa\(file \?\? '', args, \{/);
  });
});

describe('on the simulator', () => {
  let ws: FleetWorkspace;
  let config = '';
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  beforeAll(async () => {
    const root = tempDir();
    config = join(root, 'phoenix.config.json');
    const fleet = {
      scripts: { applications: join(REPO, 'examples', 'applications') },
      hypervisor: { setup_scripts: [] },
      globals: { registry_api_token: SECRETS[1] },
      lxc: {
        '970': {
          name: 'sec',
          template: 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst',
          application_script: 'phoenix_hypervisor_lxc_953.sh',
          health_check: { command: HEALTH, retries: 1, interval: 0 },
          db_password: SECRETS[0],
          openai_api_key: SECRETS[2],
          // Passed through to scripts as data (environment / pushed JSON), never as a command.
          motd: '$(reboot); `halt`',
        },
      },
    };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(config, JSON.stringify(fleet, null, 2));
    // The application script echoes a secret (it reads the config it is given): the run log must mask it.
    ws = await newWorkspace(config, {
      exec: [{ match: 'phoenix_run/', exit: 0, stdout: `key=${SECRETS[0]}\n` }],
    });
    dirs.push(root, ws.root, ws.sim);
    // A guest on the host that the config does not know.
    await seedGuest(ws.sim, {
      vmid: 971,
      type: 'lxc',
      config: { hostname: 'stranger', memory: '512' },
      status: 'running',
    });
    const built = await phoenix(ws, ['create', '970']);
    expect(built.exit, built.stderr).toBe(0);
  }, 150_000);

  it('health_check.command reaches the guest as one argument of sh -c (the one deliberate shell)', () => {
    const execs = readSimState(ws.sim).guests['970']?.execs ?? [];
    expect(execs.map((e) => e.cmd)).toContainEqual(['sh', '-c', HEALTH]);
    // Nothing else ran the metacharacters: every other in-guest command is Phoenix's own.
    const others = execs.filter((e) => e.cmd.join(' ').includes('rm -rf /tmp/x') && e.cmd[0] !== 'sh');
    expect(others).toEqual([]);
    expect(
      readCalls(ws.sim)
        .map(callLine)
        .filter((l) => /reboot|halt/.test(l)),
    ).toEqual([]);
  });

  it('secrets appear in no run log, cache file, plan --json, why or status output', async () => {
    const [plan, why, status] = await Promise.all([
      phoenix(ws, ['plan', '970', '--json']),
      phoenix(ws, ['why', '970']),
      phoenix(ws, ['status', '--json']),
    ]);
    for (const r of [plan, why, status]) expect(r.exit, r.stderr).toBe(0);
    const texts = [plan, why, status].map((r) => r.stdout + r.stderr);
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
    const files = walk(ws.cache);
    expect(files.some((f) => f.endsWith('.log'))).toBe(true);
    for (const f of files) texts.push(readFileSync(f, 'utf8'));
    expect(
      texts.some((t) => t.includes('key=***')),
      'the echoed secret is logged, masked',
    ).toBe(true);
    for (const s of SECRETS) for (const t of texts) expect(t).not.toContain(s);
  });

  it('run logs are 0600 in a 0700 folder', () => {
    const logs = join(ws.cache, 'logs');
    expect(statSync(logs).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(logs)) expect(statSync(join(logs, f)).mode & 0o777).toBe(0o600);
  });

  it('delete refuses an ID that is not in the config and never touches it', async () => {
    const before = readCalls(ws.sim).length;
    const refused = await phoenix(ws, ['delete', '971', '--yes']);
    expect(refused.exit).toBe(1);
    expect(refused.stderr).toMatch(/971/);
    const deleted = await phoenix(ws, ['delete', '970', '--yes']);
    expect(deleted.exit, deleted.stderr).toBe(0);
    const changing = readCalls(ws.sim).slice(before).filter(isStateChanging).map(callLine);
    expect(changing.filter((l) => /\b971\b/.test(l))).toEqual([]);
    expect(changing.some((l) => /^pct destroy 970\b/.test(l))).toBe(true);
    const guests = readSimState(ws.sim).guests;
    expect(Object.keys(guests)).toEqual(['971']);
    expect(guests['971']?.status).toBe('running');
  });
});
