// The `host:firewall` step (issue 19 item 3, host-wide): shared_volumes.firewall in /etc/pve/firewall/cluster.fw
// as pve-firewall writes it, every option and section it does not own kept, drift read from the file, the plan's
// warning when inbound traffic is dropped, its place in the host chain, and the rules validate refuses.
import { describe, expect, it } from 'vitest';
import { loadFleet } from '../../src/config/load.js';
import type { Fleet, HostSetupStep } from '../../src/config/model.js';
import { hypervisor } from '../../src/config/schema.js';
import { summarizeFleet } from '../../src/config/summary.js';
import type { LiveState } from '../../src/host/live.js';
import {
  CLUSTER_FW,
  clusterFirewallText,
  hostFirewallStep,
  lockoutWarning,
} from '../../src/tasks/host-firewall.js';
import { makeStepTables } from '../../src/tasks/index.js';
import type { StepContext } from '../../src/tasks/step.js';
import { HV_FILE, editJson, legacyCopy } from '../config/helpers.js';
import { FakeHost } from './fake-host.js';
import { fast, fleetOf, tempRoot } from './fixtures.js';

const tables = makeStepTables(fast);

/** The user's shape (HEAD's shared_volumes.firewall), two of its kinds of rule. */
const FIREWALL = {
  enabled: true,
  default_input_policy: 'DROP',
  default_output_policy: 'ACCEPT',
  global_firewall_rules: [
    { type: 'in', action: 'ACCEPT', proto: 'tcp', port: '443', comment: 'HTTPS to the gateway' },
    {
      type: 'in',
      action: 'ACCEPT',
      source: '10.0.0.0/24',
      dest: '10.0.0.13',
      proto: 'udp',
      port: '53',
      comment: 'DNS on the host',
    },
  ],
};

const FILE = [
  '[OPTIONS]',
  '',
  'enable: 1',
  'policy_in: DROP',
  'policy_out: ACCEPT',
  '',
  '[RULES]',
  '',
  'IN ACCEPT -p tcp -dport 443 # HTTPS to the gateway',
  'IN ACCEPT -source 10.0.0.0/24 -dest 10.0.0.13 -p udp -dport 53 # DNS on the host',
  '',
  '',
].join('\n');

const OWN: HostSetupStep = {
  script: 'hypervisor_feature_setup_firewall.sh',
  name: 'firewall',
  path: '',
  own: 'firewall',
};
const fleetWith = (fw: unknown = FIREWALL): Fleet => ({
  ...fleetOf([], [OWN]),
  hypervisor: hypervisor.parse({ shared_volumes: { ssl_certs: { path: '/x' }, firewall: fw } }),
});
const fwOf = (fleet: Fleet) => fleet.hypervisor.shared_volumes!.firewall!;
const ctx = (fleet: Fleet, file?: string | null): StepContext<HostSetupStep> => {
  const live: LiveState = { node: 'pve', guests: new Map() };
  if (file !== undefined) live.hostFiles = new Map([[CLUSTER_FW, file]]);
  return { fleet, target: OWN, name: 'firewall', live };
};
const withPort = (port: string) =>
  fleetWith({
    ...FIREWALL,
    global_firewall_rules: [
      { ...FIREWALL.global_firewall_rules[0], port },
      FIREWALL.global_firewall_rules[1],
    ],
  });

describe('host:firewall', () => {
  it('writes cluster.fw as pve-firewall save_clusterfw_conf does', () => {
    expect(clusterFirewallText(fwOf(fleetWith()), undefined)).toBe(FILE);
    expect(clusterFirewallText(fwOf(fleetWith({ global_firewall_rules: [] })), undefined)).toBe(
      '[OPTIONS]\n\nenable: 0\n\n',
    );
  });

  it('keeps the options and sections it does not own, in the order Proxmox writes them', () => {
    const current = [
      'stray line before any section',
      '[OPTIONS]',
      'policy_out: DROP',
      'log_ratelimit: enable=1,rate=1/second',
      'enable: 0',
      '# a comment',
      '[RULES]',
      'IN SSH(ACCEPT) -source 192.168.5.0/24',
      '[group web] # web servers',
      'IN ACCEPT -p tcp -dport 80',
      '[IPSET management] # admins',
      '192.168.5.0/24',
      '[ALIASES]',
      'gateway 10.0.0.153',
    ].join('\n');
    expect(
      clusterFirewallText(fwOf(fleetWith({ ...FIREWALL, default_output_policy: undefined })), current),
    ).toBe(
      [
        '[OPTIONS]',
        '',
        'enable: 1',
        'policy_in: DROP',
        'log_ratelimit: enable=1,rate=1/second',
        '',
        '[IPSET management] # admins',
        '',
        '192.168.5.0/24',
        '',
        '[ALIASES]',
        '',
        'gateway 10.0.0.153',
        '',
        '[RULES]',
        '',
        'IN ACCEPT -p tcp -dport 443 # HTTPS to the gateway',
        'IN ACCEPT -source 10.0.0.0/24 -dest 10.0.0.13 -p udp -dport 53 # DNS on the host',
        '',
        '[group web] # web servers',
        '',
        'IN ACCEPT -p tcp -dport 80',
        '',
        '',
      ].join('\n'),
    );
  });

  it('reads drift from the file: its own options (in any order) and rules, nothing else', () => {
    const extra = `${FILE.replace('enable: 1\npolicy_in: DROP', 'policy_in: DROP\nebtables: 0\nenable: 1')}[IPSET management]\n\n192.168.5.0/24\n\n`;
    expect(hostFirewallStep.check(ctx(fleetWith(), extra))).toEqual({ ok: true });
    expect(hostFirewallStep.check(ctx(withPort('8443'), FILE))).toEqual({
      ok: false,
      reason: 'drift',
      detail: '1 firewall setting(s) differ',
      diffs: [
        {
          field: 'firewall rule 0',
          actual: 'IN ACCEPT -p tcp -dport 443 # HTTPS to the gateway',
          desired: 'IN ACCEPT -p tcp -dport 8443 # HTTPS to the gateway',
        },
      ],
    });
    expect(hostFirewallStep.check(ctx(fleetWith(), FILE.replace('enable: 1', 'enable: 0')))).toMatchObject({
      diffs: [{ field: 'firewall enable', actual: '0', desired: '1' }],
    });
    expect(hostFirewallStep.check(ctx(fleetWith(), null))).toMatchObject({ ok: false, reason: 'drift' });
    expect(hostFirewallStep.check(ctx(fleetWith()))).toEqual({ ok: 'unknown' }); // not read
  });

  it('previews the lines it owns and the daemon start when the firewall is on, and nothing when the file holds them', () => {
    expect(hostFirewallStep.preview(ctx(fleetWith(), null))).toEqual([
      [
        'write',
        CLUSTER_FW,
        'enable: 1',
        'policy_in: DROP',
        'policy_out: ACCEPT',
        'IN ACCEPT -p tcp -dport 443 # HTTPS to the gateway',
        'IN ACCEPT -source 10.0.0.0/24 -dest 10.0.0.13 -p udp -dport 53 # DNS on the host',
      ],
      ['pve-firewall', 'start'],
    ]);
    expect(hostFirewallStep.preview(ctx(fleetWith(), FILE))).toEqual([]);
    expect(hostFirewallStep.preview(ctx(fleetWith({ enabled: false }), null)).map((a) => a[0])).toEqual([
      'write',
    ]);
  });

  it('warns when it leaves inbound traffic dropped (a missing policy is DROP), not otherwise', () => {
    expect(lockoutWarning(fwOf(fleetWith()))).toMatch(/8006.*22.*management ipset/);
    expect(lockoutWarning(fwOf(fleetWith({ enabled: true })))).toMatch(/^inbound policy DROP/);
    expect(lockoutWarning(fwOf(fleetWith({ enabled: true, default_input_policy: 'REJECT' })))).toMatch(
      /REJECT/,
    );
    expect(
      lockoutWarning(fwOf(fleetWith({ enabled: true, default_input_policy: 'ACCEPT' }))),
    ).toBeUndefined();
    expect(lockoutWarning(fwOf(fleetWith({ ...FIREWALL, enabled: false })))).toBeUndefined();
  });

  it('writes the file over what is there and checks it back; a second run changes nothing', async () => {
    const host = new FakeHost(tempRoot());
    host.files.set(CLUSTER_FW, { content: '[IPSET management]\n\n192.168.5.0/24\n', mode: 0o640 });
    const lines: string[] = [];
    const run = () =>
      hostFirewallStep.run({
        ...ctx(fleetWith()),
        host,
        report: (l) => lines.push(l),
        flags: { replace: false, wipeDisks: false },
      });
    expect((await run()).ok).toBe(true);
    expect(host.files.get(CLUSTER_FW)?.content).toBe(
      FILE.replace('[RULES]', '[IPSET management]\n\n192.168.5.0/24\n\n[RULES]'),
    );
    expect(lines).toEqual([`wrote ${CLUSTER_FW}`]);
    expect((await run()).ok).toBe(true);
    expect(lines).toHaveLength(1);
  });

  it("one rule's port re-fingerprints only host:firewall, not the setup scripts", () => {
    const zfs: HostSetupStep = {
      script: 'hypervisor_feature_setup_zfs.sh',
      name: 'setup_zfs',
      path: '/opt/phoenix/bin/hypervisor_setup/hypervisor_feature_setup_zfs.sh',
    };
    const inputs = (fleet: Fleet) =>
      Object.fromEntries(
        [zfs, OWN].flatMap((t) =>
          tables.host.flatMap((s) =>
            s
              .instances(t, fleet)
              .map((n) => [n, JSON.stringify(s.inputs({ ...ctx(fleet), target: t, name: n }))]),
          ),
        ),
      );
    const a = inputs(fleetWith());
    const b = inputs(withPort('8443'));
    expect(Object.keys(a)).toEqual(['setup_zfs', 'firewall']);
    expect(Object.keys(a).filter((k) => a[k] !== b[k])).toEqual(['firewall']);
    // The scripts still get the rest of shared_volumes.
    expect(a.setup_zfs).toContain('ssl_certs');
  });
});

describe('host:firewall in the config', () => {
  const load = async (edit: (hv: Record<string, unknown>) => void) => {
    const root = legacyCopy();
    editJson(root, HV_FILE, edit);
    return loadFleet({ config: root, cwd: '/' });
  };

  it('takes the place of hypervisor_feature_setup_firewall.sh, which validate names as not run', async () => {
    const r = await load((hv) => (hv.shared_volumes = { firewall: FIREWALL }));
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    const names = r.value.fleet.hostSteps.map((s) => s.name);
    expect(names.slice(4, 7)).toEqual(['initialize_nvidia_gpus', 'firewall', 'setup_nfs']);
    expect(names).not.toContain('setup_firewall');
    expect(summarizeFleet(r.value.fleet).replaced_scripts).toEqual([
      { script: 'hypervisor_feature_setup_firewall.sh', by: 'host:firewall' },
    ]);
  });

  it('comes last when the script is not listed; without shared_volumes.firewall the script runs', async () => {
    const listed = await load((hv) => {
      hv.setup_scripts = ['hypervisor_initial_setup.sh'];
      hv.shared_volumes = { firewall: FIREWALL };
    });
    expect(listed.ok && listed.value.fleet.hostSteps.map((s) => s.name)).toEqual([
      'initial_setup',
      'firewall',
    ]);
    const none = await load((hv) => (hv.shared_volumes = { ssl_certs: {} }));
    expect(none.ok && none.value.fleet.hostSteps.map((s) => s.name)).toContain('setup_firewall');
  });

  it('warns of a mistyped key of the firewall or of a rule, which would drop a policy or a match silently', async () => {
    const r = await load(
      (hv) =>
        (hv.shared_volumes = {
          firewall: {
            enabled: true,
            default_input_polcy: 'ACCEPT',
            global_firewall_rules: [{ type: 'in', action: 'ACCEPT', sorce: '10.0.0.0/24' }],
          },
        }),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.warnings.map((p) => [p.path.join('.'), p.message])).toEqual([
      ['shared_volumes.firewall.default_input_polcy', 'unknown key; did you mean default_input_policy?'],
      ['shared_volumes.firewall.global_firewall_rules.0.sorce', 'unknown key; did you mean source?'],
    ]);
  });

  it('warns when guests declare a firewall that the datacenter firewall, off, would not apply', async () => {
    const off = await load((hv) => (hv.shared_volumes = { firewall: { ...FIREWALL, enabled: false } }));
    if (!off.ok) throw new Error(JSON.stringify(off.error));
    expect(off.value.warnings.map((p) => [p.path.join('.'), p.message])).toEqual([
      [
        'shared_volumes.firewall.enabled',
        '950 declares a firewall, but with the datacenter firewall off Proxmox applies no rule, theirs included',
      ],
    ]);
    const on = await load((hv) => (hv.shared_volumes = { firewall: FIREWALL }));
    expect(on.ok && on.value.warnings).toEqual([]);
  });

  it('refuses an invalid rule or policy with its JSON path', async () => {
    const r = await load(
      (hv) =>
        (hv.shared_volumes = {
          firewall: {
            ...FIREWALL,
            default_input_policy: 'drop',
            global_firewall_rules: [
              { type: 'in', action: 'ALLOW' },
              { type: 'in', action: 'ACCEPT', proto: 'tcp', port: '9000:80', source: '10.0.0.0/33' },
            ],
          },
        }),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.map((p) => [p.file.endsWith(HV_FILE), p.path.join('.'), p.message])).toEqual([
      [true, 'shared_volumes.firewall.default_input_policy', 'must be ACCEPT, DROP or REJECT'],
      [true, 'shared_volumes.firewall.global_firewall_rules.0.action', 'must be ACCEPT, DROP or REJECT'],
      [
        true,
        'shared_volumes.firewall.global_firewall_rules.1.port',
        'must be ports 1..65535: 443, a range 8000:8080, or a list 80,443',
      ],
      [
        true,
        'shared_volumes.firewall.global_firewall_rules.1.source',
        'must be an IPv4 address or network like 10.0.0.12 or 10.0.0.0/24',
      ],
    ]);
  });
});
