// Target resolution and ordering (pure): which guests a verb touches and in which order.
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

/** The guests a guest needs before it can be built: clone ancestors and dependencies, transitively. */
export function prerequisites(fleet: Fleet, id: number): number[] {
  const seen = new Set<number>();
  const visit = (g: number): void => {
    const guest = fleet.guests.get(g);
    if (!guest) return;
    for (const need of [...(guest.cloneFrom === undefined ? [] : [guest.cloneFrom]), ...guest.dependencies]) {
      if (seen.has(need) || need === id) continue;
      seen.add(need);
      visit(need);
    }
  };
  visit(id);
  return [...seen];
}

/**
 * Dependency order over the whole fleet (clone sources and dependencies first), ties by ID. Deterministic,
 * and total over the fleet so callers can sort any subset by it. Config validation rejects cycles beforehand.
 */
export function dependencyOrder(fleet: Fleet): number[] {
  const order: number[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (id: number): void => {
    if (state.get(id) === 'done' || state.get(id) === 'visiting') return;
    state.set(id, 'visiting');
    const guest = fleet.guests.get(id);
    if (guest) {
      const needs = [...(guest.cloneFrom === undefined ? [] : [guest.cloneFrom]), ...guest.dependencies];
      for (const need of needs.sort((a, b) => a - b)) visit(need);
    }
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of [...fleet.guests.keys()].sort((a, b) => a - b)) visit(id);
  return order;
}

/** Sort guests into dependency order (sources and dependencies first). */
export function sortByDependencies(fleet: Fleet, guests: Guest[]): Guest[] {
  const rank = new Map(dependencyOrder(fleet).map((id, i) => [id, i]));
  return [...guests].sort((a, b) => (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0));
}

/** Start order: ascending boot_order, ties by dependency order, then ID. Stop uses the reverse. */
export function sortByBootOrder(fleet: Fleet, guests: Guest[]): Guest[] {
  const rank = new Map(dependencyOrder(fleet).map((id, i) => [id, i]));
  return [...guests].sort(
    (a, b) => a.bootOrder - b.bootOrder || (rank.get(a.id) ?? 0) - (rank.get(b.id) ?? 0) || a.id - b.id,
  );
}

/** Guests cloned from `id`, transitively (what deleting `id` would strand). */
export function cloneDescendants(fleet: Fleet, id: number): number[] {
  const out: number[] = [];
  for (const g of fleet.guests.values()) {
    if (g.cloneFrom === id) out.push(g.id, ...cloneDescendants(fleet, g.id));
  }
  return out;
}
