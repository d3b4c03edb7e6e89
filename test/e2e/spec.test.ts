// The refactor plan's spec rows (PHOENIX-DIS-*, PHX-HM-*, PHX-LXC-*, PHX-VM-*, PHX-CU-*) and the CLI's own
// promises, as one table run top to bottom against ONE simulated node and ONE step cache: each row runs the real
// `phoenix` process (bin/phoenix.cjs over dist/; `npm test` builds first) and checks its output, its exit code and
// the pct/qm commands it caused, read from the simulator's call log. Rows build on the state earlier rows left.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSimDir,
  readCalls,
  readSimState,
  simBinDir,
  simEnv,
  type CallRecord,
} from '../../simulator/src/testing.js';

const REPO = resolve(import.meta.dirname, '..', '..');
const BIN = join(REPO, 'bin', 'phoenix.cjs');
if (!existsSync(join(REPO, 'dist', 'src', 'cli', 'main.js'))) {
  throw new Error('dist/ is missing: run `npm run build` (npm test does) before the e2e tests');
}

let sim = '';
let cache = '';
let prefs = '';
let scratch = '';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for messages whose stream does not matter. */
  out: string;
  /** Host commands this run caused, as `tool arg...` lines, in order. */
  calls: string[];
}

/** Runs `phoenix ...args` against the shared simulator and cache; collects the calls it appended to the log. */
function phoenix(args: string[], opts: { env?: Record<string, string>; sim?: string } = {}): Promise<Run> {
  const dir = opts.sim ?? sim;
  const before = readCalls(dir).length;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CI: '1',
    NO_COLOR: '1',
    PHOENIX_SIM_DIR: dir,
    PHOENIX_CACHE_DIR: cache,
    PHOENIX_PREFS_DIR: prefs,
    ...opts.env,
  };
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      const calls = readCalls(dir).slice(before).map(line);
      done({ code, stdout, stderr, out: `${stdout}\n${stderr}`, calls });
    });
  });
}

const line = (c: CallRecord): string => [c.tool, ...c.argv].join(' ');

/** Reads only: listings, configs, status, snapshots lists, agent pings, storage and API reads. */
const READ_ONLY =
  /^(pct (list|config|status|listsnapshot|pending)|qm (list|config|status|listsnapshot|pending|guest cmd \d+ ping)|pvesm (status|list)|pveam (list|available)|pvesh get)\b/;
const changing = (calls: string[]): string[] => calls.filter((c) => !READ_ONLY.test(c));

/** Position of the first call matching `re` (fails the test when there is none). */
function at(calls: string[], re: RegExp): number {
  const i = calls.findIndex((c) => re.test(c));
  expect(i, `no call matches ${re}:\n${calls.join('\n')}`).toBeGreaterThanOrEqual(0);
  return i;
}

/** Runs one simulator tool directly: Proxmox changed behind Phoenix's back. */
function behindTheBack(tool: string, ...args: string[]): void {
  execFileSync(join(simBinDir(), tool), args, { env: simEnv(sim), encoding: 'utf8' });
}

const status = (id: number): string | undefined => readSimState(sim).guests[id]?.status;

/** The step cache's files and contents, to prove a run wrote nothing. */
function cacheSnapshot(): Record<string, string> {
  const root = join(cache, 'hosts');
  const out: Record<string, string> = {};
  if (!existsSync(root)) return out;
  for (const ns of readdirSync(root)) {
    for (const f of readdirSync(join(root, ns))) out[`${ns}/${f}`] = readFileSync(join(root, ns, f), 'utf8');
  }
  return out;
}

beforeAll(async () => {
  sim = await createSimDir();
  scratch = mkdtempSync(join(tmpdir(), 'phoenix-e2e-'));
  cache = join(scratch, 'cache');
  prefs = join(scratch, 'prefs');
  mkdirSync(prefs);
});

afterAll(() => {
  for (const d of [sim, scratch]) if (d) rmSync(d, { recursive: true, force: true });
});

interface Row {
  id: string;
  /** The command line(s) the row runs, for the test's title. */
  command: string;
  /** Changes nothing (no host state, no cache): runs at the same time as the neighbouring such rows. */
  alone?: boolean;
  check: () => Promise<void>;
}

const rows: Row[] = [
  // ---- the dispatcher's own errors: nothing touches the host ---------------------------------------------------
  {
    id: 'PHOENIX-DIS-01',
    alone: true,
    command: 'phoenix --help; phoenix (no args)',
    async check() {
      const help = await phoenix(['--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: phoenix <verb>/);
      for (const verb of ['setup', 'create', 'start', 'stop', 'delete', 'LetsGo', 'run', 'plan', 'status'])
        expect(help.stdout).toContain(`  ${verb}`);
      expect(help.stdout).toMatch(/Exit codes:\n\s+0\s+success[\s\S]*\n\s+3\s+another phoenix run/);
      const bare = await phoenix([]);
      expect(bare.code).toBe(2);
      expect(bare.stdout).toBe('');
      expect(bare.stderr).toMatch(/^Usage: phoenix <verb>/);
    },
  },
  {
    id: 'PHOENIX-DIS-02',
    alone: true,
    command: 'phoenix foobar',
    async check() {
      const r = await phoenix(['foobar']);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe("Error: Invalid verb 'foobar'");
      expect(r.calls).toEqual([]);
    },
  },
  {
    id: 'PHOENIX-DIS-03',
    alone: true,
    command: 'phoenix start',
    async check() {
      const r = await phoenix(['start']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe("Error: Verb 'start' requires at least one target ID");
    },
  },
  {
    id: 'PHOENIX-DIS-07',
    alone: true,
    command: 'phoenix start 9999',
    async check() {
      const r = await phoenix(['start', '9999']);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n')[0]).toBe("Error: Target ID '9999' not found");
      expect(r.stderr).toMatch(/not a guest in .*phoenix\.config\.ts; its IDs are 900, 901/);
      expect(readCalls(sim)).toEqual([]); // no host call at all, ever, so far
    },
  },
  {
    id: 'PHX-CU-03',
    alone: true,
    command: 'phoenix status 9999 / phoenix start 950 9999',
    async check() {
      const [unknown, mixed] = await Promise.all([
        phoenix(['status', '9999']),
        phoenix(['start', '950', '9999']),
      ]);
      for (const r of [unknown, mixed]) {
        expect(r.code).toBe(1);
        expect(r.stderr.split('\n')[0]).toBe("Error: Target ID '9999' not found");
        expect(r.stderr).toMatch(/not a guest in .*phoenix\.config\.ts; its IDs are 900, 901/);
      }
      expect(readCalls(sim)).toEqual([]); // 950 was not touched either
    },
  },
  {
    id: 'PHX-LXC-01 / PHX-VM-01',
    alone: true,
    command: 'phoenix lxc create; phoenix vm create',
    async check() {
      for (const kind of ['lxc', 'vm']) {
        const r = await phoenix([kind, 'create']);
        expect(r.code).toBe(1);
        expect(r.stderr.trim()).toBe('Error: Missing target ID');
      }
      const wrongKind = await phoenix(['vm', 'start', '950']);
      expect(wrongKind.code).toBe(1);
      expect(wrongKind.stderr).toContain("use 'phoenix lxc start 950'");
    },
  },
  {
    id: 'PHX-HM-01',
    alone: true,
    command: 'phoenix hypervisor foobar',
    async check() {
      const r = await phoenix(['hypervisor', 'foobar']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe("Error: Invalid verb 'foobar'");
    },
  },
  {
    id: 'usage errors',
    alone: true,
    command: 'phoenix status --bogus; phoenix plan --concurrency; phoenix plan -j 0',
    async check() {
      const runs = await Promise.all([
        phoenix(['status', '--bogus']),
        phoenix(['plan', '--concurrency']),
        phoenix(['plan', '-j', '0']),
      ]);
      for (const r of runs) {
        expect(r.code).toBe(2);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/^Error: /);
      }
      expect(runs[0]?.stderr).toContain("unknown option '--bogus'");
      expect(runs[1]?.stderr).toContain('argument missing');
      expect(runs[2]?.stderr).toContain('option --concurrency must be a whole number from 1 to 64');
    },
  },
  {
    id: 'validate / schema / graph',
    alone: true,
    command: 'phoenix validate; schema lxc; graph 950 --format dot|mermaid|json',
    async check() {
      const [valid, schema, dot, mermaid, json, bad] = await Promise.all([
        phoenix(['validate']),
        phoenix(['schema', 'lxc']),
        phoenix(['graph', '950', '--format', 'dot']),
        phoenix(['graph', '950', '--format', 'mermaid']),
        phoenix(['graph', '950', '--format', 'json']),
        phoenix(['graph', '--format', 'png']),
      ]);
      expect(valid.code).toBe(0);
      expect(valid.stdout).toContain('Config OK');
      expect(valid.stdout).toContain('6 containers, 2 VMs');
      expect(valid.stdout).toContain('Keys passed to scripts only');
      expect(valid.stdout).toContain('  950 (vllm-qwen): vllm_model\n');
      expect(schema.code).toBe(0);
      expect(JSON.parse(schema.stdout)).toMatchObject({
        properties: { lxc_configs: { additionalProperties: { properties: { memory_mb: {} } } } },
      });
      expect(dot.stdout).toMatch(/^digraph /);
      expect(dot.stdout).toContain('950:define');
      expect(mermaid.stdout).toMatch(/^(flowchart|graph) /);
      expect(mermaid.stdout).not.toContain('902'); // only 950 and what it needs
      expect(JSON.stringify(JSON.parse(json.stdout))).toContain('920:snapshot');
      expect(bad.code).toBe(2);
      expect(readCalls(sim)).toEqual([]);
    },
  },

  // ---- planning, the hypervisor, building ----------------------------------------------------------------------
  {
    id: 'PHX-CU-04',
    command: 'phoenix create 950 900 --dry-run',
    async check() {
      const r = await phoenix(['create', '950', '900', '--dry-run']);
      expect(r.code).toBe(0);
      expect(r.stdout.indexOf('900:define')).toBeGreaterThanOrEqual(0);
      expect(r.stdout.indexOf('900:snapshot')).toBeLessThan(r.stdout.indexOf('950:define'));
      expect(r.stdout).toContain('$ pct create 900 local:vztmpl/debian-12-standard');
      expect(r.stderr).toContain(
        'Also building 901, 920 (clone ancestors of 950) and 953 (dependency of 950): not built yet',
      );
      expect(changing(r.calls)).toEqual([]);
      expect(cacheSnapshot()).toEqual({});
    },
  },
  {
    id: 'PHOENIX-DIS-04',
    command: 'phoenix setup',
    async check() {
      const r = await phoenix(['setup']);
      expect(r.code, r.out).toBe(0);
      expect(r.stderr).toContain('3 run');
      // The three setup scripts, in the configured order (each makes its own read of the node).
      const initial = at(r.calls, /^pvesh get \/version/);
      expect(at(r.calls, /^pvesm status/)).toBeGreaterThan(initial);
      expect(at(r.calls, /^pvesh get \/cluster\/firewall\/options/)).toBeGreaterThan(initial);
      expect(r.calls.filter((c) => /^(pct|qm) /.test(c))).toEqual([]);
    },
  },
  {
    id: 'PHX-HM-02',
    command: 'phoenix hypervisor setup (again: up to date), then --force',
    async check() {
      const again = await phoenix(['hypervisor', 'setup']);
      expect(again.code).toBe(0);
      expect(again.stderr).toContain('0 run, 3 up to date');
      expect(again.calls.filter((c) => c.startsWith('pvesh'))).toEqual([]);
      const forced = await phoenix(['hypervisor', 'setup', '--force']);
      expect(forced.code, forced.out).toBe(0);
      expect(forced.stderr).toContain('3 run');
      expect(forced.calls.filter((c) => /^pvesh get \/(version|cluster\/firewall)/.test(c))).toHaveLength(2);
    },
  },
  {
    id: 'PHOENIX-DIS-08',
    command: 'phoenix create 950 900',
    async check() {
      const r = await phoenix(['create', '950', '900']);
      expect(r.code, r.out).toBe(0);
      expect(r.stderr).toContain(
        'Also building 901, 920 (clone ancestors of 950) and 953 (dependency of 950): not built yet',
      );
      const create900 = at(r.calls, /^pct create 900 /);
      const clone950 = at(r.calls, /^pct clone 920 950 /);
      expect(create900).toBeLessThan(at(r.calls, /^pct clone 900 901 /));
      expect(at(r.calls, /^pct clone 900 901 /)).toBeLessThan(at(r.calls, /^pct clone 901 920 /));
      expect(at(r.calls, /^pct clone 901 920 /)).toBeLessThan(clone950);
      // 950 depends on 953: the gateway is built and healthy before 950 starts.
      expect(at(r.calls, /^pct start 953$/)).toBeLessThan(at(r.calls, /^pct start 950$/));
      expect(r.calls.filter((c) => /^(qm |pct \w+ 902)/.test(c) && !READ_ONLY.test(c))).toEqual([]);
      expect(status(950)).toBe('running');
    },
  },
  {
    id: 'PHX-LXC-03',
    command: 'phoenix lxc create 950 (second time)',
    async check() {
      const r = await phoenix(['lxc', 'create', '950']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        '950 (lxc, vllm-qwen) already exists in the desired state: all 6 steps up to date.',
      );
      expect(changing(r.calls)).toEqual([]);
    },
  },
  {
    id: 'plan --detailed-exitcode (pending)',
    command: 'phoenix plan --detailed-exitcode',
    async check() {
      const r = await phoenix(['plan', '--detailed-exitcode']);
      expect(r.code).toBe(4);
      expect(r.stdout).toContain('902:define');
      expect(r.stdout).toContain('$ qm clone 9000 1000');
      expect(r.stdout).not.toContain('950:define');
      expect(changing(r.calls)).toEqual([]);
    },
  },
  {
    id: 'drift',
    command: 'pct stop 953 950 behind Phoenix; phoenix status; phoenix plan 950',
    async check() {
      behindTheBack('pct', 'stop', '950');
      behindTheBack('pct', 'stop', '953');
      const [table, json, plan] = await Promise.all([
        phoenix(['status', '953', '950']),
        phoenix(['status', '950', '--json']),
        phoenix(['plan', '950']),
      ]);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/│ 950 +│ lxc +│ vllm-qwen +│ yes +│ no +│ start +│ 1 +│/);
      expect(table.stdout).toMatch(/│ 953 +│ lxc +│ gateway +│ yes +│ no +│ start +│ 1 +│/);
      expect(JSON.parse(json.stdout)).toEqual([
        {
          id: 950,
          kind: 'lxc',
          name: 'vllm-qwen',
          exists: true,
          running: false,
          drift: ['start'],
          pendingRestart: [],
          stale: 1,
          blocked: 0,
        },
      ]);
      expect(plan.stdout).toContain('950:start');
      expect(plan.stdout).toMatch(/container 950 is stopped/);
      expect(plan.stdout).toContain('$ pct start 950');
      expect(changing([...table.calls, ...json.calls, ...plan.calls])).toEqual([]);
    },
  },
  {
    id: 'PHOENIX-DIS-10',
    command: 'phoenix LetsGo',
    async check() {
      const r = await phoenix(['LetsGo']);
      expect(r.code, r.out).toBe(0);
      // What was not built yet is built in dependency order...
      expect(at(r.calls, /^qm create 9000 /)).toBeLessThan(at(r.calls, /^qm clone 9000 1000 /));
      at(r.calls, /^pct clone 900 902 /);
      expect(r.calls.filter((c) => /^pct (create|clone) \S+ (900|901|920|950|953)\b/.test(c))).toEqual([]);
      // ...then the stopped guests start in boot order: 953 (1) before 950 (3).
      expect(at(r.calls, /^pct start 953$/)).toBeLessThan(at(r.calls, /^pct start 950$/));
      expect(r.stdout).toMatch(/953: started 953 \(lxc, gateway\)\n950: started 950 \(lxc, vllm-qwen\)\n/);
      for (const id of [900, 901, 902, 920, 950, 953, 1000]) expect(status(id), `${id}`).toBe('running');
      expect(readSimState(sim).guests[9000]?.config.template).toBe('1');
    },
  },
  {
    id: 'LetsGo no-op',
    command: 'phoenix LetsGo (everything built and running)',
    async check() {
      const r = await phoenix(['LetsGo']);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('Nothing to build: all 50 steps are up to date.');
      expect(r.calls).toEqual([]); // the node's files answer: no pct list, no qm list
    },
  },
  {
    id: 'drift, seen with no process',
    command: 'pct stop 950; qm stop 1000 behind Phoenix; phoenix plan --verbose; phoenix LetsGo',
    async check() {
      behindTheBack('pct', 'stop', '950');
      behindTheBack('qm', 'stop', '1000');
      const plan = await phoenix(['plan', '--verbose']);
      expect(plan.code, plan.out).toBe(0);
      expect(plan.calls).toEqual([]);
      expect(plan.stderr).toMatch(/^live state: read from .*\.vmlist.*\(no process started\)$/m);
      expect(plan.stdout).toMatch(/^run +950:start\n +drift: container 950 is stopped/m);
      expect(plan.stdout).toMatch(/^run +1000:start\n +drift: VM 1000 is stopped/m);
      const letsgo = await phoenix(['LetsGo']);
      expect(letsgo.code, letsgo.out).toBe(0);
      expect(letsgo.calls).toEqual(expect.arrayContaining(['pct start 950', 'qm start 1000']));
      expect([status(950), status(1000)]).toEqual(['running', 'running']);
    },
  },

  // ---- read-only rows on the built fleet, side by side ---------------------------------------------------------
  {
    id: 'plan --detailed-exitcode (built)',
    alone: true,
    command: 'phoenix plan --detailed-exitcode',
    async check() {
      const r = await phoenix(['plan', '--detailed-exitcode']);
      expect(r.code, r.out).toBe(0);
      // --no-cache checks every step as if never recorded, wherever the flag stands.
      for (const args of [
        ['--no-cache', 'plan'],
        ['plan', '--no-cache'],
      ]) {
        const all = await phoenix([...args, '--detailed-exitcode']);
        expect(all.code, all.out).toBe(4);
        expect(all.stdout).toMatch(/^50 to run, 0 blocked, 0 up to date$/m);
      }
    },
  },
  {
    id: 'PHX-CU-01 / PHX-CU-02 / status',
    alone: true,
    command: 'phoenix status 950 --json; status 1000 --json; status',
    async check() {
      const [ct, vm, table] = await Promise.all([
        phoenix(['status', '950', '--json']),
        phoenix(['status', '1000', '--json']),
        phoenix(['status']),
      ]);
      expect(JSON.parse(ct.stdout)).toMatchObject([{ id: 950, kind: 'lxc', exists: true, running: true }]);
      expect(JSON.parse(vm.stdout)).toMatchObject([{ id: 1000, kind: 'vm', exists: true, running: true }]);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/│ ID +│ kind +│ name +│ exists +│ running +│ drift +│ stale steps │/);
      for (const id of [900, 901, 902, 920, 950, 953, 9000, 1000])
        expect(table.stdout).toMatch(new RegExp(`│ ${id} +│`));
      expect(table.stdout).toMatch(/│ 9000 +│ vm +│ ubuntu-noble-cloud +│ yes +│ no +│ - +│ 0 +│/);
    },
  },
  {
    id: 'PHX-CU-05',
    alone: true,
    command: 'phoenix start 950 953 --dry-run',
    async check() {
      const r = await phoenix(['start', '950', '953', '--dry-run']);
      expect(r.code).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual([
        '953: 953 (lxc, gateway) is already running',
        '950: 950 (lxc, vllm-qwen) is already running',
      ]);
      expect(changing(r.calls)).toEqual([]);
    },
  },
  {
    id: 'PHX-HM-03 / PHX-HM-04',
    alone: true,
    command: 'phoenix hypervisor test; phoenix hypervisor test --suite full; phoenix test hypervisor',
    async check() {
      const [plain, suite, dispatched] = await Promise.all([
        phoenix(['hypervisor', 'test']),
        phoenix(['hypervisor', 'test', '--suite', 'full']),
        phoenix(['test', 'hypervisor', '--suite', 'nightly']),
      ]);
      expect(plain.code).toBe(0);
      expect(plain.stdout).toContain('hypervisor suite: smoke'); // the runner's default suite
      expect(plain.stdout).toContain('PASS storages listed');
      expect(suite.stdout).toContain('hypervisor suite: full');
      expect(dispatched.stdout).toContain('hypervisor suite: nightly');
    },
  },
  {
    id: 'run: unknown step',
    alone: true,
    command: 'phoenix run 950:nope; phoenix run 950:snapshot',
    async check() {
      const [nope, snapshot] = await Promise.all([
        phoenix(['run', '950:nope']),
        phoenix(['run', '950:snapshot']),
      ]);
      expect(nope.code).toBe(1);
      expect(nope.stderr.trim()).toBe(
        `Error: '950:nope' is not a step of 950; valid steps: define, configure, disk, start, app, snapshot`,
      );
      expect(changing(nope.calls)).toEqual([]);
      // 950 is no template: its snapshot step is its lifecycle snapshot, taken by the build.
      expect(snapshot.code, snapshot.stderr).toBe(0);
      expect(changing(snapshot.calls)).toEqual([]);
    },
  },
  {
    id: 'why',
    alone: true,
    command: 'phoenix why 950 --config <copy with memory_mb changed>',
    async check() {
      const dir = join(scratch, 'changed');
      mkdirSync(dir);
      symlinkSync(join(REPO, 'examples'), join(dir, 'examples'));
      const source = readFileSync(join(REPO, 'phoenix.config.ts'), 'utf8');
      expect(source).toContain('memory_mb: 16384');
      writeFileSync(join(dir, 'phoenix.config.ts'), source.replace('memory_mb: 16384', 'memory_mb: 12288'));
      const r = await phoenix(['why', '950', '--config', join(dir, 'phoenix.config.ts')]);
      expect(r.code, r.out).toBe(0);
      expect(r.stdout).toContain('950: 1 of 6 steps need to run');
      expect(r.stdout).toMatch(
        /stale +950:configure\n +config changed \(recorded -> config\)\n +memory_mb: 16384 -> 12288/,
      );
      expect(r.stdout).toMatch(/up to date +950:app/);
      expect(changing(r.calls)).toEqual([]);
    },
  },
  {
    id: 'prefs',
    alone: true,
    command: 'phoenix prefs set concurrency 2; flag > env > pref > default',
    async check() {
      const mine = { PHOENIX_PREFS_DIR: join(scratch, 'prefs-set') };
      const pace = async (args: string[], env: Record<string, string> = {}): Promise<string> =>
        /up to (\d+) at a time/.exec(
          (await phoenix(['run', '950:app', '--force', '--dry-run', ...args], { env })).stderr,
        )?.[1] ?? '?';
      const [fallback, set, bad] = await Promise.all([
        pace([]),
        phoenix(['prefs', 'set', 'concurrency', '2'], { env: mine }),
        phoenix(['prefs', 'set', 'concurrency', 'lots'], { env: mine }),
      ]);
      expect(fallback).toBe('4');
      expect(set.code).toBe(0);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("Error: preference 'concurrency' must be a whole number");
      const [pref, env, flag, get] = await Promise.all([
        pace([], mine),
        pace([], { ...mine, PHOENIX_CONCURRENCY: '3' }),
        pace(['-j', '1'], { ...mine, PHOENIX_CONCURRENCY: '3' }),
        phoenix(['prefs', 'get', 'concurrency'], { env: mine }),
      ]);
      expect([pref, env, flag]).toEqual(['2', '3', '1']);
      expect(get.stdout.trim()).toBe('2');
    },
  },
  {
    id: 'prefs: a broken file',
    alone: true,
    command: 'phoenix plan with a hand-broken prefs file; prefs unset; prefs reset',
    async check() {
      const dir = join(scratch, 'prefs-broken');
      mkdirSync(dir);
      const file = join(dir, 'config.json');
      const mine = { PHOENIX_PREFS_DIR: dir };
      writeFileSync(file, '{"concurrency": "lots", "renderer": "lines"}');
      const [plan, list] = await Promise.all([
        phoenix(['plan'], { env: mine }),
        phoenix(['prefs', 'list'], { env: mine }),
      ]);
      for (const r of [plan, list]) {
        expect(r.code).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toContain(`the preferences file ${file} cannot be used`);
        expect(r.stderr).toContain("run 'phoenix prefs reset', or 'phoenix prefs unset KEY'");
      }
      const unset = await phoenix(['prefs', 'unset', 'concurrency'], { env: mine });
      expect(unset.code, unset.out).toBe(0);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ renderer: 'lines' });
      writeFileSync(file, '{ not json');
      const reset = await phoenix(['prefs', 'reset'], { env: mine });
      expect(reset.code, reset.out).toBe(0);
      expect(existsSync(file)).toBe(false);
      expect((await phoenix(['plan'], { env: mine })).code).toBe(0);
    },
  },
  {
    id: '--dry-run touches nothing',
    alone: true,
    command: 'every mutating verb with --dry-run',
    async check() {
      const before = cacheSnapshot();
      const lines = [
        ['setup', '--force'],
        ['create', '950'],
        ['start', '950'],
        ['stop', '950', '1000'],
        ['restart', '953'],
        ['delete', '950'],
        ['reconfigure', '950'],
        ['LetsGo'],
        ['run', '950:app', '--force'],
        ['adopt'],
      ];
      const runs = await Promise.all(lines.map((l) => phoenix([...l, '--dry-run'])));
      runs.forEach((r, i) => {
        expect(r.code, `${lines[i]?.join(' ')}: ${r.out}`).toBe(0);
        expect(changing(r.calls), lines[i]?.join(' ')).toEqual([]);
      });
      expect(runs[3]?.stdout).toMatch(
        /950:power:stop\n.*\n +\$ pct shutdown 950 --timeout 180 --forceStop 1\n/,
      );
      expect(runs[5]?.stdout).toContain('$ pct destroy 950 --purge 1');
      expect(runs[6]?.stdout).toContain('950:configure');
      expect(cacheSnapshot()).toEqual(before);
      expect(['running', 'running']).toEqual([status(950), status(1000)]);
    },
  },

  // ---- power, run, tests ---------------------------------------------------------------------------------------
  {
    id: 'PHOENIX-DIS-09',
    command: 'phoenix stop 953 950; phoenix start 953 950',
    async check() {
      const stop = await phoenix(['stop', '953', '950']);
      expect(stop.code, stop.out).toBe(0);
      // A clean shutdown, in the reverse of boot order.
      expect(changing(stop.calls)).toEqual([
        'pct shutdown 950 --timeout 180 --forceStop 1',
        'pct shutdown 953 --timeout 180 --forceStop 1',
      ]);
      const start = await phoenix(['start', '953', '950']);
      expect(start.code, start.out).toBe(0);
      expect(changing(start.calls)).toEqual(['pct start 953', 'pct start 950']);
      expect([status(953), status(950)]).toEqual(['running', 'running']);
    },
  },
  {
    id: 'PHOENIX-DIS-05',
    command: 'phoenix stop 950; phoenix start 950',
    async check() {
      await phoenix(['stop', '950']);
      const r = await phoenix(['start', '950']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('950: started 950 (lxc, vllm-qwen)');
      expect(changing(r.calls)).toEqual(['pct start 950']);
      expect(r.calls.filter((c) => c.startsWith('qm '))).toEqual([]);
    },
  },
  {
    id: 'PHX-LXC-05 / PHX-LXC-04',
    command: 'phoenix lxc stop 950; phoenix lxc start 950; again',
    async check() {
      const stop = await phoenix(['lxc', 'stop', '950']);
      expect(changing(stop.calls)).toEqual(['pct shutdown 950 --timeout 180 --forceStop 1']);
      expect(status(950)).toBe('stopped');
      const start = await phoenix(['lxc', 'start', '950']);
      expect(changing(start.calls)).toEqual(['pct start 950']);
      expect(status(950)).toBe('running');
      const again = await phoenix(['lxc', 'start', '950']);
      expect(again.stdout).toContain('950 (lxc, vllm-qwen) is already running');
      expect(changing(again.calls)).toEqual([]);
    },
  },
  {
    id: 'PHX-VM-05 / PHX-VM-04 / PHOENIX-DIS-06',
    command: 'phoenix vm stop 1000; phoenix vm start 1000; phoenix stop 1000; phoenix start 1000',
    async check() {
      const stop = await phoenix(['vm', 'stop', '1000']);
      expect(changing(stop.calls)).toEqual(['qm shutdown 1000 --timeout 180 --forceStop 1']);
      const start = await phoenix(['vm', 'start', '1000']);
      expect(changing(start.calls)).toEqual(['qm start 1000']);
      // --force pulls the plug at once.
      const forced = await phoenix(['stop', '1000', '--force']);
      expect(changing(forced.calls)).toEqual(['qm stop 1000']);
      const routed = await phoenix(['start', '1000']);
      expect(changing(routed.calls)).toEqual(['qm start 1000']);
      expect(routed.calls.filter((c) => c.startsWith('pct '))).toEqual([]);
      expect(status(1000)).toBe('running');
    },
  },
  {
    id: 'templates',
    command: 'phoenix start 9000; phoenix stop 9000',
    async check() {
      // One after the other: each takes the run lock (a second at once would exit 3).
      const start = await phoenix(['start', '9000']);
      const stop = await phoenix(['stop', '9000']);
      expect(start.code).toBe(0);
      expect(start.stdout).toContain(
        '9000 (vm, ubuntu-noble-cloud) is a template; templates are never started',
      );
      expect(stop.code).toBe(0);
      expect(stop.stdout).toContain('is a template; templates never run, nothing to stop');
      expect(changing([...start.calls, ...stop.calls])).toEqual([]);
    },
  },
  {
    id: 'run <id>:snapshot',
    command: 'pct delsnapshot 902 behind Phoenix; phoenix run 902:snapshot',
    async check() {
      behindTheBack('pct', 'delsnapshot', '902', 'docker-ready');
      const r = await phoenix(['run', '902:snapshot']);
      expect(r.code, r.out).toBe(0);
      expect(changing(r.calls)).toEqual(['pct snapshot 902 docker-ready']); // only the stale step
      expect(Object.keys(readSimState(sim).guests[902]?.snapshots ?? {})).toContain('docker-ready');
    },
  },
  {
    id: 'run --force',
    command: 'phoenix run 950:app; phoenix run 950:app --force',
    async check() {
      const upToDate = await phoenix(['run', '950:app']);
      expect(upToDate.code).toBe(0);
      expect(changing(upToDate.calls)).toEqual([]);
      const forced = await phoenix(['run', '950:app', '--force']);
      expect(forced.code, forced.out).toBe(0);
      expect(forced.stderr).toContain('Running 1 step');
      const changed = changing(forced.calls);
      expect(
        changed.some((c) =>
          /^pct exec 950 --keep-env 0 -- env .* \/tmp\/phoenix_run\/phoenix_hypervisor_lxc_950\.sh 950$/.test(
            c,
          ),
        ),
      ).toBe(true);
      expect(changed.every((c) => / 950 /.test(c))).toBe(true); // nothing but the app step of 950
    },
  },
  {
    id: 'PHX-LXC-07',
    command: 'phoenix lxc test 950; phoenix test 953 --suite smoke',
    async check() {
      const [ct950, smoke, unknown] = await Promise.all([
        phoenix(['lxc', 'test', '950']),
        phoenix(['test', '953', '--suite', 'smoke']),
        phoenix(['test', '953', '--suite', 'nope']),
      ]);
      expect(ct950.code).toBe(0);
      expect(ct950.stdout).toContain('guest 950, suite all: 0 run, 0 failed');
      expect(smoke.code, smoke.out).toBe(0);
      expect(smoke.stdout).toContain('PASS ');
      expect(smoke.stdout).toContain('guest 953, suite smoke: 1 run, 0 failed');
      at(smoke.calls, /^pct exec 953 --keep-env 0 -- sh -c /); // the gateway test ran inside 953
      expect(unknown.code).toBe(1);
      expect(unknown.stderr.trim()).toBe("Error: 953 has no test suite 'nope' (its suites: smoke)");
    },
  },

  // ---- delete, then build again --------------------------------------------------------------------------------
  {
    id: 'delete safety',
    command: 'phoenix delete 950 (no TTY, no --yes); phoenix delete 900 --yes',
    async check() {
      const [unconfirmed, source] = await Promise.all([
        phoenix(['delete', '950']),
        phoenix(['delete', '900', '--yes']),
      ]);
      expect(unconfirmed.code).toBe(2);
      expect(unconfirmed.stderr).toContain('pass --yes to proceed (nothing was changed)');
      expect(source.code).toBe(1);
      expect(source.stderr).toContain('Error: 900 is the clone source of 901, 902, 920, 950, 953');
      expect(source.stderr).toContain('--cascade');
      expect(changing([...unconfirmed.calls, ...source.calls])).toEqual([]);
      expect(status(950)).toBe('running');
    },
  },
  {
    id: 'PHX-LXC-06',
    command: 'phoenix lxc delete 950 --yes',
    async check() {
      const r = await phoenix(['lxc', 'delete', '950', '--yes']);
      expect(r.code, r.out).toBe(0);
      expect(changing(r.calls)).toEqual(['pct stop 950', 'pct destroy 950 --purge 1']);
      expect(readSimState(sim).guests[950]).toBeUndefined();
      const start = await phoenix(['start', '950']);
      expect(start.code).toBe(1);
      expect(start.stderr.trim()).toBe(
        "Error: 950 (lxc, vllm-qwen) does not exist on the host; run 'phoenix create 950' first",
      );
      expect(changing(start.calls)).toEqual([]);
    },
  },
  {
    id: 'PHX-LXC-02',
    command: 'phoenix lxc create 950',
    async check() {
      const r = await phoenix(['lxc', 'create', '950']);
      expect(r.code, r.out).toBe(0);
      expect(r.stderr).not.toContain('Also building'); // 920 and 953 are built
      const changed = changing(r.calls);
      expect(changed[0]).toMatch(/^pct clone 920 950 --hostname vllm-qwen --snapname vllm-ready/);
      expect(changed).toContain('pct set 950 --memory 16384 --onboot 1 --startup order=3,up=5,down=180');
      expect(changed).toContain('pct resize 950 rootfs 64G');
      expect(at(r.calls, /^pct start 950$/)).toBeLessThan(
        at(r.calls, /^pct exec 950 --keep-env 0 -- env .* \/tmp\/phoenix_run\/phoenix_hypervisor_lxc_950.sh/),
      );
      expect(changed.every((c) => / 950\b/.test(c))).toBe(true);
      expect(status(950)).toBe('running');
    },
  },
  {
    id: 'PHX-VM-06',
    command: 'phoenix vm delete 1000 --yes',
    async check() {
      const r = await phoenix(['vm', 'delete', '1000', '--yes']);
      expect(r.code, r.out).toBe(0);
      expect(changing(r.calls)).toEqual(['qm stop 1000', 'qm destroy 1000 --purge 1']);
      expect(readSimState(sim).guests[1000]).toBeUndefined();
    },
  },
  {
    id: 'PHX-VM-02',
    command: 'phoenix vm create 1000',
    async check() {
      const r = await phoenix(['vm', 'create', '1000']);
      expect(r.code, r.out).toBe(0);
      const changed = changing(r.calls);
      expect(changed[0]).toMatch(/^qm clone 9000 1000 /);
      expect(at(r.calls, /^qm start 1000$/)).toBeLessThan(
        at(r.calls, /feature_install_docker\.sh 1000|qm guest exec 1000/),
      );
      expect(changed.filter((c) => /\b9000\b/.test(c) && !c.startsWith('qm clone'))).toEqual([]);
      expect(status(1000)).toBe('running');
    },
  },
  {
    id: 'PHX-VM-03',
    command: 'phoenix vm create 1000 (second time)',
    async check() {
      const r = await phoenix(['vm', 'create', '1000']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(
        /^1000 \(vm, docker-vm\) already exists in the desired state: all \d+ steps up to date\.$/m,
      );
      expect(changing(r.calls)).toEqual([]);
    },
  },
  {
    id: 'delete --cascade',
    command: 'phoenix delete 920 --cascade --yes',
    async check() {
      const r = await phoenix(['delete', '920', '--cascade', '--yes']);
      expect(r.code, r.out).toBe(0);
      // Dependents first: 950 (cloned from 920) goes before its source.
      expect(changing(r.calls)).toEqual([
        'pct stop 950',
        'pct destroy 950 --purge 1',
        'pct stop 920',
        'pct destroy 920 --purge 1',
      ]);
      const plan = await phoenix(['plan', '920', '--detailed-exitcode']);
      expect(plan.code).toBe(4);
      expect(plan.stdout).toContain('920:define');
    },
  },
];

describe('phoenix spec rows (one simulated node, shared across rows)', () => {
  for (const row of rows) (row.alone ? it.concurrent : it)(`${row.id}: ${row.command}`, row.check);
});
