// The common frame of every host-facing verb: load the config, open the session, hold the run lock while a
// mutating verb works, and turn the outcome into an exit code.
import type { Session } from '../app/session.js';
import type { Fleet } from '../config/model.js';
import type { CommandContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { loadConfigFor } from './load-config.js';

export async function withSession(
  ctx: CommandContext,
  work: (session: Session, fleet: Fleet) => Promise<number>,
  opts: { lock?: boolean } = {},
): Promise<number> {
  const loaded = await loadConfigFor(ctx);
  if (!loaded.ok) return loaded.exit;
  const { openSession } = await import('../app/session.js');
  const opened = await openSession(loaded.fleet, ctx.options, ctx.env);
  if (!opened.ok) {
    ctx.io.err(`Error: ${opened.error}`);
    return EXIT.usage;
  }
  const session = opened.value;
  for (const w of session.warnings) ctx.io.err(`warning: ${w}`);
  const wantsLock = (opts.lock ?? ctx.verb.mutating) && !ctx.options.dryRun;
  if (!wantsLock) return work(session, loaded.fleet);
  const { acquireRunLock } = await import('../app/lock.js');
  const lock = await acquireRunLock(session.cacheDir, session.target.identity, {
    wait: ctx.options.wait,
    command: ['phoenix', ...ctx.argv].join(' '),
  });
  if (!lock.ok) {
    ctx.io.err(lock.error.message);
    return EXIT.locked;
  }
  for (const w of lock.value.warnings) ctx.io.err(`warning: ${w}`);
  try {
    return await work(session, loaded.fleet);
  } finally {
    await lock.value.release();
  }
}
