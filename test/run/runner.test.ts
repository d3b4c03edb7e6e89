import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Plan, PlannedStep, StepStatus } from '../../src/plan/types.js';
import { err, ok } from '../../src/result.js';
import type { Result } from '../../src/result.js';
import { chooseRenderer, runExitCode, runPlan } from '../../src/run/runner.js';
import type { RunPlanOptions } from '../../src/run/runner.js';
import type { StepFailure } from '../../src/tasks/step.js';

/** A plan from a scenario: `'a -> b, a -> c'`; `status` marks some steps up to date or blocked. */
function planOf(edges: string, status: Record<string, StepStatus> = {}, extra: string[] = []): Plan {
  const order: string[] = [];
  const after = new Map<string, string[]>();
  const add = (a: string) => {
    if (!after.has(a)) {
      after.set(a, []);
      order.push(a);
    }
  };
  for (const part of edges
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [from, to] = part.split('->').map((x) => x.trim());
    if (!from || !to) throw new Error(`bad edge ${part}`);
    add(from);
    add(to);
    after.get(to)?.push(from);
  }
  extra.forEach(add);
  return { steps: order.map((a) => step(a, after.get(a) ?? [], status[a] ?? 'stale')) };
}

function step(address: string, after: string[], status: StepStatus): PlannedStep {
  return {
    address,
    target: 'host',
    name: address,
    status,
    reasons: [],
    ...(status === 'blocked' ? { blocked: 'needs --replace: storage_pool changed' } : {}),
    fingerprint: 'f',
    inputs: {},
    scripts: {},
    after,
    preview: [],
  };
}

interface Recorder {
  starts: string[];
  ends: string[];
  recorded: string[];
  maxInFlight: number;
  signals: Map<string, AbortSignal>;
}

/** Fake work: each step takes a few ms; `fail` names the steps that fail. */
function harness(opts: { fail?: string[]; delayMs?: (a: string) => number } = {}) {
  const rec: Recorder = { starts: [], ends: [], recorded: [], maxInFlight: 0, signals: new Map() };
  let inFlight = 0;
  const output = new PassThrough();
  let text = '';
  output.on('data', (d: Buffer) => (text += d.toString()));
  const options = (more: Partial<RunPlanOptions> = {}): RunPlanOptions => ({
    concurrency: 2,
    keepGoing: false,
    renderer: 'lines',
    output,
    logFile: '/tmp/run.log',
    handleSignals: false,
    async execute(s, signal, report): Promise<Result<void, StepFailure>> {
      rec.starts.push(s.address);
      rec.signals.set(s.address, signal);
      inFlight++;
      rec.maxInFlight = Math.max(rec.maxInFlight, inFlight);
      report(`working on ${s.address}`);
      await new Promise((r) => setTimeout(r, opts.delayMs?.(s.address) ?? 2));
      inFlight--;
      rec.ends.push(s.address);
      if (signal.aborted) return err({ address: s.address, message: 'cancelled' });
      return opts.fail?.includes(s.address)
        ? err({ address: s.address, message: `${s.address} broke` })
        : ok(undefined);
    },
    onSuccess(s) {
      rec.recorded.push(s.address);
      return Promise.resolve();
    },
    ...more,
  });
  return { rec, options, output: () => text };
}

function expectEdgesRespected(plan: Plan, rec: Recorder) {
  for (const s of plan.steps) {
    if (!rec.starts.includes(s.address)) continue;
    for (const p of s.after) {
      const pred = plan.steps.find((x) => x.address === p);
      if (pred?.status === 'up-to-date') continue;
      expect(rec.ends.indexOf(p), `${p} before ${s.address}`).toBeGreaterThanOrEqual(0);
      expect(rec.recorded.indexOf(p)).toBeGreaterThanOrEqual(0);
    }
  }
}

describe('runPlan', () => {
  it('runs every stale step once, each after its predecessors', async () => {
    const plan = planOf('a -> b, a -> c, b -> d, c -> d');
    const { rec, options } = harness();
    const summary = await runPlan(plan, options({ concurrency: 4 }));
    expect(rec.starts.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(rec.starts[0]).toBe('a');
    expect(rec.ends.at(-1)).toBe('d');
    expectEdgesRespected(plan, rec);
    expect(summary.ran.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(runExitCode(summary)).toBe(0);
  });

  it('reports a failed step to onFailure, so the caller can mark its record', async () => {
    const plan = planOf('a -> b');
    const { options } = harness({ fail: ['a'] });
    const failures: string[] = [];
    await runPlan(
      plan,
      options({
        onFailure: (s, f) => {
          failures.push(`${s.address}: ${f.message}`);
          return Promise.resolve();
        },
      }),
    );
    expect(failures).toEqual(['a: a broke']);
  });

  it('never executes an up-to-date step, yet orders through it', async () => {
    const plan = planOf('a -> b, b -> c', { b: 'up-to-date' });
    const { rec, options } = harness();
    const summary = await runPlan(plan, options());
    expect(rec.starts).toEqual(['a', 'c']);
    expect(summary.upToDate).toBe(1);
  });

  it('runs independent branches in parallel up to the concurrency bound', async () => {
    const plan = planOf('', {}, ['a', 'b', 'c', 'd', 'e', 'f']);
    const { rec, options } = harness({ delayMs: () => 10 });
    await runPlan(plan, options({ concurrency: 3 }));
    expect(rec.maxInFlight).toBe(3);
  });

  it('starts the step on the longest remaining chain first', async () => {
    const chain = planOf('long1 -> long2, long2 -> long3');
    const plan = { steps: [step('short', [], 'stale'), ...chain.steps] }; // `short` first in plan order
    const { rec, options } = harness();
    await runPlan(plan, options({ concurrency: 1 }));
    expect(rec.starts[0]).toBe('long1');
  });

  it('never runs two steps holding the same host lock at once; a waiting one leaves its slot to other work', async () => {
    const clones = ['c1', 'c2', 'c3'].map((a) => ({ ...step(a, [], 'stale'), locks: ['guest:902'] }));
    const plan = { steps: [...clones, step('other1', [], 'stale'), step('other2', [], 'stale')] };
    const { rec, options } = harness({ delayMs: () => 15 });
    const events: string[] = [];
    const summary = await runPlan(
      plan,
      options({
        concurrency: 4,
        execute: async (s) => {
          events.push(`start ${s.address}`);
          await new Promise((r) => setTimeout(r, 15));
          events.push(`end ${s.address}`);
          rec.starts.push(s.address);
          return ok(undefined);
        },
      }),
    );
    expect(summary.ran.sort()).toEqual(['c1', 'c2', 'c3', 'other1', 'other2']);
    let holding = 0;
    for (const e of events) {
      const [what, address] = e.split(' ');
      if (!address?.startsWith('c')) continue;
      holding += what === 'start' ? 1 : -1;
      expect(holding, events.join(', ')).toBeLessThanOrEqual(1);
    }
    // Both unlocked steps start in the first wave, beside the first clone, not after the clones.
    expect(events.slice(0, 3).sort()).toEqual(['start c1', 'start other1', 'start other2']);
  });

  it('fail-fast: lets in-flight steps finish, starts nothing new, skips the rest', async () => {
    const plan = planOf('a -> b', {}, ['c', 'd']);
    const { rec, options } = harness({ fail: ['a'], delayMs: (s) => (s === 'c' ? 20 : 2) });
    const summary = await runPlan(plan, options({ concurrency: 2 }));
    expect(rec.starts.sort()).toEqual(['a', 'c']); // c was already running and finished
    expect(rec.recorded).toEqual(['c']);
    expect(summary.failed.map((f) => f.address)).toEqual(['a']);
    expect(summary.skipped.sort()).toEqual(['b', 'd']);
    expect(summary.skipReasons.b).toBe('upstream a failed');
    expect(summary.skipReasons.d).toBe('not started: run stopped after a failed');
    expect(runExitCode(summary)).toBe(1);
  });

  it('keep-going: finishes every branch that does not depend on the failure', async () => {
    const plan = planOf('a -> b, b -> c, x -> y', { b: 'up-to-date' }, ['z']);
    const { rec, options } = harness({ fail: ['a'] });
    const summary = await runPlan(plan, options({ concurrency: 1, keepGoing: true }));
    expect(rec.starts.sort()).toEqual(['a', 'x', 'y', 'z']);
    expect(rec.recorded.sort()).toEqual(['x', 'y', 'z']);
    expect(summary.skipped).toEqual(['c']);
    expect(summary.skipReasons.c).toBe('upstream a failed'); // through the up-to-date b
  });

  it('calls onSuccess exactly for the steps that succeeded, before their successors start', async () => {
    const plan = planOf('a -> b, c -> d');
    const order: string[] = [];
    const { options } = harness({ fail: ['c'] });
    const base = options({ keepGoing: true });
    await runPlan(plan, {
      ...base,
      execute: (s, sig, rep) => {
        order.push(`start ${s.address}`);
        return base.execute(s, sig, rep);
      },
      onSuccess: (s) => {
        order.push(`record ${s.address}`);
        return Promise.resolve();
      },
    });
    expect(order.filter((o) => o.startsWith('record'))).toEqual(['record a', 'record b']);
    expect(order.indexOf('record a')).toBeLessThan(order.indexOf('start b'));
  });

  it('turns an exception from a step into that step’s failure', async () => {
    const plan = planOf('a -> b');
    const { options } = harness();
    const summary = await runPlan(plan, options({ execute: () => Promise.reject(new Error('bug')) }));
    expect(summary.failed).toEqual([{ address: 'a', message: 'internal error: bug' }]);
    expect(summary.skipped).toEqual(['b']);
  });

  it('reports a step whose success cannot be recorded as failed', async () => {
    const plan = planOf('a -> b');
    const { options } = harness();
    const summary = await runPlan(plan, options({ onSuccess: () => Promise.reject(new Error('disk full')) }));
    expect(summary.failed[0]?.message).toMatch(/could not be recorded: disk full/);
    expect(summary.ran).toEqual([]);
  });

  it('never runs a blocked step and skips what depends on it', async () => {
    const plan = planOf('a -> b, b -> c', { b: 'blocked' });
    const { rec, options } = harness();
    const summary = await runPlan(plan, options());
    expect(rec.starts).toEqual(['a']);
    expect(summary.blocked).toEqual(['b']);
    expect(summary.skipReasons.c).toBe('upstream b is blocked');
    expect(runExitCode(summary)).toBe(1);
  });

  it('on abort: signals in-flight steps, starts nothing new, records only successes', async () => {
    const plan = planOf('a -> b', {}, ['c']);
    const controller = new AbortController();
    const { rec, options } = harness({ delayMs: () => 30 });
    const pending = runPlan(plan, options({ concurrency: 2, signal: controller.signal }));
    setTimeout(() => controller.abort(), 5);
    const summary = await pending;
    expect(summary.interrupted).toBe(true);
    expect(rec.signals.get('a')?.aborted).toBe(true);
    expect(rec.starts.sort()).toEqual(['a', 'c']);
    expect(rec.recorded).toEqual([]);
    expect(summary.skipReasons.b).toBe('upstream a failed');
    expect(runExitCode(summary)).toBe(130);
  });

  it('a plan with nothing stale runs nothing', async () => {
    const plan = planOf('a -> b', { a: 'up-to-date', b: 'up-to-date' });
    const { rec, options } = harness();
    const summary = await runPlan(plan, options());
    expect(rec.starts).toEqual([]);
    expect(summary).toMatchObject({ ran: [], upToDate: 2, failed: [], interrupted: false });
  });

  it('respects every edge and the bound on random DAGs', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 12 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n - 1)), { maxLength: 20 }),
              fc.array(fc.boolean(), { minLength: n, maxLength: n }),
              fc.integer({ min: 1, max: 4 }),
            ),
          ),
        async ([n, pairs, upToDate, concurrency]) => {
          const steps = Array.from({ length: n }, (_, i) =>
            step(`s${i}`, [], upToDate[i] ? 'up-to-date' : 'stale'),
          );
          for (const [x, y] of pairs) {
            if (x < y) steps[y]?.after.push(`s${x}`); // edges only forward: a DAG
          }
          const plan = { steps };
          const { rec, options } = harness({ delayMs: () => 0 });
          const summary = await runPlan(plan, options({ concurrency }));
          expect(rec.maxInFlight).toBeLessThanOrEqual(concurrency);
          expect(rec.starts.sort()).toEqual(
            steps
              .filter((s) => s.status === 'stale')
              .map((s) => s.address)
              .sort(),
          );
          expect(summary.ran.length).toBe(rec.starts.length);
          // Transitive order through up-to-date steps.
          const reach = (a: string): string[] => {
            const s = steps.find((x) => x.address === a);
            return (s?.after ?? []).flatMap((p) => [p, ...reach(p)]);
          };
          for (const s of steps) {
            for (const p of reach(s.address)) {
              if (rec.starts.includes(p) && rec.starts.includes(s.address)) {
                expect(rec.ends.indexOf(p)).toBeLessThan(rec.ends.indexOf(s.address));
              }
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('renderers', () => {
  it('lines: one line per event', async () => {
    const { options, output } = harness({ fail: ['b'] });
    await runPlan(planOf('a -> b, b -> c'), options());
    const lines = output().trim().split('\n');
    expect(lines.map((l) => l.replace(/\d+(\.\d+)?m?s/, 'T'))).toEqual([
      '[a] start',
      '[a] ok T',
      '[b] start',
      '[b] FAILED T: b broke',
      '[c] skipped: upstream b failed',
    ]);
  });

  it('lines and tree: a step says why it runs when it starts (issue 16 item 7); a requested step does not', async () => {
    const { options, output } = harness();
    const plan = planOf('a -> b', {}, ['c']);
    plan.steps[0]!.reasons = [
      { type: 'input-changed', diffs: [{ field: 'memory_mb', actual: 512, desired: 1024 }] },
    ];
    plan.steps[1]!.reasons = [{ type: 'failed', at: '2026-01-01T00:00:00Z', message: 'x'.repeat(200) }];
    plan.steps[2]!.reasons = [{ type: 'requested', detail: 'started c' }];
    plan.steps[2]!.requested = { action: 'start', note: 'started c', delayMs: 0 };
    await runPlan(plan, options());
    const starts = output()
      .split('\n')
      .filter((l) => / start/.test(l));
    expect(starts).toContain('[a] start: config changed: memory_mb');
    expect(starts.find((l) => l.startsWith('[b]'))).toMatch(
      /^\[b\] start: last run failed \(2026-01-01T00:00:00Z\): x+…$/,
    );
    expect(starts.find((l) => l.startsWith('[b]'))!.length).toBeLessThan(80);
    expect(starts).toContain('[c] start');
  });

  it('verbose: also streams what steps report', async () => {
    const { options, output } = harness();
    await runPlan(planOf('', {}, ['a']), options({ renderer: 'verbose' }));
    expect(output()).toContain('[a] | working on a');
  });

  it('quiet: only failures', async () => {
    const { options, output } = harness({ fail: ['b'] });
    await runPlan(planOf('a -> b', {}, ['c']), options({ renderer: 'quiet', keepGoing: true }));
    expect(output().trim().split('\n')).toHaveLength(1);
    expect(output()).toMatch(/^\[b\] FAILED/);
  });

  it('tree: falls back to one line per event when the stream is not a terminal', async () => {
    const { options, output } = harness();
    await runPlan(planOf('', {}, ['a']), options({ renderer: 'tree' }));
    expect(output()).toMatch(/^\[a\] start\n\[a\] ok /);
  });

  it('tree: listr2 runs each step under its target, showing waits, outcomes and durations', async () => {
    const { options } = harness({ fail: ['c'], delayMs: (a) => (a === 'a' ? 30 : 2) });
    const tty = Object.assign(new PassThrough(), { isTTY: true, columns: 100, rows: 40 });
    let text = '';
    tty.on('data', (d: Buffer) => (text += d.toString()));
    const plan = planOf('a -> b', {}, ['c']);
    plan.steps = plan.steps.map((st) => ({ ...st, target: st.address === 'c' ? 951 : 950 }));
    const summary = await runPlan(
      plan,
      options({ renderer: 'tree', output: tty, keepGoing: true, groupTitle: (t) => `guest ${t}` }),
    );
    expect(summary.ran.sort()).toEqual(['a', 'b']);
    expect(text).toContain('guest 950');
    expect(text).toContain('guest 951');
    expect(text).toMatch(/b .*waiting for a/);
    expect(text).toContain('c broke');
    expect(text).toMatch(/a \d+ms/);
  });

  it('chooses the tree on a TTY and lines under CI or without a TTY', () => {
    expect(chooseRenderer({ isTTY: true, env: {} })).toBe('tree');
    expect(chooseRenderer({ isTTY: true, env: { CI: 'true' } })).toBe('lines');
    expect(chooseRenderer({ isTTY: false, env: {} })).toBe('lines');
    expect(chooseRenderer({ isTTY: true, env: {}, quiet: true })).toBe('quiet');
  });
});
