// The bad-input corpus (test/fixtures/bad/cases.json): every malformed config or command line ends in its
// documented exit code with a message naming the file, the field path and the fix, no stack trace, and nothing
// changed on the host (no state-changing simulator call) or in the step cache.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimDir, readCalls } from '../../simulator/src/testing.js';
import {
  callLine,
  dispatchInProcess,
  isStateChanging,
  REPO,
  runPhoenix,
  tempDir,
  treeDigest,
  type Ran,
  type Workspace,
} from './helpers.js';

interface BadCase {
  /** Folder under test/fixtures/bad (copied to a temp folder, so a write beside the config would be caught). */
  fixture: string;
  /** The --config argument, relative to the copied folder. */
  config: string;
  /** The file the message must name, relative to the folder (default: `config`). */
  file?: string;
  args: string[];
  env?: Record<string, string>;
  exit: number;
  /** Config problems: the JSON path the message must name (it must also name the file and a fix). */
  path?: string;
  /** Regexes the error output must match (case-insensitive). */
  expect: string[];
  /** Strings that must appear nowhere in the output (secrets). */
  forbid?: string[];
}

const BAD = join(REPO, 'test', 'fixtures', 'bad');
const cases = JSON.parse(readFileSync(join(BAD, 'cases.json'), 'utf8')) as Record<string, BadCase>;
/**
 * Every case runs through the CLI dispatcher in-process (fast); these also run as the real `phoenix` process, one
 * per kind of input, to show the binary ends the same way (exit code, message, no stack trace).
 */
const AS_PROCESS = new Set([
  'json-trailing-comma',
  'ts-throws',
  'ts-wrong-type',
  'shell-semicolon-in-name',
  'password-wrong-type',
  'clone-cycle',
  'legacy-bad-types',
  'unknown-target',
  'bad-step-address',
  'verbose-and-quiet',
  'concurrency-zero',
]);
const cleanup: string[] = [];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

/** A step cache that looks lived-in, to prove a bad run leaves it byte for byte as it was. */
function seedCache(cache: string): void {
  const dir = join(cache, 'hosts', 'sentinel');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, '900.json'),
    '{"format":"phoenix-step-cache","version":1,"target":"900","steps":{}}\n',
  );
}

describe('bad-input corpus', () => {
  it('has at least 40 cases', () => {
    expect(Object.keys(cases).length).toBeGreaterThanOrEqual(40);
  });

  it.concurrent.each(Object.entries(cases))('%s', async (name, c) => {
    const root = tempDir('phoenix-bad-');
    cleanup.push(root);
    const sim = await createSimDir();
    cleanup.push(sim);
    const ws: Workspace = { root, sim, cache: join(root, 'cache'), prefs: join(root, 'prefs') };
    cpSync(join(BAD, c.fixture), join(root, 'cfg'), { recursive: true });
    seedCache(ws.cache);
    const cacheBefore = treeDigest(ws.cache, ['logs']);

    const args = [...c.args, '--config', join(root, 'cfg', c.config)];
    const runs: [string, Ran & { thrown?: string }][] = [
      ['in-process', await dispatchInProcess(ws, args, c.env)],
    ];
    if (AS_PROCESS.has(name)) runs.push(['process', await runPhoenix(ws, args, c.env ? { env: c.env } : {})]);
    for (const [how, ran] of runs) checkRun(how, c, ran, join(root, 'cfg', c.file ?? c.config));

    const changing = readCalls(sim).filter(isStateChanging).map(callLine);
    expect(changing, 'state-changing simulator calls').toEqual([]);
    expect(treeDigest(ws.cache, ['logs']), 'step cache unchanged').toEqual(cacheBefore);
  });
});

function checkRun(how: string, c: BadCase, ran: Ran & { thrown?: string }, file: string): void {
  const output = ran.stdout + ran.stderr;
  expect(ran.thrown, `${how}: crashed`).toBeUndefined();

  expect({ how, exit: ran.exit, output }).toMatchObject({ exit: c.exit });
  expect(output, 'no stack trace').not.toMatch(/^\s+at .+[(:]/m);
  if (c.path !== undefined) {
    expect(ran.stderr).toContain(file);
    expect(ran.stderr).toContain(`: ${c.path}: `);
    expect(ran.stderr).toContain('(fix: ');
  }
  for (const re of c.expect) expect(ran.stderr).toMatch(new RegExp(re, 'i'));
  for (const secret of c.forbid ?? []) expect(output).not.toContain(secret);
}
