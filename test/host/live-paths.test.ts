// The two ways the live read lists guests give the same live state: from the node's own files (no process) and
// from `pct list` / `qm list` (the fallback), over random guest sets and run states on one simulated node —
// including guests whose process died behind everyone's back (stale pid files, a pid reused by another program,
// a zombie, a container's socket gone) and rows of other nodes in `.vmlist`. Both must also match the model.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHostExec, type BackendHost } from '../../src/host/exec.js';
import type { HostExec } from '../../src/host/host.js';
import { readLiveState, type ConfigFileReader } from '../../src/host/read-live.js';
import { newGuest, setStatus } from '../../simulator/src/context.js';
import { loadSimConfig } from '../../simulator/src/simconfig.js';
import { transact } from '../../simulator/src/state.js';
import { createSimDir, simEnv } from '../../simulator/src/testing.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const built = existsSync(join(repo, 'dist/simulator/bin/pct.cjs'));

interface VmlistRow {
  node: string;
  type: string;
  version: number;
}

/** What happened to a running guest's process outside any command. */
type Fate = 'alive' | 'gone' | 'reused' | 'zombie';

interface GuestSpec {
  id: number;
  type: 'lxc' | 'qemu';
  running: boolean;
  fate: Fate;
  template: boolean;
  lock: string | undefined;
}

const guestSpec = (id: number): fc.Arbitrary<GuestSpec> =>
  fc.record({
    id: fc.constant(id),
    type: fc.constantFrom('lxc' as const, 'qemu' as const),
    running: fc.boolean(),
    fate: fc.constantFrom<Fate>('alive', 'alive', 'gone', 'reused', 'zombie'),
    template: fc.boolean(),
    lock: fc.option(fc.constantFrom('backup', 'snapshot', 'mounted'), { nil: undefined }),
  });

const world = fc.record({
  guests: fc
    .uniqueArray(fc.integer({ min: 100, max: 130 }), { maxLength: 8 })
    .chain((ids) => fc.tuple(...ids.map(guestSpec))),
  /** IDs `.vmlist` places on another node. */
  foreign: fc.uniqueArray(fc.integer({ min: 131, max: 135 }), { maxLength: 2 }),
  /** Whether the read asks for a foreign guest (then the files cannot answer for it). */
  askForeign: fc.boolean(),
});

let simDir = '';
beforeAll(async () => {
  simDir = await createSimDir();
});
afterAll(() => rmSync(simDir, { recursive: true, force: true }));

function simHost(): BackendHost {
  return createHostExec({
    node: 'pve',
    pveRoot: simDir,
    logFile: join(simDir, 'run.log'),
    env: simEnv(simDir),
  });
}

/** Replaces the node's guests with `specs`, then does to their processes what their fate says. */
async function seed(specs: readonly GuestSpec[], foreign: readonly number[]): Promise<void> {
  const pids = new Map<number, number>();
  await transact(simDir, loadSimConfig(simDir, {}), (s) => {
    s.guests = {};
    for (const spec of specs) {
      const g = newGuest(spec.id, spec.type, Date.now(), 1);
      g.config =
        spec.type === 'lxc'
          ? {
              hostname: `ct${spec.id}`,
              memory: '512',
              net0: `name=eth0,bridge=vmbr0,hwaddr=BC:24:11:00:00:${String(spec.id - 100).padStart(2, '0')},ip=dhcp,type=veth`,
              rootfs: `local-lvm:vm-${spec.id}-disk-0,size=8G`,
            }
          : {
              name: `vm${spec.id}`,
              memory: '1024',
              smbios1: `uuid=00000000-0000-0000-0000-000000000${spec.id}`,
            };
      if (spec.template && !spec.running) g.config.template = '1';
      if (spec.lock) g.config.lock = spec.lock;
      if (spec.running) {
        s.nextPid += 3;
        setStatus(g, 'running', Date.now(), s.nextPid);
        pids.set(spec.id, s.nextPid);
      }
      s.guests[spec.id] = g;
    }
  });
  for (const spec of specs) {
    const pid = pids.get(spec.id);
    if (pid === undefined || spec.fate === 'alive') continue;
    if (spec.type === 'lxc') {
      const unix = join(simDir, 'proc/net/unix');
      const kept = readFileSync(unix, 'utf8')
        .split('\n')
        .filter((l) => !l.endsWith(`@/var/lib/lxc/${spec.id}/command`));
      writeFileSync(unix, kept.join('\n'));
      continue;
    }
    const proc = join(simDir, 'proc', String(pid));
    if (spec.fate === 'gone') rmSync(proc, { recursive: true, force: true });
    if (spec.fate === 'reused') writeFileSync(join(proc, 'cmdline'), '/usr/sbin/cron\0-f\0');
    if (spec.fate === 'zombie') writeFileSync(join(proc, 'stat'), `${pid} (kvm) Z 1 ${pid} ${pid} 0 -1 0\n`);
  }
  // Another node's guests, in place of the last run's (the simulator rewrites the file only when its set changes).
  const path = join(simDir, 'etc/pve/.vmlist');
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { version: number; ids?: Record<string, VmlistRow> };
  const ids = Object.entries(doc.ids ?? {}).filter(([, row]) => row.node === 'pve');
  for (const id of foreign) ids.push([String(id), { node: 'pve2', type: 'lxc', version: 1 }]);
  writeFileSync(path, JSON.stringify(ids.length > 0 ? { ...doc, ids: Object.fromEntries(ids) } : doc));
}

describe.skipIf(!built)('the live read from the node’s files and from pct/qm list', () => {
  it('gives the same live state, the one the model expects, for any guests and process states', async () => {
    await fc.assert(
      fc.asyncProperty(world, async ({ guests, foreign, askForeign }) => {
        await seed(guests, foreign);
        const ids = [...guests.map((g) => g.id), 999, ...(askForeign ? foreign : [])];
        const onNode = simHost();
        const fromFiles = await readLiveState(onNode, { ids });
        const sim = simHost();
        // The same backend without its node files: what a host that cannot read them (or the API) does.
        const listingOnly: HostExec & ConfigFileReader = {
          node: sim.node,
          run: (argv, o) => sim.run(argv, o),
          readGuest: (kind, id) => sim.readGuest(kind, id),
          readGuestConfig: (kind, id) => sim.readGuestConfig(kind, id),
          editGuestConfig: (kind, id, edit) => sim.editGuestConfig(kind, id, edit),
          withFiles: (files, fn) => sim.withFiles(files, fn),
          readGuestConfigFile: (kind, id) => sim.readGuestConfigFile(kind, id),
          readStorageConfigFile: () => sim.readStorageConfigFile(),
          writeHostFile: (file, content, mode) => sim.writeHostFile(file, content, mode),
          statHostPath: (file) => sim.statHostPath(file),
          readHostFile: (file) => sim.readHostFile(file),
          ensureHostDir: (dir, owner) => sim.ensureHostDir(dir, owner),
        };
        const fromListings = await readLiveState(listingOnly, { ids });
        expect(fromFiles.ok && fromListings.ok, JSON.stringify([fromFiles, fromListings])).toBe(true);
        if (!fromFiles.ok || !fromListings.ok) return;
        expect(onNode.spawnCount).toBe(askForeign && foreign.length > 0 ? 2 : 0);
        expect(sim.spawnCount).toBe(2);
        const byId = (m: Map<number, unknown>): unknown[] => [...m].sort(([a], [b]) => a - b);
        expect(byId(fromFiles.value.guests)).toEqual(byId(fromListings.value.guests));
        const model = Object.fromEntries(
          guests.map((g) => [g.id, g.running && g.fate === 'alive' ? 'running' : 'stopped']),
        );
        const seen = Object.fromEntries([...fromFiles.value.guests].map(([id, g]) => [id, g.status]));
        expect(seen).toEqual(model);
      }),
      { numRuns: 12 },
    );
  });
});
