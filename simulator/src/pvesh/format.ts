// pvesh's output: `--output-format json|json-pretty|text` (text is a bordered table) and the other format options.
import type { Ctx } from '../context.js';
import type { OptSpec } from '../getopt.js';

export const FORMAT_OPTS: Record<string, OptSpec> = {
  'output-format': { type: 'string', enum: ['text', 'json', 'json-pretty', 'yaml'] },
  noheader: { type: 'boolean' },
  noborder: { type: 'boolean' },
  quiet: { type: 'boolean' },
  'human-readable': { type: 'boolean' },
};

function stableJson(v: unknown, pretty: boolean): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x !== null && typeof x === 'object') {
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
      );
    }
    return x;
  };
  return JSON.stringify(sort(v), null, pretty ? 4 : undefined);
}

function textTable(v: unknown, border: boolean, header: boolean): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return `${fmtCell(v)}\n`;
  let rows: string[][];
  let head: string[];
  if (Array.isArray(v)) {
    const keys = [
      ...new Set(
        (v as unknown[]).flatMap((r) => (r !== null && typeof r === 'object' ? Object.keys(r) : [])),
      ),
    ].sort();
    head = keys;
    rows = v.map((r) => keys.map((k) => fmtCell((r as Record<string, unknown>)[k])));
  } else {
    head = ['key', 'value'];
    rows = Object.keys(v)
      .sort()
      .map((k) => [k, fmtCell((v as Record<string, unknown>)[k])]);
  }
  const widths = head.map((h, i) => Math.max(header ? h.length : 0, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    border
      ? `│ ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' │ ')} │\n`
      : `${cells.map((c, i) => c.padEnd(widths[i]!)).join(' ')}\n`;
  const rule = (l: string, m: string, r: string): string =>
    border ? `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}\n` : '';
  let out = rule('┌', '┬', '┐');
  if (header) out += line(head) + rule('╞', '╪', '╡').replace(/─/g, '═');
  out += rows.map(line).join(rule('├', '┼', '┤'));
  out += rule('└', '┴', '┘');
  return out;
}

function fmtCell(x: unknown): string {
  if (x === undefined || x === null) return '';
  if (typeof x === 'string') return x;
  return JSON.stringify(x);
}

export function emit(ctx: Ctx, data: unknown, opts: Record<string, string>): void {
  const fmt = opts['output-format'] ?? 'text';
  if (opts.quiet === '1') return;
  if (fmt === 'json') ctx.out(stableJson(data ?? null, false) + '\n');
  else if (fmt === 'json-pretty') ctx.out(stableJson(data ?? null, true) + '\n');
  else ctx.out(textTable(data, opts.noborder !== '1', opts.noheader !== '1'));
}
