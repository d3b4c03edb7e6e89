// The `firewall` step (issue 19 item 3): a guest's rules and options in /etc/pve/firewall/<id>.fw as pve-firewall
// writes it, firewall=1 on net0, drift read from the file, one changed rule re-running only this step, and the
// rules the schema refuses.
import { describe, expect, it } from 'vitest';
import type { LxcGuest } from '../../src/config/model.js';
import { firewallRule } from '../../src/config/schema.js';
import type { LiveGuest } from '../../src/host/live.js';
import { firewallStep, firewallText } from '../../src/tasks/firewall.js';
import { makeStepTables } from '../../src/tasks/index.js';
import { fast, fleetOf, harness, liveState, lxc, stepCtx, vm } from './fixtures.js';

const tables = makeStepTables(fast);
const step = firewallStep<LxcGuest>();

const RULES = [
  { type: 'in', action: 'ACCEPT', proto: 'tcp', port: '8080', source: '10.0.0.0/24', comment: 'app' },
  { type: 'out', action: 'ACCEPT', dest: '10.0.0.13', proto: 'udp', port: '53', comment: 'DNS' },
];
const ct = (rules: unknown[] = RULES): LxcGuest =>
  lxc(730, { template: 't.tar.zst', firewall: { enabled: true, policy_in: 'DROP', rules } });

const FILE = [
  '[OPTIONS]',
  '',
  'enable: 1',
  'policy_in: DROP',
  '',
  '[RULES]',
  '',
  'IN ACCEPT -source 10.0.0.0/24 -p tcp -dport 8080 # app',
  'OUT ACCEPT -dest 10.0.0.13 -p udp -dport 53 # DNS',
  '',
  '',
].join('\n');

const NET0 = 'name=eth0,bridge=vmbr0,ip=10.0.0.73/24,hwaddr=BC:24:11:00:00:01,type=veth';
const live = (net0: string): LiveGuest => ({
  id: 730,
  kind: 'lxc',
  status: 'running',
  template: false,
  snapshots: [],
  config: { hostname: 'ct730', net0 },
});
const bound = (g: LxcGuest, net0: string, file?: string | null) =>
  stepCtx(fleetOf([g]), g, 'firewall', {
    ...liveState([live(net0)]),
    ...(file !== undefined && { hostFiles: new Map([['/etc/pve/firewall/730.fw', file]]) }),
  });

describe('firewall step', () => {
  it('writes the .fw file as pve-firewall does', () => {
    expect(firewallText(ct().config.firewall!)).toBe(FILE);
  });

  it('sits after configure, for containers and VMs that declare a firewall', () => {
    const names = (g: LxcGuest) => tables.lxc.flatMap((s) => s.instances(g, fleetOf([g])));
    expect(names(ct()).slice(0, 3)).toEqual(['define', 'configure', 'firewall']);
    const v = vm(1000, { template_image: 'x.img', firewall: { rules: [] } });
    expect(tables.vm.flatMap((s) => s.instances(v, fleetOf([v]))).slice(0, 3)).toEqual([
      'define',
      'configure',
      'firewall',
    ]);
  });

  it('reads drift from the file (options in any order) and from net0', () => {
    const reordered = FILE.replace('enable: 1\npolicy_in: DROP', 'policy_in: DROP\nenable: 1');
    expect(step.check(bound(ct(), `${NET0},firewall=1`, reordered))).toEqual({ ok: true });
    const moved = [{ ...RULES[0], port: '8081' }, RULES[1]];
    expect(step.check(bound(ct(moved), NET0, FILE))).toMatchObject({
      ok: false,
      reason: 'drift',
      diffs: [
        {
          field: 'firewall rule 0',
          actual: 'IN ACCEPT -source 10.0.0.0/24 -p tcp -dport 8080 # app',
          desired: 'IN ACCEPT -source 10.0.0.0/24 -p tcp -dport 8081 # app',
        },
        { field: 'net0 firewall', actual: undefined, desired: '1' },
      ],
    });
    expect(step.check(bound(ct(), NET0))).toEqual({ ok: 'unknown' }); // the file was not read
    expect(step.preview(bound(ct(), NET0, null))).toEqual([
      ['write', '/etc/pve/firewall/730.fw'],
      ['pct', 'set', '730', '--net0', `${NET0},firewall=1`],
    ]);
  });

  it('writes the file and sets firewall=1 keeping net0 as it is; a second run changes nothing', async () => {
    const g = ct();
    const h = harness(fleetOf([g]), g);
    h.host.addGuest({ id: 730, kind: 'lxc', config: { hostname: 'ct730', net0: NET0 } });
    expect((await h.run(step)).ok).toBe(true);
    expect(h.host.files.get('/etc/pve/firewall/730.fw')).toEqual({ content: FILE, mode: 0o640 });
    expect(h.host.mutating()).toEqual([`pct set 730 --net0 ${NET0},firewall=1`]);
    h.host.calls.length = 0;
    expect((await h.run(step)).ok).toBe(true);
    expect(h.host.mutating()).toEqual([]);
  });

  it("one rule's port re-fingerprints only the firewall step", () => {
    const inputs = (g: LxcGuest) =>
      Object.fromEntries(
        tables.lxc.flatMap((s) =>
          s.instances(g, fleetOf([g])).map((n) => [n, JSON.stringify(s.inputs(stepCtx(fleetOf([g]), g, n)))]),
        ),
      );
    const a = inputs(ct());
    const b = inputs(ct([{ ...RULES[0], port: '9090' }, RULES[1]]));
    expect(Object.keys(a).filter((k) => a[k] !== b[k])).toEqual(['firewall']);
  });

  it.each([
    [{ type: 'in', action: 'ALLOW' }, ['action'], /ACCEPT, DROP or REJECT/],
    [{ type: 'in', action: 'ACCEPT', proto: 'tcp', port: '9000:80' }, ['port'], /range 8000:8080/],
    [{ type: 'in', action: 'ACCEPT', proto: 'tcp', port: '70000' }, ['port'], /ports 1..65535/],
    [{ type: 'in', action: 'ACCEPT', source: '10.0.0.0/33' }, ['source'], /IPv4 address or network/],
    [{ type: 'in', action: 'ACCEPT', port: '80' }, ['port'], /needs proto tcp/],
  ])('refuses %j at %j', (rule, path, message) => {
    const r = firewallRule.safeParse(rule);
    expect(r.success).toBe(false);
    if (!r.success) {
      expect(r.error.issues[0]?.path).toEqual(path);
      expect(r.error.issues[0]?.message).toMatch(message);
    }
  });
});
