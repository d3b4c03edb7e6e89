// Step addresses typed by the user (`950:snapshot`, `950`, `host:setup_zfs`), checked against the graph.
import type { StepGraph } from '../graph/types.js';
import type { Fleet } from '../config/model.js';
import { stepTables } from '../tasks/index.js';
import { nearestWord } from '../config/typos.js';
import { err, ok, type Result } from '../result.js';
import { unknownTargetMessage } from './targets.js';

/** Why a guest lacks a step its kind's table has (`730:snapshot` of a container with a bind mount), if it says. */
function absentWhy(fleet: Fleet, id: number, name: string): string | undefined {
  const g = fleet.guests.get(id);
  if (g?.kind === 'lxc') return stepTables.lxc.find((s) => s.kind === name)?.absent?.(g, fleet);
  if (g?.kind === 'vm') return stepTables.vm.find((s) => s.kind === name)?.absent?.(g, fleet);
  return undefined;
}

/** Expand words to step addresses: a guest ID means all its steps; an unknown step names the valid ones. */
export function resolveAddresses(
  fleet: Fleet,
  graph: StepGraph,
  words: string[],
  stepsOf: (graph: StepGraph, target: number | 'host') => string[],
): Result<{ addresses: string[]; named: string[] }, string> {
  const addresses: string[] = [];
  const named: string[] = [];
  for (const word of words) {
    const m = /^([^:]+)(?::(.+))?$/.exec(word);
    const targetWord = m?.[1] ?? word;
    const target: number | 'host' | undefined =
      targetWord === 'host'
        ? 'host'
        : /^\d+$/.test(targetWord) && fleet.guests.has(Number(targetWord))
          ? Number(targetWord)
          : undefined;
    if (target === undefined) return err(unknownTargetMessage(fleet, targetWord));
    const steps = stepsOf(graph, target);
    if (m?.[2] === undefined) {
      addresses.push(...steps);
      continue;
    }
    if (!graph.hasNode(word)) {
      const names = steps.map((s) => s.slice(s.indexOf(':') + 1));
      const why = target === 'host' ? undefined : absentWhy(fleet, target, m[2]);
      if (why !== undefined)
        return err(
          `Error: '${word}' is not a step of ${targetWord}: ${why}; valid steps: ${names.join(', ')}`,
        );
      const meant = nearestWord(m[2], names);
      const hint = meant === undefined ? '' : `did you mean ${targetWord}:${meant}? `;
      return err(`Error: '${word}' is not a step of ${targetWord}; ${hint}valid steps: ${names.join(', ')}`);
    }
    addresses.push(word);
    named.push(word);
  }
  return ok({ addresses, named });
}
