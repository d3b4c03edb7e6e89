// `phoenix sim serve` answers reads from the state it parsed last (simulator/src/api/state-cache.ts): a change to
// any file the state is read from is seen by the very next read, and an unchanged folder is not parsed again.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedState } from '../../simulator/src/api/state-cache.js';
import { createCt, ok, simDir } from './helpers.js';

const conf = (dir: string, id: number): string => join(dir, 'etc/pve/nodes/pve/lxc', `${id}.conf`);
/** Files written more than the racy margin ago, as they are when a no-op run reads them. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 80));

describe('the API server’s state between reads', () => {
  it('[sim] is parsed once while its files stay as they were', async () => {
    const dir = await simDir();
    ok(dir, createCt(101));
    await settle();
    const read = cachedState(dir);
    const first = read();
    expect(read()).toBe(first);
    expect(() => {
      first.cluster.guests['101']!.config.memory = '1';
    }).toThrow(TypeError); // shared between requests: frozen, so a handler cannot change it for the next one
  });

  it('[sim] sees a simulated command’s write, a hand edit of a conf file in place and a VM’s process gone at once', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['qm', 'create', '200', '--memory', '512'], ['qm', 'start', '200']);
    await settle();
    const read = cachedState(dir);
    expect(read().cluster.guests['101']!.config.memory).toBe('512');
    ok(dir, ['pct', 'set', '101', '--memory', '1024']);
    expect(read().cluster.guests['101']!.config.memory).toBe('1024');
    await settle();
    read();
    // Same size, same inode: only the mtime tells.
    writeFileSync(
      conf(dir, 101),
      readFileSync(conf(dir, 101), 'utf8').replace('memory: 1024', 'memory: 2048'),
    );
    expect(read().cluster.guests['101']!.config.memory).toBe('2048');
    await settle();
    expect(read().cluster.guests['200']!.status).toBe('running');
    const pid = readFileSync(join(dir, 'var/run/qemu-server/200.pid'), 'utf8').trim();
    rmSync(join(dir, 'proc', pid), { recursive: true });
    expect(read().cluster.guests['200']!.status).toBe('stopped');
  });

  it('[sim] reads again when a file changed within the racy margin of the read (a coarse mtime may not change again)', async () => {
    const dir = await simDir();
    ok(dir, createCt(101));
    const changed = statSync(join(dir, 'state.json')).mtimeMs;
    const read = cachedState(dir, () => changed + 1); // as if read in the tick state.json was written in
    const first = read();
    expect(read()).not.toBe(first);
  });
});
