// Issue 14, item 6: SIGINT and SIGTERM during a run end with 130 / 143 after recording the finished steps,
// printing an "interrupted" summary, ending the running command, and leaving no lock behind.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStepCache, REPO, tempDir } from './helpers.js';
import { newWorkspace, phoenix, type FleetWorkspace } from './workspace.js';

let ws: FleetWorkspace;
const dirs: string[] = [];

beforeAll(async () => {
  const root = tempDir('phoenix-sig-');
  dirs.push(root);
  const features = join(root, 'features');
  mkdirSync(features);
  // A feature that takes its time: the run is interrupted while it runs.
  const slow = join(features, 'phoenix_hypervisor_feature_install_slow.sh');
  writeFileSync(slow, '#!/bin/sh\necho "slow feature running"\nexec sleep 300\n');
  chmodSync(slow, 0o755);
  // Under --sim the fleet's scripts are only recorded unless the tree says they run.
  writeFileSync(join(root, 'phoenix.sim.json'), '{ "runScripts": true }\n');
  const config = join(root, 'phoenix.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      scripts: { lxc_features: features, applications: join(REPO, 'examples', 'applications') },
      hypervisor: { node: 'pve', setup_scripts: [] },
      lxc: {
        '900': {
          name: 'base',
          template: 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst',
          network_config: { name: 'eth0', bridge: 'vmbr0', ip: 'dhcp' },
          features: ['slow'],
        },
      },
    }),
  );
  ws = await newWorkspace(config);
  dirs.push(ws.root, ws.sim);
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** LetsGo, with `signal` sent once the slow feature has started. */
async function interruptedRun(signal: NodeJS.Signals) {
  let pid = 0;
  const logsBefore = existsSync(join(ws.cache, 'logs')) ? readdirSync(join(ws.cache, 'logs')) : [];
  const running = phoenix(ws, ['LetsGo'], { onSpawn: (p) => (pid = p) });
  const log = (): string => {
    const logs = join(ws.cache, 'logs');
    if (!existsSync(logs)) return '';
    return readdirSync(logs)
      .filter((f) => !logsBefore.includes(f))
      .map((f) => readFileSync(join(logs, f), 'utf8'))
      .join('\n');
  };
  for (let i = 0; i < 600 && !/#\d+ \| slow feature running/.test(log()); i++)
    await new Promise((r) => setTimeout(r, 50));
  process.kill(pid, signal);
  return running;
}

describe('an interrupted run', () => {
  it('SIGINT: exit 130, an "interrupted" summary, finished steps recorded, no lock left', async () => {
    const r = await interruptedRun('SIGINT');
    expect(r.signal, `died by the signal: ${r.stderr}`).toBeNull();
    expect(r.exit, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/Interrupted/);
    const recorded = Object.keys(readStepCache(ws.cache));
    expect(recorded).toEqual(expect.arrayContaining(['900:define', '900:configure', '900:start']));
    expect(recorded).not.toContain('900:feature:slow');
    const locks = join(ws.sim, 'phoenix-locks');
    expect(existsSync(locks) ? readdirSync(locks).filter((n) => n.endsWith('.lock')) : []).toEqual([]);
  });

  it('SIGTERM: exit 143, and the next run resumes at the step that was interrupted', async () => {
    const r = await interruptedRun('SIGTERM');
    expect(r.signal).toBeNull();
    expect(r.exit, r.stderr).toBe(143);
    expect(r.stderr).toMatch(/Interrupted/);
    expect(r.stderr).not.toMatch(/\[900:(define|configure|start)\] start/); // recorded before: not repeated
  });
});
