// The status table looks as cli-table3 drew it (which stays installed as the oracle), in linear time.
import Table from 'cli-table3';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/reporters/table.js';

const HEAD = ['ID', 'kind', 'name', 'exists', 'running', 'drift', 'stale steps'];

function cliTable3(head: string[], rows: (string | number)[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  t.push(...rows);
  return t.toString();
}

describe('formatTable', () => {
  it('draws what cli-table3 draws, rows of any width', () => {
    const rows = [
      [950, 'lxc', 'vllm-qwen', 'yes', 'no', 'start, agent', 1],
      [9000, 'vm', 'ubuntu-noble-cloud', 'yes', 'yes', '-', '3 (+2 blocked)'],
      [1, 'lxc', '', 'no', 'no', '-', 0],
    ];
    expect(formatTable(HEAD, rows)).toBe(cliTable3(HEAD, rows));
  });

  it('draws the headings alone when there is no row', () => {
    expect(formatTable(HEAD, [])).toBe(cliTable3(HEAD, []));
  });

  it('colours headings and rules only when asked', () => {
    const plain = formatTable(['a'], [['x']]);
    expect(plain).not.toContain('\u001b[');
    const coloured = formatTable(['a'], [['x']], { color: true });
    expect(coloured).toContain('\u001b[');
    expect(stripVTControlCharacters(coloured)).toBe(plain);
  });
});
