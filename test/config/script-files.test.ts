// Scripts are read when the config loads, so planning reads no file: the loader must read every script any step
// runs. This holds the step tables' scripts() to scriptPaths on the repository's example and legacy fleets.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../src/config/load.js';
import {
  MISSING_SCRIPT,
  globalsReadBy,
  readScripts,
  scriptHasher,
  scriptPaths,
} from '../../src/config/script-files.js';
import type { Fleet } from '../../src/config/model.js';
import { buildStepGraph } from '../../src/graph/build.js';
import { stepTables } from '../../src/tasks/index.js';

const REPO = resolve(import.meta.dirname, '..', '..');

async function load(config: string): Promise<Fleet> {
  const r = await loadFleet({ config, cwd: REPO, env: {} });
  if (!r.ok) throw new Error(r.error.map((p) => p.message).join('\n'));
  return r.value.fleet;
}

describe('script files', () => {
  it.each([
    ['the example fleet', 'phoenix.config.ts'],
    ['the legacy fixture', 'test/fixtures/legacy/phoenix_hypervisor'],
  ])('%s: every script a step runs was read at load, and planning reads none', async (_name, config) => {
    const fleet = await load(resolve(REPO, config));
    const listed = new Set(scriptPaths(fleet));
    const graph = buildStepGraph(fleet, stepTables);
    if (!graph.ok) throw new Error(graph.error.message);
    const live = { node: 'pve', guests: new Map() };
    const missing: string[] = [];
    graph.value.forEachNode((address, node) => {
      const target = node.kind === 'host' ? node.hostStep : node.guest;
      const ctx = { fleet, target, name: node.name, live } as Parameters<typeof node.spec.scripts>[0];
      for (const file of node.spec.scripts(ctx as never))
        if (!listed.has(file)) missing.push(`${address}: ${file}`);
    });
    expect(missing).toEqual([]);
    expect(fleet.scriptHashes?.size).toBe(listed.size);
  });

  it('hashes each script once, a missing one as a marker, and refuses a path it was not given', () => {
    const fleet = {
      hostSteps: [
        { script: 'a.sh', name: 'a', path: '/a.sh' },
        { script: 'b', name: 'b', path: '/nope' },
      ],
      guestTestRunner: '/t.sh',
      hypervisorTestRunner: '/t.sh',
      guests: new Map(),
    } as unknown as Fleet;
    const reads: string[] = [];
    const hashes = readScripts(fleet, (file) => {
      reads.push(file);
      if (file === '/nope') throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
      return Buffer.from(`content of ${file}`);
    });
    expect(reads.sort()).toEqual(['/a.sh', '/nope', '/t.sh']);
    expect(hashes.get('/nope')).toBe(MISSING_SCRIPT);
    expect(hashes.get('/a.sh')).toMatch(/^[0-9a-f]{64}$/);
    const hash = scriptHasher({ ...fleet, scriptHashes: hashes });
    expect(hash('/a.sh')).toBe(hashes.get('/a.sh'));
    expect(() => hash('/elsewhere.sh')).toThrow(/not read with the config/);
  });

  it('knows which globals each script names, read with it at load (the example nvidia feature)', async () => {
    const fleet = await load(resolve(REPO, 'phoenix.config.ts'));
    const nvidia = [...(fleet.scriptGlobals ?? new Map<string, never>()).keys()].find((p) =>
      p.endsWith('install_nvidia.sh'),
    );
    const docker = [...(fleet.scriptGlobals ?? new Map<string, never>()).keys()].find((p) =>
      p.endsWith('install_docker.sh'),
    );
    expect(nvidia && globalsReadBy(fleet, [nvidia])).toEqual({ nvidia_driver_version: '580.76.05' });
    expect(docker && globalsReadBy(fleet, [docker])).toEqual({});
  });
});
