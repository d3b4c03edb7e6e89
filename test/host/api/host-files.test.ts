// The api transport's host folders and files (issue 19): the scripts it sends over ssh, run here by a local sh in
// place of the node (PHOENIX_PVE_ROOT points them at a temp folder, as the simulator's root).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { takeClusterLock } from '../../../src/host/api/cluster-lock.js';
import { ensureDirOverSsh, readOverSsh, statOverSsh } from '../../../src/host/api/host.js';
import type { BackendHost } from '../../../src/host/exec.js';
import { DEFAULT_SSH } from '../../../src/host/ssh.js';
import { err, ok } from '../../../src/result.js';
import { tempDir } from '../../support/temp-dirs.js';

/** A local host whose ssh runs the script with sh on this machine, under `root`. */
function nodeAt(root: string): { local: BackendHost; lines: string[][] } {
  const lines: string[][] = [];
  const local = {
    run(argv: string[], opts?: { input?: string }) {
      lines.push(argv);
      const r = spawnSync('sh', ['-s'], {
        input: opts?.input ?? '',
        encoding: 'utf8',
        env: { ...process.env, PHOENIX_PVE_ROOT: root },
      });
      const result = { argv, exitCode: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, durationMs: 1 };
      return Promise.resolve(
        r.status === 0
          ? ok(result)
          : err({ reason: 'exit', argv, exitCode: r.status ?? 1, stderrTail: r.stderr, message: r.stderr }),
      );
    },
  } as unknown as BackendHost;
  return { local, lines };
}

// Root can give a folder any owner; anyone else only their own.
const uid = process.getuid?.() ?? 0;
const OWNER = uid === 0 ? { uid: 100033, gid: 33 } : { uid, gid: process.getgid?.() ?? 0 };

describe('host folders and files over ssh', () => {
  it('stats, reads, makes and owns a folder on the node; never through a link', async () => {
    const root = tempDir('phoenix-apifiles-');
    const { local, lines } = nodeAt(root);
    expect(await statOverSsh(local, DEFAULT_SSH, 'pve2', '/srv/logs')).toBeUndefined();
    const made = await ensureDirOverSsh(local, DEFAULT_SSH, 'pve2', '/srv/logs', OWNER);
    expect(made).toMatchObject({ ok: true, value: { changed: true } });
    expect(statSync(join(root, 'srv/logs')).uid).toBe(OWNER.uid);
    expect(await statOverSsh(local, DEFAULT_SSH, 'pve2', '/srv/logs')).toEqual({ kind: 'dir', ...OWNER });
    const again = await ensureDirOverSsh(local, DEFAULT_SSH, 'pve2', '/srv/logs', OWNER);
    expect(again).toMatchObject({ ok: true, value: { changed: false } });
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/subgid'), 'root:100000:65536\n');
    expect(await readOverSsh(local, DEFAULT_SSH, 'pve2', '/etc/subgid')).toBe('root:100000:65536\n');
    expect(await readOverSsh(local, DEFAULT_SSH, 'pve2', '/etc/subuid')).toBeUndefined();
    symlinkSync('/etc', join(root, 'srv/link'));
    const link = await ensureDirOverSsh(local, DEFAULT_SSH, 'pve2', '/srv/link', { uid: 1, gid: 1 });
    expect(link.ok).toBe(false);
    expect(lines.every((l) => l.includes('root@pve2'))).toBe(true);
  });
});

describe("the cluster's run lock over ssh (pmxcfs priv/lock)", () => {
  it('one holder at a time: the second is told who holds it; released, the folder and record are gone', async () => {
    const root = tempDir('phoenix-clusterlock-');
    const { local, lines } = nodeAt(root);
    const first = await takeClusterLock(local, DEFAULT_SSH, 'pve1', {
      command: 'phoenix LetsGo',
      wait: false,
    });
    expect(first.ok).toBe(true);
    expect(existsSync(join(root, 'etc/pve/priv/lock/phoenix-run'))).toBe(true);
    const second = await takeClusterLock(local, DEFAULT_SSH, 'pve2', {
      command: 'phoenix create 101',
      wait: false,
    });
    expect(second.ok).toBe(false);
    expect(second.ok ? '' : second.error).toMatch(
      new RegExp(
        `another phoenix run holds the cluster's run lock \\(${hostname()}, PID ${process.pid}, 'phoenix LetsGo', started `,
      ),
    );
    if (first.ok) await first.value.release();
    expect(existsSync(join(root, 'etc/pve/priv/lock/phoenix-run'))).toBe(false);
    expect(existsSync(join(root, 'etc/pve/priv/phoenix-run.json'))).toBe(false);
    const third = await takeClusterLock(local, DEFAULT_SSH, 'pve2', {
      command: 'phoenix create 101',
      wait: false,
    });
    expect(third.ok).toBe(true);
    expect(lines.map((l) => l.at(-2))).toEqual(['root@pve1', 'root@pve2', 'root@pve1', 'root@pve2']);
    // --wait: queues behind the holder and takes it once it is released.
    setTimeout(() => void (third.ok && third.value.release()), 150);
    const queued = await takeClusterLock(local, DEFAULT_SSH, 'pve1', {
      command: 'phoenix LetsGo --wait',
      wait: true,
      pollMs: 50,
    });
    expect(queued.ok).toBe(true);
    expect(readFileSync(join(root, 'etc/pve/priv/phoenix-run.json'), 'utf8')).toContain(
      'phoenix LetsGo --wait',
    );
    if (queued.ok) await queued.value.release();
  });

  it('a node ssh cannot reach: the run goes on, warned that other machines are not kept apart', async () => {
    const local = {
      run: (argv: string[]) =>
        Promise.resolve(
          err({
            reason: 'exit-non-zero',
            argv,
            exitCode: 255,
            stderrTail: 'root@pve1: Permission denied (publickey).',
            message: 'ssh failed',
          }),
        ),
    } as unknown as BackendHost;
    const res = await takeClusterLock(local, DEFAULT_SSH, 'pve1', { command: 'phoenix LetsGo', wait: false });
    expect(res.ok && res.value.warning).toBe(
      "the cluster's run lock (/etc/pve/priv/lock/phoenix-run) was not taken: ssh root@pve1 failed (root@pve1: Permission denied (publickey).); runs from other machines are not kept apart from this one",
    );
  });
});
