// Host listings started before the plan needs them: the first live read uses them, a later one asks the host
// again, and a run that took the run lock after another run had it does not trust them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startListings } from '../../src/engine/early-listings.js';
import { runLockMark } from '../../src/engine/lock-mark.js';
import { acquireRunLock } from '../../src/engine/lock.js';
import type { HostExec } from '../../src/host/host.js';
import { readLiveState } from '../../src/host/read-live.js';
import { ok } from '../../src/result.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'phoenix-early-'));
  dirs.push(d);
  return d;
};

/** A host whose `pct list` shows the containers in `cts` at the time of the call; counts every call. */
function listingHost(cts: number[]): HostExec & { calls: string[] } {
  const calls: string[] = [];
  const host = {
    node: 'pve',
    calls,
    run(argv: readonly string[]) {
      calls.push(argv.join(' '));
      const rows = argv[0] === 'pct' ? cts.map((id) => `${id} stopped ct${id}`) : [];
      const header =
        argv[0] === 'pct' ? 'VMID Status Lock Name' : 'VMID NAME STATUS MEM(MB) BOOTDISK(GB) PID';
      const stdout = [header, ...rows].join('\n') + '\n';
      return Promise.resolve(ok({ argv: [...argv], exitCode: 0, stdout, stderr: '', durationMs: 1 }));
    },
    readGuest: () => Promise.resolve(undefined),
  };
  return host as unknown as HostExec & { calls: string[] };
}

describe('early listings', () => {
  it('start at once; the first live read uses them, a later one lists the host again', async () => {
    const cts = [900];
    const host = listingHost(cts);
    const early = startListings(host);
    expect(host.calls).toEqual(['pct list', 'qm list']);
    cts.push(901); // changed after the listings started: the first read still shows what they saw
    const first = await readLiveState(early.host, { ids: [], configs: false });
    expect(first.ok && [...first.value.guests.keys()]).toEqual([900]);
    expect(host.calls).toHaveLength(2);
    const second = await readLiveState(early.host, { ids: [], configs: false });
    expect(second.ok && [...second.value.guests.keys()]).toEqual([900, 901]);
    expect(host.calls).toHaveLength(4);
  });

  it('once dropped, the live read lists the host again', async () => {
    const cts = [900];
    const host = listingHost(cts);
    const early = startListings(host);
    cts.push(901);
    early.drop();
    const read = await readLiveState(early.host, { ids: [], configs: false });
    expect(read.ok && [...read.value.guests.keys()]).toEqual([900, 901]);
  });
});

describe('run lock mark', () => {
  const take = (cache: string, command: string) =>
    acquireRunLock(cache, 'pve', { wait: false, command }).then((r) => {
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    });

  it('matches when this run is the first to take the lock after the mark was read', async () => {
    const cache = temp();
    await (await take(cache, 'earlier')).release();
    const mark = await runLockMark(cache, 'pve');
    const lock = await take(cache, 'this');
    expect(lock.previousMark).toBe(mark);
    await lock.release();
  });

  it('differs when another run took (and released) the lock in between', async () => {
    const cache = temp();
    const mark = await runLockMark(cache, 'pve');
    await (await take(cache, 'other')).release();
    const lock = await take(cache, 'this');
    expect(lock.previousMark).not.toBe(mark);
    await lock.release();
  });

  it('differs when the lock was held as the mark was read (a --wait run queued behind it)', async () => {
    const cache = temp();
    const other = await take(cache, 'other');
    const mark = await runLockMark(cache, 'pve');
    const waiting = acquireRunLock(cache, 'pve', { wait: true, command: 'this' });
    await other.release();
    const lock = await waiting;
    expect(lock.ok && lock.value.previousMark).not.toBe(mark);
    if (lock.ok) await lock.value.release();
  });
});
