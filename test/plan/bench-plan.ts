// Quick measurement, not a test: plan() on a generated fleet of 1,000 guests (~10,000 steps).
// Run: npx esbuild test/plan/bench-plan.ts --bundle --platform=node --format=esm --outfile=/tmp/bench-plan.mjs && node --expose-gc /tmp/bench-plan.mjs
import type { Guest } from '../../src/config/model.js';
import { lxc, vm } from './fakes.js';
import { planWorld, world } from './harness.js';
import { runPlan } from './fakes.js';

function fleet(n: number): Guest[] {
  const guests: Guest[] = [];
  for (let i = 0; i < n; i++) {
    const id = 1000 + i;
    const source = i % 10 === 0 ? undefined : 1000 + i - (i % 10);
    const dependencies = i > 20 && i % 7 === 0 ? [1000 + i - 13] : [];
    if (i % 50 === 49) guests.push(vm(id, { features: ['base', 'agent'], dependencies }));
    else
      guests.push(
        lxc(id, {
          features: ['base', 'docker', 'nvidia'],
          application_script: 'app.sh',
          health_check: { command: 'true' },
          dependencies,
          ...(source === undefined ? { template_snapshot_name: 'golden' } : { clone_from_ctid: source }),
        }),
      );
  }
  return guests;
}

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
const time = <T>(label: string, f: () => T): T => {
  gc?.();
  const heap = process.memoryUsage().heapUsed;
  const t = performance.now();
  const r = f();
  const ms = performance.now() - t;
  console.log(`${label}: ${ms.toFixed(0)} ms, heap +${mb(process.memoryUsage().heapUsed - heap)} MB`);
  return r;
};

const guests = fleet(1000);
const w = time('build graph', () => world(guests));
console.log(`steps: ${w.graph.order}, edges: ${w.graph.size}`);
const first = time('plan, fresh host (all never ran)', () => planWorld(w));
runPlan(first, w.fleet, w.live, w.cache);
for (let i = 0; i < 3; i++) time(`plan, fully built (no-op) #${i + 1}`, () => planWorld(w));
w.scripts.contents.set('/scripts/lxc/docker.sh', 'v2');
const p = time('plan, docker feature script changed', () => planWorld(w));
console.log(
  `  -> ${p.steps.filter((s) => s.status === 'stale').length} stale, ${p.steps.filter((s) => s.status === 'blocked').length} blocked`,
);
time('plan one guest (1500) closure', () => planWorld(w, { targets: ['1500'] }));
console.log(`rss ${mb(process.memoryUsage().rss)} MB`);
