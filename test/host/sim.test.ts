// The backend against the simulator's pct/qm (built into dist/ by `npm run build`): live reads from the node's
// files (.vmlist, /proc, pid files, config files) agree with what pct/qm print, lock contention is retried, exit-0 task failures are caught.
import { existsSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHostExec } from '../../src/host/exec.js';
import type { BackendHost } from '../../src/host/exec.js';
import { parseProps } from '../../src/host/props.js';
import { readLiveState } from '../../src/host/read-live.js';
import { runVerified } from '../../src/host/verify.js';
import { tempDir } from '../support/temp-dirs.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(repo, 'dist/simulator/src/main.js'));
const TEMPLATE = 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst';

function simHost(simDir: string, pveRoot = simDir): BackendHost {
  return createHostExec({
    node: 'pve',
    pveRoot,
    logFile: join(simDir, 'run.log'),
    env: {
      ...process.env,
      PATH: `${join(repo, 'simulator/bin')}${delimiter}${process.env.PATH ?? ''}`,
      PHOENIX_SIM_DIR: simDir,
      PHOENIX_SIM_LATENCY_SCALE: '0',
    },
    lockRetry: { initialDelayMs: 10, maxDelayMs: 50, totalMs: 20_000 },
  });
}

async function must(host: BackendHost, argv: string[]) {
  const r = await host.run(argv);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe.skipIf(!built)('backend against the simulator', () => {
  let simDir: string;

  beforeAll(async () => {
    simDir = tempDir('phx-sim-');
    const host = simHost(simDir);
    await must(host, ['pveam', 'download', 'local', 'debian-12-standard_12.12-1_amd64.tar.zst']);
    await must(host, [
      'pct',
      'create',
      '900',
      TEMPLATE,
      '--hostname',
      'tmpl',
      '--rootfs',
      'local-lvm:8',
      '--net0',
      'name=eth0,bridge=vmbr0,ip=dhcp',
      '--unprivileged',
      '1',
    ]);
    await Promise.all([
      must(host, ['pct', 'snapshot', '900', 'golden']),
      must(host, [
        'pct',
        'create',
        '950',
        TEMPLATE,
        '--hostname',
        'web',
        '--memory',
        '2048',
        '--rootfs',
        'local-lvm:8',
        '--net0',
        'name=eth0,bridge=vmbr0,ip=dhcp',
        '--unprivileged',
        '1',
      ]),
      must(host, ['qm', 'create', '8000', '--name', 'vmtmpl', '--memory', '2048', '--scsi0', 'local-lvm:8']),
    ]);
    await Promise.all([must(host, ['pct', 'start', '950']), must(host, ['qm', 'template', '8000'])]);
  });

  it("reads N guests with no process, from the node's files and the mirrored config files", async () => {
    const host = simHost(simDir);
    const r = await readLiveState(host, { ids: [900, 950, 8000] });
    expect(host.spawnCount).toBe(0);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const g = r.value.guests;
    expect(g.get(900)).toMatchObject({
      kind: 'lxc',
      status: 'stopped',
      snapshots: ['golden'],
      template: false,
    });
    expect(g.get(950)).toMatchObject({ kind: 'lxc', status: 'running', snapshots: [] });
    expect(g.get(950)?.config?.memory).toBe('2048');
    expect(g.get(8000)).toMatchObject({ kind: 'vm', template: true });
    expect(g.get(8000)?.incarnation).toMatch(/^vm:[0-9a-f-]{36}$/);
    const mac = parseProps(g.get(950)?.config?.net0 ?? '').get('hwaddr');
    expect(g.get(950)?.incarnation).toBe(`ct:${mac}/local-lvm:vm-950-disk-0`);
  });

  it('reads the same state through pct/qm config when the files are not reachable (off-host)', async () => {
    const fromFiles = await readLiveState(simHost(simDir), { ids: [900, 950, 8000] });
    const offHost = simHost(simDir, join(simDir, 'no-such-root'));
    const fromCommands = await readLiveState(offHost, { ids: [900, 950, 8000] });
    expect(offHost.spawnCount).toBe(2 + 3 * 3); // per guest: config --current, pending, listsnapshot
    expect(fromCommands.ok && fromFiles.ok).toBe(true);
    if (!fromCommands.ok || !fromFiles.ok) return;
    for (const id of [900, 950, 8000]) {
      expect(fromCommands.value.guests.get(id), `guest ${id}`).toEqual(fromFiles.value.guests.get(id));
    }
  });

  it('readGuest: one status call, undefined for a guest that does not exist', async () => {
    const host = simHost(simDir);
    const g = await host.readGuest('lxc', 950);
    expect(g).toMatchObject({ id: 950, status: 'running', snapshots: [] });
    expect(host.spawnCount).toBe(1);
    expect(await host.readGuest('vm', 4242)).toBeUndefined();
  });

  it('readGuestConfig: no process on the node, no status call off it; same guest as readGuest', async () => {
    const host = simHost(simDir);
    const { status, ...withoutRunState } = (await host.readGuest('lxc', 950)) ?? {};
    expect(status).toBe('running');
    const spawned = host.spawnCount;
    expect(await host.readGuestConfig('lxc', 950)).toEqual(withoutRunState);
    expect(await host.readGuestConfig('vm', 4242)).toBeUndefined();
    expect(host.spawnCount - spawned).toBe(0);

    const offHost = simHost(simDir, join(simDir, 'no-such-root'));
    expect(await offHost.readGuestConfig('lxc', 950)).toEqual(withoutRunState);
    expect(offHost.spawnCount).toBe(3); // pct config --current + pct pending + pct listsnapshot
    expect(await offHost.readGuestConfig('vm', 4242)).toBeUndefined();
    expect(offHost.spawnCount).toBe(4); // qm config says it does not exist
  });

  it('retries a command held up by Proxmox lock contention', async () => {
    const dir = tempDir('phx-sim-lock-');
    const host = simHost(dir);
    await must(host, ['qm', 'create', '700', '--name', 'x', '--memory', '512']);
    writeFileSync(
      join(dir, 'sim.json'),
      JSON.stringify({ faults: [{ match: '^qm set 700', times: 2, action: 'lock' }] }),
    );
    const before = host.spawnCount;
    const r = await host.run(['qm', 'set', '700', '--memory', '1024']);
    expect(r.ok).toBe(true);
    expect(host.spawnCount - before).toBe(3);
    expect((await host.readGuest('vm', 700))?.config?.memory).toBe('1024');
  });

  it('runVerified catches a resize whose task failed but exited 0', async () => {
    const dir = tempDir('phx-sim-verify-');
    const host = simHost(dir);
    await must(host, ['pveam', 'download', 'local', 'debian-12-standard_12.12-1_amd64.tar.zst']);
    await must(host, ['pct', 'create', '960', TEMPLATE, '--rootfs', 'local-lvm:8', '--unprivileged', '1']);
    writeFileSync(
      join(dir, 'sim.json'),
      JSON.stringify({
        faults: [{ match: '^pct resize', action: 'fail', phase: 'task', stderr: 'lvextend failed' }],
      }),
    );
    const r = await runVerified(host, ['pct', 'resize', '960', 'rootfs', '16G'], async () => {
      const rootfs = (await host.readGuest('lxc', 960))?.config?.rootfs ?? '';
      const size = parseProps(rootfs, 'volume').get('size');
      return size === '16G' || `rootfs is still ${size ?? 'unknown'}`;
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe('verify-failed');
    expect(r.error.message).toMatch(/rootfs is still 8G/);
    expect(r.error.stderrTail).toMatch(/lvextend failed/);
  });
});
