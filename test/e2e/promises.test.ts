// Issue 16's promises, end to end on one small simulated fleet built once (test/reliability/fleet.ts: template 900
// with a feature and a snapshot, its clones 950 and 960), each case on its own copy of the built host and cache:
// the real `phoenix` process (bin/phoenix.js over dist/) and the simulator's call log.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCalls, writeSimConfig } from '../../simulator/src/testing.js';
import { callLine, isStateChanging, readStepCache, tempDir } from '../reliability/helpers.js';
import { writeFleet, type FleetOptions } from '../reliability/fleet.js';
import { copyWorkspace, newWorkspace, phoenix, type FleetWorkspace } from '../reliability/workspace.js';

const dirs: string[] = [];
const track = (ws: FleetWorkspace): FleetWorkspace => (dirs.push(ws.root, ws.sim), ws);
let base: FleetWorkspace;

beforeAll(async () => {
  base = track(await newWorkspace(writeFleet(tempDir()), { latencyScale: 0 }));
  const built = await phoenix(base, ['LetsGo']);
  if (built.exit !== 0) throw new Error(`the base build failed:\n${built.stdout}${built.stderr}`);
}, 120_000);

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the built host and cache; with `fleet`, the config is rewritten with those changes. */
function copy(fleet?: FleetOptions): FleetWorkspace {
  const ws = track(copyWorkspace(base));
  return fleet ? { ...ws, config: writeFleet(tempDir(), fleet) } : ws;
}

/** State-changing host calls made since `from` (an index into the call log). */
const changes = (ws: FleetWorkspace, from: number): string[] =>
  readCalls(ws.sim).slice(from).filter(isStateChanging).map(callLine);

describe('a failed forced run is recorded as failed (item 6)', () => {
  it('run 950:app --force failing leaves the step stale; why and status say so; LetsGo runs it again', async () => {
    const ws = copy();
    writeSimConfig(ws.sim, {
      latencyScale: 0,
      exec: [
        {
          match: '^/tmp/phoenix_run/phoenix_hypervisor_lxc_950',
          guest: 950,
          exit: 3,
          stderr: 'model download failed',
        },
      ],
    });
    const forced = await phoenix(ws, ['run', '950:app', '--force']);
    expect(forced.exit, forced.stdout + forced.stderr).toBe(1);
    expect(JSON.stringify(readStepCache(ws.cache)['950:app'])).toMatch(/"failed":\{"at":"[^"]+","message":/);
    const [why, status] = await Promise.all([
      phoenix(ws, ['why', '950']),
      phoenix(ws, ['status', '950', '--json']),
    ]);
    expect(why.stdout).toMatch(/stale +950:app\n +last run failed \(.+\): .*exit 3/);
    expect(JSON.parse(status.stdout)).toMatchObject([{ id: 950, stale: 1 }]);
    writeSimConfig(ws.sim, { latencyScale: 0 });
    const from = readCalls(ws.sim).length;
    const again = await phoenix(ws, ['LetsGo']);
    expect(again.exit, again.stdout + again.stderr).toBe(0);
    expect(changes(ws, from)).toContain('pct exec 950 -- /tmp/phoenix_run/phoenix_hypervisor_lxc_950.sh');
    expect(readStepCache(ws.cache)['950:app']).not.toHaveProperty('failed');
  });
});
