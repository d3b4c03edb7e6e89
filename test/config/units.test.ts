import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, test } from 'vitest';
import { jsonSchemaFor, SCHEMA_KINDS } from '../../src/config/json-schema.js';
import { loadFleet } from '../../src/config/load.js';
import { formatJsonPath, formatProblem, formatProblems, problemToJson } from '../../src/config/problems.js';
import { hostStepName } from '../../src/config/scripts.js';
import { summarizeFleet } from '../../src/config/summary.js';
import { oneEditApart, suggestKey } from '../../src/config/typos.js';
import { HV_FILE, LEGACY_FIXTURE, LXC_FILE, REPO, VM_FILE } from './helpers.js';

describe('hostStepName', () => {
  test.each([
    ['hypervisor_feature_setup_zfs.sh', 'setup_zfs'],
    ['hypervisor_initial_setup.sh', 'initial_setup'],
    ['hypervisor_feature_fix_apparmor_tunables.sh', 'fix_apparmor_tunables'],
    ['my_tweaks.sh', 'my_tweaks'],
    ['extra/hypervisor_feature_setup_nfs.sh', 'setup_nfs'],
    ['hypervisor_.sh', 'hypervisor_'],
  ])('%s -> %s', (script, name) => expect(hostStepName(script)).toBe(name));
});

describe('typo suggestions', () => {
  const known = ['memory_mb', 'cores', 'swap_mb', 'template', 'network_config'];
  test.each([
    ['memroy_mb', 'memory_mb'],
    ['memory_m', 'memory_mb'],
    ['coress', 'cores'],
    ['corez', 'cores'],
    ['tmplate', 'template'],
  ])('%s -> did you mean %s', (typo, meant) => expect(suggestKey(typo, known)).toBe(meant));

  test.each([['vllm_model'], ['memory_mb'], ['portainer_role'], ['mmeory_mb_x']])(
    '%s gets no suggestion',
    (key) => expect(suggestKey(key, known)).toBeUndefined(),
  );

  test('a swap of two characters that are not neighbours is two edits', () => {
    expect(oneEditApart('abcd', 'adcb')).toBe(false);
    expect(oneEditApart('abcd', 'abdc')).toBe(true);
  });
});

describe('problem formatting', () => {
  const p = {
    severity: 'error' as const,
    file: '/etc/phoenix_lxc_configs.json',
    path: ['lxc_configs', '950', 'memory_mb'],
    message: 'must be a number',
    hint: 'write a number here',
    line: 12,
    column: 13,
  };

  test('one line: file:line:col: path: message (fix: hint)', () => {
    expect(formatProblem(p)).toBe(
      '/etc/phoenix_lxc_configs.json:12:13: lxc_configs.950.memory_mb: must be a number (fix: write a number here)',
    );
  });

  test('warnings are marked and listed after errors', () => {
    const w = {
      severity: 'warning' as const,
      file: 'f.json',
      path: ['vms', 0, 'corez'],
      message: 'did you mean cores?',
    };
    expect(formatProblems([w, p])).toBe(
      `${formatProblem(p)}\nwarning: f.json: vms[0].corez: did you mean cores?`,
    );
  });

  test('JSON paths: array indexes in brackets, odd keys quoted, empty path named', () => {
    expect(formatJsonPath(['tests', 'integration tests', 0, 'path'])).toBe(
      'tests["integration tests"][0].path',
    );
    expect(formatJsonPath([])).toBe('(top level)');
  });

  test('the JSON form has every field, null when absent', () => {
    expect(problemToJson({ severity: 'warning', file: 'f', path: [], message: 'm' })).toEqual({
      severity: 'warning',
      file: 'f',
      path: [],
      where: '(top level)',
      message: 'm',
      hint: null,
      line: null,
      column: null,
    });
  });
});

describe('JSON Schema', () => {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const read = (file: string): unknown =>
    JSON.parse(readFileSync(path.join(LEGACY_FIXTURE, 'etc', file), 'utf8'));

  test.each([
    ['lxc', LXC_FILE],
    ['vm', VM_FILE],
    ['hypervisor', HV_FILE],
  ] as const)('the %s schema accepts the legacy fixture %s', (kind, file) => {
    const validate = ajv.compile(jsonSchemaFor(kind));
    expect(validate(read(file)), JSON.stringify(validate.errors)).toBe(true);
  });

  test('the lxc schema flags what the loader flags', () => {
    const validate = ajv.compile(jsonSchemaFor('lxc'));
    const doc = read(LXC_FILE) as { lxc_configs: Record<string, Record<string, unknown>> };
    (doc.lxc_configs['950'] as Record<string, unknown>).memory_mb = 'lots';
    doc.lxc_configs['12'] = { name: 'x' };
    expect(validate(doc)).toBe(false);
    const where = (validate.errors ?? []).map((e) => e.instancePath);
    expect(where).toContain('/lxc_configs/950/memory_mb');
    expect(where).toContain('/lxc_configs');
  });

  test('the vm schema requires only vmid per VM, since vm_defaults may supply the rest', () => {
    const schema = jsonSchemaFor('vm') as { properties: { vms: { items: { required: string[] } } } };
    expect(schema.properties.vms.items.required).toEqual(['vmid']);
  });

  test('guest IDs may be numbers or digit strings, as the legacy files write them', () => {
    const validate = ajv.compile(jsonSchemaFor('lxc'));
    const guest = { name: 'a', clone_from_ctid: '900', dependencies: [953, '101'] };
    expect(validate({ lxc_configs: { '950': guest } })).toBe(true);
  });

  test.each(SCHEMA_KINDS)('the %s schema is draft-07 JSON with a title', (kind) => {
    const schema = jsonSchemaFor(kind);
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toEqual(expect.any(String));
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });

  test('the config schema accepts the example fleet as JSON', async () => {
    const result = await loadFleet({ config: path.join(REPO, 'phoenix.config.ts'), cwd: REPO });
    expect(result.ok).toBe(true);
    const validate = ajv.compile(jsonSchemaFor('config'));
    const { default: config } = (await import('../../phoenix.config.js')) as { default: unknown };
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe('the example fleet (phoenix.config.ts)', () => {
  test('loads with the plan IDs, no problems, and every script present', async () => {
    const result = await loadFleet({ cwd: REPO });
    if (!result.ok) throw new Error(formatProblems(result.error));
    expect(result.value.warnings).toEqual([]);
    const { fleet } = result.value;
    expect([...fleet.guests.keys()].sort((a, b) => a - b)).toEqual([
      900, 901, 902, 920, 950, 953, 1000, 9000,
    ]);
    expect(summarizeFleet(fleet)).toMatchObject({ containers: 6, vms: 2, templates: 5 });
    expect(fleet.guests.get(950)).toMatchObject({ cloneFrom: 920, dependencies: [953], bootOrder: 3 });
    expect(fleet.guests.get(953)).toMatchObject({ cloneFrom: 900, bootOrder: 1 });
    expect(fleet.guests.get(953)?.scripts.healthCheck).toBe(
      path.join(REPO, 'examples/health_checks/check_gateway.sh'),
    );
    expect(fleet.guests.get(1000)).toMatchObject({ kind: 'vm', cloneFrom: 9000 });
    expect(fleet.hostSteps.map((s) => s.name)).toEqual(['initial_setup', 'setup_zfs', 'setup_firewall']);
  });
});
