// Documented exit codes (README and `phoenix --help`).
export const EXIT = {
  /** Everything asked for is done (or nothing needed doing). */
  ok: 0,
  /** A step, target or doctor check failed; also the dispatcher's error rows (invalid verb, unknown target). */
  failed: 1,
  /** Bad usage or an invalid config: nothing was touched. */
  usage: 2,
  /** Another run holds the lock for this host. */
  locked: 3,
  /** `plan --detailed-exitcode` only: the plan has changes pending. */
  changesPending: 4,
  /** `--api`: the server's certificate is not the pinned one (or not trusted); not a byte of a request was sent. */
  untrusted: 5,
  /** Interrupted (Ctrl-C, SIGINT): completed steps are recorded; the next run resumes. */
  interrupted: 130,
  /** Stopped by SIGTERM: as interrupted. */
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0    success (nothing failed; for plan: also when changes are pending, unless --detailed-exitcode)
  1    a step or target failed (doctor: a check failed); invalid verb; missing or unknown target ID
  2    bad usage or invalid config (nothing was touched)
  3    another phoenix run holds the lock for this host (use --wait to queue)
  4    plan --detailed-exitcode: changes are pending
  5    --api: the server's certificate does not match --fingerprint or is not trusted (nothing was sent)
  130  interrupted (SIGINT, Ctrl-C); completed steps are recorded and the next run resumes
  143  stopped by SIGTERM; as 130`;
