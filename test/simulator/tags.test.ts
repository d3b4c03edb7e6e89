// Every simulator test names the Proxmox fact it checks ([F<section>.<n>], numbered in docs/proxmox-facts.md with
// the source file and function it comes from), or says it checks the simulator's own machinery ([sim]: faults,
// launchers, parallel calls): a behaviour the simulator imitates is never tested without its source.
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');

function titles(): { file: string; title: string }[] {
  const dir = join(ROOT, 'test', 'simulator');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts') && f !== 'tags.test.ts')
    .flatMap((file) =>
      [...readFileSync(join(dir, file), 'utf8').matchAll(/\bit\(\s*(['"`])((?:\\.|(?!\1).)*)\1/gs)].map(
        (m) => ({
          file,
          title: m[2] ?? '',
        }),
      ),
    );
}

describe('simulator tests name their fact', () => {
  it('[sim] every title starts with a fact number that docs/proxmox-facts.md defines, or [sim]', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'proxmox-facts.md'), 'utf8');
    const found = titles();
    expect(found.length).toBeGreaterThan(40);
    const untagged = found.filter(({ title }) => !/^\[(F\d+\.\d+|sim)\] /.test(title));
    expect(untagged).toEqual([]);
    const unknown = found
      .map(({ file, title }) => ({ file, tag: /^\[(F\d+\.\d+)\]/.exec(title)?.[1] }))
      .filter(({ tag }) => tag !== undefined && !doc.includes(`**${tag}**`));
    expect(unknown).toEqual([]);
  });
});
