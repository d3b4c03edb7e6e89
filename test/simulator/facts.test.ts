// Simulator behaviours issue 13 made follow the Proxmox VE source. Each title carries the fact it checks, as
// numbered in docs/proxmox-facts.md (test/simulator/tags.test.ts keeps every title tagged).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSimState } from '../../simulator/src/testing.js';
import { createCt, ok, run, simDir } from './helpers.js';

const IMAGE_URL = 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img';

describe('templates and storages', () => {
  it('[F1.1] pveam available lists the shipped index with its arch column; an old build is no such template', async () => {
    const dir = await simDir({ templates: [] });
    const available = run(dir, ['pveam', 'available']).stdout.split('\n');
    expect(available).toContain(
      `system          ${'debian-12-standard_12.12-1_amd64.tar.zst'.padEnd(60)} amd64`,
    );
    expect(available.some((l) => l.includes('12.7-1'))).toBe(false);
    expect(run(dir, ['pveam', 'download', 'local', 'debian-12-standard_12.7-1_amd64.tar.zst'])).toMatchObject(
      {
        code: 255,
        stderr: expect.stringContaining('template: no such template') as unknown,
      },
    );
  });

  it('[F4.1] a fresh node: local holds iso,vztmpl,backup,import (no snippets), written to storage.cfg and the API', async () => {
    const dir = await simDir();
    expect(readFileSync(join(dir, 'etc/pve/storage.cfg'), 'utf8')).toContain(
      'dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup,import\n',
    );
    const api = JSON.parse(
      run(dir, ['pvesh', 'get', '/storage/local', '--output-format', 'json']).stdout,
    ) as object;
    expect(api).toMatchObject({ storage: 'local', type: 'dir', content: 'iso,vztmpl,backup,import' });
  });

  it('[F4.2] pvesm set --content replaces the list, drops what the type cannot hold, refuses unknown types', async () => {
    const dir = await simDir();
    expect(run(dir, ['pvesm', 'set', 'local', '--content', 'iso,vztmpl,backup,import,snippets'])).toEqual({
      stdout: '',
      stderr: '',
      code: 0,
    });
    expect(readFileSync(join(dir, 'etc/pve/storage.cfg'), 'utf8')).toContain(
      'content iso,vztmpl,backup,import,snippets',
    );
    expect(run(dir, ['pvesm', 'set', 'local-lvm', '--content', 'rootdir,images,vztmpl']).stderr).toBe(
      "storage does not support content type 'vztmpl'\n",
    );
    expect(readSimState(dir).storages['local-lvm']?.content).toEqual(['rootdir', 'images']);
    expect(run(dir, ['pvesm', 'set', 'local', '--content', 'bogus'])).toMatchObject({
      code: 255,
      stderr: expect.stringContaining("content: invalid format - invalid content type 'bogus'") as unknown,
    });
    // The change stays (sim.json does not put the default back on the next call).
    expect(run(dir, ['pvesm', 'status', '--content', 'snippets']).stdout).toContain('local ');
  });

  it('[F4.3] download-url to a storage without import content is refused before the download', async () => {
    const dir = await simDir({
      config: { storages: { local: { type: 'dir', content: ['iso', 'vztmpl', 'backup'] } } },
    });
    const r = run(dir, [
      'pvesh',
      'create',
      '/nodes/pve/storage/local/download-url',
      '--content',
      'import',
      '--filename',
      'noble.qcow2',
      '--url',
      IMAGE_URL,
    ]);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain("storage 'local' is not configured for content-type 'import'");
  });

  it('[F4.4] qm create import-from needs <storage>:0 and a source of type images or import', async () => {
    const dir = await simDir();
    expect(
      run(dir, ['qm', 'create', '200', '--scsi0', 'local-lvm:8,import-from=/var/lib/vz/import/x.qcow2']),
    ).toMatchObject({
      code: 255,
      stderr: expect.stringContaining(
        "scsi0: 'import-from' requires special syntax - use <storage ID>:0,import-from=<source>",
      ) as unknown,
    });
    expect(
      run(dir, ['qm', 'create', '200', '--scsi0', 'local-lvm:0,import-from=local:iso/noble.img']),
    ).toMatchObject({
      code: 255,
      stderr: "local:iso/noble.img has wrong type 'iso' - needs to be 'images' or 'import'\n",
    });
  });
});

describe('shutdown and stop', () => {
  it('[F3.1] pct stop pulls the plug and takes no --timeout', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['pct', 'start', '101']);
    const r = run(dir, ['pct', 'stop', '101', '--timeout', '30']);
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Unknown option: timeout');
    expect(run(dir, ['pct', 'stop', '101']).code).toBe(0);
  });

  it('[F3.2] pct shutdown of a CT that ignores it: container did not stop, unless --forceStop 1', async () => {
    const dir = await simDir({ config: { ignoresShutdown: [101] } });
    ok(dir, createCt(101), ['pct', 'start', '101']);
    expect(run(dir, ['pct', 'shutdown', '101', '--timeout', '5'])).toEqual({
      stdout: '',
      stderr: "command 'lxc-stop -n 101 --nokill --timeout 5' failed: exit code 1\ncontainer did not stop\n",
      code: 255,
    });
    expect(readSimState(dir).guests[101]?.status).toBe('running');
    expect(run(dir, ['pct', 'shutdown', '101', '--timeout', '5', '--forceStop', '1']).code).toBe(0);
    expect(readSimState(dir).guests[101]?.status).toBe('stopped');
  });

  it('[F3.3] qm shutdown of a VM that ignores it fails after the timeout without --forceStop; a stopped VM warns', async () => {
    const dir = await simDir({ config: { ignoresShutdown: [200] } });
    ok(dir, ['qm', 'create', '200', '--scsi0', 'local-lvm:1'], ['qm', 'start', '200']);
    expect(run(dir, ['qm', 'shutdown', '200', '--timeout', '5'])).toMatchObject({
      code: 255,
      stderr: 'VM quit/powerdown failed - got timeout\n',
    });
    expect(run(dir, ['qm', 'shutdown', '200', '--timeout', '5', '--forceStop', '1'])).toEqual({
      stdout: 'VM still running - terminating now with SIGTERM\n',
      stderr: '',
      code: 0,
    });
    expect(run(dir, ['qm', 'shutdown', '200'])).toEqual({
      stdout: '',
      stderr: 'VM 200 not running\n\n',
      code: 0,
    });
  });
});

describe('clones and commands inside guests', () => {
  it('[F6.1] pct clone refuses a source with a bind mount point', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['pct', 'set', '101', '--mp0', '/srv/data,mp=/data'], ['pct', 'template', '101']);
    expect(run(dir, ['pct', 'clone', '101', '102'])).toMatchObject({
      code: 255,
      stderr: "unable to clone mountpoint 'mp0' (type bind)\n",
    });
    expect(readSimState(dir).guests[102]).toBeUndefined();
  });

  it('[F8.1] pct exec takes --keep-env 0 before --; the default hands the guest the host environment', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['pct', 'start', '101']);
    ok(dir, ['pct', 'exec', '101', '--keep-env', '0', '--', 'true'], ['pct', 'exec', '101', '--', 'true']);
    expect(readSimState(dir).guests[101]?.execs.map((e) => e.hostEnv)).toEqual([false, true]);
  });

  it('[F8.2] an in-guest false fails with no exec rule; env(1) runs the command after its variables', async () => {
    const dir = await simDir({ config: { exec: [{ match: '^/opt/app.sh$', exit: 3 }] } });
    ok(dir, createCt(101), ['pct', 'start', '101']);
    expect(run(dir, ['pct', 'exec', '101', '--keep-env', '0', '--', 'false']).code).toBe(1);
    expect(
      run(dir, ['pct', 'exec', '101', '--keep-env', '0', '--', 'env', 'HOME=/root', '/opt/app.sh']).code,
    ).toBe(3);
  });
});

describe('the datacenter firewall', () => {
  it('[F15.3] pvesh get /cluster/firewall/options answers from cluster.fw: its options typed, with their digest', async () => {
    const dir = await simDir();
    const options = () =>
      JSON.parse(
        run(dir, ['pvesh', 'get', '/cluster/firewall/options', '--output-format', 'json']).stdout,
      ) as object;
    expect(options()).toEqual({ digest: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' });
    mkdirSync(join(dir, 'etc/pve/firewall'), { recursive: true });
    writeFileSync(
      join(dir, 'etc/pve/firewall/cluster.fw'),
      '[OPTIONS]\n\npolicy_in: drop\nenable: 1\n\n[IPSET management]\n\nenable: 0\n\n[RULES]\n\nIN ACCEPT -p tcp -dport 22\n',
    );
    // sha1("enable:1\npolicy_in:DROP\n"): copy_opject_with_digest over the sorted keys.
    expect(options()).toEqual({
      enable: 1,
      policy_in: 'DROP',
      digest: 'b5b4b38b0ccd39fc3c426236926bf532647addaf',
    });
  });
});
