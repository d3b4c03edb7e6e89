// The preflight of a plan: what its steps need on the host (templates, storage content), read from the host only
// when some step needs something, and checked before any step runs. A no-op plan reads nothing more.
import { parsePveamAvailable, parsePveamList } from '../host/conf.js';
import type { LiveState } from '../host/live.js';
import { readStorages } from '../host/storages.js';
import { hideSecrets } from '../config/secrets.js';
import { bindStep } from '../plan/evaluate.js';
import { checkNeeds, type HostFacts } from '../plan/preflight.js';
import type { Plan } from '../plan/types.js';
import { err, ok, type Result } from '../result.js';
import type { HostNeed } from '../tasks/step.js';
import type { Session } from './session.js';

/** The needs of the steps that will run (stale, or blocked until --replace). */
function needsOf(session: Session, plan: Plan, live: LiveState): HostNeed[] {
  return plan.steps.flatMap((step) => {
    if (step.status === 'up-to-date' || step.requested || !session.graph.hasNode(step.address)) return [];
    const node = session.graph.getNodeAttributes(step.address);
    return bindStep(node, session.fleet, live, hideSecrets).needs(step.replace === true);
  });
}

/**
 * A cluster: the commands of steps to run that cannot be done where they would run (a clone whose source's local
 * storage the target node lacks), found before anything runs rather than as a task failing half-way.
 */
function refusals(session: Session, plan: Plan): string[] {
  const refusalOf = session.host.refusalOf?.bind(session.host);
  if (refusalOf === undefined) return [];
  return plan.steps.flatMap((step) => {
    if (step.status === 'up-to-date') return [];
    const guest = step.target === 'host' ? undefined : step.target;
    return step.preview.flatMap((argv) => {
      const why = refusalOf(argv, guest);
      return why === undefined ? [] : [`${step.address}: ${why}`];
    });
  });
}

/** What the plan's steps lack on the host, one message each; empty when nothing is missing. */
export async function preflight(
  session: Session,
  plan: Plan,
  live: LiveState,
): Promise<Result<string[], string>> {
  const refused = refusals(session, plan);
  const needs = needsOf(session, plan, live);
  if (needs.length === 0) return ok(refused);
  const storages = await readStorages(session.host);
  if (!storages.ok) return err(storages.error.message);
  const templateStorages = [
    ...new Set(
      needs.flatMap((n) =>
        n.kind === 'os-template' &&
        storages.value.some((s) => s.id === n.storage && !s.disabled && s.content.includes('vztmpl'))
          ? [n.storage]
          : [],
      ),
    ),
  ];
  const listed = await Promise.all(templateStorages.map((s) => session.host.run(['pveam', 'list', s])));
  const templates = new Map<string, Set<string>>();
  for (const [i, res] of listed.entries()) {
    if (!res.ok) return err(res.error.message);
    templates.set(templateStorages[i]!, new Set(parsePveamList(res.value.stdout).map((t) => t.volid)));
  }
  const facts: HostFacts = { storages: storages.value, templates };
  const unlisted = needs.some(
    (n) => n.kind === 'os-template' && !templates.get(n.storage)?.has(`${n.storage}:vztmpl/${n.file}`),
  );
  if (unlisted) {
    const available = await session.host.run(['pveam', 'available']);
    if (!available.ok) return err(available.error.message);
    facts.catalogue = parsePveamAvailable(available.value.stdout);
  }
  return ok([...refused, ...checkNeeds(needs, facts)]);
}
