// A VM feature changed after the first boot is pushed through the guest agent and run from a private folder made
// for that run: the command run here by /bin/sh, as the VM would run it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pushAndRunCommand } from '../../src/tasks/vm-features.js';

function runPushed(script: string): { status: number | null; out: string } {
  const [sh, ...args] = pushAndRunCommand(8001, '/opt/phoenix/bin/vm_features/feature_install_docker.sh');
  const r = spawnSync(sh!, args, { input: script, encoding: 'utf8' });
  return { status: r.status, out: r.stdout };
}

describe('a VM feature pushed through the guest agent', () => {
  it('runs from a new private folder with the VMID as $1, keeps the exit code, and removes the folder', () => {
    const ok = runPushed('#!/bin/sh\necho "$0 $1"; stat -c %a "$(dirname "$0")"\n');
    expect(ok.status).toBe(0);
    const [line, mode] = ok.out.trim().split('\n');
    const [self, vmid] = line!.split(' ');
    expect(self).toMatch(/^\/tmp\/phoenix-feature\.[^/]+\/feature_install_docker\.sh$/);
    expect(vmid).toBe('8001');
    expect(mode).toBe('700');
    expect(existsSync(self!)).toBe(false);
    expect(runPushed('#!/bin/sh\nexit 7\n').status).toBe(7);
  });
});
