import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createHostExec, isLockContention, timeoutFor, DEFAULT_TIMEOUTS } from '../../src/host/exec.js';
import type { HostExecOptions } from '../../src/host/exec.js';
import { tempDir } from '../support/temp-dirs.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function setup(extra: Partial<HostExecOptions> = {}) {
  const dir = tempDir('phx-exec-');
  const logFile = join(dir, 'cache', 'logs', 'run.log');
  const host = createHostExec({
    node: 'pve',
    pveRoot: dir,
    ...('logFile' in extra ? extra : { ...extra, logFile }),
  });
  return { dir, logFile, host, log: () => readFileSync(logFile, 'utf8') };
}

describe('createHostExec', () => {
  it('returns stdout, stderr and exit 0 for a successful command', async () => {
    const { host } = setup();
    const r = await host.run([fixture('lines.sh')]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.stdout).toBe('one\nthree\n');
    expect(r.value.stderr).toBe('two\n');
    expect(r.value.exitCode).toBe(0);
  });

  it('passes arguments as an array: no shell expands them', async () => {
    const { host } = setup();
    const r = await host.run([fixture('echo-args.sh'), 'a b', '$HOME', '`id`', '; rm -rf /']);
    expect(r.ok && r.value.stdout).toBe('a b\n$HOME\n`id`\n; rm -rf /\n');
  });

  it('feeds input to stdin', async () => {
    const { host } = setup();
    const r = await host.run([fixture('lines.sh'), '--stdin'], { input: 'fed\n' });
    expect(r.ok && r.value.stdout).toBe('one\nthree\nfed\n');
  });

  it('reports a non-zero exit as a failure with the exit code and stderr tail, without throwing', async () => {
    const { host } = setup();
    const r = await host.run([
      fixture('exit-with.sh'),
      '2',
      'out',
      "Configuration file 'nodes/pve/lxc/100.conf' does not exist",
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe('exit-non-zero');
    expect(r.error.exitCode).toBe(2);
    expect(r.error.stderrTail).toBe("Configuration file 'nodes/pve/lxc/100.conf' does not exist");
    expect(r.error.message).toMatch(/exit-with\.sh 2 out .* failed \(exit 2\): Configuration file/);
  });

  it('keeps only the last lines of a long stderr', async () => {
    const { host } = setup();
    const long = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
    const r = await host.run([fixture('exit-with.sh'), '255', '', long]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.error.stderrTail.split('\n');
    expect(lines.length).toBeLessThan(40);
    expect(lines.at(-1)).toBe('line 39');
  });

  it('kills a hanging program at its timeout and says so', async () => {
    const { host } = setup();
    const r = await host.run([fixture('hang.sh')], { timeoutMs: 300 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe('timeout');
    expect(r.error.message).toMatch(/timed out after 0\.3s/);
  });

  it('reports a missing program as a spawn error', async () => {
    const { host } = setup();
    const r = await host.run(['/nonexistent/fixture.sh']);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe('spawn-error');
    expect(r.error.message).toMatch(/could not run fixture\.sh: ENOENT/);
  });

  it('says what to do when a Proxmox tool is missing (not on a Proxmox node)', async () => {
    const { host } = setup();
    const r = await host.run(['/nonexistent/pct', 'list']);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe('spawn-error');
    expect(r.error.message).toBe(
      'pct not found on PATH: run Phoenix on the Proxmox VE node, or pass --sim to use the simulator',
    );
  });

  it('cancels a running command when the signal aborts', async () => {
    const { host } = setup();
    const controller = new AbortController();
    const pending = host.run([fixture('hang.sh')], { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const r = await pending;
    expect(!r.ok && r.error.reason).toBe('cancelled');
  });

  it('streams output lines when asked', async () => {
    const { host } = setup();
    const lines: string[] = [];
    const r = await host.run([fixture('lines.sh')], { onOutput: (l) => lines.push(l) });
    expect(r.ok && r.value.stdout).toBe('one\nthree\n');
    expect(lines.sort()).toEqual(['one', 'three', 'two']);
  });

  it('writes every command line and its output to a 0600 log, creating its folder', async () => {
    const { host, logFile, log } = setup();
    await host.run([fixture('lines.sh')]);
    await host.run([fixture('exit-with.sh'), '3', '', 'boom']);
    expect(statSync(logFile).mode & 0o777).toBe(0o600);
    const text = log();
    expect(text).toMatch(/#1 \(read\) \$ .*lines\.sh/);
    expect(text).toMatch(/#1 exit 0 in/);
    expect(text).toContain('  #1 | one');
    expect(text).toContain('  #1 ! two');
    expect(text).toMatch(/#2 exit 3 in/);
    expect(text).toContain('  #2 ! boom');
  });

  it('redacts passwords, API tokens and configured secrets from the log and failures', async () => {
    const { host, log } = setup({
      redact: ['hunter2-secret'],
      env: { ...process.env, SECRET_ECHO: 'hunter2-secret' },
    });
    await host.run([
      fixture('echo-args.sh'),
      '--password',
      'pw-value-1',
      '--cipassword=pw-value-2',
      '--sshkeys',
      'ssh-ed25519 AAAAkeytext',
      'Authorization: PVEAPIToken=root@pam!phx=aaaa-bbbb',
    ]);
    const r = await host.run([fixture('exit-with.sh'), '1', '', 'bad hunter2-secret']);
    const text = log();
    for (const secret of ['pw-value-1', 'pw-value-2', 'AAAAkeytext', 'aaaa-bbbb', 'hunter2-secret']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('--password');
    expect(text).toContain('PVEAPIToken=***');
    expect(!r.ok && r.error.stderrTail).toBe('bad ***');
  });

  it('names the step a command runs for on its log line; without a log file it writes nothing', async () => {
    const { host, log } = setup();
    await host.run([fixture('lines.sh')], { step: '950:configure' });
    await host.run([fixture('lines.sh')]);
    expect(log()).toMatch(/#1 950:configure \$ .*lines\.sh/);
    expect(log()).toMatch(/#2 \(read\) \$ .*lines\.sh/);
    const { dir, host: quiet } = setup({ logFile: undefined });
    const r = await quiet.run([fixture('lines.sh')], { step: '950:configure' });
    expect(r.ok).toBe(true);
    expect(existsSync(join(dir, 'cache'))).toBe(false);
  });

  it('keeps a --sshkeys file path in the log (the CLI takes a path)', async () => {
    const { host, log } = setup();
    await host.run([fixture('echo-args.sh'), '--sshkeys', '/tmp/keys.pub']);
    expect(log()).toContain('--sshkeys /tmp/keys.pub');
  });

  it('retries Proxmox lock contention with backoff until the command succeeds', async () => {
    const { host, dir } = setup({ lockRetry: { initialDelayMs: 10, maxDelayMs: 20, totalMs: 5000 } });
    const count = join(dir, 'count');
    const r = await host.run([fixture('lock-then-ok.sh'), count, '3']);
    expect(r.ok && r.value.stdout).toBe('done after 4\n');
    expect(host.spawnCount).toBe(4);
  });

  it('retries a lock held by a running task (CT is locked (snapshot))', async () => {
    const { host, dir } = setup({ lockRetry: { initialDelayMs: 10, maxDelayMs: 20, totalMs: 5000 } });
    const r = await host.run([fixture('lock-then-ok.sh'), join(dir, 'c'), '1', 'CT is locked (snapshot)']);
    expect(r.ok).toBe(true);
  });

  it('reports lock contention that persists past the retry budget', async () => {
    const { host, dir } = setup({ lockRetry: { initialDelayMs: 20, maxDelayMs: 40, totalMs: 150 } });
    const r = await host.run([fixture('lock-then-ok.sh'), join(dir, 'c'), '1000']);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.stderrTail).toMatch(/got timeout/);
    expect(host.spawnCount).toBeGreaterThan(1);
  });

  it('does not retry a lock left by a backup or an ordinary failure', async () => {
    const { host, dir } = setup({ lockRetry: { initialDelayMs: 10, maxDelayMs: 20, totalMs: 5000 } });
    const r = await host.run([fixture('lock-then-ok.sh'), join(dir, 'c'), '5', 'CT is locked (backup)']);
    expect(r.ok).toBe(false);
    expect(host.spawnCount).toBe(1);
  });
});

describe('editGuestConfig', () => {
  it('edits a guest config file in place, logs it, writes nothing when the edit changes nothing', async () => {
    const { host, dir, logFile } = setup();
    const conf = join(dir, 'etc', 'pve', 'nodes', 'pve', 'lxc', '950.conf');
    mkdirSync(dirname(conf), { recursive: true });
    writeFileSync(conf, 'arch: amd64\n', { mode: 0o640 });
    const changed = await host.editGuestConfig('lxc', 950, (t) => `${t}lxc.cap.drop: \n`, {
      step: '950:configure',
    });
    expect(changed).toEqual({ ok: true, value: { changed: true } });
    expect(readFileSync(conf, 'utf8')).toBe('arch: amd64\nlxc.cap.drop: \n');
    expect(statSync(conf).mode & 0o777).toBe(0o640);
    expect(await host.editGuestConfig('lxc', 950, (t) => t)).toEqual({ ok: true, value: { changed: false } });
    host.close();
    expect(readFileSync(logFile, 'utf8')).toMatch(
      /#1 950:configure edit .*950\.conf\n.*#1 written\n.*#2 \(no step\) edit .*\n.*#2 unchanged/,
    );
  });
  it('fails with the file named when the guest has no config file', async () => {
    const { host } = setup();
    const r = await host.editGuestConfig('lxc', 951, (t) => t);
    expect(r.ok ? '' : `${r.error.reason}: ${r.error.message}`).toMatch(
      /^file-error: cannot read .*951\.conf/,
    );
  });
});

describe('a command printing 150 MB (issue 14 item 8)', () => {
  it('streams it to the log, keeps a bounded tail in memory, and names the output limit in its failure', () => {
    const dir = tempDir('phx-big-');
    const logFile = join(dir, 'run.log');
    // In its own process, so its peak memory is measured alone.
    const script = `
      import { createHostExec } from ${JSON.stringify(new URL('../../dist/src/host/exec.js', import.meta.url).href)};
      const host = createHostExec({ node: 'pve', pveRoot: '/', logFile: ${JSON.stringify(logFile)} });
      const r = await host.run(['sh', '-c', "head -c 150000000 /dev/zero | tr '\\\\0' x; echo; echo boom >&2; exit 3"]);
      host.close();
      console.log(JSON.stringify({ ok: r.ok, message: r.ok ? '' : r.error.message, maxRssKb: process.resourceUsage().maxRSS }));
    `;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const r = JSON.parse(out.stdout) as { ok: boolean; message: string; maxRssKb: number };
    try {
      expect(r.ok).toBe(false);
      expect(r.message).toMatch(/exit 3/);
      expect(r.message).toMatch(/over the 4 MiB output limit/);
      expect(r.maxRssKb / 1024, 'peak memory in MiB').toBeLessThan(200);
      expect(statSync(logFile).size).toBeGreaterThan(150_000_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isLockContention', () => {
  it.each([
    ["can't lock file '/run/lock/lxc/pve-config-100.lock' - got timeout", true],
    ["can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout", true],
    ['CT is locked (create)', true],
    ['VM is locked (clone)', true],
    ['CT is locked (disk)', true],
    ['VM is locked (backup)', false],
    ['CT is locked (migrate)', false],
    ["Configuration file 'nodes/pve/lxc/100.conf' does not exist", false],
  ])('%s -> %s', (text, expected) => {
    expect(isLockContention(text)).toBe(expected);
  });
});

describe('timeoutFor', () => {
  it.each([
    [['pct', 'list'], 60_000],
    [['qm', 'guest', 'cmd', '100', 'ping'], 60_000],
    [['pct', 'create', '100', 'local:vztmpl/x'], 30 * 60_000],
    [['qm', 'disk', 'import', '100', '/x.img', 'local-lvm'], 30 * 60_000],
    [['pct', 'set', '100', '--memory', '1'], 5 * 60_000],
    [['/usr/local/phoenix/feature.sh', '950'], 60 * 60_000],
  ])('%j', (argv, expected) => {
    expect(timeoutFor(argv, DEFAULT_TIMEOUTS)).toBe(expected);
  });

  it('honours overrides', async () => {
    const { host } = setup({ defaultTimeouts: { '*': 200 } });
    const r = await host.run([fixture('hang.sh')]);
    expect(!r.ok && r.error.reason).toBe('timeout');
  });
});
