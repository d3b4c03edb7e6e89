// Reopening a step cache reads every target's file, however many there are (they are read in batches).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openStepCache } from '../../src/cache/file-cache.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('reads back the records of many targets', async () => {
  dir = await mkdtemp(join(tmpdir(), 'phoenix-cache-read-'));
  const { cache } = await openStepCache(dir, 'pve');
  const ids = Array.from({ length: 75 }, (_, i) => 1000 + i);
  await Promise.all(
    ids.map((id) =>
      cache.set(`${id}:define`, { fingerprint: `f${id}`, inputs: {}, scripts: {}, at: 'now', durationMs: 1 }),
    ),
  );
  const reopened = await openStepCache(dir, 'pve');
  expect(reopened.warnings).toEqual([]);
  expect([...reopened.cache.all().keys()].sort()).toEqual(ids.map((id) => `${id}:define`));
  expect(reopened.cache.get('1074:define')?.fingerprint).toBe('f1074');
});
