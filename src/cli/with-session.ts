// The common frame of every host-facing verb: load the config, open the session, check the targets, hold the run
// lock while a mutating verb works, and turn the outcome into an exit code. Everything that can be refused without
// the host (an unknown ID or step, a missing confirmation) is refused before the lock, so a mistyped command
// never waits for, or reports, another run.
import type { PreparedSession, Session } from '../app/session.js';
import type { Fleet } from '../config/model.js';
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { loadConfigFor } from './load-config.js';

export async function withSession(
  ctx: CommandContext,
  work: (session: Session, fleet: Fleet) => Promise<number>,
  opts: {
    lock?: boolean;
    /** Checks that need the config but not the host (and may ask the user); an exit code stops the verb. */
    before?: (session: PreparedSession, fleet: Fleet) => Promise<number | undefined>;
  } = {},
): Promise<number> {
  const loaded = await loadConfigFor(ctx);
  if (!loaded.ok) return loaded.exit;
  const { prepareSession, attachCache } = await import('../app/session.js');
  const prepared = await prepareSession(loaded.fleet, ctx.options, ctx.env);
  if (!prepared.ok) {
    ctx.io.err(`Error: ${prepared.error}`);
    return EXIT.usage;
  }
  const opened = async (): Promise<Session> => {
    const session = await attachCache(prepared.value);
    for (const w of session.warnings) ctx.io.err(`warning: ${w}`);
    return session;
  };
  const unknown = await unknownTarget(ctx, prepared.value);
  if (unknown !== undefined) {
    ctx.io.err(unknown);
    return EXIT.failed;
  }
  const refused = await opts.before?.(prepared.value, loaded.fleet);
  if (refused !== undefined) return refused;
  const wantsLock = (opts.lock ?? ctx.verb.mutating) && !ctx.options.dryRun;
  if (!wantsLock) return work(await opened(), loaded.fleet);
  const { acquireRunLock } = await import('../app/lock.js');
  const lock = await acquireRunLock(prepared.value.cacheDir, prepared.value.target.identity, {
    wait: ctx.options.wait,
    command: ['phoenix', ...ctx.argv].join(' '),
  });
  if (!lock.ok) {
    ctx.io.err(lock.error.message);
    return EXIT.locked;
  }
  for (const w of lock.value.warnings) ctx.io.err(`warning: ${w}`);
  try {
    return await work(await opened(), loaded.fleet);
  } finally {
    await lock.value.release();
  }
}

/** The first target word that names no guest (or no step, for verbs taking step addresses), as its message. */
async function unknownTarget(ctx: CommandContext, session: PreparedSession): Promise<string | undefined> {
  const { verb, words } = ctx;
  if (verb.targets === 'required') {
    const { resolveTargets } = await import('../app/targets.js');
    const ids = verb.name === 'test' ? words.filter((w) => w !== 'hypervisor') : words;
    const resolved = resolveTargets(session.fleet, ids);
    return resolved.ok ? undefined : resolved.error;
  }
  if (verb.targets === 'optional' || verb.targets === 'addresses') {
    const [{ stepsOf }, { resolveAddresses }] = await Promise.all([
      import('../graph/query.js'),
      import('./commands/addresses.js'),
    ]);
    const resolved = resolveAddresses(session.fleet, session.graph, words, stepsOf);
    return resolved.ok ? undefined : resolved.error;
  }
  return undefined;
}
