// Figure 2, planning at scale: `phoenix plan` on a generated fleet of 1,000 containers (~9,000 steps) whose
// guests exist on the simulated node and whose steps are recorded in the cache (warm): wall time and peak RSS.
// Then `phoenix status` against `phoenix plan` on a fleet of 3,000 (~29,000 steps): status plans the same steps
// and prints a row per guest, so it should cost no more than plan.
// The guests are seeded into the simulator as a fully built fleet looks (running, templates snapshotted), and the
// cache is filled by `phoenix adopt`, which records every step whose live check passes without running scripts.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ROOT,
  benchEnv,
  createSimDir,
  log,
  registerSimDir,
  median,
  phoenix,
  REFERENCE,
  tempDir,
  writeSimConfig,
} from './lib.js';

const GUESTS = 1000;
const GROUP = 10; // one template and nine clones of it
const FIRST_ID = 1000;
const RUNS = 3;

function mac(id) {
  const hex = id.toString(16).padStart(6, '0');
  return `BC:24:11:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`.toUpperCase();
}

/** The generated fleet: groups of a template (base_setup, docker) and nine services cloned from it. */
export function generatedFleet(n = GUESTS) {
  const lxc = {};
  for (let i = 0; i < n; i++) {
    const id = FIRST_ID + i;
    const template = i % GROUP === 0;
    const base = FIRST_ID + i - (i % GROUP);
    lxc[String(id)] = template
      ? {
          name: `tmpl-${id}`,
          template: 'local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst',
          memory_mb: 1024,
          cores: 1,
          storage_pool: 'local-lvm',
          storage_size_gb: 8,
          network_config: { name: 'eth0', bridge: 'vmbr0', ip: 'dhcp', gw: '10.0.0.1' },
          features: ['base_setup', 'docker'],
          template_snapshot_name: 'ready',
        }
      : {
          name: `svc-${id}`,
          clone_from_ctid: base,
          memory_mb: 2048,
          cores: 2,
          storage_pool: 'local-lvm',
          storage_size_gb: 16,
          network_config: {
            name: 'eth0',
            bridge: 'vmbr0',
            ip: `10.${Math.floor(id / 250)}.${id % 250}.10/16`,
            gw: '10.0.0.1',
          },
          features: ['base_setup', 'nvidia', 'docker', 'vllm'],
          dependencies: i % GROUP === 1 ? [] : [base + 1],
          start_at_boot: true,
          boot_order: 2,
          application_script: 'phoenix_hypervisor_lxc_952.sh',
          health_check: { command: 'check_http.sh', retries: 3, interval: 1 },
        };
  }
  return {
    scripts: {
      lxc_features: 'lxc_features',
      vm_features: 'vm_features',
      applications: 'applications',
      hypervisor_setup: 'hypervisor_setup',
      health_checks: 'health_checks',
    },
    hypervisor: { node: 'pve', setup_scripts: ['hypervisor_initial_setup.sh'] },
    lxc,
  };
}

/** A guest as Phoenix leaves it after a full build (the shape the simulator's conf files show). */
function builtGuest(id, g) {
  const net = g.network_config;
  const config = {
    arch: 'amd64',
    cores: String(g.cores),
    hostname: g.name,
    memory: String(g.memory_mb),
    net0: `name=eth0,bridge=vmbr0,gw=${net.gw},hwaddr=${mac(id)},ip=${net.ip},type=veth`,
    ostype: 'debian',
    rootfs: `local-lvm:vm-${id}-disk-0,size=${g.storage_size_gb}G`,
    startup: `order=${g.boot_order ?? 0},up=0,down=180`, // down: the default shutdown_timeout
    swap: '512',
    unprivileged: '1',
    ...(g.start_at_boot ? { onboot: '1' } : {}),
  };
  const snap = g.template_snapshot_name;
  return {
    vmid: id,
    type: 'lxc',
    config: snap ? { ...config, parent: snap } : config,
    status: 'running',
    ...(snap ? { snapshots: { [snap]: { config } } } : {}),
  };
}

const simSrc = join(ROOT, 'dist', 'simulator', 'src');
const { transact } = await import(join(simSrc, 'state.js'));
const { loadSimConfig } = await import(join(simSrc, 'simconfig.js'));
const { newGuest, setStatus } = await import(join(simSrc, 'context.js'));

/**
 * testing.seedGuest, for many guests in one state transaction (one transaction per guest rewrites the whole
 * state each time: a minute for 1,000 guests). Same fields: config, snapshots, running status, rootfs volume.
 */
async function seedAll(simDir, seeds) {
  const cfg = loadSimConfig(simDir, {});
  await transact(simDir, cfg, (s) => {
    const t = Date.now() - 3_600_000; // built an hour ago: /cluster/resources is not stale for them
    for (const seed of seeds) {
      const g = newGuest(seed.vmid, seed.type, t, s.vmlistVersion + 1);
      g.config = { ...seed.config };
      g.lxc = [];
      for (const [name, sn] of Object.entries(seed.snapshots ?? {}))
        g.snapshots[name] = { config: { ...sn.config }, lxc: [], snaptime: Math.floor(t / 1000) };
      s.nextPid += 7;
      setStatus(g, 'running', t, s.nextPid);
      const volume = /^local-lvm:([^,]+),size=(\d+)G/.exec(seed.config.rootfs);
      if (volume)
        s.storages['local-lvm'].volumes[volume[1]] = {
          format: 'raw',
          content: 'rootdir',
          size: Number(volume[2]) * 1024 ** 3,
          vmid: seed.vmid,
        };
      s.guests[seed.vmid] = g;
    }
  });
}

/** A generated fleet of `n` containers, seeded as built and adopted: its folder, simulator folder and options. */
export async function adoptedFleet(n) {
  const dir = tempDir(`fleet${n}`);
  const fleet = generatedFleet(n);
  writeFileSync(join(dir, 'phoenix.config.json'), JSON.stringify(fleet, null, 2));
  for (const sub of ['lxc_features', 'vm_features', 'applications', 'hypervisor_setup', 'health_checks'])
    cpSync(join(REFERENCE, sub), join(dir, sub), { recursive: true, dereference: true });
  mkdirSync(join(dir, 'vm_features'), { recursive: true });

  log(`at scale: seeding ${n} built containers into the simulator`);
  const simDir = registerSimDir(await createSimDir({ config: { latencyScale: 0 } }));
  const t0 = Date.now();
  await seedAll(
    simDir,
    Object.entries(fleet.lxc).map(([id, g]) => builtGuest(Number(id), g)),
  );
  log(`at scale: seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s; adopting`);

  const env = benchEnv(tempDir(`fleet${n}-cache`));
  const opts = { cwd: dir, env };
  const sim = ['--sim-dir', simDir];
  const adopted = await phoenix(['adopt', ...sim], opts);
  log(`at scale: ${adopted.stdout.trim()} (${(adopted.ms / 1000).toFixed(1)} s)`);
  // Realistic latency from here: any pct/qm call costs what it costs on a node.
  writeSimConfig(simDir, { latencyScale: 1 });
  return { opts, sim, adopted: adopted.stdout.trim() };
}

const SUMMARY = /(\d+) to run, (\d+) blocked, (\d+) up to date/;

export async function planScaleFigure() {
  const { opts, sim, adopted } = await adoptedFleet(GUESTS);
  await phoenix(['plan', ...sim], opts); // warm: the OS file cache, as for any second run
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await phoenix(['plan', ...sim], { ...opts, rss: true }));
  const summary = SUMMARY.exec(runs[0].stdout);
  const steps = summary ? Number(summary[1]) + Number(summary[2]) + Number(summary[3]) : NaN;
  log(`plan at scale: ${summary?.[0] ?? '?'}; median ${median(runs.map((r) => r.ms)).toFixed(0)} ms`);
  return {
    guests: GUESTS,
    steps,
    upToDate: summary ? Number(summary[3]) : NaN,
    adopted,
    wallMs: median(runs.map((r) => r.ms)),
    wallRunsMs: runs.map((r) => r.ms),
    maxRssMiB: Math.max(...runs.map((r) => (r.maxRssKiB ?? NaN) / 1024)),
  };
}

const STATUS_GUESTS = 3000;
/** Seven, not three: the two differ by less than this machine's run-to-run spread (±10% at 2 s). */
const STATUS_RUNS = 7;

/** `phoenix status` and `phoenix plan` on the 3,000-guest fleet, interleaved, medians of STATUS_RUNS each. */
export async function statusScaleFigure() {
  const { opts, sim, adopted } = await adoptedFleet(STATUS_GUESTS);
  // Warm, as for any second run: the OS file cache, and each verb's compiled code (the code cache).
  await phoenix(['plan', ...sim], opts);
  await phoenix(['status', ...sim], opts);
  const plans = [];
  const statuses = [];
  let rows = NaN;
  for (let i = 0; i < STATUS_RUNS; i++) {
    plans.push((await phoenix(['plan', ...sim], opts)).ms);
    const status = await phoenix(['status', ...sim], opts);
    statuses.push(status.ms);
    rows = (status.stdout.match(/^│ \d+ /gm) ?? []).length;
  }
  const planMs = median(plans);
  const statusMs = median(statuses);
  log(`status at scale: ${rows} rows; status ${statusMs.toFixed(0)} ms, plan ${planMs.toFixed(0)} ms`);
  return {
    guests: STATUS_GUESTS,
    adopted,
    rows,
    statusMs,
    planMs,
    ratio: statusMs / planMs,
    statusRunsMs: statuses,
    planRunsMs: plans,
  };
}
