import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadFleet } from '../../src/config/load.js';
import type { Problem } from '../../src/config/model.js';
import { HV_FILE, LXC_FILE, VM_FILE, editJson, legacyCopy, lxc, vm } from './helpers.js';

type Json = Record<string, unknown>;

interface Case {
  name: string;
  file: string;
  edit: (doc: Json) => void;
  /** The problem the user must see (file is the base name). */
  expected: { severity?: 'error' | 'warning'; path: (string | number)[]; message: string | RegExp };
}

async function problemsAfter(
  file: string,
  edit: (doc: Json) => void,
): Promise<{ root: string; problems: Problem[] }> {
  const root = legacyCopy();
  editJson(root, file, edit);
  const result = await loadFleet({ config: root, cwd: '/' });
  return { root, problems: result.ok ? result.value.warnings : result.error };
}

const cases: Case[] = [
  {
    name: 'wrong type in a container',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '950').memory_mb = 'lots'),
    expected: {
      path: ['lxc_configs', '950', 'memory_mb'],
      message: 'must be a number, got the string "lots"',
    },
  },
  {
    name: 'below a minimum',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '953').cores = 0),
    expected: { path: ['lxc_configs', '953', 'cores'], message: /too small|>=1/i },
  },
  {
    name: 'host name with an underscore',
    file: VM_FILE,
    edit: (d) => (vm(d, 0).name = 'bad_name'),
    expected: { path: ['vms', 0, 'name'], message: /valid host name/ },
  },
  {
    name: 'bad value in vm_defaults is reported at vm_defaults',
    file: VM_FILE,
    edit: (d) => ((d.vm_defaults as Json).storage_pool = '1bad'),
    expected: { path: ['vm_defaults', 'storage_pool'], message: /storage ID/ },
  },
  {
    name: 'container ID out of range',
    file: LXC_FILE,
    edit: (d) => ((d.lxc_configs as Json)['99'] = { name: 'low', template: 'local:vztmpl/x.tar.zst' }),
    expected: { path: ['lxc_configs', '99'], message: /container ID "99" must be at least 100/ },
  },
  {
    name: 'VM ID given as a word',
    file: VM_FILE,
    edit: (d) => (vm(d, 1).vmid = 'eight'),
    expected: { path: ['vms', 1, 'vmid'], message: /must be a guest ID/ },
  },
  {
    name: 'ID used by a container and a VM',
    file: VM_FILE,
    edit: (d) => (vm(d, 1).vmid = 950),
    expected: {
      path: ['vms', 1, 'vmid'],
      message: /ID 950 is used by both a container \(.*lxc_configs.950\) and a VM here/,
    },
  },
  {
    name: 'clone source that does not exist',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '950').clone_from_ctid = '999'),
    expected: {
      path: ['lxc_configs', '950', 'clone_from_ctid'],
      message: 'clone_from_ctid 999 names no guest in this config',
    },
  },
  {
    name: 'clone source without template_snapshot_name',
    file: LXC_FILE,
    edit: (d) => delete lxc(d, '901').template_snapshot_name,
    expected: {
      path: ['lxc_configs', '950', 'clone_from_ctid'],
      message: /container 901 is cloned here but defines no template_snapshot_name/,
    },
  },
  {
    name: 'container cloned from a VM',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '950').clone_from_ctid = '8000'),
    expected: {
      path: ['lxc_configs', '950', 'clone_from_ctid'],
      message: /names a VM; a container can only be cloned from a container/,
    },
  },
  {
    name: 'VM cloned from a VM that is no template',
    file: VM_FILE,
    edit: (d) => {
      vm(d, 0).is_template = false;
      delete vm(d, 0).template_snapshot_name;
    },
    expected: {
      path: ['vms', 1, 'clone_from_vmid'],
      message: /VM 8000 is cloned here but is neither a template/,
    },
  },
  {
    name: 'cloned from itself',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '953').clone_from_ctid = 953),
    expected: {
      path: ['lxc_configs', '953', 'clone_from_ctid'],
      message: 'container 953 cannot be cloned from itself',
    },
  },
  {
    name: 'dependency that does not exist',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '950').dependencies = ['953', '101']),
    expected: {
      path: ['lxc_configs', '950', 'dependencies', 1],
      message: 'dependency 101 names no guest in this config',
    },
  },
  {
    name: 'self-dependency',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '953').dependencies = ['953']),
    expected: { path: ['lxc_configs', '953', 'dependencies', 0], message: 'container 953 depends on itself' },
  },
  {
    name: 'cycle through dependencies',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '953').dependencies = ['950']),
    expected: {
      path: ['lxc_configs', '950'],
      message: 'cycle through clones and dependencies: 950 -> 953 -> 950',
    },
  },
  {
    name: 'cycle through clones and dependencies',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '900').dependencies = ['950']),
    expected: {
      path: ['lxc_configs', '900'],
      message: 'cycle through clones and dependencies: 900 -> 950 -> 901 -> 900',
    },
  },
  {
    name: 'container with neither template nor clone source',
    file: LXC_FILE,
    edit: (d) => delete lxc(d, '900').template,
    expected: {
      path: ['lxc_configs', '900'],
      message: 'container 900 has neither template nor clone_from_ctid',
    },
  },
  {
    name: 'comma smuggled into a network property',
    file: LXC_FILE,
    edit: (d) => ((lxc(d, '953').network_config as Json).ip = '10.0.0.153/24,gw=10.6.6.6'),
    expected: { path: ['lxc_configs', '953', 'network_config', 'ip'], message: /IPv4 address with prefix/ },
  },
  {
    name: 'newline smuggled into a bridge name',
    file: LXC_FILE,
    edit: (d) => ((lxc(d, '953').network_config as Json).bridge = 'vmbr0\nlxc.x=1'),
    expected: { path: ['lxc_configs', '953', 'network_config', 'bridge'], message: /bridge name/ },
  },
  {
    name: 'comma in a mount point',
    file: LXC_FILE,
    edit: (d) => (((lxc(d, '950').zfs_volumes as Json[])[0] as Json).mount_point = '/models,backup=1'),
    expected: {
      path: ['lxc_configs', '950', 'zfs_volumes', 0, 'mount_point'],
      message: /no spaces, commas or =/,
    },
  },
  {
    name: 'gateway with a comma',
    file: VM_FILE,
    edit: (d) => ((vm(d, 1).network_config as Json).gw = '10.0.0.1,x'),
    expected: { path: ['vms', 1, 'network_config', 'gw'], message: /IPv4 address/ },
  },
  {
    name: 'bad MAC address',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '953').mac_address = '52:54:00:67:89'),
    expected: { path: ['lxc_configs', '953', 'mac_address'], message: /MAC address/ },
  },
  {
    name: 'typo with swapped letters',
    file: LXC_FILE,
    edit: (d) => {
      lxc(d, '953').memroy_mb = lxc(d, '953').memory_mb;
      delete lxc(d, '953').memory_mb;
    },
    expected: {
      severity: 'warning',
      path: ['lxc_configs', '953', 'memroy_mb'],
      message: 'unknown key; did you mean memory_mb?',
    },
  },
  {
    name: 'typo with a wrong letter in a VM',
    file: VM_FILE,
    edit: (d) => (vm(d, 1).corez = 2),
    expected: { severity: 'warning', path: ['vms', 1, 'corez'], message: 'unknown key; did you mean cores?' },
  },
  {
    name: 'typo inside health_check',
    file: LXC_FILE,
    edit: (d) => ((lxc(d, '953').health_check as Json).retires = 3),
    expected: {
      severity: 'warning',
      path: ['lxc_configs', '953', 'health_check', 'retires'],
      message: 'unknown key; did you mean retries?',
    },
  },
  {
    name: 'typo in the LXC file top level',
    file: LXC_FILE,
    edit: (d) => (d.lxc_config = {}),
    expected: {
      severity: 'warning',
      path: ['lxc_config'],
      message: 'unknown key; did you mean lxc_configs?',
    },
  },
  {
    name: 'hypervisor setup script that is not in bin/hypervisor_setup',
    file: HV_FILE,
    edit: (d) => (d.setup_scripts = ['hypervisor_initial_setup.sh', 'hypervisor_feature_missing.sh']),
    expected: {
      severity: 'warning',
      path: ['setup_scripts', 1],
      message: /hypervisor setup script not found: .*hypervisor_feature_missing\.sh/,
    },
  },
  {
    name: 'application script that does not exist',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '953').application_script = 'nope.sh'),
    expected: {
      severity: 'warning',
      path: ['lxc_configs', '953', 'application_script'],
      message: /application script not found: .*bin\/nope\.sh/,
    },
  },
  {
    name: 'script name that leaves its folder',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '953').application_script = '../../etc/passwd'),
    expected: {
      path: ['lxc_configs', '953', 'application_script'],
      message: /must not leave its scripts folder/,
    },
  },
  // pve-container LXC/Config.pm is_valid_lxc_conf_key (docs/proxmox-facts.md, "Raw lxc.* keys").
  {
    name: 'raw lxc key Proxmox drops (unable to parse config)',
    file: LXC_FILE,
    edit: (d) =>
      (lxc(d, '950').lxc_options = ['lxc.mount.entry: /dev/fuse dev/fuse none bind', 'lxc.bogus.setting: 1']),
    expected: {
      path: ['lxc_configs', '950', 'lxc_options', 1],
      message: /^lxc\.bogus\.setting is not a key Proxmox VE keeps/,
    },
  },
  {
    name: 'raw lxc key misspelt: the hint names the key Proxmox keeps',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '950').lxc_options = ['lxc.mount.entrys = /dev/fuse dev/fuse none bind']),
    expected: { path: ['lxc_configs', '950', 'lxc_options', 0], message: /not a key Proxmox VE keeps/ },
  },
  {
    name: 'cgroup v1 lxc key (Proxmox VE 9 has cgroup v2 only)',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '950').lxc_options = ['lxc.cgroup.devices.allow: a']),
    expected: { path: ['lxc_configs', '950', 'lxc_options', 0], message: /cgroup v1 key/ },
  },
  {
    name: 'lxc.rootfs.path, which Proxmox generates itself',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '950').lxc_options = ['lxc.rootfs.path: /x']),
    expected: { path: ['lxc_configs', '950', 'lxc_options', 0], message: /generates lxc\.rootfs\.path/ },
  },
  // pve-container API2/LXC.pm clone_vm: unable to clone mountpoint 'mp0' (type bind) (docs/proxmox-facts.md).
  {
    name: 'bind mount on a container that others clone',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '901').volumes = [{ host_path: '/srv/models', mount_point: '/models' }]),
    expected: {
      path: ['lxc_configs', '901', 'volumes', 0, 'host_path'],
      message: /container 901 is cloned by 950, and Proxmox cannot clone a container with a bind mount/,
    },
  },
  {
    name: 'mount_points on a container that others clone',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '901').mount_points = [{ host_path: '/srv/models', container_path: '/models' }]),
    expected: {
      path: ['lxc_configs', '901', 'mount_points', 0, 'host_path'],
      message: /container 901 is cloned by 950, and Proxmox cannot clone a container with a bind mount/,
    },
  },
  // docs/proxmox-facts.md F9.4: a container with a bind mount cannot be snapshotted.
  {
    name: 'a bind mount on a container with template_snapshot_name',
    file: LXC_FILE,
    edit: (d) => {
      const ct = lxc(d, '953');
      ct.template_snapshot_name = 'base';
      ct.mount_points = [{ host_path: '/srv/models', container_path: '/models' }];
    },
    expected: {
      path: ['lxc_configs', '953', 'template_snapshot_name'],
      message: /Proxmox cannot snapshot a container with a bind mount/,
    },
  },
  {
    name: 'one container path mounted twice',
    file: LXC_FILE,
    edit: (d) => {
      const ct = lxc(d, '953');
      ct.volumes = [{ pool: 'local-lvm', size_gb: 4, mount_point: '/data' }];
      ct.mount_points = [{ host_path: '/srv/data', container_path: '/data' }];
    },
    expected: {
      path: ['lxc_configs', '953', 'mount_points', 0, 'container_path'],
      message: /\/data is already mounted by volumes\.0\.mount_point/,
    },
  },
  // pve-container LXC.pm validate_id_maps (docs/proxmox-facts.md F14).
  {
    name: 'an id mapped twice once the shifted ranges fill the rest',
    file: LXC_FILE,
    edit: (d) =>
      (lxc(d, '953').id_maps = [
        { type: 'gid', host_id: 33, container_id: 33, size: 1 },
        { type: 'gid', host_id: 100040, container_id: 500, size: 1 },
      ]),
    expected: {
      path: ['lxc_configs', '953', 'id_maps', 0],
      message: /invalid map entry '.*': host gid 100040 is also mapped by entry 'g 34 100034 466'/,
    },
  },
  {
    name: 'an id map past the container ids LXC maps',
    file: LXC_FILE,
    edit: (d) => (lxc(d, '953').id_maps = [{ type: 'uid', host_id: 2000, container_id: 65000, size: 1000 }]),
    expected: { path: ['lxc_configs', '953', 'id_maps', 0, 'size'], message: /at most 65536/ },
  },
  {
    name: 'id maps on a privileged container',
    file: LXC_FILE,
    edit: (d) => {
      const ct = lxc(d, '953');
      ct.unprivileged = false;
      ct.id_maps = [{ type: 'gid', host_id: 33, container_id: 33, size: 1 }];
    },
    expected: { path: ['lxc_configs', '953', 'id_maps'], message: /is privileged/ },
  },
  {
    name: 'owner_uid without owner_gid',
    file: LXC_FILE,
    edit: (d) =>
      (lxc(d, '953').mount_points = [{ host_path: '/srv/data', container_path: '/data', owner_uid: 33 }]),
    expected: {
      path: ['lxc_configs', '953', 'mount_points', 0, 'owner_gid'],
      message: /owner_uid and owner_gid go together/,
    },
  },
];

describe('raw lxc.* keys follow pve-container (LXC/Config.pm is_valid_lxc_conf_key)', () => {
  test('allowed keys, hyphenated hooks and the cgroup2/prlimit/net prefixes validate', async () => {
    const { problems } = await problemsAfter(LXC_FILE, (d) => {
      lxc(d, '950').lxc_options = [
        'lxc.hook.pre-start: /usr/local/bin/prestart.sh',
        'lxc.hook.post-stop = /usr/local/bin/poststop.sh',
        'lxc.cgroup2.devices.allow: c 195:* rwm',
        'lxc.prlimit.nofile: 65536',
        'lxc.net.1.type: veth',
        'lxc.mount.auto:sys:rw',
      ];
    });
    expect(problems.filter((p) => p.path.includes('lxc_options'))).toEqual([]);
  });

  test('the hint of a misspelt key names the nearest key Proxmox keeps', async () => {
    const { problems } = await problemsAfter(LXC_FILE, (d) => {
      lxc(d, '950').lxc_options = ['lxc.mount.entrys = /dev/fuse dev/fuse none bind'];
    });
    expect(problems.find((p) => p.path.includes('lxc_options'))?.hint).toMatch(
      /did you mean lxc\.mount\.entry/,
    );
  });

  test('a key removed in LXC 3.0 names its new spelling', async () => {
    const { problems } = await problemsAfter(LXC_FILE, (d) => {
      lxc(d, '950').lxc_options = ['lxc.aa_profile: unconfined'];
    });
    expect(problems.find((p) => p.path.includes('lxc_options'))).toMatchObject({
      severity: 'error',
      hint: 'write lxc.apparmor.profile',
    });
  });
});

describe('validation rules', () => {
  test.each(cases)('$name', async ({ file, edit, expected }) => {
    const { root, problems } = await problemsAfter(file, edit);
    const match = problems.find((p) => JSON.stringify(p.path) === JSON.stringify(expected.path));
    expect(match, JSON.stringify(problems, null, 1)).toBeDefined();
    if (match === undefined) return;
    expect(match.file).toBe(path.join(root, 'etc', file));
    expect(match.severity).toBe(expected.severity ?? 'error');
    if (typeof expected.message === 'string') expect(match.message).toBe(expected.message);
    else expect(match.message).toMatch(expected.message);
    expect(match.hint).toEqual(expect.any(String));
    expect(match.line).toEqual(expect.any(Number));
  });

  test('a clone configured with a smaller disk than its source is a warning naming both sizes', async () => {
    const { problems } = await problemsAfter(VM_FILE, (d) => {
      vm(d, 1).disk_size_gb = 32; // its template 8000 has the vm_defaults 50
    });
    expect(problems).toMatchObject([
      {
        severity: 'warning',
        path: ['vms', 1, 'disk_size_gb'],
        message:
          'disk_size_gb 32 is smaller than the 50 GB disk VM 8001 gets as a clone of 8000; disks are never shrunk, so building it fails',
        hint: 'set disk_size_gb to 50 or more, or lower disk_size_gb of VM 8000',
      },
    ]);
  });

  test('a bind mount on a container nothing clones is fine', async () => {
    const { problems } = await problemsAfter(LXC_FILE, (d) => {
      lxc(d, '950').volumes = [{ host_path: '/srv/models', mount_point: '/models' }];
    });
    expect(problems.filter((p) => p.path.includes('volumes'))).toEqual([]);
  });

  test('a feature script missing from bin/lxc_setup is a warning naming the feature', async () => {
    const root = legacyCopy();
    rmSync(path.join(root, 'bin/lxc_setup/phoenix_hypervisor_feature_install_vllm.sh'));
    const result = await loadFleet({ config: root, cwd: '/' });
    expect(result.ok).toBe(true);
    expect(result.ok && result.value.warnings).toMatchObject([
      {
        severity: 'warning',
        path: ['lxc_configs', '950', 'features', 0],
        message: expect.stringContaining('feature script for vllm not found') as unknown,
      },
    ]);
  });

  test('every mistake is reported at once, and none is thrown', async () => {
    const root = legacyCopy();
    editJson(root, LXC_FILE, (d) => {
      lxc(d, '950').memory_mb = -1;
      lxc(d, '953').dependencies = ['4242'];
      lxc(d, '901').name = 'under_score';
    });
    editJson(root, VM_FILE, (d) => (vm(d, 1).clone_from_vmid = 8002));
    const result = await loadFleet({ config: root, cwd: '/' });
    expect(result.ok).toBe(false);
    const paths = result.ok
      ? []
      : result.error.filter((p) => p.severity === 'error').map((p) => p.path.join('.'));
    expect(paths.sort()).toEqual([
      'lxc_configs.901.name',
      'lxc_configs.950.memory_mb',
      'lxc_configs.953.dependencies.0',
      'vms.1.clone_from_vmid',
    ]);
  });

  test('a bad vm_defaults value is reported once, not once per VM', async () => {
    const { problems } = await problemsAfter(VM_FILE, (d) => ((d.vm_defaults as Json).cores = 0));
    expect(problems.filter((p) => p.path.join('.') === 'vm_defaults.cores')).toHaveLength(1);
  });

  test('malformed JSON is reported with file, line and column', async () => {
    const root = legacyCopy();
    const file = path.join(root, 'etc', VM_FILE);
    writeFileSync(file, '{\n  "vms": [\n    { "vmid": 8000, }\n  ]\n}\n');
    const result = await loadFleet({ config: root, cwd: '/' });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.error).toMatchObject([
      {
        severity: 'error',
        file,
        line: 3,
        column: 21,
        message: expect.stringMatching(/^invalid JSON: /) as unknown,
      },
    ]);
  });

  test('a key written twice in one object is an error at the second copy (JSON.parse would drop the first)', async () => {
    const root = legacyCopy();
    const file = path.join(root, 'etc', LXC_FILE);
    const text = readFileSync(file, 'utf8');
    const doc = JSON.parse(text) as { lxc_configs: Record<string, Record<string, unknown>> };
    const ct950 = JSON.stringify({ ...doc.lxc_configs['950'], memory_mb: 1 });
    // A second "950" pasted right after the first, and a nested key repeated inside it.
    const pasted = text.replace(
      /("950"\s*:\s*)/,
      `"950": ${ct950.replace('{', '{"x_note": 1, "x_note": 2, ')},\n$1`,
    );
    writeFileSync(file, pasted);
    const result = await loadFleet({ config: root, cwd: '/' });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.error;
    expect(problems.map((p) => [p.file, p.path.join('.'), p.message.split(':')[0]])).toEqual([
      [file, 'lxc_configs.950.x_note', 'duplicate key "x_note"'],
      [file, 'lxc_configs.950', 'duplicate key "950"'],
    ]);
    const second = pasted.indexOf('"950"', pasted.indexOf('"950"') + 1);
    const line = pasted.slice(0, second).split('\n').length;
    expect(problems[1]).toMatchObject({ line, hint: expect.stringContaining('merge') as unknown });
  });

  test('a file that ends early is reported at its end', async () => {
    const root = legacyCopy();
    const file = path.join(root, 'etc', HV_FILE);
    writeFileSync(file, '{\n  "timezone": "UTC",\n');
    const result = await loadFleet({ config: root, cwd: '/' });
    expect(result.ok ? [] : result.error).toMatchObject([{ file, line: 3, column: 1 }]);
  });

  test('a LXC file without lxc_configs is an error', async () => {
    const { problems } = await problemsAfter(LXC_FILE, (d) => delete d.lxc_configs);
    expect(problems).toContainEqual(
      expect.objectContaining({ severity: 'error', path: ['lxc_configs'], message: 'is required' }),
    );
  });

  test('a folder without any config is an error that says what to do', async () => {
    const result = await loadFleet({ config: '/nonexistent/phoenix', cwd: '/' });
    expect(result).toMatchObject({
      ok: false,
      error: [{ severity: 'error', message: 'config not found' }],
    });
  });
});
