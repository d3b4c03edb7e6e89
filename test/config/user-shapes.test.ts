// The user's own install root loads unchanged (issue 12 item 1), on test/fixtures/install-root: a tree of our own
// in the shapes the user's files have (nameservers as a list, "gw": "", the singular nameserver, string IDs).
import { cpSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadFleet } from '../../src/config/load.js';
import type { Fleet, Problem } from '../../src/config/model.js';
import { LXC_FILE, REPO, VM_FILE, editJson, lxc, tempDir, vm } from './helpers.js';

type Json = Record<string, unknown>;
const FIXTURE = path.join(REPO, 'test/fixtures/install-root');

function copy(): string {
  const root = path.join(tempDir(), 'phoenix_hypervisor');
  cpSync(FIXTURE, root, { recursive: true });
  return root;
}

interface Edit {
  file: string;
  change: (doc: Json) => void;
}

async function load(...edits: Edit[]) {
  const root = copy();
  for (const e of edits) editJson(root, e.file, e.change);
  return loadFleet({ config: root, cwd: '/' });
}

async function fleetOf(...edits: Edit[]): Promise<Fleet> {
  const r = await load(...edits);
  if (!r.ok) throw new Error(JSON.stringify(r.error, null, 1));
  return r.value.fleet;
}

async function problemsOf(...edits: Edit[]): Promise<Problem[]> {
  const r = await load(...edits);
  return r.ok ? r.value.warnings : r.error;
}

const errors = (ps: Problem[]) => ps.filter((p) => p.severity === 'error');

describe("the user's shapes", () => {
  test('the tree loads with no problem at all', async () => {
    const r = await load();
    expect(r.ok && r.value.warnings).toEqual([]);
  });

  test('nameservers given as a list of addresses is one space-separated list', async () => {
    const g = (await fleetOf()).guests.get(8000);
    expect(g?.kind === 'vm' && g.config.network_config?.nameservers).toBe('9.9.9.9 149.112.112.112');
  });

  test('the singular nameserver is the same setting, not a typo', async () => {
    const edit = {
      file: VM_FILE,
      change: (d: Json) => (vm(d, 1).network_config = { ip: 'dhcp', nameserver: '10.9.0.13' }),
    };
    expect(await problemsOf(edit)).toEqual([]);
    const g = (await fleetOf(edit)).guests.get(8001);
    expect(g?.kind === 'vm' && g.config.network_config?.nameservers).toBe('10.9.0.13');
  });

  test('nameserver and nameservers both given is one error at nameserver', async () => {
    const problems = await problemsOf({
      file: VM_FILE,
      change: (d) => ((vm(d, 0).network_config as Json).nameserver = '10.9.0.13'),
    });
    expect(errors(problems).map((p) => [p.path.join('.'), p.message])).toEqual([
      ['vms.0.network_config.nameserver', expect.stringContaining('same setting') as unknown],
    ]);
  });

  test('"gw": "" means no gateway, for containers and VMs', async () => {
    const fleet = await fleetOf({
      file: VM_FILE,
      change: (d) => ((vm(d, 1).network_config as Json).gw = ''),
    });
    const ct = fleet.guests.get(901);
    const v = fleet.guests.get(8001);
    expect(ct?.kind === 'lxc' && ct.config.network_config?.gw).toBeUndefined();
    expect(v?.kind === 'vm' && v.config.network_config?.gw).toBeUndefined();
  });

  test('an invalid entry is one error: its clones and dependants still find it', async () => {
    const problems = await problemsOf({
      file: LXC_FILE,
      change: (d) => (lxc(d, '953').memory_mb = 'a lot'), // 910 and 950 depend on 953
    });
    expect(errors(problems).map((p) => p.path.join('.'))).toEqual(['lxc_configs.953.memory_mb']);
    const vmProblems = await problemsOf({
      file: VM_FILE,
      change: (d) => ((vm(d, 0).network_config as Json).nameservers = 'not an address'), // 8001 clones 8000
    });
    expect(errors(vmProblems).map((p) => p.path.join('.'))).toEqual(['vms.0.network_config.nameservers']);
  });

  test('a container cloned from an invalid VM is still told it names a VM', async () => {
    const problems = await problemsOf(
      { file: VM_FILE, change: (d) => (vm(d, 0).cores = 0) },
      { file: LXC_FILE, change: (d) => (lxc(d, '901').clone_from_ctid = '8000') },
    );
    expect(errors(problems).map((p) => [p.path.join('.'), p.message])).toEqual([
      ['vms.0.cores', expect.any(String) as unknown],
      [
        'lxc_configs.901.clone_from_ctid',
        'clone_from_ctid 8000 names a VM; a container can only be cloned from a container',
      ],
    ]);
  });

  test('an ID used by a container and a VM is reported as such, at the second one', async () => {
    const problems = await problemsOf({ file: VM_FILE, change: (d) => (vm(d, 1).vmid = 950) });
    expect(errors(problems)).toMatchObject([
      {
        path: ['vms', 1, 'vmid'],
        message: expect.stringMatching(
          /^ID 950 is used by both a container \(.*lxc_configs\.950\) and a VM here; IDs must be unique/,
        ) as unknown,
      },
    ]);
  });
});
