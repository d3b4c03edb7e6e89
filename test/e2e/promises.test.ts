// Issue 16's promises, end to end on one small simulated fleet built once (test/reliability/fleet.ts: template 900
// with a feature and a snapshot, its clones 950 and 960), each case on its own copy of the built host and cache:
// the real `phoenix` process (bin/phoenix.cjs over dist/) and the simulator's call log.
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCalls, writeSimConfig } from '../../simulator/src/testing.js';
import { callLine, isStateChanging, readStepCache, tempDir } from '../reliability/helpers.js';
import { writeFleet, type FleetOptions } from '../reliability/fleet.js';
import type { PlanJson } from '../../src/reporters/plan.js';
import type { RunJson } from '../../src/reporters/run-json.js';
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
    const forced = await phoenix(ws, ['run', '950:app', '--force', '--json']);
    expect(forced.exit, forced.stdout + forced.stderr).toBe(1);
    // --json (item 3): one document on stdout, the failed step with its error and commands; progress on stderr.
    const doc = JSON.parse(forced.stdout) as RunJson;
    expect(doc.steps.filter((x) => x.status !== 'up-to-date')).toEqual([
      expect.objectContaining({
        address: '950:app',
        status: 'failed',
        durationMs: expect.any(Number) as number,
        error: expect.objectContaining({ message: expect.stringContaining('exit 3') as string }) as object,
        commands: expect.arrayContaining([
          ['pct', 'exec', '950', '--keep-env', '0', '--', 'rm', '-rf', '/tmp/phoenix_run'],
        ]) as string[][],
      }),
    ]);
    expect(doc.summary).toMatchObject({ ran: 0, failed: 1 });
    expect(forced.stderr).toContain('[950:app]');
    expect(JSON.stringify(readStepCache(ws.cache)['950:app'])).toMatch(/"failed":\{"at":"[^"]+","message":/);
    const [why, status] = await Promise.all([
      phoenix(ws, ['why', '950']),
      phoenix(ws, ['status', '950', '--json']),
    ]);
    expect(why.stdout).toMatch(/stale +950:app\n +last run failed \(.+\): .*exit 3/);
    expect(JSON.parse(status.stdout)).toMatchObject([{ id: 950, stale: 1 }]);
    writeSimConfig(ws.sim, { latencyScale: 0 });
    const from = readCalls(ws.sim).length;
    const again = await phoenix(ws, ['LetsGo', '--json']);
    expect(again.exit, again.stdout + again.stderr).toBe(0);
    const ran = JSON.parse(again.stdout) as RunJson;
    expect(ran.steps.filter((x) => x.status !== 'up-to-date').map((x) => [x.address, x.status])).toEqual([
      ['950:app', 'ran'],
    ]);
    expect(ran.plan.steps.find((x) => x.address === '950:app')?.reasons).toContainEqual(
      expect.objectContaining({ type: 'failed' }),
    );
    expect(changes(ws, from)).toContainEqual(
      expect.stringMatching(
        /^pct exec 950 --keep-env 0 -- env .* \/tmp\/phoenix_run\/phoenix_hypervisor_lxc_950\.sh 950$/,
      ),
    );
    expect(readStepCache(ws.cache)['950:app']).not.toHaveProperty('failed');
  });
});

describe("a template's changed build re-takes its snapshot (item 1) and --replace asks (item 2)", () => {
  it('re-takes the snapshot, shows the clones as built from an older source, and replaces them only with a yes', async () => {
    const ws = copy({ extra900: { features: ['docker', 'nvidia'] } });
    const plan = await phoenix(ws, ['plan']);
    expect(plan.exit, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('run     900:feature:nvidia');
    expect(plan.stdout).toMatch(
      /run {5}900:snapshot \(re-takes snapshot base-ready: .*\)\n(.*\n)*? +\$ pct delsnapshot 900 base-ready\n +\$ pct snapshot 900 base-ready\n/,
    );
    for (const clone of [950, 960])
      expect(plan.stdout).toContain(
        `blocked ${clone}:define: needs --replace: built from an older 900:snapshot: this run re-takes snapshot base-ready`,
      );

    let from = readCalls(ws.sim).length;
    const build = await phoenix(ws, ['LetsGo']);
    expect(build.exit, build.stdout + build.stderr).toBe(1); // the clones are blocked
    const retake = changes(ws, from).filter((c) => /^pct (delsnapshot|snapshot) 900 /.test(c));
    // The lifecycle snapshot holds the same build: re-taken with it.
    expect(retake).toEqual([
      'pct delsnapshot 900 base-ready',
      'pct snapshot 900 base-ready',
      'pct delsnapshot 900 final-form',
      'pct snapshot 900 final-form',
    ]);
    expect(changes(ws, from).filter((c) => /^pct \w+ 9[56]0\b/.test(c))).toEqual([]);

    // Never "up to date": plan, why and status say the clones are built from an older source.
    const [again, why, status, table] = await Promise.all([
      phoenix(ws, ['plan', '--detailed-exitcode']),
      phoenix(ws, ['why', '950']),
      phoenix(ws, ['status', '--json']),
      phoenix(ws, ['status']),
    ]);
    expect(again.exit).toBe(4);
    expect(again.stdout).toContain('blocked 950:define: needs --replace: built from an older 900:snapshot');
    expect(why.stdout).toMatch(/blocked +950:define: needs --replace: built from an older 900:snapshot/);
    expect(JSON.parse(status.stdout)).toContainEqual(
      expect.objectContaining({ id: 950, blocked: 1, olderSource: '900:snapshot' }),
    );
    expect(table.stdout).toMatch(/950, 960: built from an older 900:snapshot/);

    // A forced run of the snapshot step re-takes it too.
    from = readCalls(ws.sim).length;
    const forced = await phoenix(ws, ['run', '900:snapshot', '--force']);
    expect(forced.exit, forced.stderr).toBe(0);
    expect(changes(ws, from)).toEqual([
      'pct delsnapshot 900 base-ready',
      'pct snapshot 900 base-ready',
      'pct delsnapshot 900 final-form',
      'pct snapshot 900 final-form',
    ]);

    // --replace with no terminal and no --yes: exit 2, nothing touched.
    from = readCalls(ws.sim).length;
    const refused = await phoenix(ws, ['LetsGo', '--replace']);
    expect(refused.exit).toBe(2);
    expect(refused.stderr).toMatch(/--replace destroys 950 \(lxc, svc\), 960 \(lxc, side\) with their disks/);
    expect(refused.stderr).toContain('pass --yes to proceed (nothing was changed)');
    expect(changes(ws, from)).toEqual([]);

    const replaced = await phoenix(ws, ['LetsGo', '--replace', '--yes']);
    expect(replaced.exit, replaced.stdout + replaced.stderr).toBe(0);
    const done = changes(ws, from);
    expect(done).toContain('pct destroy 950 --purge 1');
    expect(done.indexOf('pct destroy 950 --purge 1')).toBeLessThan(
      done.findIndex((c) => c.startsWith('pct clone 900 950 ')),
    );
    const after = await phoenix(ws, ['plan', '--detailed-exitcode']);
    expect(after.exit, after.stdout).toBe(0);
  });

  it('plan --replace shows every command; a check that would fail after the destroy blocks before it', async () => {
    const ws = copy({ extra950: { storage_size_gb: 6 } }); // 950 was cloned from 900's 8 GiB disk
    const plan = await phoenix(ws, ['plan', '950', '--replace']);
    expect(plan.exit, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(
      'blocked 950:define: 950:disk would fail after re-creating 950: root disk is 8G, larger than storage_size_gb 6G',
    );
    const from = readCalls(ws.sim).length;
    const run = await phoenix(ws, ['LetsGo', '--replace', '--yes']);
    expect(run.exit).toBe(1);
    expect(changes(ws, from)).toEqual([]);

    const grown = copy({
      extra900: { features: ['docker', 'nvidia'] },
      extra950: { storage_size_gb: 16, memory_mb: 2048 },
    });
    const full = await phoenix(grown, ['plan', '950', '--replace']);
    expect(full.stdout).toMatch(/run {5}950:define \(destroys 950 and its disks, then builds it again\)/);
    for (const command of [
      '$ pct stop 950',
      '$ pct destroy 950 --purge 1',
      '$ pct clone 900 950 --hostname svc --snapname base-ready',
      '$ pct set 950 --memory 2048',
      '$ pct resize 950 rootfs 16G',
      '$ pct start 950',
    ])
      expect(full.stdout).toContain(command);
  });
});

describe('setup is visible (item 9); read-only verbs write no run log, and run logs name the step (item 10)', () => {
  it('plan and LetsGo name the stale host step; plan, why, status, graph, validate and a dry run log nothing', async () => {
    const ws = copy(); // built with LetsGo only: host:initial_setup never ran
    const logs = (): string[] => {
      const dir = join(ws.cache, 'logs');
      return existsSync(dir) ? readdirSync(dir) : [];
    };
    const readOnly = await Promise.all(
      [
        ['plan'],
        ['plan', '--json'],
        ['why', '950'],
        ['status'],
        ['graph', '--format', 'dot'],
        ['validate'],
        ['LetsGo', '--dry-run', '--json'],
      ].map((args) => phoenix(ws, args)),
    );
    for (const r of readOnly) expect(r.exit, r.stdout + r.stderr).toBe(0);
    expect(logs()).toEqual([]);
    const [plan, json, , , graph, , dry] = readOnly;
    const note =
      "setup   1 host setup step is out of date and not part of this plan: host:initial_setup ('phoenix setup' runs it";
    expect(plan!.stdout).toContain(note);
    expect((JSON.parse(dry!.stdout) as PlanJson).setupLeftOut).toEqual(['host:initial_setup']);
    expect((JSON.parse(json!.stdout) as { setupLeftOut: string[] }).setupLeftOut).toEqual([
      'host:initial_setup',
    ]);
    expect(graph!.stdout).toContain(
      '"host:initial_setup" [label="initial_setup", style=filled, fillcolor="#ffd966"];',
    );
    expect(graph!.stdout).toContain('"950:app" [label="app"];');
    expect(graph!.stdout).toContain('label="legend";');

    const go = await phoenix(ws, ['LetsGo']);
    expect(go.exit).toBe(0);
    expect(go.stderr).toContain('Nothing to build');
    expect(go.stderr).toContain(note);

    const before = logs();
    const setup = await phoenix(ws, ['setup']);
    expect(setup.exit, setup.stdout + setup.stderr).toBe(0);
    const [log] = logs().filter((l) => !before.includes(l));
    const commands = readFileSync(join(ws.cache, 'logs', log!), 'utf8')
      .split('\n')
      .filter((l) => / #\d+ .*\$ /.test(l));
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.filter((l) => !/ #\d+ \(read\) \$ (pct|qm) list$/.test(l))).toEqual([
      expect.stringMatching(/ #\d+ host:initial_setup \$ .*hypervisor_initial_setup\.sh/),
    ]);
    expect((await phoenix(ws, ['plan'])).stdout).not.toContain('host setup step');
  });
});

describe('a readable run (item 7)', () => {
  it('LetsGo | head: a reader that goes away does not stop the build; --quiet prints only the final line', async () => {
    const ws = copy();
    const stopped = await phoenix(ws, ['stop', '950', '960']);
    expect(stopped.exit, stopped.stderr).toBe(0);
    const from = readCalls(ws.sim).length;
    // stdout closed before anything is written; each start is announced there ("950: started ..."), and the
    // second start is host work after the first announcement failed.
    const run = await phoenix(ws, ['LetsGo', '--quiet'], { closeStdout: true });
    expect(run.exit, run.stderr).toBe(0);
    expect(changes(ws, from).sort()).toEqual(['pct start 950', 'pct start 960']);
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^2 run, \d+ up to date in \S+ — log: /),
    ]);
  });
});
