// Spawns the built simulator executables (run `npm run build` first; globalSetup.ts does it for this folder).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createSimDir, simBinDir, simEnv, type CreateSimDirOptions } from '../../simulator/src/testing.js';
import { removedLater } from '../support/temp-dirs.js';

export const DEBIAN = 'debian-12-standard_12.12-1_amd64.tar.zst';
export const DEBIAN_VOLID = `local:vztmpl/${DEBIAN}`;

if (!existsSync(join(simBinDir(), '..', '..', 'dist', 'simulator', 'src', 'main.js'))) {
  throw new Error('dist/simulator is missing: run `npm run build` before the simulator tests');
}

export interface Run {
  stdout: string;
  stderr: string;
  code: number | null;
}

export async function simDir(opts: CreateSimDirOptions = {}): Promise<string> {
  return removedLater(await createSimDir({ templates: [DEBIAN], ...opts }));
}

/** Runs `tool args...` against the sim dir, like a shell would (PATH lookup). */
export function run(dir: string, line: string[]): Run {
  const [tool, ...args] = line;
  const r = spawnSync(join(simBinDir(), tool!), args, { env: simEnv(dir), encoding: 'utf8' });
  return { stdout: r.stdout, stderr: r.stderr, code: r.status };
}

export function runAsync(dir: string, line: string[]): Promise<Run> {
  const [tool, ...args] = line;
  return new Promise((resolve) => {
    const p = spawn(join(simBinDir(), tool!), args, { env: simEnv(dir) });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

/** Runs each line and fails on the first non-zero exit (setup sequences). */
export function ok(dir: string, ...lines: string[][]): Run {
  let last: Run = { stdout: '', stderr: '', code: 0 };
  for (const l of lines) {
    last = run(dir, l);
    if (last.code !== 0) throw new Error(`${l.join(' ')} exited ${last.code}: ${last.stderr}`);
  }
  return last;
}

export const createCt = (id: number, ...extra: string[]): string[] => [
  'pct',
  'create',
  String(id),
  DEBIAN_VOLID,
  '--hostname',
  `ct${id}`,
  '--rootfs',
  'local-lvm:8',
  '--net0',
  'name=eth0,bridge=vmbr0,ip=dhcp',
  '--unprivileged',
  '1',
  ...extra,
];

/** Maps with at most `limit` promises in flight (keeps spawned processes to a few at a time). */
export async function mapLimit<T, R>(
  items: T[],
  fn: (item: T, i: number) => Promise<R>,
  limit = 6,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
