// `qm guest cmd` and `qm guest exec` (also `qm agent`): the guest agent answers once the VM has run for
// agentReadyAfterMs; its answers print as Perl's pretty JSON.
import { loadGuest, type Command, type Ctx } from '../context.js';
import { PveError } from '../errors.js';
import { agentInstalled, bootAnswer } from '../cloud-init-boot.js';
import { runExecRules } from '../exec.js';
import { mountAnswer } from '../guest-mounts.js';
import { bool, int } from '../getopt.js';
import { vmidArg } from '../props.js';
import type { GuestState } from '../state.js';

/** Perl JSON->pretty->canonical: 3-space indent, `"key" : value`, sorted keys. */
export function perlPrettyJson(v: unknown, indent = ''): string {
  const inner = indent + '   ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + perlPrettyJson(x, inner)).join(',\n')}\n${indent}]`;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    if (keys.length === 0) return '{}';
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)} : ${perlPrettyJson((v as Record<string, unknown>)[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}

const AGENT_CMDS = [
  'fsfreeze-freeze',
  'fsfreeze-status',
  'fsfreeze-thaw',
  'fstrim',
  'get-fsinfo',
  'get-host-name',
  'get-memory-block-info',
  'get-memory-blocks',
  'get-osinfo',
  'get-time',
  'get-timezone',
  'get-users',
  'get-vcpus',
  'info',
  'network-get-interfaces',
  'ping',
  'shutdown',
  'suspend-disk',
  'suspend-hybrid',
  'suspend-ram',
];

/** Agent checks in the real order: configured, VM running, agent answering (after agentReadyAfterMs). */
async function agentReady(ctx: Ctx, id: string): Promise<GuestState> {
  const g = loadGuest(ctx.read(), 'qemu', id);
  if (g.config.agent === undefined) throw new PveError('No QEMU guest agent configured');
  if (g.status !== 'running') throw new PveError(`VM ${id} is not running`);
  const readyAt = (g.startedAt ?? 0) + ctx.cfg.agentReadyAfterMs * ctx.cfg.latencyScale;
  if (ctx.now() < readyAt || !agentInstalled(g)) {
    await ctx.sleep('agentPingTimeout');
    throw new PveError('QEMU guest agent is not running');
  }
  return g;
}

function agentResult(g: GuestState, cmd: string, now: number): unknown {
  const ip = /ip=([\d.]+)/.exec(g.config.ipconfig0 ?? '')?.[1] ?? '10.0.0.' + (g.vmid % 250);
  const mac = /=([0-9A-F:]{17})/i.exec(g.config.net0 ?? '')?.[1] ?? 'BC:24:11:00:00:00';
  switch (cmd) {
    case 'ping':
    case 'fstrim':
    case 'shutdown':
      return undefined;
    case 'info':
      return {
        version: '8.2.2',
        supported_commands: AGENT_CMDS.map((name) => ({ enabled: true, name, 'success-response': true })),
      };
    case 'get-osinfo':
      return {
        id: 'ubuntu',
        'kernel-release': '6.8.0-45-generic',
        'kernel-version': '#45-Ubuntu SMP',
        machine: 'x86_64',
        name: 'Ubuntu',
        'pretty-name': 'Ubuntu 24.04.1 LTS',
        'version-id': '24.04',
      };
    case 'get-host-name':
      return { 'host-name': g.config.name ?? `vm${g.vmid}` };
    case 'get-time':
      return now * 1_000_000;
    case 'network-get-interfaces':
      return [
        {
          name: 'lo',
          'hardware-address': '00:00:00:00:00:00',
          'ip-addresses': [{ 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4', prefix: 8 }],
        },
        {
          name: 'eth0',
          'hardware-address': mac.toLowerCase(),
          'ip-addresses': [{ 'ip-address': ip, 'ip-address-type': 'ipv4', prefix: 24 }],
        },
      ];
    default:
      return {};
  }
}

export const guestCmd: Command = {
  spec: {
    usage: 'qm guest cmd <vmid> <command>',
    positionals: [vmidArg, { name: 'command', spec: { type: 'string', enum: AGENT_CMDS } }],
    options: {},
  },
  async run(ctx, p) {
    const g = await agentReady(ctx, p.params.vmid!);
    await ctx.sleep('agentCmd');
    const res = agentResult(g, p.params.command!, ctx.now());
    if (res !== undefined) ctx.out(perlPrettyJson(res) + '\n');
  },
};

export const guestExec: Command = {
  spec: {
    usage: 'qm guest exec <vmid> [<extra-args>] [OPTIONS]',
    positionals: [vmidArg, { name: 'extra-args' }],
    listParam: true,
    options: { 'pass-stdin': bool, synchronous: bool, timeout: int(0) },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    await agentReady(ctx, id);
    if (p.extra.length === 0) throw new PveError('No command given');
    await ctx.sleep('exec');
    const res = await runExecRules(
      ctx,
      Number(id),
      'qm guest exec',
      p.extra,
      {},
      (g) => bootAnswer(g, p.extra) ?? mountAnswer(g, p.extra),
    );
    if (p.opts.synchronous === '0') {
      ctx.out(perlPrettyJson({ pid: 1000 + Math.floor(Math.random() * 9000) }) + '\n');
      return;
    }
    const obj: Record<string, unknown> = { exitcode: res.exit, exited: 1 };
    if (res.stdout) obj['out-data'] = res.stdout;
    if (res.stderr) obj['err-data'] = res.stderr;
    ctx.out(perlPrettyJson(obj) + '\n');
  },
};
