// Error values thrown by command handlers; run.ts turns them into the real tools' stderr text and exit codes.

/** A plain `die`: the message goes to stderr (newline added), exit 255 unless given. */
export class PveError extends Error {
  constructor(
    message: string,
    readonly exit = 255,
  ) {
    super(message);
  }
}

/** `400 Parameter verification failed.` followed by `param: reason` lines and the usage line. */
export class ParamError extends PveError {
  constructor(
    readonly errors: Record<string, string>,
    public usage = '',
  ) {
    super('400 Parameter verification failed.');
  }
  render(): string {
    const lines = Object.keys(this.errors)
      .sort()
      .map((k) => `${k}: ${this.errors[k]}`);
    return (
      ['400 Parameter verification failed.', ...lines, this.usage].filter((l) => l !== '').join('\n') + '\n'
    );
  }
}

/** Getopt-level failures: warnings first (`Unknown option: x`), then `400 <msg>` and the usage line. */
export class UsageError extends PveError {
  constructor(
    readonly msg: string,
    readonly warnings: string[] = [],
    public usage = '',
  ) {
    super(msg);
  }
  render(): string {
    return [...this.warnings, `400 ${this.msg}`, this.usage].filter((l) => l !== '').join('\n') + '\n';
  }
}
