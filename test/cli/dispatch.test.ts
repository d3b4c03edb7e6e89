// The dispatcher's options: every global option works before the verb and after it (the options are made only
// for the verbs named in argv, to save start-up time), under the verb's alias too.
import { describe, expect, it } from 'vitest';
import { dispatchCaptured } from '../support/dispatch.js';
import { parseCommandLine } from '../../src/cli/main.js';

const phoenix = (...argv: string[]) => dispatchCaptured(argv);

describe('dispatch options', () => {
  it('takes a global option before the verb, even when its value is another verb’s name', async () => {
    const r = await phoenix('--config', '/nonexistent/plan', 'validate');
    expect(r.code).toBe(2);
    expect(r.err).toContain('/nonexistent/plan: (top level): config not found');
  });

  it('takes a global option after the verb', async () => {
    const r = await phoenix('validate', '--config', '/nonexistent/other');
    expect(r.code).toBe(2);
    expect(r.err).toContain('/nonexistent/other: (top level): config not found');
  });

  it('checks option values after a verb given by its alias', async () => {
    const r = await phoenix('letsgo', '--concurrency', '0');
    expect(r.code).toBe(2);
    expect(r.err).toContain('option --concurrency must be a whole number from 1 to 64');
  });

  it('refuses --json on a verb with nothing to say in JSON (exit 2), and takes it elsewhere', async () => {
    const r = await phoenix('prefs', '--json');
    expect(r.code).toBe(2);
    expect(r.err).toBe("Error: 'prefs' has no JSON output: drop --json\n");
    const v = await phoenix('validate', '--json', '--config', '/nonexistent/x');
    expect(v.err).not.toContain('has no JSON output');
  });

  it('refuses an unknown option after the verb', async () => {
    const r = await phoenix('status', '--bogus');
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown option '--bogus'");
  });
});

describe('the command line as parseCommandLine reads it', () => {
  it('reads options anywhere, --no-x as x false, --opt=value and grouped short letters', () => {
    expect(parseCommandLine(['-ny', 'delete', '950', '--no-cache', '--config=/etc/p', '-j', '2'])).toEqual({
      ok: true,
      value: {
        name: 'delete',
        words: ['950'],
        raw: { dryRun: true, yes: true, cache: false, config: '/etc/p', concurrency: '2' },
        help: false,
      },
    });
    expect(parseCommandLine(['plan', '-h'])).toMatchObject({ ok: true, value: { name: 'plan', help: true } });
  });

  it('names the option that is wrong: unknown, missing its value, or given a value it does not take', () => {
    expect(parseCommandLine(['status', '--bogus'])).toEqual({ ok: false, error: "unknown option '--bogus'" });
    expect(parseCommandLine(['plan', '--concurrency'])).toEqual({
      ok: false,
      error: "option '-j, --concurrency <n>' argument missing",
    });
    expect(parseCommandLine(['--sim=1', 'plan'])).toEqual({
      ok: false,
      error: "option '--sim' takes no value",
    });
  });
});
