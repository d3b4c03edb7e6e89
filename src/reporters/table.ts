// A boxed table, drawn as cli-table3 draws its default style (one padded space each side, a rule between rows),
// in time linear in its cells: cli-table3 lays out row spans by checking every cell against all earlier rows,
// which took seconds for `phoenix status` on a 3,000-guest fleet. Cells are plain one-line text.
import pc from 'picocolors';

export interface TableOptions {
  /** Cyan headings and grey rules, as cli-table3's style.head / style.border did. */
  color?: boolean;
}

export function formatTable(
  head: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  o: TableOptions = {},
): string {
  const c = pc.createColors(o.color ?? false);
  const text = rows.map((r) => head.map((_, i) => String(r[i] ?? '')));
  const widths = head.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)) + 2);
  const rule = (left: string, mid: string, right: string): string =>
    c.gray(`${left}${widths.map((w) => '─'.repeat(w)).join(mid)}${right}`);
  const bar = c.gray('│');
  const line = (cells: readonly string[], paint: (s: string) => string): string =>
    `${bar}${cells.map((t, i) => ` ${paint(t)}${' '.repeat(widths[i]! - t.length - 1)}`).join(bar)}${bar}`;
  const between = rule('├', '┼', '┤');
  return [
    rule('┌', '┬', '┐'),
    line(head, c.cyan),
    ...text.flatMap((r) => [between, line(r, (s) => s)]),
    rule('└', '┴', '┘'),
  ].join('\n');
}
