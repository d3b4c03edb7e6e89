// `host:firewall`: the host-wide firewall (`shared_volumes.firewall`) in the datacenter's cluster.fw, the file whose
// options hold `enable` and the default policies of every node (docs/proxmox-facts.md F15.3). Phoenix owns `enable`,
// `policy_in`, `policy_out` and `[RULES]`; every other option and section (aliases, ipsets such as `management`,
// security groups) is kept as it is, so a run never drops what the GUI added there.
import type { Fleet, HostSetupStep } from '../config/model.js';
import type { HostFirewall } from '../config/schema.js';
import type { LiveState } from '../host/live.js';
import { done, exec, fail, verifyFailed } from './act.js';
import {
  firewallDiffs,
  firewallOptions,
  parseFirewall,
  parseSections,
  ruleLine,
  sectionText,
} from './firewall.js';
import type { Argv, Diff, ExecutableStep, LiveCheck } from './step.js';
import { defineStep } from './step.js';

/** The datacenter firewall (pve-firewall `Firewall.pm` `$clusterfw_conf_filename`). */
export const CLUSTER_FW = '/etc/pve/firewall/cluster.fw';

/**
 * Run when the firewall is on: the daemon applies cluster.fw only while it runs, and the user's script stopped it
 * when the firewall was off. From a shell, `pve-firewall start` is `systemctl start pve-firewall` (pve-common
 * `Daemon.pm` `register_start_command`), which does nothing to a running service (F15.5).
 */
export const START_DAEMON: Argv = ['pve-firewall', 'start'];

/** The options this step owns; an absent policy is removed, so Proxmox's default applies. */
const OWNED = ['enable', 'policy_in', 'policy_out'];

export const hostFirewallOf = (fleet: Fleet): HostFirewall | undefined =>
  fleet.hypervisor.shared_volumes?.firewall;

/** The owned options and rules as the config wants them. */
function wanted(fw: HostFirewall): { options: Map<string, string>; rules: string[] } {
  const options = firewallOptions({
    enabled: fw.enabled,
    policy_in: fw.default_input_policy,
    policy_out: fw.default_output_policy,
  });
  return { options, rules: fw.global_firewall_rules.map(ruleLine) };
}

/**
 * cluster.fw with the config's options and rules over what `current` holds, in the order pve-firewall
 * `save_clusterfw_conf` writes: `[OPTIONS]`, aliases and ipsets, `[RULES]`, then the security groups.
 */
export function clusterFirewallText(fw: HostFirewall, current: string | undefined): string {
  const want = wanted(fw);
  const sections = parseSections(current ?? '');
  const kept = sections.flatMap((s) => (s.name === 'OPTIONS' ? s.lines : []));
  const options = [
    ...[...want.options].map(([k, v]) => `${k}: ${v}`),
    ...kept.filter((l) => !OWNED.includes((/^([a-z_]+):/i.exec(l)?.[1] ?? '').toLowerCase())),
  ];
  const others = sections.filter((s) => s.name !== 'OPTIONS' && s.name !== 'RULES');
  const text = (list: typeof others) => list.map((s) => sectionText(s.header, s.lines)).join('');
  return (
    sectionText('[OPTIONS]', options) +
    text(others.filter((s) => s.name !== 'GROUP')) +
    (want.rules.length > 0 ? sectionText('[RULES]', want.rules) : '') +
    text(others.filter((s) => s.name === 'GROUP'))
  );
}

/** What differs in the owned parts of the file read with the live state; undefined when it was not read. */
function fileDiffs(fw: HostFirewall, live: LiveState): Diff[] | undefined {
  const text = live.hostFiles?.get(CLUSTER_FW);
  if (text === undefined) return undefined;
  const have = parseFirewall(text ?? '');
  for (const k of have.options.keys()) if (!OWNED.includes(k)) have.options.delete(k);
  return firewallDiffs(have, wanted(fw));
}

/**
 * Said in the plan when the step would leave the firewall on with inbound traffic dropped: pve-firewall
 * `enable_host_firewall` then lets the web UI and ssh in only from the management ipset (F15.3).
 */
export function lockoutWarning(fw: HostFirewall): string | undefined {
  const policy = fw.default_input_policy ?? 'DROP';
  if (!fw.enabled || policy === 'ACCEPT') return undefined;
  return (
    `inbound policy ${policy} on every node: ports 8006 (web UI, API) and 22 (ssh) stay open only from the ` +
    "management ipset (the local_network alias, else the network of the node's own address) and to what the rules " +
    'accept; from anywhere else the host is cut off'
  );
}

export const hostFirewallStep: ExecutableStep<HostSetupStep> = defineStep<HostSetupStep>({
  kind: 'firewall',
  instances: (step) => (step.own === 'firewall' ? ['firewall'] : []),
  inputs: (ctx) => ({ firewall: hostFirewallOf(ctx.fleet) }),
  check(ctx): LiveCheck {
    const diffs = fileDiffs(hostFirewallOf(ctx.fleet)!, ctx.live);
    if (diffs === undefined) return { ok: 'unknown' };
    if (diffs.length === 0) return { ok: true };
    return { ok: false, reason: 'drift', detail: `${diffs.length} firewall setting(s) differ`, diffs };
  },
  // What it writes: the options and rules it owns (the rest of the file stays as it is).
  preview(ctx): Argv[] {
    const fw = hostFirewallOf(ctx.fleet)!;
    if (fileDiffs(fw, ctx.live)?.length === 0) return [];
    const want = wanted(fw);
    const write = ['write', CLUSTER_FW, ...[...want.options].map(([k, v]) => `${k}: ${v}`), ...want.rules];
    return fw.enabled ? [write, START_DAEMON] : [write];
  },
  warning: (ctx) => lockoutWarning(hostFirewallOf(ctx.fleet)!),
  async run(ctx) {
    const fw = hostFirewallOf(ctx.fleet)!;
    const text = clusterFirewallText(fw, await ctx.host.readHostFile(CLUSTER_FW));
    const wrote = await ctx.host.writeHostFile(CLUSTER_FW, text, 0o640);
    if (!wrote.ok) return fail(ctx, wrote.error.message, wrote.error);
    if (wrote.value.changed) ctx.report(`wrote ${CLUSTER_FW}`);
    const back = await ctx.host.readHostFile(CLUSTER_FW);
    const diffs = fileDiffs(fw, {
      node: '',
      guests: new Map(),
      hostFiles: new Map([[CLUSTER_FW, back ?? null]]),
    });
    if (diffs?.length !== 0)
      return verifyFailed(ctx, ['write', CLUSTER_FW], `${CLUSTER_FW} does not hold what was written`);
    if (fw.enabled) {
      const started = await exec(ctx, START_DAEMON);
      if (!started.ok) return started;
    }
    return done;
  },
});
