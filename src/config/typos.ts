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

/**
 * The candidate a mistyped word (a verb, a step name) was most likely meant to be: the closest by edit distance,
 * ignoring case, when it is close enough to be a slip (at most 2 edits, and fewer than half the word) and no
 * other candidate is as close.
 */
export function nearestWord(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const c of candidates) {
    const d = c.toLowerCase() === w ? 0 : oneEditApart(w, c.toLowerCase()) ? 1 : distance(w, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance, tie] = [c, d, false];
    else if (d === bestDistance && c !== best) tie = true;
  }
  if (best === undefined || tie || bestDistance > 2 || bestDistance * 2 >= Math.max(w.length, 2))
    return undefined;
  return best;
}
