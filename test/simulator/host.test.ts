import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCalls, readSimState, simBinDir, simEnv, writeSimConfig } from '../../simulator/src/testing.js';
import { createCt, DEBIAN, ok, run, runAsync, simDir } from './helpers.js';

describe('pvesm / pveam', () => {
  it('[F4.5] pvesm status has the PVE 9.1 KiB header and padded columns', async () => {
    const dir = await simDir();
    const out = run(dir, ['pvesm', 'status']).stdout.split('\n');
    expect(out[0]).toBe(
      'Name             Type     Status     Total (KiB)      Used (KiB) Available (KiB)        %',
    );
    expect(out[1]).toBe(
      'local             dir     active        98497780        10252480        88245300   10.41%',
    );
    expect(out[2]).toBe(
      'local-lvm     lvmthin     active       362520576               0       362520576    0.00%',
    );
    expect(run(dir, ['pvesm', 'list', 'nope']).stderr).toBe("storage 'nope' does not exist\n");
  });

  it('[F1.2] pveam: catalogue, download, already-present, unknown template, list', async () => {
    const dir = await simDir({ templates: [] });
    expect(run(dir, ['pveam', 'update']).stdout).toBe('update successful\n');
    expect(run(dir, ['pveam', 'available', '--section', 'system']).stdout).toContain(
      `system          ${DEBIAN.padEnd(60)} amd64\n`,
    );
    const url = `http://download.proxmox.com/images/system/${DEBIAN}`;
    const dest = `/var/lib/vz/template/cache/${DEBIAN}`;
    const dl = ok(dir, ['pveam', 'download', 'local', DEBIAN]);
    expect(dl.stdout).toContain(`download of '${url}' to '${dest}' finished`);
    expect(ok(dir, ['pveam', 'download', 'local', DEBIAN]).stdout).toBe(
      `downloading ${url} to ${dest}\n` +
        'calculating checksum of existing file...OK, got correct file already, no need to download\n',
    );
    expect(run(dir, ['pveam', 'download', 'local', 'nope.tar.zst'])).toEqual({
      stdout: '',
      stderr:
        '400 Parameter verification failed.\ntemplate: no such template\npveam download <storage> <template>\n',
      code: 255,
    });
    expect(run(dir, ['pveam', 'list', 'local']).stdout).toBe(
      `${'NAME'.padEnd(60)} SIZE  \n${`local:vztmpl/${DEBIAN}`.padEnd(60)} 126.00MB\n`,
    );
    expect(run(dir, ['pveam', 'list', 'local-lvm']).stderr).toBe('Storage does not support templates!\n');
  });
});

describe('pvesh', () => {
  it('[F11.1] returns /cluster/resources as compact sorted JSON', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['pct', 'start', '101']);
    const res = JSON.parse(
      run(dir, ['pvesh', 'get', '/cluster/resources', '--type', 'vm', '--output-format', 'json']).stdout,
    ) as unknown[];
    expect(res).toEqual([
      expect.objectContaining({
        id: 'lxc/101',
        vmid: 101,
        type: 'lxc',
        node: 'pve',
        status: 'running',
        name: 'ct101',
        template: 0,
      }),
    ]);
    const conf = JSON.parse(
      run(dir, ['pvesh', 'get', '/nodes/pve/lxc/101/config', '--output-format', 'json']).stdout,
    ) as Record<string, unknown>;
    expect(conf).toMatchObject({
      memory: 512,
      unprivileged: 1,
      hostname: 'ct101',
      digest: expect.stringMatching(/^[0-9a-f]{40}$/) as unknown,
    });
    const snaps = JSON.parse(
      run(dir, ['pvesh', 'get', '/nodes/pve/lxc/101/snapshot', '--output-format', 'json']).stdout,
    ) as unknown[];
    expect(snaps).toEqual([
      expect.objectContaining({ name: 'current', description: 'You are here!', running: 1 }),
    ]);
    expect(run(dir, ['pvesh', 'get', '/nodes/pve/lxc/555/config']).stderr).toBe(
      "Configuration file 'nodes/pve/lxc/555.conf' does not exist\n",
    );
  });

  it('[F11.1] lags behind by resourcesStaleMs: a new guest is "unknown", a just-started one still stopped', async () => {
    const dir = await simDir();
    writeSimConfig(dir, { latencyScale: 0.001, resourcesStaleMs: 60_000_000, latency: { startup: 0 } });
    ok(dir, createCt(101));
    const res = JSON.parse(
      run(dir, ['pvesh', 'get', '/cluster/resources', '--type', 'vm', '--output-format', 'json']).stdout,
    ) as unknown[];
    expect(res).toEqual([{ id: 'lxc/101', vmid: 101, node: 'pve', type: 'lxc', status: 'unknown' }]);
    const live = JSON.parse(
      run(dir, ['pvesh', 'get', '/nodes/pve/lxc/101/status/current', '--output-format', 'json']).stdout,
    ) as Record<string, unknown>;
    expect(live.status).toBe('stopped');
  });

  it('[F4.3] download-url stores an import image; an unknown URL fails inside the task (exit 0)', async () => {
    const dir = await simDir();
    const r = ok(dir, [
      'pvesh',
      'create',
      '/nodes/pve/storage/local/download-url',
      '--content',
      'import',
      '--filename',
      'noble.qcow2',
      '--url',
      'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img',
    ]);
    expect(r.stdout).toMatch(
      /finished\nUPID:pve:[0-9A-F]{8}:[0-9A-F]{8}:[0-9A-F]{8}:download:local:root@pam:\n$/,
    );
    expect(run(dir, ['pvesm', 'list', 'local', '--content', 'import']).stdout).toContain(
      'local:import/noble.qcow2',
    );
    const bad = run(dir, [
      'pvesh',
      'create',
      '/nodes/pve/storage/local/download-url',
      '--content',
      'import',
      '--filename',
      'x.qcow2',
      '--url',
      'https://example.invalid/x.img',
    ]);
    expect(bad.code).toBe(0);
    expect(bad.stderr).toContain('404 Not Found');
  });
});

describe('fault injection', () => {
  it('[sim] fails the nth matching call, fails K times then succeeds, and fakes flock timeouts', async () => {
    const dir = await simDir({
      config: {
        faults: [
          { match: '^pct start 101', nth: 2, action: 'fail', stderr: "startup for container '101' failed" },
          { match: '^pct set 102', times: 2, action: 'lock' },
        ],
      },
    });
    ok(dir, createCt(101), createCt(102), ['pct', 'start', '101'], ['pct', 'stop', '101']);
    expect(run(dir, ['pct', 'start', '101'])).toEqual({
      stdout: '',
      stderr: "startup for container '101' failed\n",
      code: 255,
    });
    ok(dir, ['pct', 'start', '101']);
    const locked = run(dir, ['pct', 'set', '102', '--cores', '2']);
    expect(locked).toEqual({
      stdout: '',
      stderr:
        "trying to acquire lock...\ncan't lock file '/run/lock/lxc/pve-config-102.lock' - got timeout\n",
      code: 255,
    });
    expect(run(dir, ['pct', 'set', '102', '--cores', '2']).code).toBe(255);
    ok(dir, ['pct', 'set', '102', '--cores', '2']);
  });

  it('[F0.2] an in-task failure of pct resize exits 0 and leaves the size unchanged', async () => {
    const dir = await simDir({
      config: {
        faults: [{ match: '^pct resize', action: 'fail', phase: 'task', stderr: 'lvextend failed' }],
      },
    });
    ok(dir, createCt(101));
    expect(run(dir, ['pct', 'resize', '101', 'rootfs', '+2G'])).toEqual({
      stdout: '',
      stderr: 'lvextend failed\n',
      code: 0,
    });
    expect(run(dir, ['pct', 'config', '101']).stdout).toContain('size=8G');
  });

  it('[sim] hang keeps the process alive until it is killed', async () => {
    const dir = await simDir({ config: { faults: [{ match: '^pct start', action: 'hang' }] } });
    ok(dir, createCt(101));
    const p = spawn(join(simBinDir(), 'pct'), ['start', '101'], { env: simEnv(dir) });
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (readCalls(dir).some((c) => c.hang)) {
          clearInterval(t);
          resolve();
        }
      }, 50);
    });
    expect(p.exitCode).toBeNull();
    p.kill('SIGKILL');
    await new Promise((r) => p.on('close', r));
    expect(run(dir, ['pct', 'status', '101']).stdout).toBe('status: stopped\n');
  });
});

describe('parallel invocations', () => {
  it('[sim] 10 parallel pct create of different IDs all land', async () => {
    const dir = await simDir();
    const ids = Array.from({ length: 10 }, (_, i) => 200 + i);
    const rs = await Promise.all(ids.map((id) => runAsync(dir, createCt(id))));
    expect(rs.map((r) => r.code)).toEqual(ids.map(() => 0));
    const s = readSimState(dir);
    expect(Object.keys(s.guests).map(Number).sort()).toEqual(ids);
    expect(new Set(ids.map((id) => s.guests[id]!.config.rootfs)).size).toBe(10);
    expect(readCalls(dir).filter((c) => c.argv[0] === 'create')).toHaveLength(10);
  });

  it('[sim] parallel pct set on one CT loses nothing', async () => {
    const dir = await simDir();
    ok(dir, createCt(101));
    const sets: [string, string][] = [
      ['--cores', '2'],
      ['--memory', '2048'],
      ['--swap', '256'],
      ['--onboot', '1'],
      ['--tags', 'web'],
      ['--description', 'phoenix'],
      ['--cpulimit', '2'],
      ['--nameserver', '1.1.1.1'],
    ];
    const rs = await Promise.all(sets.map(([k, v]) => runAsync(dir, ['pct', 'set', '101', k, v])));
    expect(rs.map((r) => r.code)).toEqual(sets.map(() => 0));
    const conf = run(dir, ['pct', 'config', '101']).stdout;
    for (const [k, v] of sets) expect(conf).toContain(`${k.slice(2)}: ${v}\n`);
  });

  it('[F0.3] a long task holds the guest lock, so a concurrent call sees CT is locked (create)', async () => {
    const dir = await simDir();
    writeSimConfig(dir, { latencyScale: 1, latency: { startup: 0, pctCreate: 1500 } });
    const creating = runAsync(dir, createCt(101));
    let seen = '';
    for (let i = 0; i < 40 && seen === ''; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const r = await runAsync(dir, ['pct', 'set', '101', '--cores', '2']);
      if (r.stderr === 'CT is locked (create)\n') seen = r.stderr;
    }
    expect(seen).toBe('CT is locked (create)\n');
    expect((await creating).code).toBe(0);
  });
});
