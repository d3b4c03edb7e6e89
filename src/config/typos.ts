// "Did you mean": an unknown key one edit away from a known key is probably a typo (memroy_mb -> memory_mb).
import { distance } from 'fastest-levenshtein';

/** True when `a` becomes `b` by one insertion, deletion, substitution, or swap of two neighbouring characters. */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b) return false;
  if (Math.abs(a.length - b.length) <= 1 && distance(a, b) === 1) return true;
  return a.length === b.length && isAdjacentSwap(a, b);
}

function isAdjacentSwap(a: string, b: string): boolean {
  const diffs: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diffs.push(i);
  const [i, j] = diffs;
  return diffs.length === 2 && i !== undefined && j === i + 1 && a[i] === b[j] && a[j] === b[i];
}

/** The known key an unknown key was probably meant to be, if exactly one is one edit away. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  if (known.includes(unknown)) return undefined;
  const close = known.filter((k) => oneEditApart(unknown, k));
  return close.length === 1 ? close[0] : undefined;
}
