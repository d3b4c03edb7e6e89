// `firewall`: a guest's firewall as Proxmox keeps it: its options and rules in `/etc/pve/firewall/<id>.fw` (written
// as pve-firewall `Firewall.pm` `save_vmfw_conf` writes it), and `firewall=1` on its network device, without which
// the guest's rules are not applied (docs/proxmox-facts.md F15). Its own step: one changed rule re-runs only it.
import type { Guest, LxcGuest, VmGuest } from '../config/model.js';
import type { LiveState } from '../host/live.js';
import { parseProps, printProps } from '../host/props.js';
import { done, exec, fail, verifyFailed } from './act.js';
import { existenceCheck, liveOf, tool } from './guest-common.js';
import type { Argv, Diff, LiveCheck } from './step.js';
import { defineStep } from './step.js';

type Firewall = NonNullable<Guest['config']['firewall']>;
type Rule = Firewall['rules'][number];

/** Where Proxmox keeps a guest's firewall (pve-firewall `Firewall.pm` `$pvefw_conf_dir`). */
export const firewallFile = (id: number): string => `/etc/pve/firewall/${id}.fw`;

/** A rule as pve-firewall's `$format_rules` prints it. */
export function ruleLine(r: Rule): string {
  let line = `${r.type.toUpperCase()} ${r.action}`;
  if (r.source) line += ` -source ${r.source}`;
  if (r.dest) line += ` -dest ${r.dest}`;
  if (r.proto) line += ` -p ${r.proto}`;
  if (r.port) line += ` -dport ${r.port}`;
  if (r.comment && r.comment.trim() !== '') line += ` # ${r.comment.trim()}`;
  return line;
}

/** The options Phoenix writes into a `.fw` file: `enable`, and the policies the config sets. */
export function firewallOptions(fw: {
  enabled: boolean;
  policy_in?: string | undefined;
  policy_out?: string | undefined;
}): Map<string, string> {
  const o = new Map([['enable', fw.enabled ? '1' : '0']]);
  if (fw.policy_in) o.set('policy_in', fw.policy_in);
  if (fw.policy_out) o.set('policy_out', fw.policy_out);
  return o;
}

/** A section as pve-firewall writes one: its header, an empty line, its lines, an empty line. */
export const sectionText = (header: string, lines: readonly string[]): string =>
  `${header}\n\n${lines.map((l) => `${l}\n`).join('')}\n`;

/** The `.fw` file's text: `[OPTIONS]`, then `[RULES]` when there are rules. */
export function firewallText(fw: Firewall): string {
  const options = [...firewallOptions(fw)].map(([k, v]) => `${k}: ${v}`);
  return (
    sectionText('[OPTIONS]', options) +
    (fw.rules.length > 0 ? sectionText('[RULES]', fw.rules.map(ruleLine)) : '')
  );
}

/** One `[...]` section of a `.fw` file: `name` is its first word in capitals (`OPTIONS`, `IPSET`, `GROUP`). */
export interface FwSection {
  name: string;
  header: string;
  lines: string[];
}

/**
 * A `.fw` file's sections, as pve-firewall `generic_fw_config_parser` reads them: each line trimmed, empty lines and
 * `#` lines skipped, lines before the first section dropped. Rule lines keep single spaces.
 */
export function parseSections(text: string): FwSection[] {
  const sections: FwSection[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const head = /^\[(\w+)[^\]]*\]/.exec(line);
    if (head) sections.push({ name: head[1]!.toUpperCase(), header: line, lines: [] });
    else sections.at(-1)?.lines.push(line.replace(/\s+/g, ' '));
  }
  return sections;
}

/** A `.fw` file read back: its options (keys in lower case, in any order) and its rule lines. */
export function parseFirewall(text: string): { options: Map<string, string>; rules: string[] } {
  const out = { options: new Map<string, string>(), rules: [] as string[] };
  for (const s of parseSections(text)) {
    if (s.name === 'OPTIONS')
      for (const line of s.lines) {
        const m = /^([a-z_]+):\s*(.*)$/i.exec(line);
        if (m) out.options.set(m[1]!.toLowerCase(), m[2]!.trim());
      }
    else if (s.name === 'RULES') out.rules.push(...s.lines);
  }
  return out;
}

/** The differences between a `.fw` file read back and the one wanted: option by option, rule by rule. */
export function firewallDiffs(
  have: ReturnType<typeof parseFirewall>,
  want: ReturnType<typeof parseFirewall>,
): Diff[] {
  const diffs: Diff[] = [];
  for (const k of new Set([...want.options.keys(), ...have.options.keys()]))
    if (want.options.get(k) !== have.options.get(k))
      diffs.push({ field: `firewall ${k}`, actual: have.options.get(k), desired: want.options.get(k) });
  const n = Math.max(want.rules.length, have.rules.length);
  for (let i = 0; i < n; i++)
    if (want.rules[i] !== have.rules[i])
      diffs.push({ field: `firewall rule ${i}`, actual: have.rules[i], desired: want.rules[i] });
  return diffs;
}

const net0Firewall = (net0: string | undefined): boolean => parseProps(net0).get('firewall') === '1';

function fileDiffs(g: Guest, live: LiveState): Diff[] | undefined {
  const text = live.hostFiles?.get(firewallFile(g.id));
  if (text === undefined) return undefined; // not read
  return firewallDiffs(parseFirewall(text ?? ''), parseFirewall(firewallText(g.config.firewall!)));
}

function setNet0Argv(g: Guest, net0: string | undefined): Argv {
  const props = parseProps(net0);
  props.set('firewall', '1');
  return [tool(g), 'set', String(g.id), '--net0', printProps(props)];
}

export function firewallStep<T extends LxcGuest | VmGuest>(): ReturnType<typeof defineStep<T>> {
  return defineStep<T>({
    kind: 'firewall',
    instances: (g) => (g.config.firewall !== undefined ? ['firewall'] : []),
    inputs: (ctx) => ({ firewall: ctx.target.config.firewall }),
    check(ctx): LiveCheck {
      const g = ctx.target;
      const live = liveOf(ctx);
      const bad = existenceCheck(g, live);
      if (bad) return bad;
      const files = fileDiffs(g, ctx.live);
      if (live?.config === undefined || files === undefined) return { ok: 'unknown' };
      const diffs = [...files];
      if (!net0Firewall(live.config.net0))
        diffs.push({
          field: 'net0 firewall',
          actual: parseProps(live.config.net0).get('firewall'),
          desired: '1',
        });
      if (diffs.length === 0) return { ok: true };
      return { ok: false, reason: 'drift', detail: `${diffs.length} firewall setting(s) differ`, diffs };
    },
    preview(ctx) {
      const g = ctx.target;
      const live = liveOf(ctx);
      const files = fileDiffs(g, ctx.live);
      const write: Argv[] = files?.length === 0 ? [] : [['write', firewallFile(g.id)]];
      const net0 = live?.config?.net0;
      return net0Firewall(net0) ? write : [...write, setNet0Argv(g, net0)];
    },
    async run(ctx) {
      const g = ctx.target;
      const file = firewallFile(g.id);
      const wrote = await ctx.host.writeHostFile(file, firewallText(g.config.firewall!), 0o640);
      if (!wrote.ok) return fail(ctx, wrote.error.message, wrote.error);
      if (wrote.value.changed) ctx.report(`wrote ${file}`);
      const before = await ctx.host.readGuestConfig(g.kind, g.id);
      if (!before) return fail(ctx, `${g.kind === 'lxc' ? 'CT' : 'VM'} ${g.id} does not exist`);
      if (net0Firewall(before.config?.net0)) return done;
      const argv = setNet0Argv(g, before.config?.net0);
      ctx.report('turning the firewall on for net0');
      const res = await exec(ctx, argv);
      if (!res.ok) return res;
      const after = await ctx.host.readGuestConfig(g.kind, g.id);
      if (!net0Firewall(after?.config?.net0))
        return verifyFailed(ctx, argv, `net0 of ${g.id} has no firewall=1 after setting it`, res.value);
      return done;
    },
  });
}
