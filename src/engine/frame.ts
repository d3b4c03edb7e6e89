// The common frame of every host-facing verb: load the config, open the session, check the targets, hold the run
// lock while a mutating verb works, and turn the outcome into an exit code. Everything that can be refused without
// the host (an unknown ID or step, a missing confirmation) is refused before the lock, so a mistyped command
// never waits for, or reports, another run.
import type { PreparedSession, Session } from './session.js';
import type { Fleet } from '../config/model.js';
import type { VerbContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { loadConfigFor } from './load-config.js';
import { openHost, prepareSession, attachCache } from './session.js';
import { resolveApiAccess } from './api-access.js';
import { acquireRunLock } from './lock.js';
import { watchInterrupts } from './interrupt.js';
import { cacheDirProblem } from './cache-dir.js';
import { cacheDirFor } from './paths.js';
import { resolveTargets } from './targets.js';
import { stepsOf } from '../graph/query.js';
import { resolveAddresses } from './addresses.js';

export async function withSession(
  ctx: VerbContext,
  work: (session: Session, fleet: Fleet) => Promise<number>,
  opts: {
    lock?: boolean;
    /** Checks that need the config but not the host (and may ask the user); an exit code stops the verb. */
    before?: (session: PreparedSession, fleet: Fleet) => Promise<number | undefined>;
  } = {},
): Promise<number> {
  const loaded = await loadConfigFor(ctx);
  if (!loaded.ok) return loaded.error;
  const unknownGuest = unknownGuestTarget(ctx, loaded.value.fleet);
  if (unknownGuest !== undefined) {
    ctx.io.err(unknownGuest);
    return EXIT.failed;
  }
  const wrongKind = wrongKindTarget(ctx, loaded.value.fleet);
  if (wrongKind !== undefined) {
    ctx.io.err(wrongKind);
    return EXIT.failed;
  }
  const unusable = await cacheDirProblem(cacheDirFor(loaded.value.fleet.root, ctx.env));
  if (unusable !== undefined) {
    ctx.io.err(unusable);
    return EXIT.usage;
  }
  const wantsLock = (opts.lock ?? ctx.verb.mutating) && !ctx.options.dryRun;
  const note = ctx.options.verbose ? (line: string) => ctx.io.err(line) : undefined;
  // Only a verb that may change something keeps a run log: plan, why, status, graph and dry runs leave none.
  const runLog = ctx.verb.readOnly !== true && !(ctx.verb.mutating && ctx.options.dryRun);
  const api = resolveApiAccess(ctx.options, ctx.env, ctx.cwd);
  if (!api.ok) {
    ctx.io.err(`Error: ${api.error}`);
    return EXIT.usage;
  }
  const host = await openHost(loaded.value.fleet, ctx.options, ctx.env, note, runLog, api.value, wantsLock);
  if (!host.ok) {
    ctx.io.err(host.error.message);
    return host.error.exit;
  }
  const graphed = prepareSession(host.value);
  if (!graphed.ok) {
    ctx.io.err(`Error: ${graphed.error}`);
    return EXIT.usage;
  }
  const unknown = unknownAddress(ctx, graphed.value);
  if (unknown !== undefined) {
    ctx.io.err(unknown);
    return EXIT.failed;
  }
  const prepared = graphed.value;
  const opened = async (): Promise<Session> => {
    const session = await attachCache(prepared);
    for (const w of session.warnings) ctx.io.err(`warning: ${w}`);
    return session;
  };
  const refused = await opts.before?.(prepared, loaded.value.fleet);
  if (refused !== undefined) return refused;
  if (!wantsLock) return work(await opened(), loaded.value.fleet);
  const interrupts = watchInterrupts();
  try {
    const command = ['phoenix', ...ctx.argv].join(' ');
    const lock = await acquireRunLock(prepared.target.lockDir, prepared.target.identity, {
      wait: ctx.options.wait,
      command,
      signal: interrupts.signal,
    });
    if (!lock.ok) {
      ctx.io.err(lock.error.message);
      return interrupts.exitCode() ?? EXIT.locked;
    }
    for (const w of lock.value.warnings) ctx.io.err(`warning: ${w}`);
    // A cluster, queueing (--wait): its run lock is taken now, before the live read, so the plan is made after the
    // other machine's run. Without --wait a run takes it only when it has work (engine/run-work.ts).
    const cluster =
      ctx.options.wait && prepared.host.clusterLock
        ? await prepared.host.clusterLock({ command, wait: true, signal: interrupts.signal })
        : undefined;
    if (cluster !== undefined && !cluster.ok) {
      await lock.value.release();
      ctx.io.err(cluster.error);
      return interrupts.exitCode() ?? EXIT.locked;
    }
    if (cluster?.value.warning !== undefined) ctx.io.err(`warning: ${cluster.value.warning}`);
    try {
      const session = {
        ...(await opened()),
        signal: interrupts.signal,
        ...(cluster && { clusterLocked: true }),
      };
      const code = await work(session, loaded.value.fleet);
      return interrupts.exitCode() ?? code;
    } finally {
      await cluster?.value.release();
      await lock.value.release();
    }
  } finally {
    interrupts.dispose();
  }
}

/** For verbs taking guest IDs: the first that names no guest in the config, as its message. */
function unknownGuestTarget(ctx: VerbContext, fleet: Fleet): string | undefined {
  if (ctx.verb.targets !== 'required') return undefined;
  const ids = ctx.verb.name === 'test' ? ctx.words.filter((w) => w !== 'hypervisor') : ctx.words;
  const resolved = resolveTargets(fleet, ids);
  return resolved.ok ? undefined : resolved.error;
}

/** For the manager interface (`phoenix lxc start 1000`): a target of the other kind, as its message. */
function wrongKindTarget(ctx: VerbContext, fleet: Fleet): string | undefined {
  if (ctx.kind === undefined) return undefined;
  for (const word of ctx.words) {
    const guest = fleet.guests.get(Number(word));
    if (guest === undefined || guest.kind === ctx.kind) continue;
    const what = guest.kind === 'vm' ? 'a VM' : 'an LXC container';
    return `Error: Target ID '${word}' is ${what}; use 'phoenix ${guest.kind} ${ctx.verb.name} ${word}'`;
  }
  return undefined;
}

/** Whether the target words are checked against the step graph (guest IDs or step addresses). */
const namesSteps = (ctx: VerbContext): boolean =>
  (ctx.verb.targets === 'optional' || ctx.verb.targets === 'addresses') && ctx.words.length > 0;

/** For verbs taking IDs or step addresses: the first word that names no guest or no step, as its message. */
function unknownAddress(ctx: VerbContext, session: PreparedSession): string | undefined {
  if (!namesSteps(ctx)) return undefined;
  const resolved = resolveAddresses(session.fleet, session.graph, ctx.words, stepsOf);
  return resolved.ok ? undefined : resolved.error;
}
