// One simulated tool invocation: resolve the subcommand, apply fault rules, parse, run, record the call.
import { existsSync, mkdirSync } from 'node:fs';
import { Ctx, delay, isCommand, type Command, type Registry } from './context.js';
import { ParamError, PveError, UsageError } from './errors.js';
import { parseArgs } from './getopt.js';
import { write } from './output.js';
import { loadSimConfig, latencyMs, type FaultRule } from './simconfig.js';
import { appendCall, transact } from './state.js';

function usageLines(tool: string, reg: Registry, prefix: string[] = []): string[] {
  const out: string[] = [];
  for (const name of Object.keys(reg).sort()) {
    const c = reg[name]!;
    if (isCommand(c)) out.push(c.spec.usage);
    else out.push(...usageLines(tool, c, [...prefix, name]));
  }
  return out;
}

function unknownCommand(tool: string, words: string[], reg: Registry): PveError {
  const lines = usageLines(tool, reg);
  const text = [
    words.length === 0
      ? 'ERROR: no command specified'
      : `ERROR: unknown command '${[tool, ...words].join(' ')}'`,
    `USAGE: ${tool} <COMMAND> [ARGS] [OPTIONS]`,
    ...lines.map((l) => `       ${l}`),
  ].join('\n');
  return new PveError(text);
}

/** Walks (possibly nested) subcommands, accepting unique prefixes and aliases like `qm importdisk`. */
function resolve(
  tool: string,
  argv: string[],
  reg: Registry,
  aliases: Record<string, string[]>,
): { cmd: Command; rest: string[]; path: string[] } {
  let node: Registry = reg;
  const path: string[] = [];
  let rest = [...argv];
  const first = rest[0];
  if (first !== undefined && aliases[first]) rest = [...aliases[first], ...rest.slice(1)];
  for (;;) {
    const word = rest[0];
    if (word === undefined) throw unknownCommand(tool, path, reg);
    const names = Object.keys(node);
    const hit = names.includes(word)
      ? word
      : names.filter((n) => n.startsWith(word)).length === 1
        ? names.find((n) => n.startsWith(word))
        : undefined;
    if (!hit) throw unknownCommand(tool, [...path, word], reg);
    path.push(hit);
    rest = rest.slice(1);
    const next = node[hit]!;
    if (isCommand(next)) return { cmd: next, rest, path };
    node = next;
  }
}

/** A tool runs on a node of the cluster or nowhere. */
function checkSimNode(ctx: Ctx, node: string): void {
  const nodes = ctx.read().nodes;
  if (!nodes.includes(node)) {
    throw new PveError(
      `${ctx.tool} (Phoenix simulator): PHOENIX_SIM_NODE '${node}' is not a node of this cluster (${nodes.join(', ')})`,
    );
  }
}

function lockPath(tool: string, id: string): string {
  return tool === 'qm' ? `/var/lock/qemu-server/lock-${id}.conf` : `/run/lock/lxc/pve-config-${id}.lock`;
}

async function pickFault(dir: string, ctx: Ctx, line: string): Promise<FaultRule | undefined> {
  const rules = ctx.cfg.faults;
  if (rules.length === 0) return undefined;
  return transact(dir, ctx.cfg, (s) => {
    let chosen: FaultRule | undefined;
    for (const [i, rule] of rules.entries()) {
      if (!new RegExp(rule.match).test(line)) continue;
      const key = `${i}:${rule.match}`;
      const n = (s.faultCounters[key] ?? 0) + 1;
      s.faultCounters[key] = n;
      const fires =
        rule.nth !== undefined ? n === rule.nth : rule.times !== undefined ? n <= rule.times : true;
      if (fires && !chosen) chosen = rule;
    }
    return chosen;
  });
}

function render(e: PveError): string {
  if (e instanceof ParamError || e instanceof UsageError) return e.render();
  return e.message.endsWith('\n') ? e.message : e.message + '\n';
}

/**
 * What a tool's command table comes from (loaded after the PHOENIX_SIM_DIR check). `catchAll` takes every argv as
 * is, with no subcommand (the `script` stand-in).
 */
export type Loader = () => Promise<{
  commands: Registry;
  aliases?: Record<string, string[]>;
  catchAll?: Command;
}>;

/** Runs one invocation of `tool` with the commands `load` gives; returns the exit code. */
export async function runTool(tool: string, argv: string[], load: Loader | undefined): Promise<number> {
  const t0 = Date.now();
  const dir = process.env.PHOENIX_SIM_DIR;
  if (!dir) {
    write(2, `${tool} (Phoenix simulator): PHOENIX_SIM_DIR is not set; point it at a state directory\n`);
    return 255;
  }
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const cfg = loadSimConfig(dir);
  // The node this tool runs on, as `ssh root@<node>` sets it; the cluster's first node by default.
  const node = process.env.PHOENIX_SIM_NODE || undefined;
  const ctx = new Ctx(tool, argv, dir, cfg, node);
  let exit = 0;
  try {
    if (!load) throw new PveError(`unknown simulated tool '${tool}'`);
    if (node !== undefined) checkSimNode(ctx, node);
    const { commands, aliases, catchAll } = await load();
    const startup = latencyMs(cfg, 'startup');
    if (startup > 0) await delay(startup);
    const { cmd, rest, path } = catchAll
      ? { cmd: catchAll, rest: argv, path: [] }
      : resolve(tool, argv, commands, aliases ?? {});
    const fault = await pickFault(dir, ctx, [tool, ...argv].join(' '));
    const usage = cmd.spec.usage;
    if (fault?.action === 'hang') {
      appendCall(dir, { tool, argv, exit: null, ms: Date.now() - t0, hang: true });
      await new Promise(() => setInterval(() => undefined, 1 << 30));
    }
    if (fault?.action === 'lock') {
      const id = argv.find((a) => /^[1-9]\d{2,8}$/.test(a)) ?? '0';
      write(2, 'trying to acquire lock...\n');
      const long = path[0] === 'create' || path[0] === 'clone';
      const ms = latencyMs(cfg, long ? 'flockWaitCreate' : 'flockWait');
      if (ms > 0) await delay(ms);
      throw new PveError(
        fault.stderr ?? `can't lock file '${lockPath(tool, id)}' - got timeout`,
        fault.exit ?? 255,
      );
    }
    if (fault?.action === 'fail') {
      const msg = fault.stderr ?? `simulated failure of '${[tool, ...path].join(' ')}'`;
      if (fault.phase === 'task' && cmd.task) ctx.taskFault = { stderr: msg, exit: fault.exit };
      else throw new PveError(msg, fault.exit ?? 255);
    }
    try {
      const parsed = cmd.rawArgs ? { params: {}, opts: {}, extra: rest } : parseArgs(cmd.spec, rest);
      const rc = await cmd.run(ctx, parsed);
      exit = typeof rc === 'number' ? rc : 0;
    } catch (e) {
      if (e instanceof ParamError || e instanceof UsageError) e.usage ||= usage;
      throw e;
    }
  } catch (e) {
    if (!(e instanceof PveError)) throw e;
    write(2, render(e));
    exit = e.exit;
  }
  // A command the simulated API ran for a request says so: the request has its own line (tool "api").
  const via = process.env.PHOENIX_SIM_VIA;
  appendCall(dir, { tool, argv, exit, ms: Date.now() - t0, ...(via ? { via } : {}) });
  return exit;
}
