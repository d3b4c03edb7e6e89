// The code cache the CLI's bundles run through (src/cli/bundle-loader.ts): it must never change what runs (a changed
// bundle runs its new code, a bad blob costs a compile), it must keep its blobs private, and it must be used.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  renameSync,
  lstatSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeCacheDir, pathHash } from '../../src/cli/bundle-loader.js';
import { tempDir } from '../support/temp-dirs.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const LOADER = join(ROOT, 'dist', 'cli', 'loader.cjs'); // built by npm test

/** A folder with a bundle `main.cjs` requiring its sibling `lazy/part.cjs`, and an empty cache folder. */
function bundles(main = "module.exports = { value: require('./lazy/part.cjs').value * 2 };\n") {
  const dir = tempDir('phoenix-bundles-');
  mkdirSync(join(dir, 'lazy'));
  writeFileSync(join(dir, 'main.cjs'), main);
  writeFileSync(join(dir, 'lazy', 'part.cjs'), 'module.exports = { value: 21 };\n');
  return { main: join(dir, 'main.cjs'), part: join(dir, 'lazy', 'part.cjs'), cache: join(dir, 'cache') };
}

/**
 * Loads `file` in a new Node process through the built loader, then saves: a second load in one process would be
 * served by V8's own in-memory compilation cache and never read a blob.
 */
function run(file: string, cache: string | undefined): unknown {
  const script = `const l = require(${JSON.stringify(LOADER)}).bundleLoader(${JSON.stringify(cache)});
    const v = l.load(${JSON.stringify(file)}).value;
    l.save().then(() => process.stdout.write(JSON.stringify(v)));`;
  const r = spawnSync('node', ['-e', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as unknown;
}

const blobPrefix = (file: string) => `${pathHash(file)}-`;

const blobs = (cache: string) =>
  readdirSync(cache)
    .sort()
    .map((name) => ({ name, ino: statSync(join(cache, name)).ino }));

describe('the code cache of the bundled CLI', () => {
  it('keeps one private blob per bundle, and a second run uses them instead of writing new ones', () => {
    const b = bundles();
    expect(run(b.main, b.cache)).toBe(42);
    const first = blobs(b.cache);
    expect(first).toHaveLength(2); // main.cjs and the sibling it required
    expect(statSync(b.cache).mode & 0o777).toBe(0o700);
    for (const { name } of first) expect(statSync(join(b.cache, name)).mode & 0o777).toBe(0o600);
    expect(run(b.main, b.cache)).toBe(42);
    expect(blobs(b.cache)).toEqual(first); // accepted by V8: not written again
  });

  it('runs a changed bundle, never its old code, even at the same length, and drops the old blob', () => {
    const b = bundles();
    expect(run(b.main, b.cache)).toBe(42);
    const { mtimeNs } = statSync(b.part, { bigint: true });
    writeFileSync(b.part, 'module.exports = { value: 12 };\n'); // same length, same inode,
    const at = `@${mtimeNs / 10n ** 9n}.${String(mtimeNs % 10n ** 9n).padStart(9, '0')}`;
    expect(spawnSync('touch', ['-m', '-d', at, b.part]).status).toBe(0); // and its time set back to the ns
    expect(statSync(b.part, { bigint: true }).mtimeNs).toBe(mtimeNs);
    expect(run(b.main, b.cache)).toBe(24);
    expect(blobs(b.cache)).toHaveLength(2);
  });

  it('ignores a blob that is not a private file of this user, or is garbage, and writes a good one', () => {
    const b = bundles();
    run(b.main, b.cache);
    const [main, part] = blobs(b.cache).map(({ name }) => join(b.cache, name));
    chmodSync(main!, 0o666); // someone else could have written it
    writeFileSync(part!, 'not a code cache');
    expect(run(b.main, b.cache)).toBe(42);
    for (const { name } of blobs(b.cache)) {
      expect(statSync(join(b.cache, name)).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(b.cache, name), 'utf8')).not.toBe('not a code cache');
    }
  });

  it('never reads a blob through a symbolic link', () => {
    const b = bundles();
    run(b.main, b.cache);
    const blob = join(b.cache, blobs(b.cache)[0]!.name);
    const planted = join(b.cache, '..', 'planted');
    renameSync(blob, planted);
    symlinkSync(planted, blob);
    expect(run(b.main, b.cache)).toBe(42);
    expect(lstatSync(blob).isSymbolicLink()).toBe(false); // refused, then replaced by a blob of its own
  });

  it('writes no blob where a folder on the way is a link or open to others (a HOME not its own)', () => {
    const b = bundles();
    const elsewhere = tempDir('phoenix-elsewhere-');
    const linked = join(b.cache, '..', 'linked');
    symlinkSync(elsewhere, linked);
    expect(run(b.main, join(linked, 'code'))).toBe(42);
    expect(readdirSync(elsewhere)).toEqual([]);
    const open = join(b.cache, '..', 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777); // writable by anyone, not sticky
    expect(run(b.main, join(open, 'code'))).toBe(42);
    expect(readdirSync(open)).toEqual([]);
    const sticky = join(b.cache, '..', 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777); // as /tmp: others cannot replace what is ours
    run(b.main, join(sticky, 'code'));
    expect(readdirSync(join(sticky, 'code'))).toHaveLength(2);
  });

  it('drops blobs not rewritten for a month and temp files whose writer is gone, when it writes', () => {
    const b = bundles();
    run(b.main, b.cache);
    const main = blobs(b.cache).find(({ name }) => name.startsWith(blobPrefix(b.main)))!.name;
    const other = (hash: string) => join(b.cache, `${hash}-${process.version}.${process.arch}.1.2.3`);
    const monthAgo = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    writeFileSync(other('deadbeef'), 'x'); // a deleted install's, last written a month ago
    utimesSync(other('deadbeef'), monthAgo, monthAgo);
    writeFileSync(other('0deadbee'), 'x'); // another install's, recent
    const orphan = `${main}.999999999.1.tmp`; // no such PID
    const writing = `${main}.${process.pid}.1.tmp`; // a live writer's
    writeFileSync(join(b.cache, orphan), 'x');
    writeFileSync(join(b.cache, writing), 'x');
    writeFileSync(b.part, 'module.exports = { value: 22 };\n'); // something to write
    expect(run(b.main, b.cache)).toBe(44);
    const left = readdirSync(b.cache);
    expect(left).not.toContain(basename(other('deadbeef')));
    expect(left).not.toContain(orphan);
    expect(left).toContain(basename(other('0deadbee')));
    expect(left).toContain(writing);
    expect(left).toContain(main);
  });

  it('runs without a cache folder (PHOENIX_CODE_CACHE=off) and writes nothing', () => {
    expect(codeCacheDir({ PHOENIX_CODE_CACHE: 'off' })).toBeUndefined();
    for (const off of [' ', 'OFF', '0', 'false', 'No'])
      expect(codeCacheDir({ PHOENIX_CODE_CACHE: off })).toBeUndefined();
    expect(codeCacheDir({ PHOENIX_CODE_CACHE: 'rel/dir' })).toBe(resolve('rel/dir'));
    const b = bundles();
    expect(run(b.main, undefined)).toBe(42);
    expect(readdirSync(join(b.main, '..'))).not.toContain('cache');
  });

  it('is what the real CLI runs: blobs appear in PHOENIX_CODE_CACHE, and the output is the same from them', () => {
    const cache = join(tempDir('phoenix-code-cache-'), 'code');
    const env = { PATH: process.env.PATH, PHOENIX_CODE_CACHE: cache, NO_COLOR: '1' };
    const help = () =>
      spawnSync('node', [join(ROOT, 'bin', 'phoenix.cjs'), '--help'], { env, encoding: 'utf8' });
    const first = help();
    expect(first.status).toBe(0);
    const written = blobs(cache);
    expect(written.length).toBeGreaterThan(0);
    const second = help();
    expect(second.stdout).toBe(first.stdout);
    expect(blobs(cache)).toEqual(written);
  });
});
