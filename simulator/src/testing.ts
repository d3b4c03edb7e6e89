// Helpers for tests and benchmarks that drive Phoenix (or the tools directly) against the simulator.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newGuest, setStatus } from './context.js';
import { configDisks } from './guests.js';
import { loadSimConfig, SIM_CONFIG_FILE, type SimConfig } from './simconfig.js';
import { CALLS_FILE, readState, transact, type GuestState, type SimState } from './state.js';
import { splitVolid } from './storage.js';

export type { SimConfig, FaultRule, ExecRule, StorageDef, TemplateDef, CloudImageDef } from './simconfig.js';
export type {
  SimState,
  GuestState,
  SnapshotState,
  ExecRecord,
  PushRecord,
  FileRecord,
  VolumeState,
} from './state.js';

/** One line of calls.jsonl. `exit` is null for a call that was left hanging by a fault rule. */
export interface CallRecord {
  tool: string;
  argv: string[];
  exit: number | null;
  ms: number;
  hang?: boolean;
}

/** The folder holding the pct/qm/pvesm/pveam/pvesh launchers (works from sources and from dist). */
export function simBinDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const cand = join(d, 'simulator', 'bin');
    if (existsSync(join(cand, 'pct'))) return cand;
    if (existsSync(join(d, 'bin', 'pct')) && d.endsWith('simulator')) return join(d, 'bin');
    d = dirname(d);
  }
  throw new Error('simulator/bin not found');
}

/** Environment for a process that should talk to the simulator: its bin folder first on PATH. */
export function simEnv(dir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    PATH: [simBinDir(), base.PATH ?? ''].filter(Boolean).join(delimiter),
    PHOENIX_SIM_DIR: dir,
  };
}

export function writeSimConfig(dir: string, cfg: Partial<SimConfig>): void {
  writeFileSync(join(dir, SIM_CONFIG_FILE), JSON.stringify(cfg, null, 2) + '\n');
}

export interface CreateSimDirOptions {
  /** Written to sim.json. `latencyScale` defaults to 0 here (tests), unlike a bare sim dir (1). */
  config?: Partial<SimConfig>;
  /** OS templates (catalogue names) already downloaded to `local`, e.g. debian-12-standard_12.12-1_amd64.tar.zst. */
  templates?: string[];
}

/** A fresh simulated node in a new temp directory (the caller removes it). */
export async function createSimDir(opts: CreateSimDirOptions = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'phoenix-sim-'));
  writeSimConfig(dir, { latencyScale: 0, ...opts.config });
  const cfg = loadSimConfig(dir, {});
  await transact(dir, cfg, (s) => {
    for (const name of opts.templates ?? []) {
      const t = cfg.catalog.find((c) => c.name === name);
      s.storages.local!.volumes[`vztmpl/${name}`] = {
        format: 'tzst',
        content: 'vztmpl',
        size: t?.size ?? 128 * 1024 * 1024,
      };
    }
  });
  return dir;
}

export function readCalls(dir: string): CallRecord[] {
  let text = '';
  try {
    text = readFileSync(join(dir, CALLS_FILE), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CallRecord);
}

export function readSimState(dir: string): SimState {
  return readState(dir, loadSimConfig(dir, {}));
}

export interface SeedGuest {
  vmid: number;
  type: 'lxc' | 'qemu';
  /** Main config section as `pct config`/`qm config` print it (values as strings). */
  config: Record<string, string>;
  status?: 'running' | 'stopped';
  lxc?: [string, string][];
  snapshots?: Record<
    string,
    { config?: Record<string, string>; description?: string; snaptime?: number; parent?: string }
  >;
  /** Pretend it was created long ago, so /cluster/resources is not stale for it (default true). */
  old?: boolean;
}

/** Puts an existing guest into the state (adoption/drift tests); volumes its config names are registered. */
export async function seedGuest(dir: string, seed: SeedGuest): Promise<void> {
  await seedVolume(dir, []);
  const cfg = loadSimConfig(dir, {});
  await transact(dir, cfg, (s) => {
    const t = seed.old === false ? Date.now() : Date.now() - 3_600_000;
    const g: GuestState = newGuest(seed.vmid, seed.type, t, s.vmlistVersion + 1);
    g.config = { ...seed.config };
    g.lxc = seed.lxc ?? [];
    for (const [name, sn] of Object.entries(seed.snapshots ?? {})) {
      const c = { ...(sn.config ?? seed.config) };
      delete c.parent;
      if (sn.parent) c.parent = sn.parent;
      g.snapshots[name] = {
        config: c,
        lxc: g.lxc.map(([a, b]) => [a, b]),
        snaptime: sn.snaptime ?? Math.floor(t / 1000),
      };
      if (sn.description) g.snapshots[name].description = sn.description;
    }
    if (seed.status === 'running') {
      s.nextPid += 7;
      setStatus(g, 'running', t, s.nextPid);
    }
    for (const c of [g.config, ...Object.values(g.snapshots).map((x) => x.config)]) {
      for (const d of configDisks(seed.type, c, false)) {
        const sv = splitVolid(d.volid)!;
        const st = s.storages[sv[0]];
        if (st && !st.volumes[sv[1]]) {
          st.volumes[sv[1]] = {
            format: sv[1].endsWith('.qcow2') ? 'qcow2' : 'raw',
            content: seed.type === 'lxc' ? 'rootdir' : 'images',
            size: d.size || 1024 ** 3,
            vmid: seed.vmid,
          };
        }
      }
    }
    s.guests[seed.vmid] = g;
  });
}

/** Registers files on storages (templates, ISOs, import images): [volid, size in bytes][]. */
export async function seedVolume(dir: string, volumes: [string, number][]): Promise<void> {
  const cfg = loadSimConfig(dir, {});
  await transact(dir, cfg, (s: SimState) => {
    for (const [volid, size] of volumes) {
      const [sid, name] = splitVolid(volid)!;
      const st = s.storages[sid];
      if (!st) throw new Error(`storage '${sid}' does not exist in the simulator`);
      const content = (/^(vztmpl|iso|import|snippets|backup)\//.exec(name)?.[1] ?? 'images') as 'images';
      st.volumes[name] = { format: /\.(\w+)$/.exec(name)?.[1] ?? 'raw', content, size };
    }
  });
}
