// A session binds one command to one target host: the fleet, the host backend (real node or simulator), the
// step cache for that host, and the step graph. Everything a verb needs, opened once.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import type { Fleet } from '../config/model.js';
import type { SecretMasker } from '../config/secrets.js';
import type { HostExec } from '../host/host.js';
import type { StepCache } from '../cache/cache.js';
import type { StepGraph } from '../graph/types.js';
import type { ResolvedOptions } from './context.js';
import { cacheDirFor, shortHash, SIMULATOR_BIN, SIMULATOR_SCRIPT_STAND_IN } from './paths.js';
import type { LaunchPolicy } from '../host/launch.js';
import { declaredStorages } from '../config/declared-storages.js';
import { err, ok, type Result } from '../result.js';
import { openStepCache, cacheNamespace } from '../cache/file-cache.js';
import { createHostExec } from '../host/exec.js';
import { newRunLog } from '../run/log.js';
import { fleetSecrets, secretMasker } from '../config/secrets.js';
import { loadSecretKey } from '../cache/secret-key.js';
import { buildStepGraph } from '../graph/build.js';
import { stepTables } from '../tasks/index.js';
import type { ApiAccess } from './api-access.js';
import type { ApiHost } from '../host/api/host.js';
import { loadApiHost } from '../startup.js';

export interface HostTarget {
  kind: 'sim' | 'node' | 'api';
  /**
   * Under --sim: the fleet's own scripts really run (their pct/qm calls reach the simulator). Only when the config
   * says so (`"runScripts": true` in phoenix.sim.json beside it): otherwise they are recorded, never run.
   */
  runScripts?: boolean;
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
  /** The run log; none for a verb that changes nothing (see openHost). */
  logFile: string | undefined;
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
  /** A cluster: its run lock was taken before planning (`--wait`), so the run does not take it again. */
  clusterLocked?: boolean;
}

/** Decide which host the command talks to. Pure apart from reading env. */
export function pickTarget(
  fleet: Fleet,
  options: ResolvedOptions,
  env: NodeJS.ProcessEnv,
  api?: ApiAccess,
): HostTarget {
  const cacheDir = cacheDirFor(fleet.root, env);
  if (api !== undefined) {
    // The cluster's node names come from its API. This lock folder is this machine's; a run with work also takes
    // the cluster's own (src/host/api/cluster-lock.ts: the API has no lock to share).
    return {
      kind: 'api',
      node: '',
      pveRoot: join(cacheDir, 'api'),
      env,
      describe: `cluster at ${api.url}`,
      identity: `api-${shortHash(api.url)}`,
      lockDir: join(cacheDir, 'api-locks'),
    };
  }
  if (options.sim || options.simDir) {
    const simDir = resolve(options.simDir ?? join(cacheDir, 'sim'));
    const node = typeof fleet.hypervisor.node === 'string' ? fleet.hypervisor.node : 'pve';
    return {
      kind: 'sim',
      node,
      runScripts: simSeed(fleet.root).runScripts === true,
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

const SIM_SEED = 'phoenix.sim.json';

/** `phoenix.sim.json` beside the config: the simulator's settings for this fleet (empty when absent or unreadable). */
function simSeed(root: string): Record<string, unknown> {
  try {
    const value = JSON.parse(readFileSync(join(root, SIM_SEED), 'utf8')) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/**
 * A new simulator folder is a fresh node: `phoenix.sim.json` from beside the config, when there is one, and the
 * storages the hypervisor config declares (what its ZFS setup script would add), unless the seed names its own.
 */
async function prepareSimulator(fleet: Fleet, target: HostTarget): Promise<void> {
  mkdirSync(target.pveRoot, { recursive: true }); // sync: one call, on every command's path
  const dest = join(target.pveRoot, 'sim.json');
  if (existsSync(dest) || existsSync(join(target.pveRoot, 'state.json'))) return;
  const seed = simSeed(fleet.root);
  const storages = declaredStorages(fleet.hypervisor);
  const config = { ...(Object.keys(storages).length > 0 ? { storages } : {}), ...seed };
  if (Object.keys(config).length > 0) await writeFile(dest, `${JSON.stringify(config, null, 2)}\n`);
}

/** What stands between a step's command line and the process: 644 scripts' interpreters, the sim's stand-in. */
function launchPolicy(fleet: Fleet, target: HostTarget): LaunchPolicy {
  const forbidden = new Set<string>();
  for (const g of fleet.guests.values())
    if (g.kind === 'vm') for (const f of g.scripts.features) forbidden.add(f.path);
  const policy: LaunchPolicy = { interpreters: fleet.scriptInterpreters ?? new Map(), forbidden };
  if (target.kind !== 'sim') return policy;
  const runnable = new Set(target.runScripts ? (fleet.scriptHashes?.keys() ?? []) : []);
  return { ...policy, sim: { standIn: SIMULATOR_SCRIPT_STAND_IN, runnable } };
}

/** The host side of a session: which host, its backend and the run log, before any graph or cache. */
export type HostSession = Pick<
  Session,
  'fleet' | 'options' | 'target' | 'cacheDir' | 'logFile' | 'host' | 'note'
> & {
  /** The cluster behind `host` under --api (what `doctor` asks about). */
  api?: ApiHost;
};

/** Everything but the step cache: enough to check targets and ask questions before taking the run lock. */
export type PreparedSession = Omit<Session, 'cache' | 'warnings' | 'maskSecrets'>;

/** Why a host could not be opened, with the exit code it means. */
export interface OpenFailure {
  message: string;
  exit: number;
}

/**
 * Pick the target host and open its backend (spawns nothing). `note` receives the `--verbose` diagnostics.
 * `runLog: false` (a verb that changes nothing, a dry run): the commands it reads with are logged nowhere. The API
 * transport reads the cluster once here, so an unreachable or untrusted server fails before anything else.
 */
export async function openHost(
  fleet: Fleet,
  options: ResolvedOptions,
  env: NodeJS.ProcessEnv,
  note: (line: string) => void = () => undefined,
  runLog = true,
  api?: ApiAccess,
  /** Whether the run may record what it decides and learns (the api transport's placement and snapshot lists):
   * not for plans and dry runs. */
  record = false,
): Promise<Result<HostSession, OpenFailure>> {
  const target = pickTarget(fleet, options, env, api);
  if (target.kind === 'sim') await prepareSimulator(fleet, target);
  const cacheDir = cacheDirFor(fleet.root, env);
  const logFile = runLog ? newRunLog(cacheDir) : undefined;
  const local = createHostExec({
    node: target.node,
    pveRoot: target.pveRoot,
    ...(logFile !== undefined && { logFile }),
    env: target.env,
    launch: launchPolicy(fleet, target),
    // Passwords, tokens and keys from the config never reach the run log, even when a script echoes them.
    redact: fleetSecrets(fleet),
  });
  if (api === undefined) return ok({ fleet, options, target, cacheDir, logFile, host: local, note });
  const memory = { record, reuse: options.cache !== false };
  const { openApiHost } = await loadApiHost();
  const opened = await openApiHost(fleet, api, local, env, note, cacheDir, memory);
  if (!opened.ok) return opened;
  return ok({
    fleet,
    options,
    target: { ...target, node: opened.value.node },
    cacheDir,
    logFile,
    host: opened.value,
    api: opened.value,
    note,
  });
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
