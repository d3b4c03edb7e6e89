// A host command as an argv array, never a shell string; and how one is shown to people (plans, logs, errors).

/** `['pct', 'set', '950', '--memory', '4096']`. */
export type Argv = readonly string[];

/** The command as a shell would need it typed: words with shell metacharacters single-quoted. */
export function formatArgv(argv: Argv): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
