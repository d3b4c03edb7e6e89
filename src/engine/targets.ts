// Target resolution (pure): which guests a verb's words name. Their order comes from the guest graph.
import type { Fleet, Guest } from '../config/model.js';
import { err, ok, type Result } from '../result.js';

/** Resolve words to guests of the fleet; an ID not in the config is an error and is never touched. */
export function resolveTargets(fleet: Fleet, words: string[]): Result<Guest[], string> {
  const guests: Guest[] = [];
  for (const word of words) {
    const guest = /^\d+$/.test(word) ? fleet.guests.get(Number(word)) : undefined;
    if (!guest) return err(unknownTargetMessage(fleet, word));
    if (!guests.includes(guest)) guests.push(guest);
  }
  return ok(guests);
}

/** The dispatcher's exact message (spec PHOENIX-DIS-07), then where Phoenix looked and what to do. */
export function unknownTargetMessage(fleet: Fleet, word: string): string {
  const ids = [...fleet.guests.keys()].sort((a, b) => a - b);
  const shown = ids.length > 12 ? `${ids.slice(0, 12).join(', ')}, ...` : ids.join(', ');
  return (
    `Error: Target ID '${word}' not found\n` +
    `  (not a guest in ${fleet.files.join(', ')}; its IDs are ${shown || 'none'}: check the ID, or add the guest there)`
  );
}
