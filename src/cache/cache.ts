// The step cache: what Phoenix last did successfully, per target host. Only successful steps are recorded.
export interface StepRecord {
  /** The step's fingerprint when it last succeeded. */
  fingerprint: string;
  /** The config values it hashed, so `why` can diff them against today's. */
  inputs: Record<string, unknown>;
  /** Script path -> content hash, as hashed. */
  scripts: Record<string, string>;
  /** Upstream address -> fingerprint it folded in (cascading edges), so `why` can name which upstream changed. */
  upstream?: Record<string, string>;
  /** ISO time the step finished. */
  at: string;
  durationMs: number;
  /** The guest's incarnation the step ran against (see LiveGuest.incarnation). */
  incarnation?: string;
  /**
   * Set when a later run of the step failed (a forced re-run, a re-run after a change): what the host holds is no
   * longer known to be what this record says, so the step is stale until it succeeds again.
   */
  failed?: { at: string; message: string };
  /** On a clone's `define`: the build of its source it was made from (see PlannedStep.source). */
  source?: { address: string; fingerprint: string; incarnation?: string };
}

export interface StepCache {
  get(address: string): StepRecord | undefined;
  all(): ReadonlyMap<string, StepRecord>;
  /** Record a success; durable (atomic write) before the promise resolves. */
  set(address: string, record: StepRecord): Promise<void>;
  /** Forget steps (a deleted guest, a forced re-run). */
  delete(addresses: string[]): Promise<void>;
  /** Forget every step of a target (a guest deleted by Phoenix). */
  forgetTarget?(target: number | 'host'): Promise<void>;
}
