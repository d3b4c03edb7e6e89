// The simulated API's root@pam-only refusals (simulator/src/api/root-only.ts), pure: parameters in, refusal out.
import { describe, expect, it } from 'vitest';
import { lxcRootOnly, qemuUpdateRootOnly } from '../../simulator/src/api/root-only.js';

describe('what a token may not change', () => {
  it('[F11.2] a container bind or device mount point, a devN and the hookscript are 403 for a token', () => {
    expect(lxcRootOnly({ mp0: '/srv/data,mp=/data' }, {})).toEqual({
      status: 403,
      message: 'Permission check failed (mount point type bind is only allowed for root@pam)\n',
    });
    expect(lxcRootOnly({ mp1: 'volume=/dev/sdb1,mp=/disk' }, {})?.message).toContain(
      'mount point type device',
    );
    expect(lxcRootOnly({ mp0: 'local-lvm:8,mp=/data' }, {})).toBeUndefined();
    expect(lxcRootOnly({ dev0: '/dev/nvidia0' }, {})?.status).toBe(403);
    expect(lxcRootOnly({ delete: 'dev0' }, { dev0: '/dev/nvidia0' })?.status).toBe(403);
    expect(lxcRootOnly({ hookscript: 'local:snippets/h.sh' }, {})?.message).toContain('hookscript');
  });

  it('[F11.2] feature flags: any on a privileged container, only nesting on an unprivileged one', () => {
    const privileged = { unprivileged: '0' };
    expect(lxcRootOnly({ features: 'nesting=1' }, privileged)?.message).toContain('privileged container');
    const unprivileged = { unprivileged: '1', features: 'nesting=1,keyctl=1' };
    expect(lxcRootOnly({ features: 'nesting=0,keyctl=1' }, unprivileged)).toBeUndefined();
    expect(lxcRootOnly({ features: 'nesting=1' }, unprivileged)?.message).toContain('(except nesting)');
    expect(lxcRootOnly({ delete: 'features' }, { unprivileged: '1', features: 'nesting=1' })).toBeUndefined();
    // created: the request's own unprivileged flag decides
    expect(lxcRootOnly({ unprivileged: '1', features: 'nesting=1' }, undefined)).toBeUndefined();
    expect(lxcRootOnly({ unprivileged: '1', features: 'fuse=1' }, undefined)?.status).toBe(403);
    expect(lxcRootOnly({ features: 'nesting=1' }, undefined)?.status).toBe(403);
  });

  it('[F11.2] a VM key outside the checked option groups dies "only root can set" (HTTP 500)', () => {
    expect(qemuUpdateRootOnly({ args: '-cpu host' })).toEqual({
      status: 500,
      message: "only root can set 'args' config\n",
    });
    expect(qemuUpdateRootOnly({ delete: 'hookscript' })?.message).toContain("'hookscript'");
    expect(
      qemuUpdateRootOnly({
        memory: '4096',
        net0: 'virtio,bridge=vmbr0',
        scsi0: 'x',
        digest: 'd',
        delete: 'ciuser',
      }),
    ).toBeUndefined();
  });
});
