// The common frame of every host-facing verb: load the config, open the session, check the targets, hold the run
// lock while a mutating verb works, and turn the outcome into an exit code. Everything that can be refused without
// the host (an unknown ID or step, a missing confirmation) is refused before the lock, so a mistyped command
// never waits for, or reports, another run.
import type { PreparedSession, Session } from './session.js';
import type { Fleet } from '../config/model.js';
import type { VerbContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { loadConfigFor } from './load-config.js';

export async function withSession(
  ctx: VerbContext,
  work: (session: Session, fleet: Fleet) => Promise<number>,
  opts: {
    lock?: boolean;
    /** Checks that need the config but not the host (and may ask the user); an exit code stops the verb. */
    before?: (session: PreparedSession, fleet: Fleet) => Promise<number | undefined>;
    /**
     * The work starts by reading the live state: the host listings start as soon as the config is valid. Not with
     * `before`, whose questions may take the user any time.
     */
    readsLive?: boolean;
  } = {},
): Promise<number> {
  const readsFirst = (opts.readsLive ?? false) && opts.before === undefined;
  // The listings start once the config is loaded: load the host backend meanwhile rather than after it. (A failed
  // load is reported where the backend is used.)
  if (readsFirst && !namesSteps(ctx))
    void import('./session.js').then((s) => s.preloadBackend()).catch(() => undefined);
  const loaded = await loadConfigFor(ctx);
  if (!loaded.ok) return loaded.exit;
  const unknownGuest = await unknownGuestTarget(ctx, loaded.fleet);
  if (unknownGuest !== undefined) {
    ctx.io.err(unknownGuest);
    return EXIT.failed;
  }
  const wrongKind = wrongKindTarget(ctx, loaded.fleet);
  if (wrongKind !== undefined) {
    ctx.io.err(wrongKind);
    return EXIT.failed;
  }
  const { openHost, startEarlyListings, prepareSession, attachCache } = await import('./session.js');
  const wantsLock = (opts.lock ?? ctx.verb.mutating) && !ctx.options.dryRun;
  const host = await openHost(loaded.fleet, ctx.options, ctx.env);
  // Step addresses are checked against the graph; until then the command may still be refused.
  const early = readsFirst && !namesSteps(ctx) ? await startEarlyListings(host, wantsLock) : undefined;
  const graphed = await prepareSession(host, early);
  if (!graphed.ok) {
    ctx.io.err(`Error: ${graphed.error}`);
    return EXIT.usage;
  }
  const unknown = await unknownAddress(ctx, graphed.value);
  if (unknown !== undefined) {
    ctx.io.err(unknown);
    return EXIT.failed;
  }
  const prepared: PreparedSession =
    readsFirst && early === undefined
      ? { ...graphed.value, listings: await startEarlyListings(host, wantsLock) }
      : graphed.value;
  const opened = async (): Promise<Session> => {
    const session = await attachCache(prepared);
    for (const w of session.warnings) ctx.io.err(`warning: ${w}`);
    return session;
  };
  const refused = await opts.before?.(prepared, loaded.fleet);
  if (refused !== undefined) return refused;
  if (!wantsLock) return work(await opened(), loaded.fleet);
  const { acquireRunLock } = await import('./lock.js');
  const lock = await acquireRunLock(prepared.cacheDir, prepared.target.identity, {
    wait: ctx.options.wait,
    command: ['phoenix', ...ctx.argv].join(' '),
  });
  if (!lock.ok) {
    ctx.io.err(lock.error.message);
    return EXIT.locked;
  }
  for (const w of lock.value.warnings) ctx.io.err(`warning: ${w}`);
  // Listings started before the lock describe the host only if no other run took the lock since they started.
  const { listings } = prepared;
  if (listings && (listings.lockMark === undefined || listings.lockMark !== lock.value.previousMark))
    listings.drop();
  try {
    return await work(await opened(), loaded.fleet);
  } finally {
    await lock.value.release();
  }
}

/** For verbs taking guest IDs: the first that names no guest in the config, as its message. */
async function unknownGuestTarget(ctx: VerbContext, fleet: Fleet): Promise<string | undefined> {
  if (ctx.verb.targets !== 'required') return undefined;
  const { resolveTargets } = await import('./targets.js');
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
async function unknownAddress(ctx: VerbContext, session: PreparedSession): Promise<string | undefined> {
  if (!namesSteps(ctx)) return undefined;
  const [{ stepsOf }, { resolveAddresses }] = await Promise.all([
    import('../graph/query.js'),
    import('./addresses.js'),
  ]);
  const resolved = resolveAddresses(session.fleet, session.graph, ctx.words, stepsOf);
  return resolved.ok ? undefined : resolved.error;
}
