import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StepRecord } from '../../src/cache/cache.js';
import { cacheNamespace, openStepCache } from '../../src/cache/file-cache.js';

const record = (fingerprint: string): StepRecord => ({
  fingerprint,
  inputs: { memory_mb: 512 },
  scripts: {},
  at: '2025-01-01T00:00:00.000Z',
  durationMs: 12,
  incarnation: 'uuid-1',
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'phoenix-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ns = 'pve-test';
const folder = () => join(dir, 'hosts', ns);

describe('file step cache', () => {
  it('never follows a cache file that is a symbolic link: a warning, treated as missing, replaced on write', async () => {
    const { cache: other } = await openStepCache(dir, 'other');
    await other.set('950:start', record('planted'));
    const target = join(dir, 'hosts', 'other', '950.json');
    const before = await readFile(target, 'utf8');
    await mkdir(folder(), { recursive: true });
    await symlink(target, join(folder(), '950.json'));
    const { cache, warnings } = await openStepCache(dir, ns);
    expect(warnings).toEqual([expect.stringMatching(/950\.json is a symbolic link \(not followed\)/)]);
    expect(cache.all().size).toBe(0);
    await cache.set('950:configure', record('mine'));
    expect(await readFile(target, 'utf8')).toBe(before); // the link's target is untouched
    expect((await lstat(join(folder(), '950.json'))).isSymbolicLink()).toBe(false);
    const mode = (await lstat(join(folder(), '950.json'))).mode & 0o777;
    expect([mode, (await lstat(folder())).mode & 0o777]).toEqual([0o600, 0o700]);
  });

  it("removes the temp files of a run killed while it wrote, at its first write, and never a live writer's", async () => {
    await mkdir(folder(), { recursive: true });
    const orphan = '950.json.999999999.1764000000000.tmp'; // no such PID
    const live = `950.json.${process.pid}.1764000000000.tmp`;
    await writeFile(join(folder(), orphan), '{"half":');
    await writeFile(join(folder(), live), '{"half":');
    const { cache } = await openStepCache(dir, ns);
    expect((await readdir(folder())).sort()).toEqual([orphan, live].sort()); // opening (a plan) removes nothing
    await cache.set('950:configure', record('a'));
    expect((await readdir(folder())).sort()).toEqual(['950.json', live].sort());
  });

  it('starts empty without warnings when nothing was cached, and survives a reopen', async () => {
    const { cache, warnings } = await openStepCache(dir, ns);
    expect(warnings).toEqual([]);
    expect(cache.all().size).toBe(0);
    await cache.set('950:configure', record('a'));
    await cache.set('host:zfs', record('h'));
    const again = await openStepCache(dir, ns);
    expect(again.cache.get('950:configure')).toEqual(record('a'));
    expect(again.cache.get('host:zfs')).toEqual(record('h'));
    expect((await readdir(folder())).sort()).toEqual(['950.json', 'host.json']);
  });

  it('treats a corrupt, foreign or newer-version file as empty, with a warning naming it', async () => {
    await mkdir(folder(), { recursive: true });
    await writeFile(join(folder(), '950.json'), '{"format": "phoenix-step-cache", "vers');
    await writeFile(join(folder(), '951.json'), JSON.stringify({ hello: 'world' }));
    await writeFile(
      join(folder(), '952.json'),
      JSON.stringify({ format: 'phoenix-step-cache', version: 99, target: '952', steps: {} }),
    );
    const { cache: good } = await openStepCache(dir, 'other');
    await good.set('953:start', record('ok'));
    await writeFile(join(folder(), '953.json'), await readFile(join(dir, 'hosts', 'other', '953.json')));
    const { cache, warnings } = await openStepCache(dir, ns);
    expect(warnings).toHaveLength(3);
    expect(warnings.join('\n')).toMatch(/950\.json is unreadable/);
    expect(warnings.join('\n')).toMatch(/951\.json is not a Phoenix step cache file/);
    expect(warnings.join('\n')).toMatch(/952\.json has format version 99/);
    expect([...cache.all().keys()]).toEqual(['953:start']);
    // The next success rewrites the broken file cleanly.
    await cache.set('950:define', record('new'));
    expect((await openStepCache(dir, ns)).warnings).toHaveLength(2);
  });

  it('keeps every record when many sets race, and never leaves a half-written file', async () => {
    const { cache } = await openStepCache(dir, ns);
    const seen: string[] = [];
    const watcher = setInterval(() => {
      void readFile(join(folder(), '950.json'), 'utf8')
        .then((t) => seen.push(t))
        .catch(() => undefined);
    }, 1);
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => cache.set(`${950 + (i % 3)}:feature:f${i}`, record(`fp${i}`))),
    );
    clearInterval(watcher);
    for (const text of seen) expect(() => JSON.parse(text) as unknown).not.toThrow();
    const reopened = await openStepCache(dir, ns);
    expect(reopened.warnings).toEqual([]);
    expect(reopened.cache.all().size).toBe(200);
    expect((await readdir(folder())).sort()).toEqual(['950.json', '951.json', '952.json']);
  });

  it('forgets deleted steps and whole targets', async () => {
    const { cache } = await openStepCache(dir, ns);
    await cache.set('950:define', record('a'));
    await cache.set('950:configure', record('b'));
    await cache.set('951:define', record('c'));
    await cache.delete(['950:configure']);
    await cache.forgetTarget(951);
    const { cache: again } = await openStepCache(dir, ns);
    expect([...again.all().keys()]).toEqual(['950:define']);
    expect(await readdir(folder())).toEqual(['950.json']);
  });
});

describe('cacheNamespace', () => {
  it('is readable, filesystem-safe and distinct for identities that sanitize alike', () => {
    const a = cacheNamespace('ssh://root@pve.lan:22');
    expect(a).toMatch(/^ssh-root-pve\.lan-22-[0-9a-f]{10}$/);
    expect(cacheNamespace('ssh://root@pve.lan/22')).not.toBe(a);
    expect(cacheNamespace('/tmp/sim dir/pve')).toMatch(/^tmp-sim-dir-pve-[0-9a-f]{10}$/);
  });
});
