// One run at a time per host: a second run exits 3 naming the holder (PID, command, start time), or queues with
// --wait and then sees what the first run recorded; a lock left by a dead process is taken over with a warning.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireRunLock } from '../../src/engine/lock.js';
import { readCalls } from '../../simulator/src/testing.js';
import { callLine, isStateChanging, readStepCache, REPO, stepsIn, tempDir, type Ran } from './helpers.js';
import { writeFleet } from './fleet.js';
import { newWorkspace, phoenix, type FleetWorkspace } from './workspace.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const temp = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};

/** The PID of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid ?? 999_999;
}

describe('acquireRunLock', () => {
  it('refuses a second holder, naming the first (PID, command, start time)', async () => {
    const cache = temp();
    const first = await acquireRunLock(cache, 'pve', { wait: false, command: 'phoenix LetsGo' });
    expect(first.ok).toBe(true);
    const second = await acquireRunLock(cache, 'pve', { wait: false, command: 'phoenix create 950' });
    expect(second.ok).toBe(false);
    if (second.ok || !first.ok) return;
    expect(second.error.holder).toMatchObject({ pid: process.pid, command: 'phoenix LetsGo' });
    expect(second.error.message).toContain(`PID ${process.pid}`);
    expect(second.error.message).toContain("'phoenix LetsGo'");
    expect(second.error.message).toMatch(/started \d{4}-\d\d-\d\dT/);
    expect(second.error.message).toContain('--wait');
    await first.value.release();
    const third = await acquireRunLock(cache, 'pve', { wait: false, command: 'phoenix create 950' });
    expect(third.ok).toBe(true);
    if (third.ok) await third.value.release();
  });

  it('locks per host: another host identity is not blocked', async () => {
    const cache = temp();
    const a = await acquireRunLock(cache, 'pve', { wait: false, command: 'a' });
    const b = await acquireRunLock(cache, 'pve2', { wait: false, command: 'b' });
    expect([a.ok, b.ok]).toEqual([true, true]);
    for (const l of [a, b]) if (l.ok) await l.value.release();
  });

  it('--wait queues behind the holder and gets the lock once it is released', async () => {
    const cache = temp();
    const first = await acquireRunLock(cache, 'pve', { wait: true, command: 'first' });
    if (!first.ok) throw new Error('no lock');
    let got = false;
    const waiting = acquireRunLock(cache, 'pve', { wait: true, command: 'second' }).then((r) => {
      got = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 600));
    expect(got).toBe(false);
    await first.value.release();
    const second = await waiting;
    expect(second.ok).toBe(true);
    if (second.ok) await second.value.release();
  });

  it('takes over a lock left by a dead process, with a warning naming it', async () => {
    const cache = temp();
    const pid = deadPid();
    const locks = cache;
    // What a SIGKILLed run leaves: proper-lockfile's lock folder (fresh mtime) and the holder record.
    mkdirSync(join(locks, 'pve.lock'), { recursive: true });
    writeFileSync(
      join(locks, 'pve.holder.json'),
      JSON.stringify({ pid, command: 'phoenix LetsGo', startedAt: '2025-01-02T03:04:05.000Z' }),
    );
    const lock = await acquireRunLock(cache, 'pve', { wait: false, command: 'phoenix LetsGo' });
    expect(lock.ok).toBe(true);
    if (!lock.ok) return;
    expect(lock.value.warnings.join('\n')).toMatch(new RegExp(`took over .*PID ${pid}.*2025-01-02T03:04:05`));
    const holder = JSON.parse(readFileSync(join(locks, 'pve.holder.json'), 'utf8')) as { pid: number };
    expect(holder.pid).toBe(process.pid);
    await lock.value.release();
    expect(existsSync(join(locks, 'pve.lock'))).toBe(false);
    expect(existsSync(join(locks, 'pve.holder.json'))).toBe(false);
  });

  it('a paused holder (SIGSTOP) keeps the lock, however old the lock looks', async () => {
    const locks = temp();
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { acquireRunLock } from ${JSON.stringify(pathToFileURL(join(REPO, 'dist/src/engine/lock.js')).href)};
         const l = await acquireRunLock(${JSON.stringify(locks)}, 'pve', { wait: false, command: 'paused run' });
         console.log(l.ok ? 'held' : 'refused');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.kill('SIGSTOP');
      // As if it had been stopped for an hour: no heartbeat has touched the lock since.
      const hourAgo = new Date(Date.now() - 3_600_000);
      utimesSync(join(locks, 'pve.lock'), hourAgo, hourAgo);
      const second = await acquireRunLock(locks, 'pve', { wait: false, command: 'second' });
      expect(second.ok).toBe(false);
      if (!second.ok) expect(second.error.holder).toMatchObject({ pid: child.pid, command: 'paused run' });
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });

  it('a holder record whose PID now belongs to another process is a dead holder', async () => {
    const locks = temp();
    mkdirSync(join(locks, 'pve.lock'), { recursive: true });
    // This test's own PID, but a start time that is not this process's: the PID was reused.
    writeFileSync(
      join(locks, 'pve.holder.json'),
      JSON.stringify({ pid: process.pid, command: 'x', startedAt: 'then', procStart: '1' }),
    );
    const lock = await acquireRunLock(locks, 'pve', { wait: false, command: 'y' });
    expect(lock.ok).toBe(true);
    if (lock.ok) await lock.value.release();
  });

  it('only one of several processes taking over the same dead lock at once gets it', async () => {
    const cache = temp();
    const locks = cache;
    mkdirSync(join(locks, 'pve.lock'), { recursive: true });
    writeFileSync(
      join(locks, 'pve.holder.json'),
      JSON.stringify({ pid: deadPid(), command: 'x', startedAt: new Date().toISOString() }),
    );
    const results = await Promise.all(
      [1, 2, 3, 4].map((i) => acquireRunLock(cache, 'pve', { wait: false, command: `taker ${i}` })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results) if (r.ok) await r.value.release();
  });
});

describe('two phoenix processes on one host', () => {
  let ws: FleetWorkspace;
  let first: Promise<Ran>;
  let firstPid = 0;

  it('the second exits 3 naming the first (PID, command, start time)', async () => {
    const cfg = writeFleet(temp());
    // Slow enough that the first run is still going when the others start.
    ws = await newWorkspace(cfg, { latencyScale: 0.03 });
    dirs.push(ws.root, ws.sim);
    first = phoenix(ws, ['create', '900'], { onSpawn: (pid) => (firstPid = pid) });
    const holderFile = (): string => {
      const locks = join(ws.sim, 'phoenix-locks'); // with the host, not in a config's cache
      const name = existsSync(locks) ? readdirSync(locks).find((n) => n.endsWith('.holder.json')) : undefined;
      return name === undefined ? '' : readFileSync(join(locks, name), 'utf8');
    };
    for (let i = 0; i < 200 && holderFile() === ''; i++) await new Promise((r) => setTimeout(r, 50));
    expect(holderFile()).not.toBe('');

    const refused = await phoenix(ws, ['create', '900']);
    expect(refused.exit, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`PID ${firstPid}`);
    expect(refused.stderr).toMatch(/'phoenix create 900 /);
    expect(refused.stderr).toMatch(/started \d{4}-/);
  });

  it('one host, one lock: a run from another config folder and cache is refused too', async () => {
    const other: FleetWorkspace = {
      ...ws,
      root: temp(),
      cache: join(temp(), 'cache'),
      config: writeFleet(temp()),
    };
    const refused = await phoenix(other, ['create', '900']);
    expect(refused.exit, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`PID ${firstPid}`);
  });

  it('deleting the cache folder during a run does not free the lock', async () => {
    rmSync(ws.cache, { recursive: true, force: true });
    const refused = await phoenix(ws, ['create', '900']);
    expect(refused.exit, refused.stderr).toBe(3);
    expect(refused.stderr).toContain(`PID ${firstPid}`);
  });

  // The step cache is opened only once the lock is held, so the waiting run sees what the first one recorded.
  it('with --wait it queues, then finds everything done and repeats nothing', async () => {
    const waited = phoenix(ws, ['create', '900', '--wait']);
    const [a, b] = await Promise.all([first, waited]);
    expect(a.exit, a.stderr).toBe(0);
    expect(b.exit, b.stderr).toBe(0);
    // The cache was deleted mid-run (above): the first run recorded its later steps in a new one.
    expect(Object.keys(readStepCache(ws.cache)).length).toBeGreaterThan(0);
    expect(stepsIn(b.stderr).started).toEqual([]);
    const changing = readCalls(ws.sim).filter(isStateChanging).map(callLine);
    expect(changing.length).toBe(new Set(changing).size);
  });
});
