// What stands between a step's command line and the process (src/host/launch.ts): the interpreter of a script
// stored without its run bit, the simulator's stand-in under --sim, and the refusal to start a VM feature script.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHostExec } from '../../src/host/exec.js';
import { DIRECT_LAUNCH, launchArgv, shebang, type LaunchPolicy } from '../../src/host/launch.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const policy = (p: Partial<LaunchPolicy> = {}): LaunchPolicy => ({ ...DIRECT_LAUNCH, ...p });

describe('launchArgv', () => {
  it('runs a script without its run bit through the interpreter its #! line names', () => {
    const p = policy({ interpreters: new Map([['/r/bin/setup.sh', ['/usr/bin/env', 'bash']]]) });
    expect(launchArgv(['/r/bin/setup.sh', '/r/etc/hv.json'], p)).toEqual({
      ok: true,
      argv: ['/usr/bin/env', 'bash', '/r/bin/setup.sh', '/r/etc/hv.json'],
    });
    expect(launchArgv(['/r/bin/other.sh', 'x'], p)).toEqual({ ok: true, argv: ['/r/bin/other.sh', 'x'] });
  });

  it('under --sim hands everything but the Proxmox tools to the stand-in, unless the fleet may run it', () => {
    const sim = { standIn: '/sim/bin/phoenix-sim-script', runnable: new Set(['/r/bin/safe.sh']) };
    const p = policy({ sim });
    expect(launchArgv(['pct', 'start', '950'], p)).toEqual({ ok: true, argv: ['pct', 'start', '950'] });
    expect(launchArgv(['/r/bin/setup.sh', 'hv.json'], p)).toEqual({
      ok: true,
      argv: ['/sim/bin/phoenix-sim-script', '/r/bin/setup.sh', 'hv.json'],
    });
    expect(launchArgv(['systemctl', 'reload', 'apparmor'], p)).toEqual({
      ok: true,
      argv: ['/sim/bin/phoenix-sim-script', 'systemctl', 'reload', 'apparmor'],
    });
    expect(launchArgv(['/r/bin/safe.sh', '950'], p)).toEqual({ ok: true, argv: ['/r/bin/safe.sh', '950'] });
  });

  it('never starts a VM feature script on the host, under --sim or not', () => {
    const forbidden = new Set(['/r/bin/vm_features/feature_install_docker.sh']);
    for (const p of [
      policy({ forbidden }),
      policy({ forbidden, sim: { standIn: '/s', runnable: new Set(forbidden) } }),
    ]) {
      const r = launchArgv(['/r/bin/vm_features/feature_install_docker.sh', '8001'], p);
      expect(r).toEqual({
        ok: false,
        reason: expect.stringContaining('runs inside its VM, never on the host') as unknown,
      });
    }
  });

  it('splits a #! line as Linux does: the program and at most one argument', () => {
    expect(shebang('#!/bin/bash')).toEqual(['/bin/bash']);
    expect(shebang('#! /usr/bin/env  bash ')).toEqual(['/usr/bin/env', 'bash']);
    expect(shebang('#!/bin/sh -e -x')).toEqual(['/bin/sh', '-e -x']);
    expect(shebang('echo hi')).toBeUndefined();
  });
});

describe('scripts stored without their run bit (git keeps most of the user’s at 644)', () => {
  function script(name: string, text: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), 'phoenix-launch-'));
    dirs.push(dir);
    const file = path.join(dir, name);
    writeFileSync(file, text);
    chmodSync(file, 0o644);
    return file;
  }

  function host(interpreters: Map<string, string[]>) {
    const dir = mkdtempSync(path.join(tmpdir(), 'phoenix-launch-log-'));
    dirs.push(dir);
    return createHostExec({
      node: 'pve',
      pveRoot: dir,
      logFile: path.join(dir, 'run.log'),
      launch: policy({ interpreters }),
    });
  }

  it('runs through its #! line with the argv the step gave', async () => {
    const file = script('setup.sh', '#!/bin/sh\necho "ran $0 with $*"\n');
    const res = await host(new Map([[file, ['/bin/sh']]])).run([file, '/etc/hv.json']);
    expect(res.ok && res.value.stdout).toBe(`ran ${file} with /etc/hv.json\n`);
  });

  it('without a #! line fails with the fix', async () => {
    const file = script('bare.sh', 'echo hi\n');
    const res = await host(new Map()).run([file, '950']);
    expect(res.ok).toBe(false);
    if (!res.ok)
      expect(res.error.message).toBe(
        `could not run ${file}: it is not executable and has no #! line (chmod +x it, or start it with #!/bin/bash)`,
      );
  });
});
