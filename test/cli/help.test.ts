// Help per verb (issue 16 item 4): `phoenix help run` and `phoenix run --help` give the verb's synopsis, its
// targets (the id:step syntax and the step names), the options that apply to it and examples; an unknown verb is
// an invalid verb; the manager verbs list theirs; the texts say what the code does.
import { describe, expect, it } from 'vitest';
import { dispatchCaptured } from '../support/dispatch.js';
import { STEP_NAMES } from '../../src/cli/verbs.js';
import { lxcSteps } from '../../src/tasks/lxc-steps.js';
import { vmSteps } from '../../src/tasks/vm-steps.js';

const phoenix = (...argv: string[]) => dispatchCaptured(argv);

describe('help per verb', () => {
  it('phoenix --help names the code cache and how to move or turn it off', async () => {
    const r = await phoenix('--help');
    expect(r.out).toContain('PHOENIX_CODE_CACHE (where compiled code is kept: a folder, or off;');
  });

  it('phoenix help run: synopsis with id:step, the step names, its options, an example', async () => {
    const r = await phoenix('help', 'run');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: phoenix run <id:step\.\.\.> \[options\]/);
    expect(r.out).toContain(
      'containers  define, configure, firewall, idmap, apparmor, disk, mounts, start, pre-configured, feature:<name>, portainer, app, health, snapshot',
    );
    expect(r.out).toMatch(/-f, --force +run, setup: re-run the named steps/);
    expect(r.out).toMatch(/Examples:\n {2}phoenix run 950:app --force/);
    expect(r.out).not.toContain('--cascade'); // a delete option
    expect(r.out).not.toContain('--detailed-exitcode'); // a plan option
  });

  it('phoenix run --help is the same text', async () => {
    const [a, b] = await Promise.all([phoenix('help', 'run'), phoenix('run', '--help')]);
    expect(b.code).toBe(0);
    expect(b.out.trim()).toBe(a.out.trim());
  });

  it('phoenix help foo says foo is unknown (exit 1)', async () => {
    const r = await phoenix('help', 'foo');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toContain("Error: Invalid verb 'foo'");
  });

  it('phoenix lxc --help lists the verbs it stands for', async () => {
    const r = await phoenix('lxc', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Verbs: create, delete, start, stop, restart, reconfigure, test');
    expect(r.out).toContain('--cascade'); // lxc delete takes it
  });

  it('says what the code does: --concurrency counts steps; prefs lists unset and reset', async () => {
    const [top, prefs] = await Promise.all([phoenix('--help'), phoenix('help', 'prefs')]);
    expect(top.out).toMatch(/--concurrency <n> +steps run at once/);
    expect(top.out).not.toMatch(/guests built at once/);
    expect(top.out).toMatch(/prefs <action> \[key\] \[value\] +preferences: list, get, set, unset, reset/);
    expect(prefs.out).toMatch(/unset KEY +remove one/);
    expect(prefs.out).toMatch(/reset +remove them all/);
  });

  it('the step names in the help are the step tables’ (in their order)', () => {
    const lines = STEP_NAMES.split('\n');
    const listed = (label: string): string[] =>
      (lines.find((l) => l.trimStart().startsWith(label)) ?? '')
        .trim()
        .slice(label.length)
        .split(',')
        .map((s) => s.trim().replace(/:<name>$/, ''));
    expect(listed('containers')).toEqual(lxcSteps.map((s) => s.kind));
    expect(listed('VMs')).toEqual(vmSteps.map((s) => s.kind));
  });
});
