import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSimState, seedGuest, writeSimConfig } from '../../simulator/src/testing.js';
import { mapLimit, ok, run, runAsync, simDir } from './helpers.js';

const NOBLE = 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img';

/** Downloads the noble cloud image and builds template VM 9000 the way Phoenix does. */
function buildTemplate(dir: string): void {
  const keys = join(dir, 'keys.pub');
  writeFileSync(keys, 'ssh-ed25519 AAAAC3Nza phoenix@host\n');
  ok(
    dir,
    [
      'pvesh',
      'create',
      '/nodes/pve/storage/local/download-url',
      '--content',
      'import',
      '--filename',
      'noble.qcow2',
      '--url',
      NOBLE,
    ],
    [
      'qm',
      'create',
      '9000',
      '--name',
      'ubuntu-tmpl',
      '--memory',
      '2048',
      '--cores',
      '2',
      '--net0',
      'virtio,bridge=vmbr0',
      '--scsihw',
      'virtio-scsi-pci',
      '--scsi0',
      'local-lvm:0,import-from=local:import/noble.qcow2',
      '--ide2',
      'local-lvm:cloudinit',
      '--boot',
      'order=scsi0',
      '--serial0',
      'socket',
      '--vga',
      'serial0',
      '--agent',
      'enabled=1',
      '--ipconfig0',
      'ip=dhcp',
      '--ciuser',
      'phoenix',
      '--sshkeys',
      keys,
    ],
    ['qm', 'template', '9000'],
  );
}

/** Writes a snippet into the simulated node's `local` storage (/var/lib/vz/snippets under the sim folder). */
function withSnippet(dir: string, file: string, text: string): void {
  mkdirSync(join(dir, 'var/lib/vz/snippets'), { recursive: true });
  writeFileSync(join(dir, 'var/lib/vz/snippets', file), text);
}

describe('qm', () => {
  it('[F10.1] creates a cloud-init template from an imported image, with the fields PVE adds', async () => {
    const dir = await simDir();
    buildTemplate(dir);
    const conf = run(dir, ['qm', 'config', '9000']).stdout;
    expect(conf).toMatch(/^agent: enabled=1\nboot: order=scsi0\nciuser: phoenix\ncores: 2\n/);
    expect(conf).toContain('ide2: local-lvm:vm-9000-cloudinit,media=cdrom\n');
    expect(conf).toMatch(/\nmeta: creation-qemu=[\d.]+,ctime=\d+\n/);
    expect(conf).toMatch(/\nnet0: virtio=BC:24:11:[0-9A-F:]{8},bridge=vmbr0\n/);
    expect(conf).toContain('scsi0: local-lvm:base-9000-disk-0,size=3584M\n');
    expect(conf).toMatch(/\nsmbios1: uuid=[0-9a-f-]{36}\n/);
    expect(conf).toContain('sshkeys: ssh-ed25519%20AAAAC3Nza%20phoenix%40host%0A\n');
    expect(conf).toContain('template: 1\n');
    expect(conf).toMatch(/\nvmgenid: [0-9a-f-]{36}\n$/);
  });

  it('[F10.3] answers the guest agent only where the image or the cloud-init data installs it', async () => {
    const dir = await simDir();
    buildTemplate(dir);
    ok(
      dir,
      ['qm', 'clone', '9000', '201', '--name', 'bare'],
      ['qm', 'clone', '9000', '202', '--name', 'other'],
      ['qm', 'clone', '9000', '203', '--name', 'missing'],
      ['qm', 'set', '203', '--cicustom', 'user=local:snippets/nowhere.yml'],
    );
    withSnippet(dir, 'other.yml', '#cloud-config\npackages: [curl]\n');
    ok(dir, ['qm', 'set', '202', '--cicustom', 'vendor=local:snippets/other.yml']);
    ok(dir, ['qm', 'start', '201'], ['qm', 'start', '202']);
    expect(run(dir, ['qm', 'guest', 'cmd', '201', 'ping']).stderr).toBe('QEMU guest agent is not running\n');
    expect(run(dir, ['qm', 'guest', 'cmd', '202', 'ping']).stderr).toBe('QEMU guest agent is not running\n');
    // qemu-server reads the snippets when it builds the cloud-init drive at start: a missing one fails the start.
    const start = run(dir, ['qm', 'start', '203']);
    expect([start.code, start.stderr]).toEqual([255, "can't find file 'local:snippets/nowhere.yml'\n"]);
    // The installed agent stays on the disk: a clone of a VM whose data installed it answers without any.
    withSnippet(dir, 'agent.yml', '#cloud-config\npackages: [qemu-guest-agent]\n');
    ok(dir, ['qm', 'stop', '202'], ['qm', 'set', '202', '--cicustom', 'vendor=local:snippets/agent.yml']);
    // New vendor-data alone is no new instance (the instance-id digests user-data and network only): not re-run.
    ok(dir, ['qm', 'start', '202']);
    expect(run(dir, ['qm', 'guest', 'cmd', '202', 'ping']).code).toBe(255);
    ok(dir, ['qm', 'stop', '202'], ['qm', 'set', '202', '--ciuser', 'someone'], ['qm', 'start', '202']);
    expect(run(dir, ['qm', 'guest', 'cmd', '202', 'ping']).code).toBe(0);
    const data = run(dir, [
      'qm',
      'guest',
      'exec',
      '202',
      '--',
      'cat',
      '/var/lib/cloud/instance/vendor-data.txt',
    ]);
    expect(data.stdout).toContain('"out-data" : "#cloud-config\\npackages: [qemu-guest-agent]\\n"');
    ok(dir, ['qm', 'stop', '202'], ['qm', 'clone', '202', '204', '--name', 'child', '--full', '1']);
    ok(dir, ['qm', 'set', '204', '--delete', 'cicustom'], ['qm', 'start', '204']);
    expect(run(dir, ['qm', 'guest', 'cmd', '204', 'ping']).code).toBe(0);
  });

  it('[F10.2] linked-clones the template, starts it, and answers the agent', async () => {
    const dir = await simDir();
    buildTemplate(dir);
    const c = ok(dir, ['qm', 'clone', '9000', '123', '--name', 'web']);
    expect(c.stdout).toBe(
      'creating a clone of VM 9000 with ID 123\ncreate linked clone of drive scsi0 (local-lvm:base-9000-disk-0)\n',
    );
    expect(run(dir, ['qm', 'config', '123']).stdout).toContain(
      'scsi0: local-lvm:base-9000-disk-0/vm-123-disk-0,size=3584M\n',
    );
    const refused = await mapLimit(
      [
        ['qm', 'start', '9000'],
        ['qm', 'destroy', '9000'],
        ['qm', 'guest', 'cmd', '123', 'ping'],
        ['qm', 'clone', '9000', '124', '--storage', 'local-lvm'],
        ['qm', 'clone', '9000', '124', '--snapname', 'nope'],
        ['qm', 'start', '777'],
      ],
      (l) => runAsync(dir, l),
    );
    expect(refused.map((r) => [r.stderr, r.code])).toEqual([
      ["you can't start a vm if it's a template\n", 255],
      ["base volume 'local-lvm:base-9000-disk-0' is still in use by linked cloned\n", 255],
      ['VM 123 is not running\n', 255],
      ["parameter 'storage' not allowed for linked clones\n", 255],
      ["snapshot 'nope' does not exist\n", 255],
      ["Configuration file 'nodes/pve/qemu-server/777.conf' does not exist\n", 255],
    ]);
    // The cloud image has no guest agent: the clone's cloud-init data installs it at its first boot.
    withSnippet(dir, 'agent.yml', '#cloud-config\npackages: [qemu-guest-agent]\n');
    ok(dir, ['qm', 'set', '123', '--cicustom', 'vendor=local:snippets/agent.yml'], ['qm', 'start', '123']);
    expect(run(dir, ['qm', 'guest', 'cmd', '123', 'ping'])).toEqual({ stdout: '', stderr: '', code: 0 });
    expect(run(dir, ['qm', 'agent', '123', 'get-host-name']).stdout).toBe('{\n   "host-name" : "web"\n}\n');
    expect(run(dir, ['qm', 'guest', 'exec', '123', '--', 'cloud-init', 'status']).stdout).toBe(
      '{\n   "exitcode" : 0,\n   "exited" : 1,\n   "out-data" : "status: done\\n"\n}\n',
    );
    expect(run(dir, ['qm', 'destroy', '123']).stderr).toBe('VM 123 is running - destroy failed\n');
    expect(run(dir, ['qm', 'list']).stdout).toMatch(
      /^ {6}VMID NAME {17}STATUS {5}MEM\(MB\) {4}BOOTDISK\(GB\) PID {7}\n {7}123 web {18}running {4}2048 {15}3\.50 \d+ +\n {6}9000 ubuntu-tmpl {10}stopped {4}2048 {15}3\.50 0 {9}\n$/,
    );
    ok(
      dir,
      ['qm', 'stop', '123'],
      ['qm', 'stop', '123'],
      ['qm', 'destroy', '123', '--purge', '1'],
      ['qm', 'destroy', '9000'],
    );
    expect(run(dir, ['qm', 'list']).stdout).toBe('');
  });

  it('[F10.2] agent checks: not configured, then not yet answering until agentReadyAfterMs has passed', async () => {
    const dir = await simDir();
    ok(dir, ['qm', 'create', '100', '--scsi0', 'local-lvm:4'], ['qm', 'start', '100']);
    expect(run(dir, ['qm', 'guest', 'cmd', '100', 'ping']).stderr).toBe('No QEMU guest agent configured\n');
    writeSimConfig(dir, {
      latencyScale: 0.001,
      agentReadyAfterMs: 60_000_000,
      latency: { startup: 0, agentPingTimeout: 0 },
    });
    ok(dir, ['qm', 'set', '100', '--agent', '1'], ['qm', 'stop', '100'], ['qm', 'start', '100']);
    expect(run(dir, ['qm', 'guest', 'cmd', '100', 'ping']).stderr).toBe('QEMU guest agent is not running\n');
  });

  it('[F0.2] disk resize checks run inside the task: shrink prints the error but exits 0', async () => {
    const dir = await simDir();
    ok(dir, ['qm', 'create', '100', '--scsi0', 'local-lvm:32', '--ide2', 'none,media=cdrom']);
    expect(run(dir, ['qm', 'disk', 'resize', '100', 'scsi0', '16G'])).toEqual({
      stdout: '',
      stderr: 'shrinking disks is not supported\n',
      code: 0,
    });
    expect(run(dir, ['qm', 'resize', '100', 'scsi1', '+1G']).stderr).toBe("disk 'scsi1' does not exist\n");
    ok(dir, ['qm', 'resize', '100', 'scsi0', '+8G']);
    expect(run(dir, ['qm', 'config', '100']).stdout).toContain('scsi0: local-lvm:vm-100-disk-0,size=40G\n');
  });

  it('[F0.1] rejects bad options with the schema error and an existing ID', async () => {
    const dir = await simDir();
    ok(dir, ['qm', 'create', '100']);
    const r = await mapLimit(
      [
        ['qm', 'create', '100'],
        ['qm', 'create', '101', '--net0', 'virtio,bridge=vmbr0,bogus=1'],
        ['qm', 'create', '101', '--scsi0', 'local:8'],
        ['qm', 'set', '100', '--frobnicate', '1'],
      ],
      (l) => runAsync(dir, l),
    );
    expect(r.map((x) => x.stderr)).toEqual([
      "unable to create VM 100 - VM 100 already exists on node 'pve'\n",
      '400 Parameter verification failed.\nnet0: invalid format - format error\nnet0.bogus: property is not defined in schema and the schema does not allow additional properties\nqm create <vmid> [OPTIONS]\n',
      "400 Parameter verification failed.\nscsi0: storage 'local' does not support vm images\nqm create <vmid> [OPTIONS]\n",
      'Unknown option: frobnicate\n400 unable to parse option\nqm set <vmid> [OPTIONS]\n',
    ]);
  });

  it('[F4.4] disk import lands in unused0 with the PVE 8.3+ message', async () => {
    const dir = await simDir();
    const img = join(dir, 'disk.qcow2');
    writeFileSync(img, Buffer.alloc(2 * 1024 * 1024));
    ok(dir, ['qm', 'create', '100']);
    const r = ok(dir, ['qm', 'importdisk', '100', img, 'local-lvm']);
    expect(r.stdout).toMatch(
      /^importing disk '.*disk\.qcow2' to VM 100 \.\.\.\n[\s\S]*unused0: successfully imported disk 'local-lvm:vm-100-disk-0'\n$/,
    );
    expect(run(dir, ['qm', 'disk', 'import', '100', '/nope.img', 'local-lvm']).stderr).toBe(
      '/nope.img: non-existent or non-regular file\n',
    );
  });

  it('[F10.1] stores a cipassword that is already a crypt hash as it is, hashes any other, and masks it on reads', async () => {
    const dir = await simDir();
    await seedGuest(dir, { vmid: 8000, type: 'qemu', config: { name: 'v' } });
    const hash =
      '$6$saltsalt$5mR43xQaRO8UqNJiGE2zcmprBTlO9lTdMHosy2oRT70EPekI6VsnFfjuo.EkgAwlkxAXJglqAax0P4w5f3EVa.';
    ok(dir, ['qm', 'set', '8000', '--cipassword', hash]);
    expect(readSimState(dir).guests['8000']?.config.cipassword).toBe(hash);
    const conf = readFileSync(join(dir, 'etc/pve/nodes/pve/qemu-server/8000.conf'), 'utf8');
    expect(conf).toContain(`cipassword: ${hash}`);
    // qm config, qm pending and the API's config read print a mask, never the stored hash (API2/Qemu.pm).
    expect(run(dir, ['qm', 'config', '8000']).stdout).toContain('cipassword: **********');
    expect(run(dir, ['qm', 'pending', '8000']).stdout).toContain('cipassword: **********');
    const api = run(dir, ['pvesh', 'get', '/nodes/pve/qemu/8000/config', '--output-format', 'json']);
    expect(JSON.parse(api.stdout)).toMatchObject({ cipassword: '**********' });
    ok(dir, ['qm', 'set', '8000', '--cipassword', 'plain-text']);
    const stored = readSimState(dir).guests['8000']?.config.cipassword ?? '';
    expect(stored).toMatch(/^\$5\$/);
    expect(stored).not.toContain('plain-text');
  });

  it('[sim] seeded guests appear as existing ones', async () => {
    const dir = await simDir();
    await seedGuest(dir, {
      vmid: 2000,
      type: 'qemu',
      status: 'running',
      config: { name: 'legacy', memory: '1024', scsi0: 'local-lvm:vm-2000-disk-0,size=10G' },
    });
    expect(run(dir, ['qm', 'status', '2000']).stdout).toBe('status: running\n');
    expect(readSimState(dir).storages['local-lvm']!.volumes['vm-2000-disk-0']).toMatchObject({ vmid: 2000 });
  });
});
