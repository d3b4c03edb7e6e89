import { describe, expect, it } from 'vitest';
import { formatDuration, formatSummary } from '../../src/reporters/run-summary.js';
import { newRunId, newRunLog, runLogPath } from '../../src/run/log.js';
import type { RunSummary } from '../../src/run/summary.js';

const base: RunSummary = {
  ran: ['950:configure', '950:start', '951:start'],
  skipped: [],
  skipReasons: {},
  failed: [],
  blocked: [],
  upToDate: 12,
  wallMs: 4200,
  logFile: '/var/tmp/phx/.phoenixcache/logs/20250102-030405-ab12.log',
  interrupted: false,
};

describe('formatSummary', () => {
  it('says what ran, what was up to date, the wall time and the log', () => {
    expect(formatSummary(base)).toBe(
      '3 run, 12 up to date in 4.2s — log: /var/tmp/phx/.phoenixcache/logs/20250102-030405-ab12.log',
    );
  });

  it('names the failing command and its stderr tail', () => {
    const text = formatSummary({
      ...base,
      ran: ['950:configure'],
      skipped: ['950:snapshot'],
      skipReasons: { '950:snapshot': 'upstream 950:start failed' },
      failed: [
        {
          address: '950:start',
          message: 'pct start 950 failed (exit 255): CT is locked (backup)',
          command: {
            reason: 'exit-non-zero',
            argv: ['pct', 'start', '950'],
            exitCode: 255,
            stderrTail: 'trying to acquire lock...\nCT is locked (backup)',
            message: 'pct start 950 failed (exit 255): CT is locked (backup)',
          },
        },
      ],
    });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^1 run, 12 up to date, 1 failed, 1 skipped in 4\.2s — log: /);
    expect(lines[1]).toBe('✗ 950:start: pct start 950 failed (exit 255): CT is locked (backup)');
    expect(lines[2]).toBe('    $ pct start 950');
    expect(lines.slice(3)).toEqual(['    trying to acquire lock...', '    CT is locked (backup)']);
  });

  it('says an interrupted run resumes', () => {
    const text = formatSummary({ ...base, interrupted: true, skipped: ['a', 'b'] });
    expect(text).toMatch(/Interrupted: 2 step\(s\) not started; .* the next run resumes/);
  });
});

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [1200, '1.2s'],
    [125_000, '2m05s'],
  ])('%d -> %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('run log paths', () => {
  it('sorts run ids by time and puts logs under <cache>/logs', () => {
    const a = newRunId(new Date(2025, 0, 2, 3, 4, 5));
    expect(a).toMatch(/^20250102-030405-[0-9a-f]{4}$/);
    expect(runLogPath('.phoenixcache', a)).toBe(`.phoenixcache/logs/${a}.log`);
    expect(newRunLog('.phoenixcache')).toMatch(/^\.phoenixcache\/logs\/\d{8}-\d{6}-[0-9a-f]{4}\.log$/);
  });
});
