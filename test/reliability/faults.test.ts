// Faults injected through the simulator at every step kind. A hard failure stops the run (fail-fast) and shows the
// failing command and its stderr; the cache then holds exactly the steps that completed, and the next run (fault
// gone, or a later one injected) finishes the rest without redoing any of them. Transient failures are retried
// where the original retried. Cases run as chains on one host, each run faulting a later step, so the suite pays
// for each build once.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCalls, writeSimConfig, type SimConfig } from '../../simulator/src/testing.js';
import { callLine, isStateChanging, readStepCache, stepsIn, tempDir } from './helpers.js';
import { writeFleet } from './fleet.js';
import { copyWorkspace, newWorkspace, phoenix, type FleetWorkspace } from './workspace.js';

const dirs: string[] = [];
const track = (ws: FleetWorkspace): FleetWorkspace => (dirs.push(ws.root, ws.sim), ws);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Link {
  /** Faults for this run; none means a clean run that must finish (exit 0). */
  sim?: Partial<SimConfig>;
  env?: Record<string, string>;
  /** The step that must fail, and what the output must show: its command and that command's stderr. */
  step?: string;
  command?: RegExp;
  stderr?: RegExp;
  /** State-changing commands of this failed step, which the next run may repeat (the step runs again). */
  redo?: RegExp;
  /** Steps completed earlier that this run may start again (their live check sees drift), and their commands. */
  rerun?: string[];
  repeats?: RegExp;
}

const fail = (match: string, stderr: string): Partial<SimConfig> => ({
  faults: [{ match, action: 'fail', stderr }],
});

/**
 * Runs `args` once per link on one host. After each run: the exit code (1 and the named failure, or 0), the
 * failing command and its stderr in the output, no step after the failure started (fail-fast), the cache equal to
 * what it held plus the steps that completed, and no completed step started or its state-changing command repeated.
 */
async function chain(ws: FleetWorkspace, args: string[], links: Link[]): Promise<void> {
  let cached = new Set(Object.keys(readStepCache(ws.cache)));
  const earlier: string[] = [];
  let redo: RegExp | undefined;
  for (const [i, link] of links.entries()) {
    const label = `run ${i + 1} (${link.step ?? 'clean'})`;
    const from = readCalls(ws.sim).length;
    writeSimConfig(ws.sim, { latencyScale: 0, ...link.sim });
    const ran = await phoenix(ws, args, link.env ? { env: link.env } : {});
    const out = ran.stdout + ran.stderr;
    const steps = stepsIn(out);
    expect(out, label).not.toMatch(/^\s+at .+[(:]/m);
    if (link.step === undefined) {
      expect(ran.exit, `${label}\n${out}`).toBe(0);
      expect(steps.failed, label).toEqual([]);
    } else {
      expect(ran.exit, `${label}\n${out}`).toBe(1);
      expect(steps.failed, `${label}\n${out}`).toEqual([link.step]);
      if (!args.includes('--keep-going')) {
        const after = out.slice(out.indexOf(`[${link.step}] FAILED`));
        expect(after, `${label}: fail-fast`).not.toMatch(/^\[\S+\] start(?:: .*)?$/m);
      }
      if (link.command) expect(ran.stderr, label).toMatch(link.command);
      if (link.stderr) expect(ran.stderr, label).toMatch(link.stderr);
    }
    const again = steps.started.filter((a) => cached.has(a) && !(link.rerun ?? []).includes(a));
    expect(again, `${label}: completed steps started again`).toEqual([]);
    const changing = readCalls(ws.sim).slice(from).filter(isStateChanging).map(callLine);
    const allowed = (l: string) => (redo?.test(l) ?? false) || (link.repeats?.test(l) ?? false);
    const repeated = changing.filter((l) => earlier.includes(l) && !allowed(l));
    expect(repeated, `${label}: state-changing commands repeated`).toEqual([]);
    earlier.push(...changing);
    redo = link.redo;

    const now = new Set(Object.keys(readStepCache(ws.cache)));
    expect([...now].sort(), `${label}: cache = before + completed`).toEqual(
      [...new Set([...cached, ...steps.ok])].sort(),
    );
    cached = now;
  }
}

let config = '';
/** Container 900 (the clone source) built through a chain of faults: the starting point of the other cases. */
let base: FleetWorkspace;

beforeAll(async () => {
  const cfgRoot = tempDir();
  dirs.push(cfgRoot);
  config = writeFleet(cfgRoot, { vm: true });
  base = track(await newWorkspace(config));
  await chain(
    base,
    ['create', '900'],
    [
      {
        sim: fail('^pct create 900', 'unable to create CT 900 - no space left on device'),
        step: '900:define',
        command: /\$ pct create 900 /,
        stderr: /no space left on device/,
        redo: /^pct create 900 /,
      },
      {
        // The docker feature script asks the container whether docker is there, then installs it.
        sim: {
          exec: [
            { match: '^sh -c command -v docker', guest: 900, exit: 1 },
            {
              match: '^apt-get update',
              guest: 900,
              exit: 100,
              stderr: 'E: Could not resolve deb.debian.org\n',
            },
          ],
        },
        step: '900:feature:docker',
        command: /phoenix_hypervisor_feature_install_docker\.sh 900/,
        stderr: /Could not resolve deb\.debian\.org/,
        redo: /^pct exec 900 --keep-env 0 -- (?:sh -c|apt-get)/,
      },
      {
        sim: fail('^pct snapshot 900', 'snapshot feature is not available'),
        step: '900:snapshot',
        command: /\$ pct snapshot 900 base-ready/,
        stderr: /snapshot feature is not available/,
        redo: /^pct snapshot 900 /,
      },
      {},
    ],
  );
}, 150_000);

describe('faults at every step kind', () => {
  it('LXC define (create), feature, snapshot: fail-fast, then resume (the setup chain)', () => {
    expect(Object.keys(readStepCache(base.cache)).sort()).toEqual(
      ['900:configure', '900:define', '900:disk', '900:feature:docker', '900:snapshot', '900:start'].sort(),
    );
  });

  it.concurrent(
    'LXC define (clone), configure, disk (hung: timeout), start, app, health; retries',
    async () => {
      const ws = track(copyWorkspace(base));
      await chain(
        ws,
        ['create', '950'],
        [
          {
            sim: fail(
              '^pct clone 900 950',
              "clone failed: cfs-lock 'storage-local-lvm' error: got lock timeout",
            ),
            step: '950:define',
            command: /\$ pct clone 900 950/,
            stderr: /cfs-lock 'storage-local-lvm'/,
            redo: /^pct clone 900 950 /,
          },
          {
            sim: fail(
              '^pct set 950 --memory',
              '400 Parameter verification failed.\nmemory: value must be >= 16',
            ),
            step: '950:configure',
            command: /\$ pct set 950 --memory 1024/,
            stderr: /memory: value must be >= 16/,
            redo: /^pct set 950 --memory/,
          },
          {
            // Transient: the config lock is busy once (retried); then the resize hangs until the command timeout.
            sim: {
              faults: [
                { match: '^pct set 950 --mem', times: 1, action: 'lock' },
                { match: '^pct resize 950', action: 'hang' },
              ],
            },
            // Long enough for the listings on a loaded machine; the hung resize waits it out.
            env: { PHOENIX_COMMAND_TIMEOUT_MS: '6000' },
            step: '950:disk',
            command: /pct resize 950 rootfs 12G timed out after 6s/,
            redo: /^pct resize 950 /,
          },
          {
            // Every one of the three attempts fails.
            sim: fail('^pct start 950', "startup for container '950' failed"),
            step: '950:start',
            command: /\$ pct start 950/,
            stderr: /startup for container '950' failed/,
            redo: /^pct start 950$/,
          },
          {
            // Transient: start fails twice, the third attempt works; then the application script fails.
            sim: {
              faults: [{ match: '^pct start 950$', times: 2, action: 'fail', stderr: 'startup failed' }],
              exec: [
                { match: '^/tmp/phoenix_run/', guest: 950, exit: 3, stderr: 'vllm: model download failed\n' },
              ],
            },
            step: '950:app',
            command:
              /\$ pct exec 950 --keep-env 0 -- env .* \/tmp\/phoenix_run\/phoenix_hypervisor_lxc_950\.sh/,
            stderr: /model download failed/,
            redo: /^pct (?:exec|push) 950 /,
          },
          {
            sim: {
              exec: [{ match: '^sh -c curl', guest: 950, exit: 7, stderr: 'curl: (7) Failed to connect\n' }],
            },
            step: '950:health',
            command: /\$ pct exec 950 --keep-env 0 -- sh -c 'curl -fsS http:\/\/localhost:8000\/health'/,
            stderr: /Failed to connect/,
            redo: /^pct exec 950 --keep-env 0 -- sh -c curl/,
          },
          // Transient: the health check fails twice, then passes (retries: 3).
          {
            sim: {
              exec: [{ match: '^sh -c curl -fsS', guest: 950, exit: 7, stderr: 'refused\n', times: 2 }],
            },
          },
        ],
      );
      const calls = readCalls(ws.sim).map(callLine);
      const count = (re: RegExp) => calls.filter((l) => re.test(l)).length;
      expect(count(/^pct set 950 --memory/), 'configure: failed, lock busy, retried').toBe(3);
      expect(count(/^pct start 950$/), 'start: 3 failed attempts, then 2 failed and 1 good').toBe(6);
      expect(
        count(/^pct exec 950 --keep-env 0 -- sh -c curl/),
        'health: 3 failed, then 2 failed and 1 good',
      ).toBe(6);
    },
  );

  it.concurrent('VM define, agent, template; agent and lock retries', async () => {
    const ws = track(copyWorkspace(base));
    await chain(
      ws,
      ['create', '9000'],
      [
        {
          sim: fail('^qm create 9000', "unable to create VM 9000 - storage 'local-lvm' is full"),
          step: '9000:define',
          command: /\$ qm create 9000 /,
          stderr: /storage 'local-lvm' is full/,
          redo: /^qm create 9000 /,
        },
        {
          // Transient: the config lock is busy once; then the agent never answers (timeout).
          sim: {
            faults: [
              { match: '^qm set 9000', times: 1, action: 'lock' },
              { match: '^qm guest cmd 9000 ping', action: 'fail', stderr: 'QEMU guest agent is not running' },
            ],
          },
          step: '9000:agent',
          command: /qm guest cmd 9000 ping/,
          stderr: /QEMU guest agent is not running/,
        },
        {
          // Transient: the agent answers on the third ping; then the conversion to a template fails.
          sim: {
            faults: [
              {
                match: '^qm guest cmd 9000 ping',
                times: 2,
                action: 'fail',
                stderr: 'QEMU guest agent is not running',
              },
              { match: '^qm template 9000', action: 'fail', stderr: "can't convert VM to template" },
            ],
          },
          env: { PHOENIX_AGENT_TIMEOUT_MS: '20000' },
          step: '9000:template',
          command: /\$ qm template 9000/,
          stderr: /can't convert VM to template/,
          redo: /^qm (?:template|shutdown|guest exec) 9000/,
        },
        // The failed template step had shut the VM down: start and agent see that (live check) and run again.
        { rerun: ['9000:start', '9000:agent'], repeats: /^qm start 9000$/ },
      ],
    );
    const calls = readCalls(ws.sim).map(callLine);
    const configure = calls.filter((l) => /^qm set 9000 /.test(l) && !l.includes('--cicustom'));
    expect(configure.length, 'lock busy, retried').toBe(2);
  });

  it.concurrent('--keep-going finishes the independent branch', async () => {
    const ws = track(copyWorkspace(base));
    writeSimConfig(ws.sim, {
      latencyScale: 0,
      faults: [{ match: '^pct resize 960', action: 'fail', stderr: 'lvextend: insufficient free space' }],
    });
    const first = await phoenix(ws, ['create', '960', '950', '--keep-going']);
    const out1 = first.stdout + first.stderr;
    expect(first.exit, out1).toBe(1);
    const s1 = stepsIn(out1);
    expect(s1.failed).toEqual(['960:disk']);
    expect(first.stderr).toMatch(/\$ pct resize 960 rootfs 10G/);
    expect(first.stderr).toMatch(/lvextend: insufficient free space/);
    // 950 shares only the finished 900 with 960: it is built to the end.
    expect(s1.ok).toEqual(expect.arrayContaining(['950:app', '950:health', '960:define', '960:configure']));
    expect(Object.keys(readStepCache(ws.cache)).sort()).toEqual(
      [...new Set([...Object.keys(readStepCache(base.cache)), ...s1.ok])].sort(),
    );

    writeSimConfig(ws.sim, { latencyScale: 0 });
    const second = await phoenix(ws, ['create', '960', '950']);
    expect(second.exit, second.stderr).toBe(0);
    expect(stepsIn(second.stdout + second.stderr).started).toEqual(['960:disk', '960:start', '960:snapshot']);
  });

  it.concurrent('the hypervisor setup step', async () => {
    const ws = track(await newWorkspace(config));
    await chain(
      ws,
      ['setup'],
      [
        {
          sim: fail('^pvesh get /version', 'ipcc_send_rec[1] failed: Connection refused'),
          step: 'host:initial_setup',
          command: /hypervisor_initial_setup\.sh/,
          stderr: /Connection refused/,
        },
        {},
      ],
    );
    expect(Object.keys(readStepCache(ws.cache))).toEqual(['host:initial_setup']);
  });
});
