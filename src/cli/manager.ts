// `phoenix lxc|vm <verb> <id>` and `phoenix hypervisor <verb>`: the manager interface of the refactor plan
// (lxc-manager.sh, vm-manager.sh, hypervisor-manager.sh), routed onto the same verbs. The guest's kind is checked
// by the engine once the config is loaded (VerbContext.kind).
import { nearestWord } from '../config/typos.js';
import { err, ok, type Result } from '../result.js';

export const GUEST_VERBS = ['create', 'delete', 'start', 'stop', 'restart', 'reconfigure', 'test'];
export const HYPERVISOR_VERBS = ['setup', 'test'];

export const MANAGERS = ['lxc', 'vm', 'hypervisor'] as const;
export type Manager = (typeof MANAGERS)[number];

export interface Routed {
  verb: string;
  words: string[];
  kind?: 'lxc' | 'vm';
}

/** The verb and words a manager command stands for, or the manager's own error message (exit 1). */
export function routeManager(manager: Manager, words: readonly string[]): Result<Routed, string> {
  const [verb, ...rest] = words;
  const allowed = manager === 'hypervisor' ? HYPERVISOR_VERBS : GUEST_VERBS;
  if (verb === undefined) {
    const id = manager === 'hypervisor' ? '' : ' <id>';
    return err(`Error: Missing verb. Usage: phoenix ${manager} <${allowed.join('|')}>${id}`);
  }
  if (!allowed.includes(verb)) {
    const meant = nearestWord(verb, allowed);
    return err(`Error: Invalid verb '${verb}'${meant ? `\nDid you mean ${manager} ${meant}?` : ''}`);
  }
  if (manager === 'hypervisor') return ok({ verb, words: verb === 'test' ? ['hypervisor'] : [] });
  if (rest.length === 0) return err('Error: Missing target ID');
  if (rest.length > 1 || !/^\d+$/.test(rest[0] ?? ''))
    return err(`Error: phoenix ${manager} ${verb} takes one numeric target ID (got '${rest.join(' ')}')`);
  return ok({ verb, words: rest, kind: manager });
}
