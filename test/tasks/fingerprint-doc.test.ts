// docs/fingerprints.md's tables of step inputs are held to the step tables: for a fleet that uses every kind of
// step, each table row must name exactly the inputs the step fingerprints, whether it hashes scripts, and whether
// an upstream re-run cascades into it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hypervisor } from '../../src/config/schema.js';
import { readScripts } from '../../src/config/script-files.js';
import { buildStepGraph } from '../../src/graph/build.js';
import { stepTables } from '../../src/tasks/index.js';
import type { StepContext } from '../../src/tasks/step.js';
import { fleetOf, liveState, lxc, ROOT, vm } from './fixtures.js';

type Row = { inputs: string[]; scripts: boolean; cascades: boolean };

/** What the step tables say, per `kind` table section: step kind -> inputs, scripts, cascades. */
function actual(): Record<'lxc' | 'vm' | 'host', Record<string, Row>> {
  const fleet = fleetOf(
    [
      lxc(900, {
        template: 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst',
        features: ['docker'],
        template_snapshot_name: 'base',
        enable_lifecycle_snapshots: true,
        application_script: 'app.sh',
        health_check: { command: 'true' },
      }),
      lxc(
        901,
        {
          clone_from_ctid: 900,
          features: ['nvidia'],
          health_check: { command: 'check_gw.sh' },
          apparmor_profile: 'lxc-phoenix-v2',
          portainer_role: 'agent',
          mount_points: [{ host_path: '/srv/logs', container_path: '/var/log/app' }],
          id_maps: [{ type: 'gid', host_id: 33, container_id: 33, size: 1 }],
          firewall: { rules: [{ type: 'in', action: 'ACCEPT', proto: 'tcp', port: '22' }] },
        },
        {
          healthCheck: `${ROOT}/bin/health_checks/check_gw.sh`,
          apparmorProfile: `${ROOT}/etc/apparmor/lxc-phoenix-v2`,
          portainer: `${ROOT}/bin/lxc_setup/phoenix_hypervisor_feature_install_portainer.sh`,
        },
      ),
      vm(9000, {
        template_image: 'noble-server-cloudimg-amd64.img',
        is_template: true,
        features: ['docker'],
        template_snapshot_name: 'ready',
      }),
      vm(1000, {
        clone_from_vmid: 9000,
        features: ['docker'],
        template_snapshot_name: 'built',
        firewall: { rules: [] },
        volumes: [{ type: 'nfs', server: '10.0.0.13', path: '/srv/nfs/1000', mount_point: '/data' }],
      }),
    ],
    [
      {
        script: 'hypervisor_feature_setup_zfs.sh',
        name: 'setup_zfs',
        path: `${ROOT}/bin/hypervisor_setup/hypervisor_feature_setup_zfs.sh`,
      },
      { script: 'hypervisor_feature_setup_firewall.sh', name: 'firewall', path: '', own: 'firewall' },
    ],
  );
  fleet.hypervisor = hypervisor.parse({ shared_volumes: { firewall: { enabled: true } } });
  // The apparmor step exists only for a profile the install root has: this one reads as present.
  fleet.scriptHashes = new Map([
    ...readScripts(fleet),
    [`${ROOT}/etc/apparmor/lxc-phoenix-v2`, 'a'.repeat(64)],
  ]);
  const graph = buildStepGraph(fleet, stepTables);
  if (!graph.ok) throw new Error(graph.error.message);
  const out: Record<string, Record<string, Row>> = { lxc: {}, vm: {}, host: {} };
  const live = liveState();
  graph.value.forEachNode((_address, node) => {
    const target = node.kind === 'host' ? node.hostStep : node.guest;
    const ctx = { fleet, target, name: node.name, live } as StepContext<never>;
    const spec = node.spec as unknown as {
      kind: string;
      inputs(c: unknown): object;
      scripts(c: unknown): string[];
      cascades: boolean;
    };
    const key =
      spec.kind === 'feature'
        ? 'feature:<x>'
        : node.kind !== 'host'
          ? spec.kind
          : node.hostStep.own
            ? `host:${node.name}`
            : 'host:<name>';
    const row = (out[node.kind]![key] ??= { inputs: [], scripts: false, cascades: spec.cascades });
    row.inputs = [...new Set([...row.inputs, ...Object.keys(spec.inputs(ctx))])].sort();
    row.scripts ||= spec.scripts(ctx).length > 0;
  });
  return out;
}

/** The doc's table under a heading: `| \`step\` | \`a\`, \`b\` | yes | no |` rows. */
function documented(heading: string): Record<string, Row> {
  const doc = readFileSync(resolve(import.meta.dirname, '..', '..', 'docs', 'fingerprints.md'), 'utf8');
  const section = doc.slice(doc.indexOf(`### ${heading}\n`)).split('\n### ')[0]!;
  const rows: Record<string, Row> = {};
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 5 || !cells[1]?.startsWith('`')) continue;
    const [, step, inputs, scripts, cascades] = cells;
    rows[step.replace(/`/g, '')] = {
      inputs: [...(inputs ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]!).sort(),
      scripts: scripts === 'yes',
      cascades: cascades === 'yes',
    };
  }
  return rows;
}

describe('docs/fingerprints.md', () => {
  const tables = actual();
  it.each([
    ['LXC containers', 'lxc'],
    ['VMs', 'vm'],
    ['Hypervisor', 'host'],
  ] as const)('the %s table names exactly what each step fingerprints', (heading, kind) => {
    expect(documented(heading)).toEqual(tables[kind]);
  });
});
