// What the simulated API refuses before a worker forks (simulator/src/api/pre-fork.ts): a clone of a locked source is
// a plain 500 and no task, as pve-container's and qemu-server's clone_vm answer; Phoenix's client retries it as a
// dispatch that started nothing, and the clone goes through once the lock is gone.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { preForkRefusal } from '../../simulator/src/api/pre-fork.js';
import { serve } from '../../simulator/src/api/server.js';
import { readCalls, simBinDir } from '../../simulator/src/testing.js';
import { createApiClient } from '../../src/host/api/client.js';
import { createHttpTransport } from '../../src/host/api/http.js';
import { createCt, ok, simDir } from './helpers.js';

describe('refusals before the worker forks', () => {
  it('[F11.3] a clone of a locked CT or VM is "<CT|VM> is locked (<lock>)", HTTP 500; nothing else is refused', () => {
    expect(preForkRefusal({ type: 'vzclone' }, { lock: 'disk' })).toEqual({
      status: 500,
      message: 'CT is locked (disk)\n',
    });
    expect(preForkRefusal({ type: 'qmclone' }, { lock: 'clone' })).toEqual({
      status: 500,
      message: 'VM is locked (clone)\n',
    });
    expect(preForkRefusal({ type: 'vzclone' }, { hostname: 'ct900' })).toBeUndefined();
    expect(preForkRefusal({ type: 'vzstart' }, { lock: 'disk' })).toBeUndefined();
  });

  it('[F11.3] over the API: the 500 starts no task, and the client sends the clone again once the lock is gone', async () => {
    const dir = await simDir();
    ok(dir, createCt(900));
    const conf = join(dir, 'etc/pve/nodes/pve/lxc/900.conf');
    const unlocked = readFileSync(conf, 'utf8');
    writeFileSync(conf, `lock: disk\n${unlocked}`); // another clone of 900 is copying it
    const server = await serve({ dir, nodes: ['pve'], port: 0, binDir: simBinDir() });
    try {
      const pauses: number[] = [];
      const client = createApiClient({
        transport: createHttpTransport({
          url: server.url,
          token: server.token,
          trust: { pin: server.fingerprint },
        }),
        // The other clone ends while the client waits to send again.
        sleep: (ms) => (pauses.push(ms), writeFileSync(conf, unlocked), Promise.resolve(true)),
      });
      const before = readCalls(dir).length;
      const res = await client.call('POST', '/nodes/pve/lxc/900/clone', { newid: '901' }, { dispatch: true });
      await client.close();
      expect(res.ok && String(res.value)).toMatch(
        /^UPID:pve:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:vzclone:900:/,
      );
      expect(pauses).toHaveLength(1);
      const api = readCalls(dir)
        .slice(before)
        .filter((c) => c.tool === 'api');
      expect(api.map((c) => `${c.argv.join(' ')} ${c.exit}`)).toEqual([
        'POST /nodes/pve/lxc/900/clone 500',
        'POST /nodes/pve/lxc/900/clone 200',
      ]);
    } finally {
      await server.close();
    }
  });
});
