// `phoenix doctor`'s report: one line per check (ok / FAIL, what, detail), the fix indented under a failure.
import type { Check } from '../engine/doctor.js';

export function formatChecks(checks: readonly Check[], color: boolean): string {
  const mark = (ok: boolean): string => {
    const word = ok ? 'ok  ' : 'FAIL';
    return color ? `\x1b[${ok ? 32 : 31}m${word}\x1b[0m` : word;
  };
  const width = Math.max(...checks.map((c) => c.name.length));
  const pad = ' '.repeat(width + 8);
  const lines = checks.flatMap((c) => {
    const [head = '', ...rest] = c.detail.split('\n');
    return [
      `${mark(c.ok)}  ${c.name.padEnd(width)}  ${head}`,
      ...rest.map((l) => `${pad}${l}`),
      ...(c.fix ?? []).map((f, i) => `${pad}${i === 0 ? 'fix: ' : '     '}${f}`),
    ];
  });
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(failed === 0 ? 'Every check passed.' : `${failed} check${failed === 1 ? '' : 's'} failed.`);
  return lines.join('\n');
}
