// A template's per-node copies (node_copies): the guests they add, the clones they take over, the graph they make,
// and the config mistakes `validate` names with their JSON path.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { defineConfig } from '../../src/config/define.js';
import { loadFleet } from '../../src/config/load.js';
import { jsonSchemaFor } from '../../src/config/json-schema.js';
import { addNodeCopies } from '../../src/config/node-copies.js';
import type { Fleet } from '../../src/config/model.js';
import { buildStepGraph } from '../../src/graph/build.js';
import { stepsOf } from '../../src/graph/query.js';
import { lxcDefinition } from '../../src/tasks/lxc-define.js';
import { vmCloneArgv } from '../../src/tasks/vm-define.js';
import { emptyLive, fleetOf, lxc, tables, vm } from '../plan/fakes.js';
import { LXC_FILE, VM_FILE, editJson, legacyCopy, lxc as lxcOf, tempDir, vm as vmOf } from './helpers.js';

function fleetWithCopies(): Fleet {
  const fleet = fleetOf([
    lxc(900, {
      template_snapshot_name: 'golden',
      node: 'pve1',
      node_copies: { pve2: 9002 },
      features: ['base'],
    }),
    lxc(301, { clone_from_ctid: 900, node: 'pve2' }),
    lxc(302, { clone_from_ctid: 900, node: 'pve1' }),
    lxc(303, { clone_from_ctid: 900 }),
    vm(8000, { is_template: true, node_copies: { pve2: 8002 } }),
    vm(8101, { clone_from_vmid: 8000, node: 'pve2' }),
  ]);
  expect(addNodeCopies(fleet, new Set(fleet.guests.keys()))).toEqual([]);
  return fleet;
}

describe('node_copies', () => {
  test('adds a copy per node, cloned from the template, and points the clones on that node at it', () => {
    const fleet = fleetWithCopies();
    const copy = fleet.guests.get(9002);
    expect(copy).toMatchObject({
      kind: 'lxc',
      cloneFrom: 900,
      copyOf: { template: 900, node: 'pve2' },
      config: {
        node: 'pve2',
        template_snapshot_name: 'golden',
        features: [],
        enable_lifecycle_snapshots: false,
      },
    });
    expect(copy?.config.node_copies).toBeUndefined();
    expect(fleet.guests.get(301)?.cloneFrom).toBe(9002);
    // On the template's own node, or placed beside it (no node key): from the template itself.
    expect(fleet.guests.get(302)?.cloneFrom).toBe(900);
    expect(fleet.guests.get(303)?.cloneFrom).toBe(900);
    expect(fleet.guests.get(8101)?.cloneFrom).toBe(8002);
    expect(fleet.guests.get(8002)?.config).toMatchObject({ is_template: true, clone_from_vmid: 8000 });
  });

  test('the graph: a copy is made and made a clone source, after the template and before its clones', () => {
    const r = buildStepGraph(fleetWithCopies(), tables);
    if (!r.ok) throw new Error(r.error.message);
    const g = r.value;
    expect(stepsOf(g, 9002)).toEqual(['9002:define', '9002:snapshot']);
    expect(stepsOf(g, 8002)).toEqual(['8002:define', '8002:template']);
    expect(g.getDirectedEdgeAttributes('900:snapshot', '9002:define')).toMatchObject({ kind: 'clone' });
    expect(g.getDirectedEdgeAttributes('9002:snapshot', '301:define')).toMatchObject({ kind: 'clone' });
    expect(g.hasDirectedEdge('900:snapshot', '301:define')).toBe(false);
    expect(g.getDirectedEdgeAttributes('8002:template', '8101:define')).toMatchObject({ kind: 'clone' });
    const order = g.getAttribute('order');
    expect(order.indexOf('9002:snapshot')).toBeLessThan(order.indexOf('301:define'));
  });

  test('clones come from the copy; a VM copy is a full clone, never linked to the template', () => {
    const fleet = fleetWithCopies();
    const live = emptyLive();
    const ct = fleet.guests.get(301);
    if (ct?.kind !== 'lxc') throw new Error('301');
    expect(lxcDefinition(ct, fleet, live)).toMatchObject({
      how: 'clone',
      argv: ['pct', 'clone', '9002', '301', '--hostname', 'ct301', '--snapname', 'golden'],
    });
    const copy = fleet.guests.get(8002);
    const clone = fleet.guests.get(8101);
    if (copy?.kind !== 'vm' || clone?.kind !== 'vm') throw new Error('8002, 8101');
    expect(vmCloneArgv(copy, fleet, live)).toEqual([
      'qm',
      'clone',
      '8000',
      '8002',
      '--name',
      'vm8000-pve2',
      '--full',
      '1',
    ]);
    expect(vmCloneArgv(clone, fleet, live)).toEqual(['qm', 'clone', '8002', '8101', '--name', 'vm8101']);
  });

  test('phoenix.config.ts: typed (defineConfig takes node_copies), and a copy on a non-template named by its path', async () => {
    const typed = defineConfig({
      lxc: {
        '900': {
          name: 'base',
          template: 'local:vztmpl/d.tar.zst',
          template_snapshot_name: 'ready',
          node_copies: { pve2: 9002 },
        },
        '950': { name: 'app', clone_from_ctid: 900, node: 'pve2' },
      },
    });
    const file = path.join(tempDir(), 'phoenix.config.ts');
    writeFileSync(file, `export default ${JSON.stringify(typed)};\n`);
    const loaded = await loadFleet({ config: file, cwd: '/' });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.error));
    expect(loaded.value.fleet.guests.get(950)?.cloneFrom).toBe(9002);
    const lxc900 = typed.lxc?.['900'];
    if (lxc900 === undefined) throw new Error('900');
    delete lxc900.template_snapshot_name;
    writeFileSync(file, `export default ${JSON.stringify(typed)};\n`);
    const bad = await loadFleet({ config: file, cwd: '/' });
    expect(bad.ok ? [] : bad.error.map((p) => [p.path.join('.'), p.message])).toContainEqual([
      'lxc.900.node_copies',
      '900 has node_copies but is not a template: only a clone source is copied to other nodes',
    ]);
  });

  test('a node named twice in legacy JSON is an error at that key, not a silently dropped copy', async () => {
    const root = legacyCopy();
    const file = path.join(root, 'etc', LXC_FILE);
    const text = readFileSync(file, 'utf8').replace(
      '"template_snapshot_name": "final-form",',
      '"template_snapshot_name": "final-form", "node_copies": { "pve2": 9002, "pve2": 9003 },',
    );
    writeFileSync(file, text);
    const result = await loadFleet({ config: root, cwd: '/' });
    const problems = result.ok ? [] : result.error;
    expect(problems.map((p) => [p.path.join('.'), p.message])).toContainEqual([
      'lxc_configs.900.node_copies.pve2',
      expect.stringMatching(/^duplicate key "pve2"/),
    ]);
  });

  test('is in the JSON Schema of both legacy files and phoenix.config', () => {
    for (const kind of ['lxc', 'vm', 'config'] as const)
      expect(JSON.stringify(jsonSchemaFor(kind))).toContain('"node_copies"');
  });

  const mistakes: {
    name: string;
    file: string;
    edit: (d: Record<string, unknown>) => void;
    path: (string | number)[];
    message: RegExp;
  }[] = [
    {
      name: 'copies on a container that is no template',
      file: LXC_FILE,
      edit: (d) => (lxcOf(d, '950').node_copies = { pve2: 9050 }),
      path: ['lxc_configs', '950', 'node_copies'],
      message: /950 has node_copies but is not a template/,
    },
    {
      name: 'copies on a VM that is no template',
      file: VM_FILE,
      edit: (d) => (vmOf(d, 1).node_copies = { pve2: 8102 }),
      path: ['vms', 1, 'node_copies'],
      message: /8001 has node_copies but is not a template/,
    },
    {
      name: 'a copy VMID another guest has',
      file: LXC_FILE,
      edit: (d) => (lxcOf(d, '900').node_copies = { pve2: 8001 }),
      path: ['lxc_configs', '900', 'node_copies', 'pve2'],
      message: /copy ID 8001 is already a guest's ID/,
    },
    {
      name: 'a copy VMID named twice',
      file: LXC_FILE,
      edit: (d) => {
        lxcOf(d, '900').node_copies = { pve2: 9002 };
        lxcOf(d, '901').node_copies = { pve3: 9002 };
      },
      path: ['lxc_configs', '901', 'node_copies', 'pve3'],
      message: /copy ID 9002 is also named at .*lxc_configs\.900\.node_copies\.pve2/,
    },
    {
      name: "a copy on the template's own node",
      file: LXC_FILE,
      edit: (d) => Object.assign(lxcOf(d, '900'), { node: 'pve1', node_copies: { pve1: 9001 } }),
      path: ['lxc_configs', '900', 'node_copies', 'pve1'],
      message: /names pve1, the node 900 itself is on/,
    },
    {
      name: 'a bad node name',
      file: LXC_FILE,
      edit: (d) => (lxcOf(d, '900').node_copies = { pve_2: 9002 }),
      path: ['lxc_configs', '900', 'node_copies', 'pve_2'],
      message: /node name/,
    },
  ];
  test.each(mistakes)('validate names $name with its JSON path', async ({ file, edit, path, message }) => {
    const root = legacyCopy();
    editJson(root, file, edit);
    const result = await loadFleet({ config: root, cwd: '/' });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.error;
    const found = problems.find((p) => JSON.stringify(p.path) === JSON.stringify(path));
    expect(found, JSON.stringify(problems)).toBeDefined();
    expect(found?.message).toMatch(message);
    expect(found?.file).toMatch(file);
  });
});
