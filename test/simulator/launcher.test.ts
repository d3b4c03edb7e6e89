// The launchers in simulator/bin as Phoenix and its scripts meet them: found on PATH, through symlinks, from
// any working directory, with outputs larger than a pipe holds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readCalls, seedGuest, simBinDir } from '../../simulator/src/testing.js';
import { run, simDir } from './helpers.js';

const links: string[] = [];
afterEach(() => {
  for (const d of links.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('launchers', () => {
  it('[sim] work through symlinks on PATH from another directory, as a bash script calls them', async () => {
    const dir = await simDir();
    await seedGuest(dir, { vmid: 101, type: 'lxc', config: { hostname: 'web', memory: '512' } });
    await seedGuest(dir, { vmid: 8000, type: 'qemu', config: { name: 'vm', memory: '2048' } });
    const bin = mkdtempSync(join(tmpdir(), 'phoenix-simlinks-'));
    links.push(bin);
    for (const tool of ['pct', 'qm']) symlinkSync(join(simBinDir(), tool), join(bin, tool));
    const r = spawnSync('bash', ['-c', 'pct list && qm list && pct status 101'], {
      cwd: tmpdir(),
      env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, PHOENIX_SIM_DIR: dir },
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      run(dir, ['pct', 'list']).stdout + run(dir, ['qm', 'list']).stdout + 'status: stopped\n',
    );
    expect(r.stdout).toContain('101        stopped                 web');
    expect(readCalls(dir).map((c) => [c.tool, c.argv.join(' '), c.exit])).toEqual([
      ['pct', 'list', 0],
      ['qm', 'list', 0],
      ['pct', 'status 101', 0],
      ['pct', 'list', 0],
      ['qm', 'list', 0],
    ]);
  });

  it('[sim] deliver an output larger than a pipe buffer whole', async () => {
    const big = 'x'.repeat(199_999) + '\n';
    const dir = await simDir({ config: { exec: [{ match: '^cat', exit: 0, stdout: big }] } });
    await seedGuest(dir, { vmid: 101, type: 'lxc', config: { hostname: 'web' }, status: 'running' });
    const r = run(dir, ['pct', 'exec', '101', '--', 'cat', '/big']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(big);
  });
});
