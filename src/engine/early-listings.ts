// The host listings (`pct list`, `qm list`) started as soon as the config is valid and the target host known, so
// they run while Phoenix builds its step graph and reads its step cache. On a real node each listing is a Perl
// start-up of 0.3-1 s: for a no-op run it is most of the wall time, and here it overlaps Phoenix's own work.
import type { HostExec } from '../host/host.js';
import type { ConfigFileReader } from '../host/read-live.js';

type ReadHost = HostExec & Partial<ConfigFileReader>;

const LISTINGS = [
  ['pct', 'list'],
  ['qm', 'list'],
] as const;

export interface EarlyListings {
  /** The host, except that its first `pct list` and `qm list` are the ones already running; later ones run anew. */
  readonly host: ReadHost;
  /** The run lock's mark when the listings started (runLockMark): they describe the host only if it is unchanged. */
  readonly lockMark: string | undefined;
  /** Forget the early listings (another run may have changed the host since): later reads run anew. */
  drop(): void;
}

export function startListings(host: ReadHost, lockMark?: string): EarlyListings {
  // Only the backend spawns; the promises resolve to results (a failed listing is a failure value, not a throw).
  const pending = new Map(LISTINGS.map((argv) => [argv.join(' '), host.run([...argv])]));
  // Everything but `run` is the host's own (prototype delegation keeps its methods and getters as they are).
  const view = Object.create(host) as ReadHost;
  view.run = (argv, opts) => {
    const key = argv.join(' ');
    const early = opts === undefined ? pending.get(key) : undefined;
    if (early === undefined) return host.run(argv, opts);
    pending.delete(key); // served once: a later listing (after acting) must see the host as it is then
    return early;
  };
  return { host: view, lockMark, drop: () => pending.clear() };
}
