// VM and hypervisor step actions against the recording fake host.
import { existsSync, readFileSync } from 'node:fs';
import { verify } from 'unixcrypt';
import { describe, expect, it, vi } from 'vitest';
import type { HostSetupStep, VmGuest } from '../../src/config/model.js';
import { hostScriptStep } from '../../src/tasks/host-steps.js';
import type { ExecutableStep } from '../../src/tasks/step.js';
import { makeVmSteps } from '../../src/tasks/vm-steps.js';
import { FakeHost } from './fake-host.js';
import { fast, fleetOf, harness, liveState, ROOT, tempRoot, vm } from './fixtures.js';

const IMAGE = 'noble-server-cloudimg-amd64.img';
/** Proxmox only takes known extensions in `import` content: the .img is stored as .qcow2. */
const STORED = 'noble-server-cloudimg-amd64.qcow2';
const URL = 'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img';

function setup(config: Record<string, unknown> = {}, sleep = vi.fn(async () => {})) {
  const t = vm(9000, {
    is_template: true,
    template_image: IMAGE,
    template_image_url: URL,
    memory_mb: 2048,
    disk_size_gb: 32,
    network_config: { ip: '10.0.0.90/24', gw: '10.0.0.1', nameservers: '10.0.0.1' },
    user_config: { username: 'phoenix', ssh_public_key: 'ssh-ed25519 AAAA phoenix@host' },
    ...config,
  });
  const steps = makeVmSteps({ ...fast, sleep });
  const h = harness(fleetOf([t]), t);
  const byKind = (kind: string): ExecutableStep<VmGuest> => steps.find((x) => x.kind === kind)!;
  const all = async (): Promise<void> => {
    for (const s of steps) {
      for (const name of s.instances(t, fleetOf([t]))) {
        const res = await h.run(s, name);
        if (!res.ok) throw new Error(`${name}: ${res.error.message}`);
      }
    }
  };
  return { t, h, host: h.host, byKind, all, sleep };
}

describe('VM template lifecycle', () => {
  it('downloads the image, creates the VM, grows its disk and makes it a template', async () => {
    const { host, all } = setup();
    let keyFile = '';
    host.on(/^qm create/, (argv) => {
      keyFile = argv[argv.indexOf('--sshkeys') + 1] ?? '';
      expect(readFileSync(keyFile, 'utf8')).toBe('ssh-ed25519 AAAA phoenix@host\n');
      return undefined; // fall through to the model
    });
    await all();
    expect(host.mutating()).toEqual([
      `pvesh create /nodes/pve/storage/local/download-url --content import --filename ${STORED} --url ${URL} --checksum ${'ab'.repeat(32)} --checksum-algorithm sha256`,
      `qm create 9000 --name vm9000 --memory 2048 --cores 1 --net0 virtio,bridge=vmbr0 --scsihw virtio-scsi-pci --scsi0 local-lvm:0,import-from=local:import/${STORED} --ide2 local-lvm:cloudinit --boot order=scsi0 --serial0 socket --vga serial0 --agent enabled=1 --ciuser phoenix --ipconfig0 ip=10.0.0.90/24,gw=10.0.0.1 --nameserver 10.0.0.1 --sshkeys ${host.tempDirs[0]?.dir ?? '?'}/sshkeys.pub`,
      'qm disk resize 9000 scsi0 32G',
      'qm set 9000 --startup order=0,up=0,down=180',
      'qm set 9000 --cicustom vendor=local:snippets/vendor-data-9000.yml',
      'qm start 9000',
      'qm guest exec 9000 -- cloud-init clean',
      'qm guest exec 9000 -- truncate -s 0 /etc/machine-id',
      'qm shutdown 9000 --timeout 120',
      'qm template 9000',
    ]);
    // The key file was in a private folder (0700, made for this command), removed after use.
    expect(host.tempDirs).toHaveLength(1);
    expect(keyFile.startsWith(`${host.tempDirs[0]?.dir ?? '?'}/`)).toBe(true);
    expect(existsSync(keyFile)).toBe(false);
    expect(existsSync(host.tempDirs[0]?.dir ?? '')).toBe(false);
    expect(host.guests.get(9000)?.template).toBe(true);
    // The cloud image has no guest agent: the VM's cloud-init data installs and starts it.
    const vendor = host.files.get('/var/lib/vz/snippets/vendor-data-9000.yml');
    expect(vendor?.mode).toBe(0o600);
    expect(vendor?.content).toMatch(/^#cloud-config\n/);
    expect(vendor?.content).toContain('packages:\n  - qemu-guest-agent\n');
    expect(vendor?.content).toContain('runcmd:\n  - [ systemctl, enable, --now, qemu-guest-agent ]\n');
  });

  it('downloads an official image named only by its file name, checked against the published sums', async () => {
    const { host, all } = setup({ template_image_url: undefined });
    await all();
    expect(host.calls.map((c) => c.join(' '))).toEqual(
      expect.arrayContaining([
        'wget -q -O - https://cloud-images.ubuntu.com/noble/current/SHA256SUMS',
        `pvesh create /nodes/pve/storage/local/download-url --content import --filename ${STORED} --url ${URL} --checksum ${'ab'.repeat(32)} --checksum-algorithm sha256`,
      ]),
    );
  });

  it('refuses to download an official image whose published sums do not list it', async () => {
    const { host, h, byKind } = setup({ template_image_url: undefined });
    host.sumsFile = 'some-other-image.img';
    const res = await h.run(byKind('define'));
    expect(res.ok).toBe(false);
    if (!res.ok)
      expect(res.error.message).toMatch(/SHA256SUMS lists no checksum for noble-server-cloudimg-amd64\.img/);
    expect(host.mutating().filter((c) => !c.startsWith('wget'))).toEqual([]);
  });

  it('sets the cloud-init password at creation when user_config has one', async () => {
    const { host, all } = setup({
      user_config: {
        username: 'phoenix',
        password: 'pw-at-create',
        ssh_public_key: 'ssh-ed25519 AAAA phoenix@host',
      },
    });
    await all();
    const create = host.mutating().find((l) => l.startsWith('qm create')) ?? '';
    // A SHA-512 crypt hash (Proxmox stores it as it is), never the password: argv is visible to every user.
    expect(create).not.toContain('pw-at-create');
    const hash = /--ciuser phoenix --cipassword (\S+) --ipconfig0/.exec(create)?.[1] ?? '';
    expect(verify('pw-at-create', hash)).toBe(true);
    expect(hash.startsWith('$6$')).toBe(true);
  });

  it('a second run issues no state-changing command', async () => {
    const { host, all } = setup();
    await all();
    host.calls.length = 0;
    await all();
    expect(host.mutating()).toEqual([]);
  });

  it('fails clearly when an image Phoenix does not know is missing and there is no URL', async () => {
    const { host, h, byKind } = setup({
      template_image: 'my-own-image.qcow2',
      template_image_url: undefined,
    });
    const res = await h.run(byKind('define'));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.message).toMatch(/no template_image_url/);
    expect(host.mutating()).toEqual([]);
  });

  it('a disk resize that exits 0 without growing is a verify failure', async () => {
    const { host, h, byKind } = setup();
    host.volumes.add(`local:import/${STORED}`);
    host.on(/^qm disk resize/, { exit: 0 });
    const res = await h.run(byKind('define'));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.command?.reason).toBe('verify-failed');
  });

  it('reads the exit code from qm guest exec JSON (qm itself exits 0)', async () => {
    const { host, h, byKind } = setup();
    host.addGuest({ id: 9000, kind: 'vm', status: 'running' });
    host.on(/cloud-init clean/, {
      stdout: '{\n   "err-data" : "permission denied\\n",\n   "exitcode" : 1,\n   "exited" : 1\n}',
    });
    const res = await h.run(byKind('template'));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.message).toMatch(/cloud-init clean in VM 9000 failed: exit code 1/);
    expect(host.mutating().some((c) => c.startsWith('qm template'))).toBe(false);
  });

  it('falls back to qm stop when the shutdown times out', async () => {
    const { host, h, byKind } = setup();
    host.addGuest({ id: 9000, kind: 'vm', status: 'running' });
    host.on(/^qm shutdown/, { exit: 255, stderr: 'VM quit/powerdown failed - got timeout' });
    expect((await h.run(byKind('template'))).ok).toBe(true);
    expect(host.mutating().slice(-3)).toEqual([
      'qm shutdown 9000 --timeout 120',
      'qm stop 9000',
      'qm template 9000',
    ]);
  });
});

describe('VM agent and clones', () => {
  it('waits for the agent, polling until it answers', async () => {
    const { host, h, byKind, sleep } = setup({ is_template: false });
    host.addGuest({ id: 9000, kind: 'vm', status: 'running' });
    host.on(/guest cmd 9000 ping/, { exit: 255, stderr: 'QEMU guest agent is not running' }, 2);
    expect((await h.run(byKind('agent'))).ok).toBe(true);
    expect(host.calls.filter((c) => c.includes('ping'))).toHaveLength(3);
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  it('gives up on the agent after the timeout', async () => {
    const { host, h, byKind } = setup({ is_template: false });
    host.addGuest({ id: 9000, kind: 'vm', status: 'running' });
    host.on(/guest cmd 9000 ping/, { exit: 255, stderr: 'QEMU guest agent is not running' });
    const res = await h.run(byKind('agent'));
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.message).toMatch(/did not answer within 5 s/);
    expect(host.calls.filter((c) => c.includes('ping'))).toHaveLength(5);
  });

  it('stops waiting for the agent as soon as the run is interrupted (issue 14 item 6)', async () => {
    const controller = new AbortController();
    // The first pause is where Ctrl-C lands.
    const { host, h, byKind } = setup(
      { is_template: false },
      vi.fn(() => Promise.resolve(controller.abort())),
    );
    host.addGuest({ id: 9000, kind: 'vm', status: 'running' });
    host.on(/guest cmd 9000 ping/, { exit: 255, stderr: 'QEMU guest agent is not running' });
    const res = await byKind('agent').run({ ...h.ctx('agent'), signal: controller.signal });
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.error.message).toMatch(/interrupted while waiting for the agent/);
    expect(host.calls.filter((c) => c.includes('ping'))).toHaveLength(1);
  });

  it('a clone of a template is linked; configure then sets what differs', async () => {
    const t = vm(9000, { is_template: true, template_image: IMAGE });
    const c = vm(1001, { clone_from_vmid: 9000, memory_mb: 4096, disk_size_gb: 32 });
    const host = new FakeHost(tempRoot());
    host.addGuest({
      id: 9000,
      kind: 'vm',
      template: true,
      config: {
        name: 'vm9000',
        memory: '2048',
        cores: '1',
        net0: 'virtio=BC:24:11:00:00:01,bridge=vmbr0',
        scsi0: 'local-lvm:base-9000-disk-0,size=32G',
        ipconfig0: 'ip=dhcp',
        startup: 'order=0,up=0,down=180',
      },
    });
    const h = harness(fleetOf([t, c]), c, host);
    const steps = makeVmSteps(fast);
    for (const kind of ['define', 'configure', 'start'])
      expect((await h.run(steps.find((s) => s.kind === kind)!)).ok).toBe(true);
    expect(host.mutating()).toEqual([
      'qm clone 9000 1001 --name vm1001',
      'qm set 1001 --memory 4096',
      'qm start 1001',
    ]);
  });
});

describe('hypervisor steps', () => {
  const zfs: HostSetupStep = {
    script: 'hypervisor_feature_setup_zfs.sh',
    name: 'setup_zfs',
    path: `${ROOT}/bin/hypervisor_setup/hypervisor_feature_setup_zfs.sh`,
  };

  it('run the zfs script destructively only with --wipe-disks', async () => {
    const host = new FakeHost(tempRoot());
    const fleet = fleetOf([], [zfs]);
    const ctx = (wipeDisks: boolean) => ({
      fleet,
      target: zfs,
      name: 'setup_zfs',
      live: liveState(),
      host,
      report: () => {},
      flags: { replace: false, wipeDisks },
    });
    expect((await hostScriptStep.run(ctx(false))).ok).toBe(true);
    expect((await hostScriptStep.run(ctx(true))).ok).toBe(true);
    expect(host.calls.map((c) => c.slice(1).join(' '))).toEqual([
      `--config ${fleet.hypervisorConfigFile} --mode safe`,
      `--config ${fleet.hypervisorConfigFile} --mode force-destructive`,
    ]);
  });

  it('a failing script fails the step with its command', async () => {
    const host = new FakeHost(tempRoot()).on(/setup_zfs/, { exit: 1, stderr: 'pool busy' });
    const res = await hostScriptStep.run({
      fleet: fleetOf([], [zfs]),
      target: zfs,
      name: 'setup_zfs',
      live: liveState(),
      host,
      report: () => {},
      flags: { replace: false, wipeDisks: false },
    });
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.address).toBe('host:setup_zfs');
      expect(res.error.command?.exitCode).toBe(1);
    }
  });
});
