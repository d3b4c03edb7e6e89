// A session binds one command to one target host: the fleet, the host backend (real node or simulator), the
// step cache for that host, and the step graph. Everything a verb needs, opened once.
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { Fleet } from '../config/model.js';
import type { SecretMasker } from '../config/secrets.js';
import type { HostExec } from '../host/host.js';
import type { StepCache } from '../cache/cache.js';
import type { StepGraph } from '../graph/types.js';
import type { ResolvedOptions } from './context.js';
import { cacheDirFor, shortHash, SIMULATOR_BIN } from './paths.js';
import { err, ok, type Result } from '../result.js';
import { openStepCache, cacheNamespace } from '../cache/file-cache.js';
import { createHostExec } from '../host/exec.js';
import { newRunLog } from '../run/log.js';
import { fleetSecrets, secretMasker } from '../config/secrets.js';
import { loadSecretKey } from '../cache/secret-key.js';
import { buildStepGraph } from '../graph/build.js';
import { stepTables } from '../tasks/index.js';

export interface HostTarget {
  kind: 'sim' | 'node';
  /** Proxmox node name. */
  node: string;
  /**
   * Root under which the node's files are read (/etc/pve, /proc, /var/run/qemu-server): `/` on the node, the
   * simulator's folder under simulation.
   */
  pveRoot: string;
  /** Environment for every process Phoenix starts (the simulator's folder first on PATH under --sim). */
  env: NodeJS.ProcessEnv;
  /** Human description for messages. */
  describe: string;
  /** Cache namespace identity. */
  identity: string;
  /**
   * Where the host's run lock lives: with the host, so every config folder and cache driving it shares it (a real
   * node: /run/lock/phoenix; the simulator: its own folder).
   */
  lockDir: string;
}

/** The run lock folder on a Proxmox node (a tmpfs, cleared at boot like the locks it holds). */
export const NODE_LOCK_DIR = '/run/lock/phoenix';

export interface Session {
  fleet: Fleet;
  options: ResolvedOptions;
  target: HostTarget;
  cacheDir: string;
  logFile: string;
  host: HostExec;
  cache: StepCache;
  /** How secret input values enter fingerprints: keyed with this cache folder's key (cache/secret-key.ts). */
  maskSecrets: SecretMasker;
  graph: StepGraph;
  warnings: string[];
  /** Aborted by the first SIGINT/SIGTERM (engine/interrupt.ts): the run stops cleanly. */
  signal?: AbortSignal;
  /** Guest ID -> incarnation as last seen, so records carry the guest they ran against. */
  incarnations: Map<number, string>;
  /** A diagnostic line that `--verbose` shows (how the live state was read); dropped otherwise. */
  note: (line: string) => void;
}

/** Decide which host the command talks to. Pure apart from reading env. */
export function pickTarget(fleet: Fleet, options: ResolvedOptions, env: NodeJS.ProcessEnv): HostTarget {
  const cacheDir = cacheDirFor(fleet.root, env);
  if (options.sim || options.simDir) {
    const simDir = resolve(options.simDir ?? join(cacheDir, 'sim'));
    const node = typeof fleet.hypervisor.node === 'string' ? fleet.hypervisor.node : 'pve';
    return {
      kind: 'sim',
      node,
      pveRoot: simDir,
      env: { ...env, PHOENIX_SIM_DIR: simDir, PATH: `${SIMULATOR_BIN}${delimiter}${env.PATH ?? ''}` },
      describe: `simulator at ${simDir}`,
      identity: `sim-${shortHash(simDir)}`,
      lockDir: join(simDir, 'phoenix-locks'),
    };
  }
  const node = env.PHOENIX_NODE ?? fleet.hypervisor.node ?? hostname().split('.')[0] ?? 'pve';
  return {
    kind: 'node',
    node,
    pveRoot: '/',
    env,
    describe: `node ${node}`,
    identity: node,
    lockDir: NODE_LOCK_DIR,
  };
}

/** Seed a new simulator folder with `phoenix.sim.json` from beside the config, when there is one. */
async function prepareSimulator(fleet: Fleet, target: HostTarget): Promise<void> {
  await mkdir(target.pveRoot, { recursive: true });
  const seed = join(fleet.root, 'phoenix.sim.json');
  const dest = join(target.pveRoot, 'sim.json');
  if (existsSync(seed) && !existsSync(dest)) await copyFile(seed, dest);
}

/** The host side of a session: which host, its backend and the run log, before any graph or cache. */
export type HostSession = Pick<
  Session,
  'fleet' | 'options' | 'target' | 'cacheDir' | 'logFile' | 'host' | 'note'
>;

/** Everything but the step cache: enough to check targets and ask questions before taking the run lock. */
export type PreparedSession = Omit<Session, 'cache' | 'warnings' | 'maskSecrets'>;

/** Pick the target host and open its backend (spawns nothing). `note` receives the `--verbose` diagnostics. */
export async function openHost(
  fleet: Fleet,
  options: ResolvedOptions,
  env: NodeJS.ProcessEnv,
  note: (line: string) => void = () => undefined,
): Promise<HostSession> {
  const target = pickTarget(fleet, options, env);
  if (target.kind === 'sim') await prepareSimulator(fleet, target);
  const cacheDir = cacheDirFor(fleet.root, env);
  const logFile = newRunLog(cacheDir);
  const host = createHostExec({
    node: target.node,
    pveRoot: target.pveRoot,
    logFile,
    env: target.env,
    // Passwords, tokens and keys from the config never reach the run log, even when a script echoes them.
    redact: fleetSecrets(fleet),
  });
  return { fleet, options, target, cacheDir, logFile, host, note };
}

/** Build the step graph of the fleet; an error is a graph the config's rules should have refused. */
export function prepareSession(opened: HostSession): Result<PreparedSession, string> {
  const graph = buildStepGraph(opened.fleet, stepTables);
  if (!graph.ok) return err(graph.error.message);
  return ok({ ...opened, graph: graph.value, incarnations: new Map() });
}

/**
 * Open the step cache. A mutating verb does this only once it holds the run lock, so a run that waited behind
 * another (--wait) sees what that run recorded instead of redoing it.
 */
export async function attachCache(prepared: PreparedSession): Promise<Session> {
  const [opened, key] = await Promise.all([
    openStepCache(prepared.cacheDir, cacheNamespace(prepared.target.identity)),
    loadSecretKey(prepared.cacheDir),
  ]);
  return { ...prepared, cache: opened.cache, warnings: opened.warnings, maskSecrets: secretMasker(key) };
}
