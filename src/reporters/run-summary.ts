// The line a run ends with, and the failing commands under it.
import { relative } from 'node:path';
import pc from 'picocolors';
import { formatArgv } from '../host/argv.js';
import type { RunSummary } from '../run/summary.js';

/** `850ms`, `1.2s`, `2m05s`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** A path as short as it can be said from the current folder. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') ? rel : path;
}

const STDERR_LINES = 10;

/**
 * `3 run, 12 up to date, 1 failed in 4.2s — log: .phoenixcache/logs/<run>.log`, then each failure with its
 * failing command and stderr tail, and what an interrupt or a block left undone.
 */
export function formatSummary(summary: RunSummary, opts: { color?: boolean } = {}): string {
  const c = pc.createColors(opts.color ?? false);
  const counts = [`${summary.ran.length} run`, `${summary.upToDate} up to date`];
  if (summary.failed.length > 0) counts.push(c.red(`${summary.failed.length} failed`));
  if (summary.skipped.length > 0) counts.push(`${summary.skipped.length} skipped`);
  if (summary.blocked.length > 0) counts.push(c.yellow(`${summary.blocked.length} blocked`));
  const lines = [
    `${counts.join(', ')} in ${formatDuration(summary.wallMs)}` +
      (summary.logFile === '' ? '' : ` — log: ${displayPath(summary.logFile)}`),
  ];
  for (const f of summary.failed) {
    lines.push(c.red(`✗ ${f.address}: ${f.message}`));
    if (f.command) {
      // Quoted as a shell would need it, so each argv element's boundaries show (`sh -c 'curl -fsS ...'`).
      lines.push(`    $ ${formatArgv(f.command.argv)}`);
      const tail = f.command.stderrTail.split('\n').filter((l) => l.trim() !== '');
      // The message already ends with the last stderr line; show the lines before it for context.
      for (const l of tail.slice(-STDERR_LINES)) lines.push(c.dim(`    ${l}`));
    }
  }
  if (summary.interrupted) {
    lines.push(
      c.yellow(
        `Interrupted: ${summary.skipped.length} step(s) not started; completed steps are recorded, the next run resumes.`,
      ),
    );
  }
  return lines.join('\n');
}
