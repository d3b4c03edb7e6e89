// Figure 6, a cluster through the API (issue 15): `phoenix sim serve` on three nodes and a generated fleet of 60
// guests, 20 on each node (a container template with three clones, fifteen containers from the OS template, a VM
// from a cloud image), every guest's node named by its `node` key.
// - The full build: `LetsGo --concurrency 4` on a fresh cluster, its run phase against the lower bound of figure 3
//   (concurrency.js `analyse`: max(critical path, work / 4), and the host-aware bound). Each step's cost is its own
//   duration at --concurrency 1 (the cache's durationMs). To save a second full build, only the first node's 20
//   guests are built at --concurrency 1, on a fresh cluster of their own; every node's guests are the same shape, so
//   guest 1104's steps cost what guest 1004's did.
// - The no-op: `LetsGo` three more times after the build, its requests counted from the simulator's calls.jsonl
//   (at most guests + 2, none writing) and its wall time (median; < 0.5 s). The simulated server shares the machine.
// The server runs each write as the simulated command behind it (a Node start-up each), at latencyScale
// PHOENIX_BENCH_CLUSTER_LATENCY_SCALE (default 0.25, which keeps the two builds near three minutes together on two
// cores).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { analyse, recordedDurations, runPhaseMs } from './concurrency.js';
import {
  PHOENIX,
  benchEnv,
  createSimDir,
  log,
  median,
  phoenix,
  readCalls,
  registerSimDir,
  tempDir,
} from './lib.js';

export const NODES = ['pve1', 'pve2', 'pve3'];
const PER_NODE = 20;
const NOOP_RUNS = 3;
export const CLUSTER_LATENCY_SCALE = Number(process.env.PHOENIX_BENCH_CLUSTER_LATENCY_SCALE ?? 0.25);

const OS_TEMPLATE = 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst';

/** The generated fleet (legacy-shaped JSON, a `node` key on every guest): 1000-1019 on pve1, 1100-1119 on pve2... */
export function clusterFleet(nodes = NODES) {
  const lxc = {};
  const vms = [];
  nodes.forEach((node, k) => {
    const first = 1000 + k * 100;
    const ct = (id, name, extra) => {
      lxc[String(id)] = {
        name,
        node,
        memory_mb: 512,
        cores: 1,
        storage_pool: 'local-lvm',
        storage_size_gb: 4,
        network_config: {
          name: 'eth0',
          bridge: 'vmbr0',
          ip: `10.0.${k}.${id - first + 10}/24`,
          gw: `10.0.${k}.1`,
        },
        ...extra,
      };
    };
    ct(first, `tmpl-${node}`, { template: OS_TEMPLATE, template_snapshot_name: 'base' });
    for (let i = 1; i <= 3; i++) ct(first + i, `clone-${first + i}`, { clone_from_ctid: first });
    for (let i = 4; i < PER_NODE - 1; i++) ct(first + i, `ct-${first + i}`, { template: OS_TEMPLATE });
    vms.push({
      vmid: first + PER_NODE - 1,
      name: `vm-${node}`,
      node,
      template_image: 'noble-server-cloudimg-amd64.img',
      template_image_url: 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img',
    });
  });
  return { hypervisor: { setup_scripts: [] }, lxc, vms };
}

/** `phoenix sim serve` on a fresh three-node cluster; resolves once api.json is written. */
async function serveCluster(latencyScale) {
  const simDir = registerSimDir(await createSimDir({ config: { nodes: NODES, latencyScale } }));
  const server = spawn(
    process.execPath,
    [PHOENIX, 'sim', 'serve', '--sim-dir', simDir, '--nodes', NODES.join(','), '--port', '0'],
    { stdio: 'ignore', env: benchEnv(tempDir('serve-cache')) },
  );
  const info = join(simDir, 'api.json');
  for (let i = 0; i < 600 && !existsSync(info); i++) await sleep(50);
  if (!existsSync(info)) throw new Error('phoenix sim serve wrote no api.json');
  const api = JSON.parse(readFileSync(info, 'utf8'));
  return { simDir, api, stop: () => server.kill('SIGTERM') };
}

/** A fleet folder and the environment of phoenix runs against the served cluster (their own cache). */
function client(api, name, fleet) {
  const dir = tempDir(name);
  mkdirSync(join(dir, 'fleet'));
  writeFileSync(join(dir, 'fleet', 'phoenix.config.json'), JSON.stringify(fleet));
  const env = benchEnv(join(dir, 'cache'), {
    PHOENIX_API_URL: api.url,
    PHOENIX_API_TOKEN: api.token,
    PHOENIX_API_FINGERPRINT: api.fingerprint,
    PHOENIX_SSH: api.ssh,
  });
  return { cacheDir: join(dir, 'cache'), opts: { cwd: join(dir, 'fleet'), env } };
}

/** The requests the server answered since `from` (calls.jsonl lines), as `METHOD PATH`. */
const requestsSince = (simDir, from) =>
  readCalls(simDir)
    .slice(from)
    .filter((c) => c.tool === 'api')
    .map((c) => c.argv.join(' '));

/** `LetsGo --concurrency N` of `fleet` on a fresh cluster; `then(cluster, opts)` runs before the server stops. */
async function build(fleet, concurrency, then) {
  const cluster = await serveCluster(CLUSTER_LATENCY_SCALE);
  try {
    const { cacheDir, opts } = client(cluster.api, `cluster-c${concurrency}`, fleet);
    const planned = JSON.parse((await phoenix(['plan', '--json'], opts)).stdout);
    const guests = Object.keys(fleet.lxc).length + fleet.vms.length;
    log(
      `cluster: LetsGo of ${guests} guests at --concurrency ${concurrency} (latencyScale ${CLUSTER_LATENCY_SCALE})`,
    );
    const r = await phoenix(['LetsGo', '--concurrency', String(concurrency)], opts);
    const phase = runPhaseMs(r.stderr);
    log(`cluster c${concurrency}: ${phase.ran} steps, run phase ${(phase.wall / 1000).toFixed(1)} s`);
    return { cacheDir, processMs: r.ms, planned, ...phase, ...(await then?.(cluster, opts)) };
  } finally {
    cluster.stop();
  }
}

/** No-op LetsGo runs after a build: the requests of the last and the median wall. */
async function noops(cluster, opts) {
  const walls = [];
  let served = [];
  for (let i = 0; i < NOOP_RUNS; i++) {
    const before = readCalls(cluster.simDir).length;
    const again = await phoenix(['LetsGo'], opts);
    if (!/Nothing to build/.test(again.stderr))
      throw new Error(`the LetsGo was not a no-op:\n${again.stderr}`);
    walls.push(again.ms);
    served = requestsSince(cluster.simDir, before);
  }
  log(`cluster no-op: ${served.length} requests, median ${median(walls).toFixed(0)} ms`);
  return { noop: { requests: served, wallMs: median(walls), wallRunsMs: walls } };
}

/** `1104:define` costs what `1004:define` did (the first node's guest in the same place). */
const onFirstNode = (address) => address.replace(/^1(\d)(\d\d)(?=:)/, '10$2');

export async function clusterFigure() {
  const guests = NODES.length * PER_NODE;
  const one = await build(clusterFleet(NODES.slice(0, 1)), 1);
  const four = await build(clusterFleet(), 4, noops);
  const measured = recordedDurations(one.cacheDir);
  const costs = new Map();
  for (const st of four.planned.steps) {
    const cost = measured.get(onFirstNode(st.address));
    if (st.status === 'stale' && cost === undefined) throw new Error(`no cost measured for ${st.address}`);
    costs.set(st.address, cost);
  }
  const bounds = analyse(
    four.planned.steps.filter((st) => st.status === 'stale'),
    costs,
  );
  const requests = four.noop.requests;
  return {
    nodes: NODES.length,
    guests,
    latencyScale: CLUSTER_LATENCY_SCALE,
    c1FirstNodeRunMs: one.wall,
    c4RunMs: four.wall,
    c4ProcessMs: four.processMs,
    ...bounds,
    ratio: four.wall / bounds.boundMs,
    hostRatio: four.wall / bounds.hostBoundMs,
    noopRequests: requests.length,
    noopWrites: requests.filter((r) => !r.startsWith('GET ')),
    noopRequestList: requests,
    noopWallMs: four.noop.wallMs,
    noopWallRunsMs: four.noop.wallRunsMs,
  };
}
