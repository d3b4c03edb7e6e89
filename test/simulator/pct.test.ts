import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCalls, readSimState } from '../../simulator/src/testing.js';
import { createCt, DEBIAN_VOLID, mapLimit, ok, run, runAsync, simDir } from './helpers.js';

const USAGE_CREATE = 'pct create <vmid> <ostemplate> [OPTIONS]';

describe('pct argument validation (fact sheet §0, §1)', () => {
  const rejected: [string, string[], string][] = [
    [
      'non-integer memory',
      ['--memory', 'abc'],
      `400 Parameter verification failed.\nmemory: type check ('integer') failed - got 'abc'\n${USAGE_CREATE}\n`,
    ],
    [
      'memory below 16',
      ['--memory', '8'],
      `400 Parameter verification failed.\nmemory: value must have a minimum value of 16\n${USAGE_CREATE}\n`,
    ],
    [
      'underscore hostname',
      ['--hostname', 'my_ct'],
      `400 Parameter verification failed.\nhostname: value does not look like a valid DNS name\n${USAGE_CREATE}\n`,
    ],
    [
      'unknown option',
      ['--bogus', '1'],
      `Unknown option: bogus\n400 unable to parse option\n${USAGE_CREATE}\n`,
    ],
    [
      'unknown net0 key',
      ['--net0', 'name=eth0,foo=bar'],
      `400 Parameter verification failed.\nnet0: invalid format - format error\nnet0.foo: property is not defined in schema and the schema does not allow additional properties\n${USAGE_CREATE}\n`,
    ],
    [
      'bad boolean',
      ['--unprivileged', 'maybe'],
      `400 Parameter verification failed.\nunprivileged: type check ('boolean') failed - got 'maybe'\n${USAGE_CREATE}\n`,
    ],
    [
      'storage without rootdir',
      ['--storage', 'local'],
      `400 Parameter verification failed.\nstorage: storage 'local' does not support container directories\n${USAGE_CREATE}\n`,
    ],
  ];
  it('[F0.1] rejects each invalid create with the real error text, exit 255, and no CT', async () => {
    const dir = await simDir();
    const results = await mapLimit(rejected, ([, extra]) =>
      runAsync(dir, ['pct', 'create', '101', DEBIAN_VOLID, ...extra]),
    );
    for (const [i, [name, , stderr]] of rejected.entries()) {
      expect({ name, stderr: results[i]!.stderr, code: results[i]!.code }).toEqual({
        name,
        stderr,
        code: 255,
      });
    }
    expect(run(dir, ['pct', 'list']).stdout).toBe('');
  });

  it('[F0.1] rejects a bad VM ID and missing positionals', async () => {
    const dir = await simDir();
    expect(run(dir, ['pct', 'create', '99', DEBIAN_VOLID]).stderr).toBe(
      `400 Parameter verification failed.\nvmid: value does not look like a valid VM ID\n${USAGE_CREATE}\n`,
    );
    expect(run(dir, ['pct', 'create', '101']).stderr).toBe(`400 not enough arguments\n${USAGE_CREATE}\n`);
    expect(run(dir, ['pct', 'status', '101', '102']).stderr).toBe(
      '400 too many arguments\npct status <vmid> [OPTIONS]\n',
    );
  });

  it('[F0.1] accepts unique prefixes of options and subcommands, -opt and --opt=value', async () => {
    const dir = await simDir();
    ok(dir, ['pct', 'create', '101', DEBIAN_VOLID, '-hostn', 'web', '--mem=1024', '--rootfs', 'local-lvm:8']);
    const r = run(dir, ['pct', 'stat', '101']);
    expect(r.stdout).toBe('status: stopped\n');
    expect(run(dir, ['pct', 'conf', '101']).stdout).toContain('hostname: web\nmemory: 1024\n');
  });

  it('[F0.1] reports an unknown subcommand with the usage list', async () => {
    const dir = await simDir();
    const r = run(dir, ['pct', 'frobnicate']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(
      /^ERROR: unknown command 'pct frobnicate'\nUSAGE: pct <COMMAND> \[ARGS\] \[OPTIONS\]\n/,
    );
  });
});

describe('pct create / config / list', () => {
  it('[F9.1] writes the sorted config with a generated BC:24:11 MAC and unprivileged=1 by default', async () => {
    const dir = await simDir();
    ok(dir, [
      'pct',
      'create',
      '101',
      DEBIAN_VOLID,
      '--hostname',
      'web',
      '--memory',
      '1024',
      '--net0',
      'name=eth0,bridge=vmbr0,ip=10.0.0.5/24,gw=10.0.0.1',
      '--rootfs',
      'local-lvm:8',
      '--onboot',
      '1',
      '--startup',
      'order=2,up=5',
      '--features',
      'nesting=1,keyctl=1',
    ]);
    const conf = run(dir, ['pct', 'config', '101']).stdout;
    expect(conf).toMatch(
      /^arch: amd64\nfeatures: nesting=1,keyctl=1\nhostname: web\nmemory: 1024\nnet0: name=eth0,bridge=vmbr0,gw=10\.0\.0\.1,hwaddr=BC:24:11:[0-9A-F]{2}:[0-9A-F]{2}:[0-9A-F]{2},ip=10\.0\.0\.5\/24,type=veth\nonboot: 1\nostype: debian\nrootfs: local-lvm:vm-101-disk-0,size=8G\nstartup: order=2,up=5\nswap: 512\nunprivileged: 1\n$/,
    );
    const file = readFileSync(join(dir, 'etc/pve/nodes/pve/lxc/101.conf'), 'utf8');
    expect(file).toBe(conf);
    expect(
      (JSON.parse(readFileSync(join(dir, 'etc/pve/.vmlist'), 'utf8')) as { ids: Record<string, unknown> })
        .ids['101'],
    ).toMatchObject({
      node: 'pve',
      type: 'lxc',
    });
  });

  it('[F0.1] refuses a taken ID, a missing storage and a missing template', async () => {
    const dir = await simDir();
    ok(dir, createCt(101));
    expect(run(dir, createCt(101)).stderr).toBe("CT 101 already exists on node 'pve'\n");
    const noStorage = run(dir, ['pct', 'create', '102', DEBIAN_VOLID, '--storage', 'nope']);
    expect([noStorage.stderr, noStorage.code]).toEqual(["storage 'nope' does not exist\n", 255]);
    const noTmpl = run(dir, [
      'pct',
      'create',
      '103',
      'local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst',
      '--rootfs',
      'local-lvm:4',
    ]);
    expect(noTmpl.code).toBe(255);
    expect(noTmpl.stderr).toMatch(/^unable to create CT 103 - command .*tar xpf.* failed: exit code 2\n$/);
    expect(readSimState(dir).guests['103']).toBeUndefined();
  });

  it('[F9.2] prints pct list with the padded header, sorted numerically; nothing when empty', async () => {
    const dir = await simDir();
    expect(run(dir, ['pct', 'list'])).toEqual({ stdout: '', stderr: '', code: 0 });
    ok(dir, createCt(1000), createCt(200), ['pct', 'start', '200']);
    expect(run(dir, ['pct', 'list']).stdout).toBe(
      'VMID       Status     Lock         Name                \n' +
        '200        running                 ct200               \n' +
        '1000       stopped                 ct1000              \n',
    );
  });

  it('[F0.1] config of a missing CT says the config file does not exist', async () => {
    const dir = await simDir();
    const r = run(dir, ['pct', 'config', '555']);
    expect(r.stderr).toBe("Configuration file 'nodes/pve/lxc/555.conf' does not exist\n");
    expect(r.code).not.toBe(0);
  });
});

describe('pct lifecycle errors', () => {
  const cases: [string, (id: string) => string[][], (id: string) => string[], (id: string) => string][] = [
    [
      'start twice',
      (id) => [createCt(Number(id)), ['pct', 'start', id]],
      (id) => ['pct', 'start', id],
      (id) => `CT ${id} already running\n`,
    ],
    [
      'stop a stopped CT',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'stop', id],
      (id) => `CT ${id} not running\n`,
    ],
    ['stop a missing CT', () => [], (id) => ['pct', 'stop', id], (id) => `CT ${id} not running\n`],
    [
      'reboot a stopped CT',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'reboot', id],
      (id) => `VM ${id} not running\n`,
    ],
    [
      'start a template',
      (id) => [createCt(Number(id)), ['pct', 'template', id]],
      (id) => ['pct', 'start', id],
      () => `you can't start a CT if it's a template\n`,
    ],
    [
      'destroy a running CT',
      (id) => [createCt(Number(id)), ['pct', 'start', id]],
      (id) => ['pct', 'destroy', id],
      (id) => `unable to destroy CT ${id} - container is running\n`,
    ],
    [
      'template a running CT',
      (id) => [createCt(Number(id)), ['pct', 'start', id]],
      (id) => ['pct', 'template', id],
      () => `you can't convert a CT to template if the CT is running\n`,
    ],
    [
      'template with snapshots',
      (id) => [createCt(Number(id)), ['pct', 'snapshot', id, 's1']],
      (id) => ['pct', 'template', id],
      () => `unable to create template, because CT contains snapshots\n`,
    ],
    [
      'clone from a missing snapshot',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'clone', id, String(Number(id) + 500), '--snapname', 'nope'],
      () => `snapshot 'nope' does not exist\n`,
    ],
    [
      'linked clone to another storage',
      (id) => [createCt(Number(id)), ['pct', 'template', id]],
      (id) => ['pct', 'clone', id, String(Number(id) + 500), '--storage', 'local-lvm'],
      () => `parameter 'storage' not allowed for linked clones\n`,
    ],
    [
      'destroy a template with linked clones',
      (id) => [createCt(Number(id)), ['pct', 'template', id], ['pct', 'clone', id, String(Number(id) + 500)]],
      (id) => ['pct', 'destroy', id],
      (id) => `base volume 'base-${id}-disk-0' is still in use by linked clones\n`,
    ],
    [
      'shrink (bare number = bytes)',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'resize', id, 'rootfs', '32'],
      () => `unable to shrink disk size\n`,
    ],
    [
      'resize to the same size',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'resize', id, 'rootfs', '8G'],
      () => `disk is already at specified size\n`,
    ],
    [
      'modify unprivileged',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'set', id, '--unprivileged', '0'],
      () => `unable to modify read-only option: 'unprivileged'\n`,
    ],
    [
      'set with no options',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'set', id],
      () => `no options specified\n`,
    ],
    [
      'duplicate snapshot',
      (id) => [createCt(Number(id)), ['pct', 'snapshot', id, 's1']],
      (id) => ['pct', 'snapshot', id, 's1'],
      () => `snapshot name 's1' already used\n`,
    ],
    [
      'reserved snapshot name',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'snapshot', id, 'vzdump'],
      () => `unable to use snapshot name 'vzdump' (reserved name)\n`,
    ],
    [
      'delete a missing snapshot',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'delsnapshot', id, 'nope'],
      () => `snapshot 'nope' does not exist\n`,
    ],
    [
      'exec in a stopped CT',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'exec', id, '--', 'true'],
      (id) => `container '${id}' not running!\n`,
    ],
    [
      'push to a stopped CT',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'push', id, '/etc/hostname', '/tmp/x'],
      () => `can only push files to a running CT\n`,
    ],
    [
      'unlock without a lock',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'unlock', id],
      () => `no lock found trying to remove any lock\n`,
    ],
    [
      'bad snapshot name',
      (id) => [createCt(Number(id))],
      (id) => ['pct', 'snapshot', id, 'x.y'],
      () =>
        `400 Parameter verification failed.\nsnapname: invalid format - invalid configuration ID 'x.y'\npct snapshot <vmid> <snapname> [OPTIONS]\n`,
    ],
  ];
  it('[F3.4] gives the real error text and exit 255 for each refused operation', async () => {
    const dir = await simDir();
    const results = await mapLimit(cases, async ([, setup, line], i) => {
      const id = String(101 + i);
      for (const l of setup(id)) {
        const r = await runAsync(dir, l);
        if (r.code !== 0) throw new Error(`${l.join(' ')}: ${r.stderr}`);
      }
      return runAsync(dir, line(id));
    });
    for (const [i, [name, , , stderr]] of cases.entries()) {
      const id = String(101 + i);
      expect({ name, stderr: results[i]!.stderr, code: results[i]!.code }).toEqual({
        name,
        stderr: stderr(id),
        code: 255,
      });
    }
  });

  it('[F0.3] a locked CT refuses changes with CT is locked (...)', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['pct', 'set', '101', '--lock', 'backup']);
    expect(run(dir, ['pct', 'set', '101', '--memory', '256']).stderr).toBe('CT is locked (backup)\n');
    expect(run(dir, ['pct', 'list']).stdout).toContain('101        stopped    backup       ct101');
    ok(dir, ['pct', 'unlock', '101'], ['pct', 'set', '101', '--memory', '256']);
  });
});

describe('pct clone / template / destroy / resize', () => {
  it('[F6.2] linked-clones a template by default, with new MACs and no snapshots', async () => {
    const dir = await simDir();
    ok(dir, createCt(900), ['pct', 'template', '900']);
    const r = ok(dir, ['pct', 'clone', '900', '950', '--hostname', 'app']);
    expect(r.stdout).toBe(
      'creating a clone of container 900 with ID 950\ncreate linked clone of mount point rootfs (local-lvm:base-900-disk-0)\n',
    );
    const src = run(dir, ['pct', 'config', '900']).stdout;
    const conf = run(dir, ['pct', 'config', '950']).stdout;
    expect(src).toContain('rootfs: local-lvm:base-900-disk-0,size=8G\n');
    expect(src).toContain('template: 1\n');
    expect(conf).toContain('rootfs: local-lvm:base-900-disk-0/vm-950-disk-0,size=8G\n');
    expect(conf).toContain('hostname: app\n');
    expect(conf).not.toContain('template');
    const mac = (c: string): string | undefined => /hwaddr=([0-9A-F:]+)/.exec(c)?.[1];
    expect(mac(conf)).not.toBe(mac(src));
    ok(dir, ['pct', 'destroy', '950'], ['pct', 'destroy', '900']);
    expect(run(dir, ['pct', 'list']).stdout).toBe('');
  });

  it('[F6.2] full-clones from a snapshot of a running CT and refuses a running full clone without one', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['pct', 'start', '101']);
    expect(run(dir, ['pct', 'clone', '101', '102']).stderr).toBe(
      'Full clone of a running container is only possible from a snapshot\n',
    );
    ok(dir, ['pct', 'snapshot', '101', 'golden'], ['pct', 'set', '101', '--memory', '2048']);
    const r = ok(dir, ['pct', 'clone', '101', '102', '--snapname', 'golden', '--storage', 'local-lvm']);
    expect(r.stdout).toContain('create full clone of mountpoint rootfs (local-lvm:vm-101-disk-0)');
    const conf = run(dir, ['pct', 'config', '102']).stdout;
    expect(conf).toContain('rootfs: local-lvm:vm-102-disk-0,size=8G\n');
    expect(conf).toContain('memory: 512\n');
    expect(conf).not.toContain('parent');
    expect(run(dir, ['pct', 'listsnapshot', '102']).stdout).toMatch(/^`-> current {24}/);
  });

  it('[F4.5] resizes with +NG and NG and rewrites size=', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['pct', 'resize', '101', 'rootfs', '+2G']);
    expect(run(dir, ['pct', 'config', '101']).stdout).toContain('rootfs: local-lvm:vm-101-disk-0,size=10G\n');
    ok(dir, ['pct', 'resize', '101', 'rootfs', '12G']);
    expect(run(dir, ['pct', 'config', '101']).stdout).toContain('size=12G');
  });

  it('[F3.4] destroy --purge --force stops a running CT first', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['pct', 'start', '101']);
    const r = ok(dir, ['pct', 'destroy', '101', '--purge', '1', '--force', '1']);
    expect(r.stdout).toContain('purging CT 101 from related configurations..');
    expect(run(dir, ['pct', 'status', '101']).stderr).toBe(
      "Configuration file 'nodes/pve/lxc/101.conf' does not exist\n",
    );
  });
});

describe('pct set / pending', () => {
  it('[F7.1] changes, deletes, and keeps non-hotpluggable changes of a running CT pending', async () => {
    const dir = await simDir();
    ok(dir, createCt(101, '--onboot', '1'), ['pct', 'set', '101', '--memory', '2048', '--delete', 'onboot']);
    let conf = run(dir, ['pct', 'config', '101']).stdout;
    expect(conf).toContain('memory: 2048\n');
    expect(conf).not.toContain('onboot');
    ok(dir, ['pct', 'start', '101'], ['pct', 'set', '101', '--features', 'nesting=1', '--cores', '2']);
    conf = run(dir, ['pct', 'config', '101']).stdout;
    expect(conf).toContain('features: nesting=1\n');
    expect(run(dir, ['pct', 'config', '101', '--current']).stdout).not.toContain('features');
    expect(readFileSync(join(dir, 'etc/pve/nodes/pve/lxc/101.conf'), 'utf8')).toContain(
      '\n[pve:pending]\nfeatures: nesting=1\n',
    );
    ok(dir, ['pct', 'stop', '101'], ['pct', 'start', '101']);
    expect(run(dir, ['pct', 'config', '101', '--current']).stdout).toContain('features: nesting=1\n');
  });

  it('[F5.1] picks up raw lxc.* lines written into the config file by hand', async () => {
    const dir = await simDir();
    ok(dir, createCt(101));
    const p = join(dir, 'etc/pve/nodes/pve/lxc/101.conf');
    const { appendFileSync } = await import('node:fs');
    appendFileSync(p, 'lxc.apparmor.profile: unconfined\nlxc.mount.auto = sys:rw\n');
    ok(dir, ['pct', 'set', '101', '--cores', '2']);
    const conf = run(dir, ['pct', 'config', '101']).stdout;
    expect(conf).toMatch(/unprivileged: 1\nlxc\.apparmor\.profile: unconfined\nlxc\.mount\.auto: sys:rw\n$/);
    expect(readFileSync(p, 'utf8')).toBe(conf);
  });
});

describe('pct snapshots', () => {
  it('[F9.3] lists the snapshot tree in the exact format and mirrors snapshot sections', async () => {
    const dir = await simDir();
    ok(
      dir,
      createCt(101),
      ['pct', 'snapshot', '101', 'first'],
      ['pct', 'snapshot', '101', 'second', '--description', 'two words'],
    );
    const lines = run(dir, ['pct', 'listsnapshot', '101']).stdout.split('\n');
    expect(lines[0]).toMatch(/^`-> first {23}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {5}no-description$/);
    expect(lines[1]).toMatch(/^ `-> second {21}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {5}two words$/);
    expect(lines[2]).toBe('  `-> current' + ' '.repeat(43) + 'You are here!');
    const file = readFileSync(join(dir, 'etc/pve/nodes/pve/lxc/101.conf'), 'utf8');
    expect(file).toMatch(/\nparent: second\n/);
    expect(file).toMatch(/\n\[first\]\narch: amd64\n[\s\S]*snaptime: \d+\n/);
    expect(file).toMatch(/\n\[second\]\n#two words\narch: amd64\n[\s\S]*parent: first\n/);
    expect(run(dir, ['pct', 'config', '101', '--snapshot', 'first']).stdout).toMatch(/snaptime: \d+\n/);
    ok(dir, ['pct', 'rollback', '101', 'first'], ['pct', 'delsnapshot', '101', 'second']);
    expect(run(dir, ['pct', 'config', '101']).stdout).toContain('parent: first\n');
  });

  it('[F9.3] refuses snapshots on a dir storage raw volume', async () => {
    const dir = await simDir({
      config: { storages: { tank: { type: 'dir', content: ['rootdir', 'images'], path: '/tank' } } },
    });
    ok(dir, ['pct', 'create', '101', DEBIAN_VOLID, '--rootfs', 'tank:4']);
    expect(run(dir, ['pct', 'config', '101']).stdout).toContain(
      'rootfs: tank:101/vm-101-disk-0.raw,size=4G\n',
    );
    const r = run(dir, ['pct', 'snapshot', '101', 's1']);
    expect([r.stderr, r.code]).toEqual(['snapshot feature is not available\n', 255]);
    expect(r.stdout).toBe('');
    expect(run(dir, ['pct', 'config', '101']).stdout).not.toContain('lock');
  });

  it('[F9.4] refuses to snapshot a container with a bind mount point', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['pct', 'set', '101', '--mp0', '/srv/data,mp=/data']);
    const r = run(dir, ['pct', 'snapshot', '101', 's1']);
    expect([r.stderr, r.code]).toEqual(['snapshot feature is not available\n', 255]);
    ok(dir, ['pct', 'set', '101', '--delete', 'mp0'], ['pct', 'snapshot', '101', 's1']);
  });
});

describe('inside CTs: exec / push / pull', () => {
  it('[F8.3] records exec and push with content hashes; exit codes come from exec rules', async () => {
    const dir = await simDir({
      config: {
        exec: [{ match: '^curl -fsS http://localhost', exit: 7, stderr: 'connection refused\n', times: 2 }],
      },
    });
    ok(dir, createCt(950), ['pct', 'start', '950']);
    const probe = ['pct', 'exec', '950', '--', 'curl', '-fsS', 'http://localhost:8080/health'];
    expect(run(dir, probe)).toEqual({ stdout: '', stderr: 'connection refused\n', code: 7 });
    expect(run(dir, probe).code).toBe(7);
    expect(run(dir, probe).code).toBe(0);
    expect(run(dir, ['pct', 'exec', '950', '--']).stderr).toBe(
      'missing command at /usr/share/perl5/PVE/CLI/pct.pm line 246.\n',
    );
    const { writeFileSync } = await import('node:fs');
    const local = join(dir, 'app.sh');
    writeFileSync(local, '#!/bin/sh\necho hi\n');
    ok(dir, ['pct', 'push', '950', local, '/usr/local/bin/app.sh', '--perms', '0755']);
    const g = readSimState(dir).guests['950']!;
    expect(g.execs.map((e) => [e.cmd.join(' '), e.exit])).toEqual([
      ['curl -fsS http://localhost:8080/health', 7],
      ['curl -fsS http://localhost:8080/health', 7],
      ['curl -fsS http://localhost:8080/health', 0],
    ]);
    expect(g.pushes[0]).toMatchObject({
      dest: '/usr/local/bin/app.sh',
      perms: '0755',
      sha256: createHash('sha256').update('#!/bin/sh\necho hi\n').digest('hex'),
    });
    ok(dir, ['pct', 'pull', '950', '/usr/local/bin/app.sh', join(dir, 'back.sh')]);
    expect(readFileSync(join(dir, 'back.sh'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    // a missing local file fails inside the push task: error text, but exit 0 (fact sheet §0)
    const miss = run(dir, ['pct', 'push', '950', '/nonexistent/file', '/x']);
    expect([miss.stderr, miss.code]).toEqual(['failed to open /nonexistent/file for reading\n', 0]);
  });

  it('[sim] records every invocation in calls.jsonl', async () => {
    const dir = await simDir();
    run(dir, ['pct', 'list']);
    run(dir, ['pct', 'status', '999']);
    expect(readCalls(dir).map((c) => [c.tool, c.argv, c.exit])).toEqual([
      ['pct', ['list'], 0],
      ['pct', ['status', '999'], 2],
    ]);
  });
});

describe('pct bind mount points', () => {
  it('[F13.1] refuses to start, or to hot-plug into a running CT, a bind mount of a missing folder', async () => {
    const dir = await simDir();
    ok(dir, createCt(101), ['pct', 'set', '101', '--mp0', '/srv/logs,mp=/var/log/app']);
    const start = run(dir, ['pct', 'start', '101']);
    expect(start.code).not.toBe(0);
    expect(start.stderr).toContain("directory '/srv/logs' does not exist");
    expect(start.stderr).toContain("startup for container '101' failed");
    mkdirSync(join(dir, 'srv/logs'), { recursive: true });
    ok(dir, ['pct', 'start', '101']);
    const hot = run(dir, ['pct', 'set', '101', '--mp1', '/srv/certs,mp=/etc/certs']);
    expect(hot.code).toBe(255);
    expect(hot.stderr).toMatch(
      /^400 Parameter verification failed\.\nmp1: unable to hotplug mp1: directory '\/srv\/certs' does not exist\n/,
    );
    expect(run(dir, ['pct', 'config', '101']).stdout).not.toContain('mp1');
    mkdirSync(join(dir, 'srv/certs'), { recursive: true });
    ok(dir, ['pct', 'set', '101', '--mp1', '/srv/certs,mp=/etc/certs']);
    expect(run(dir, ['pct', 'config', '101']).stdout).toContain('mp1: /srv/certs,mp=/etc/certs\n');
  });
});

describe('pct id maps', () => {
  it('[F14.1] keeps the lxc.idmap lines written into the config file, in order', async () => {
    const dir = await simDir();
    ok(dir, createCt(101));
    const lines = ['u 0 100000 65536', 'g 0 100000 33', 'g 33 33 1', 'g 34 100034 65502'];
    appendFileSync(
      join(dir, 'etc/pve/nodes/pve/lxc/101.conf'),
      lines.map((l) => `lxc.idmap: ${l}\n`).join(''),
    );
    ok(dir, ['pct', 'set', '101', '--cores', '2']);
    expect(run(dir, ['pct', 'config', '101']).stdout).toContain(
      lines.map((l) => `lxc.idmap: ${l}\n`).join(''),
    );
  });

  it('[F14.2] refuses to start a map whose host range root holds no subordinate ids for', async () => {
    const dir = await simDir();
    ok(dir, createCt(101));
    const lines = ['u 0 100000 65536', 'g 0 100000 33', 'g 33 33 1', 'g 34 100034 65502'];
    appendFileSync(
      join(dir, 'etc/pve/nodes/pve/lxc/101.conf'),
      lines.map((l) => `lxc.idmap: ${l}\n`).join(''),
    );
    const r = run(dir, ['pct', 'start', '101']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('newgidmap failed to write mapping: g 33 33 1');
    expect(r.stderr).toContain("startup for container '101' failed");
    mkdirSync(join(dir, 'etc'), { recursive: true });
    writeFileSync(join(dir, 'etc/subgid'), 'root:100000:65536\nroot:33:1\n');
    ok(dir, ['pct', 'start', '101']);
  });
});

describe('pct firewall flag', () => {
  it('[F15.2] keeps firewall=1 on a network device', async () => {
    const dir = await simDir();
    ok(dir, createCt(101));
    const net0 = /^net0: (.*)$/m.exec(run(dir, ['pct', 'config', '101']).stdout)?.[1] ?? '';
    ok(dir, ['pct', 'set', '101', '--net0', `${net0},firewall=1`]);
    expect(run(dir, ['pct', 'config', '101']).stdout).toMatch(/^net0: .*firewall=1/m);
  });
});
