// Workspaces for the fault and crash tests: a simulator folder, a cache, prefs, and a fleet config, plus a cheap
// copy of a built workspace (simulator state and step cache) so several cases can start from the same point.
import { cpSync, readdirSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheNamespace } from '../../src/cache/namespace.js';
import { shortHash } from '../../src/engine/paths.js';
import { createSimDir } from '../../simulator/src/testing.js';
import type { SimConfig } from '../../simulator/src/testing.js';
import { runPhoenix, tempDir, type Ran, type RunOpts, type Workspace } from './helpers.js';
import { removedLater } from '../support/temp-dirs.js';

export interface FleetWorkspace extends Workspace {
  config: string;
}

export async function newWorkspace(config: string, sim?: Partial<SimConfig>): Promise<FleetWorkspace> {
  const root = tempDir();
  const simDir = removedLater(await createSimDir(sim ? { config: sim } : {}));
  return { root, sim: simDir, cache: join(root, 'cache'), prefs: join(root, 'prefs'), config };
}

/** A copy of `ws` (host and cache) at new paths; the cache namespace follows the simulator folder's new path. */
export function copyWorkspace(ws: FleetWorkspace): FleetWorkspace {
  const root = tempDir();
  const copy: FleetWorkspace = {
    root,
    sim: join(root, 'sim'),
    cache: join(root, 'cache'),
    prefs: join(root, 'prefs'),
    config: ws.config,
  };
  cpSync(ws.sim, copy.sim, { recursive: true });
  cpSync(join(ws.cache, 'hosts'), join(copy.cache, 'hosts'), { recursive: true });
  const [ns] = readdirSync(join(copy.cache, 'hosts'));
  if (ns !== undefined) {
    const fresh = cacheNamespace(`sim-${shortHash(resolve(copy.sim))}`);
    renameSync(join(copy.cache, 'hosts', ns), join(copy.cache, 'hosts', fresh));
  }
  return copy;
}

/** Env that shortens Phoenix's own pauses (start retries, agent polling) so fault tests do not wait. */
export const QUICK_ENV = {
  PHOENIX_START_PAUSE_MS: '0',
  PHOENIX_AGENT_POLL_MS: '20',
  PHOENIX_AGENT_TIMEOUT_MS: '1500',
};

export function phoenix(ws: FleetWorkspace, args: string[], opts: RunOpts = {}): Promise<Ran> {
  return runPhoenix(ws, [...args, '--config', ws.config], {
    ...opts,
    env: { ...QUICK_ENV, ...opts.env },
  });
}
