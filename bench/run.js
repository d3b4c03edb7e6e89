// `npm run bench`: every figure of issue 8 against the bundled simulator, in one go. Prints a table (figure,
// value, target, pass/fail) and writes bench/results.json. Ratios compare two things measured in this run.
// PHOENIX_BENCH_ONLY=noop,plan,status,concurrency,startup,tricks,cluster runs a subset; PHOENIX_BENCH_KEEP=1 keeps
// the temp folders.
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { clusterFigure } from './cluster.js';
import { concurrencyFigure } from './concurrency.js';
import { cleanup, ROOT } from './lib.js';
import { noopFigure } from './noop.js';
import { planScaleFigure, statusScaleFigure } from './plan-scale.js';
import { startupFigure } from './startup.js';
import { startupTricksFigure } from './startup-tricks.js';

const only = process.env.PHOENIX_BENCH_ONLY?.split(',');
const wanted = (name) => !only || only.includes(name);
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const x = (r) => `${r.toFixed(2)}×`;

const rows = [];
const row = (figure, value, target, pass, note = '') => rows.push({ figure, value, target, pass, note });
const results = {
  date: new Date().toISOString(),
  node: process.version,
  cores: availableParallelism(),
  cpu: cpus()[0]?.model ?? 'unknown',
  loadAverageAtStart: loadavg()[0],
  command: 'npm run bench',
  figures: {},
};

try {
  if (wanted('noop')) {
    const f = (results.figures.noop = await noopFigure());
    row(
      '1. no-op LetsGo: host processes',
      String(f.calls),
      '0',
      f.calls === 0,
      f.calls === 0 ? "the node's files answer the live read" : f.callList.join(', '),
    );
    row(
      '1. no-op LetsGo: --no-cache processes / no-op',
      `${f.noCacheCalls} / ${f.calls}${f.calls === 0 ? '' : ` = ${x(f.ratio)}`}`,
      '≥ 20×',
      f.calls === 0 || f.ratio >= 20,
      f.noCacheMode,
    );
    row(
      '1. no-op LetsGo: wall (latencyScale 1)',
      s(f.wallMs),
      '< 1 s',
      f.wallMs < 1000,
      `--no-cache: ${s(f.noCacheWallMs)}`,
    );
  }
  if (wanted('plan')) {
    const f = (results.figures.planScale = await planScaleFigure());
    row(
      `2. plan, ${f.guests} guests / ${f.steps} steps: wall`,
      s(f.wallMs),
      '< 2 s',
      f.wallMs < 2000,
      `${f.upToDate} up to date`,
    );
    row(
      '2. plan at scale: peak RSS',
      `${f.maxRssMiB.toFixed(0)} MiB`,
      '< 300 MB',
      f.maxRssMiB * 1.048576 < 300,
    );
  }
  if (wanted('status')) {
    const f = (results.figures.statusScale = await statusScaleFigure());
    row(
      `2. status / plan, ${f.guests} guests`,
      `${s(f.statusMs)} / ${s(f.planMs)} = ${x(f.ratio)}`,
      '≤ 1×',
      f.statusMs <= f.planMs,
      `${f.rows} rows; medians of ${f.statusRunsMs.length} interleaved runs`,
    );
  }
  if (wanted('concurrency')) {
    const f = (results.figures.concurrency = await concurrencyFigure());
    row(
      '3. full LetsGo at --concurrency 4 / lower bound',
      `${s(f.c4RunMs)} / ${s(f.boundMs)} = ${x(f.ratio)}`,
      '≤ 1.15×',
      f.ratio <= 1.15,
      `latencyScale ${f.latencyScale}; concurrency 1: ${s(f.c1RunMs)}; critical path ${s(f.criticalPathMs)}, work/4 ${s(f.totalWorkMs / 4)}`,
    );
    row(
      '3. the same / host-aware lower bound',
      `${s(f.c4RunMs)} / ${s(f.hostBoundMs)} = ${x(f.hostRatio)}`,
      '(≤ 1.15×)',
      f.hostRatio <= 1.15,
      f.lockOptimumMs === undefined
        ? 'too many lock orders to search'
        : `no schedule beats ${s(f.lockOptimumMs)} (${x(f.lockOptimumMs / f.boundMs)} the bound): clones of one source queue`,
    );
    row(
      '3. (reference) runner policy on 4 ideal workers',
      `${s(f.idealScheduleMs)} = ${x(f.idealRatio)} of the bound`,
      '',
      undefined,
      'same graph, costs and locks, no CPU contention',
    );
  }
  if (wanted('startup')) {
    const f = (results.figures.startup = await startupFigure());
    row(
      '4. phoenix --help / node -e 0',
      `${s(f.helpMs)} / ${s(f.nodeMs)} = ${x(f.helpRatio)}`,
      '≤ 1.3×',
      f.helpRatio <= 1.3,
    );
    row(
      '4. no-op phoenix plan / node -e 0',
      `${s(f.planMs)} / ${s(f.nodeMs)} = ${x(f.planRatio)}`,
      '≤ 2×',
      f.planRatio <= 2,
      `${f.planCalls} host processes per plan`,
    );
  }
  if (wanted('tricks')) {
    const f = (results.figures.startupTricks = await startupTricksFigure());
    for (const t of f.tricks)
      row(
        t.share
          ? `5. … of which ${t.name} (${t.module}) alone`
          : `5. start-up trick ${t.name}: what ${t.module} saves on a no-op plan`,
        `${t.savedMs.toFixed(0)} ms`,
        t.share ? '' : `≥ ${f.thresholdMs} ms to stay`,
        t.share ? undefined : t.kept,
      );
  }
  if (wanted('cluster')) {
    const f = (results.figures.cluster = await clusterFigure());
    row(
      `6. cluster (${f.nodes} nodes, ${f.guests} guests, API): full LetsGo at --concurrency 4 / lower bound`,
      `${s(f.c4RunMs)} / ${s(f.boundMs)} = ${x(f.ratio)}`,
      '≤ 1.15×',
      f.ratio <= 1.15,
      `latencyScale ${f.latencyScale}; ${f.steps} steps; critical path ${s(f.criticalPathMs)}, work/4 ${s(f.totalWorkMs / 4)}; host-aware bound ${s(f.hostBoundMs)} (${x(f.hostRatio)})`,
    );
    row(
      '6. cluster: no-op LetsGo requests (writes)',
      `${f.noopRequests} (${f.noopWrites.length})`,
      `≤ ${f.guests + 2} (0)`,
      f.noopRequests <= f.guests + 2 && f.noopWrites.length === 0,
      f.noopWrites.join(', '),
    );
    row(
      '6. cluster: no-op LetsGo wall',
      s(f.noopWallMs),
      '< 0.5 s',
      f.noopWallMs < 500,
      `runs ${f.noopWallRunsMs.map((ms) => s(ms)).join(', ')}; the simulated server shares the machine`,
    );
  }
} finally {
  cleanup();
}

results.table = rows;
writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
const { default: Table } = await import('cli-table3');
const table = new Table({
  head: ['figure', 'value', 'target', 'result', 'note'],
  style: { head: [], border: [] },
});
const verdict = (pass) => (pass === undefined ? '' : pass ? 'pass' : 'FAIL');
for (const r of rows) table.push([r.figure, r.value, r.target, verdict(r.pass), r.note]);
console.log(
  `${table.toString()}\n${results.cores} cores, ${results.cpu}, node ${results.node}; written to bench/results.json`,
);
