// Raw source -> normalized Fleet: every guest zod-parsed (defaults applied, unknown keys kept), scripts resolved,
// every problem collected rather than thrown.
import type { z } from 'zod';
import type { Fleet, Guest, GuestKind, GuestScripts, HostSetupStep, Origin, Problem } from './model.js';
import { addNodeCopies } from './node-copies.js';
import { error, formatJsonPath, problemsFromZod, type JsonPath } from './problems.js';
import { isPlainObject, type Located, type RawSource } from './raw-source.js';
import {
  applicationExtras,
  applicationScript,
  apparmorProfileFile,
  guestTestRunner,
  healthCheckScript,
  hostStepName,
  hypervisorSetupScript,
  hypervisorTestRunner,
  lxcFeatureScript,
  nvidiaCheckScript,
  portainerScript,
  resolveScriptDirs,
  testScript,
  userDataTemplate,
  vmFeatureScript,
} from './scripts.js';
import {
  firewallRule,
  guestId,
  healthCheck,
  hostFirewall,
  hypervisor,
  lxcGuest,
  lxcNetwork,
  scriptPaths,
  vmGuest,
  vmNetworkFields,
  vmUserConfig,
  type LxcConfig,
  type ScriptPaths,
  type VmConfig,
} from './schema.js';
import { typo } from './legacy.js';
import { suggestKey } from './typos.js';

/** Issues carry the offending value, so messages can say what was found. */
const REPORT = { reportInput: true } as const;

/** A guest whose own entry is invalid: reported once, and still defined for its clones and dependants. */
export interface DeclaredGuest {
  kind: GuestKind;
  origin: Origin;
}

export interface Normalized {
  fleet: Fleet;
  problems: Problem[];
  /** Guests with a valid ID whose entry did not parse (their problems are in `problems`). */
  invalid: Map<number, DeclaredGuest>;
}

/** The user's script that writes cluster.fw from `shared_volumes.firewall` (and the one Phoenix's step replaces). */
export const FIREWALL_SETUP_SCRIPT = 'hypervisor_feature_setup_firewall.sh';

/**
 * With `shared_volumes.firewall` declared Phoenix writes cluster.fw itself (`host:firewall`), in the place of the
 * user's hypervisor_feature_setup_firewall.sh, which writes the same file (both running, each would undo the other),
 * or last when the script is not listed.
 */
function withFirewallStep(steps: HostSetupStep[], origin: Origin): HostSetupStep[] {
  const own: HostSetupStep = {
    script: FIREWALL_SETUP_SCRIPT,
    name: 'firewall',
    path: '',
    origin,
    own: 'firewall',
  };
  const at = steps.findIndex((s) => s.name === hostStepName(FIREWALL_SETUP_SCRIPT));
  return at < 0 ? [...steps, own] : [...steps.slice(0, at), own, ...steps.slice(at + 1)];
}

export function normalize(raw: RawSource): Normalized {
  const problems: Problem[] = [...raw.problems];

  const scriptsParsed = scriptPaths.safeParse(raw.scripts.value, REPORT);
  if (!scriptsParsed.success) problems.push(...fromZod(scriptsParsed.error, raw.scripts));
  const dirs = resolveScriptDirs(
    raw.root,
    scriptsParsed.success ? scriptsParsed.data : scriptPaths.parse({}),
  );

  const hvParsed = hypervisor.safeParse(raw.hypervisor.value, REPORT);
  if (!hvParsed.success) problems.push(...fromZod(hvParsed.error, raw.hypervisor));
  problems.push(...typos(raw.hypervisor, Object.keys(hypervisor.shape)), ...firewallTypos(raw.hypervisor));
  const hv = hvParsed.success ? hvParsed.data : hypervisor.parse({});
  const listed = isPlainObject(raw.hypervisor.value) && raw.hypervisor.value.setup_scripts !== undefined;
  const scripted: HostSetupStep[] = hv.setup_scripts.map((script, index) => ({
    script,
    name: hostStepName(script),
    path: hypervisorSetupScript(dirs, script),
    ...(listed
      ? { origin: { file: raw.hypervisor.file, path: [...raw.hypervisor.path, 'setup_scripts', index] } }
      : {}),
  }));
  const hostSteps =
    hv.shared_volumes?.firewall === undefined
      ? scripted
      : withFirewallStep(scripted, {
          file: raw.hypervisor.file,
          path: [...raw.hypervisor.path, 'shared_volumes', 'firewall'],
        });

  const guests = new Map<number, Guest>();
  const invalid = new Map<number, DeclaredGuest>();
  const seen = new Map<number, DeclaredGuest>();
  const add = (found: Read, idPath: JsonPath) => {
    const declared = declaredOf(found);
    const other = seen.get(found.id);
    if (other !== undefined) {
      problems.push(duplicateId(found.id, other, declared, idPath));
      return;
    }
    seen.set(found.id, { kind: declared.kind, origin: declared.origin });
    if ('guest' in found) guests.set(found.id, found.guest);
    else invalid.set(found.id, { kind: found.kind, origin: found.origin });
  };
  for (const g of readContainers(raw.lxc, dirs, raw.root, problems)) add(g, declaredOf(g).origin.path);
  for (const g of readVms(raw.vmDefaults, raw.vms, dirs, problems))
    add(g, [...declaredOf(g).origin.path, 'vmid']);

  const fleet: Fleet = {
    files: raw.files,
    root: raw.root,
    hypervisorConfigFile: raw.hypervisorConfigFile,
    hypervisor: hv,
    hostSteps,
    hypervisorTestRunner: hypervisorTestRunner(dirs),
    guestTestRunner: guestTestRunner(dirs),
    guests,
    globals: raw.globals,
    scriptDirs: dirs,
  };
  problems.push(...addNodeCopies(fleet, new Set(seen.keys())));
  return { fleet, problems, invalid };
}

/** A guest entry as read: parsed, or only its ID and kind when its own entry is invalid. */
type Read = { id: number; guest: Guest } | { id: number; kind: GuestKind; origin: Origin };

const declaredOf = (r: Read): DeclaredGuest => ('guest' in r ? r.guest : r);

const kindWord = (kind: GuestKind) => (kind === 'lxc' ? 'a container' : 'a VM');

function fromZod(err: z.ZodError, at: Located): Problem[] {
  return problemsFromZod(err.issues, at.file, at.path);
}

function duplicateId(id: number, first: DeclaredGuest, second: DeclaredGuest, path: JsonPath): Problem {
  const where = `${first.origin.file}: ${formatJsonPath(first.origin.path)}`;
  const both =
    first.kind === second.kind
      ? `ID ${id} is used twice: by ${kindWord(first.kind)} (${where}) and here`
      : `ID ${id} is used by both ${kindWord(first.kind)} (${where}) and ${kindWord(second.kind)} here`;
  return error(
    second.origin.file,
    path,
    `${both}; IDs must be unique across containers and VMs`,
    'give one of them another ID',
  );
}

const LXC_KEYS = Object.keys(lxcGuest.shape);
const VM_KEYS = Object.keys(vmGuest.shape);

/** Known keys of the nested objects a typo check looks into. */
const NESTED_KEYS: Record<string, string[]> = {
  health_check: Object.keys(healthCheck.shape),
  user_config: Object.keys(vmUserConfig.shape),
};

/**
 * Mistyped keys of the host firewall: one there silently drops rules or a policy of a firewall that may be
 * turned on with inbound traffic dropped.
 */
function firewallTypos(hv: Located): Problem[] {
  const sv = isPlainObject(hv.value) ? hv.value.shared_volumes : undefined;
  const at = { file: hv.file, path: [...hv.path, 'shared_volumes'], value: sv };
  const fw = isPlainObject(sv) ? sv.firewall : undefined;
  const rules = isPlainObject(fw) && Array.isArray(fw.global_firewall_rules) ? fw.global_firewall_rules : [];
  const rulesAt = [...at.path, 'firewall', 'global_firewall_rules'];
  return [
    ...typos(at, ['firewall'], { firewall: Object.keys(hostFirewall.shape) }),
    ...rules.flatMap((value: unknown, i) =>
      typos({ file: hv.file, path: [...rulesAt, i], value }, Object.keys(firewallRule.shape)),
    ),
  ];
}

function typos(at: Located, known: string[], nested: Record<string, string[]> = {}): Problem[] {
  if (!isPlainObject(at.value)) return [];
  const found: Problem[] = [];
  for (const [key, value] of Object.entries(at.value)) {
    const meant = suggestKey(key, known);
    if (meant !== undefined) found.push(typo(at.file, [...at.path, key], meant, !(meant in at.value)));
    const inner = nested[key];
    if (inner !== undefined) found.push(...typos({ file: at.file, path: [...at.path, key], value }, inner));
  }
  return found;
}

function readContainers(at: Located, dirs: ScriptPaths, root: string, problems: Problem[]): Read[] {
  if (!isPlainObject(at.value)) {
    problems.push(
      error(at.file, at.path, 'must be an object keyed by container ID', 'write { "950": { ... } }'),
    );
    return [];
  }
  const nested = { ...NESTED_KEYS, network_config: Object.keys(lxcNetwork.shape) };
  const guests: Read[] = [];
  for (const [key, value] of Object.entries(at.value)) {
    const path = [...at.path, key];
    const id = guestId.safeParse(key, REPORT);
    if (!id.success) {
      problems.push(
        error(
          at.file,
          path,
          `container ID "${key}" ${id.error.issues[0]?.message ?? 'is invalid'}`,
          'use an ID from 100 to 999999999',
        ),
      );
    }
    problems.push(...typos({ file: at.file, path, value }, LXC_KEYS, nested));
    const parsed = lxcGuest.safeParse(value, REPORT);
    if (!parsed.success) problems.push(...problemsFromZod(parsed.error.issues, at.file, path));
    if (!id.success) continue;
    const origin = { file: at.file, path };
    if (!parsed.success) {
      guests.push({ id: id.data, kind: 'lxc', origin });
      continue;
    }
    const config = parsed.data;
    const guest: Guest = {
      kind: 'lxc',
      id: id.data,
      config,
      origin,
      declared: isPlainObject(value) ? Object.keys(value) : [],
      scripts: lxcScripts(config, dirs, root),
      ...(config.clone_from_ctid === undefined ? {} : { cloneFrom: config.clone_from_ctid }),
      dependencies: config.dependencies,
      bootOrder: config.boot_order,
    };
    guests.push({ id: id.data, guest });
  }
  return guests;
}

/** `unconfined` is no profile file; any other name is one in the apparmor folder. */
export const UNCONFINED = 'unconfined';

function lxcScripts(config: LxcConfig, dirs: ScriptPaths, root: string): GuestScripts {
  const scripts: GuestScripts = {
    features: config.features.map((name) => ({ name, path: lxcFeatureScript(dirs, name) })),
    tests: resolveTests(config.tests, dirs),
  };
  if (config.application_script !== undefined) {
    scripts.application = applicationScript(dirs, config.application_script);
    const extras = applicationExtras(root, config.application_script);
    if (extras.length > 0) scripts.applicationFiles = extras;
  }
  const health =
    config.health_check === undefined ? undefined : healthCheckScript(dirs, config.health_check.command);
  if (health !== undefined) scripts.healthCheck = health;
  const role = config.portainer_role?.trim();
  if (role !== undefined && role !== '' && role !== 'none') scripts.portainer = portainerScript(dirs);
  if (config.features.includes('nvidia')) scripts.nvidiaCheck = nvidiaCheckScript(dirs);
  const profile = config.apparmor_profile;
  if (profile !== undefined && profile !== UNCONFINED)
    scripts.apparmorProfile = apparmorProfileFile(dirs, profile);
  return scripts;
}

function resolveTests(tests: LxcConfig['tests'], dirs: ScriptPaths): GuestScripts['tests'] {
  const out: GuestScripts['tests'] = {};
  for (const [suite, cases] of Object.entries(tests ?? {})) {
    out[suite] = cases.map((c) => ({ name: c.name, type: c.type, path: testScript(dirs, c.path) }));
  }
  return out;
}

/**
 * `vm_defaults` merged under each VM: objects merge key by key (so a VM's network_config.ip keeps the default
 * gw), anything else in the VM replaces the default.
 */
export function mergeVmDefaults(
  defaults: Record<string, unknown>,
  vm: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(vm)) {
    const base = out[key];
    out[key] = isPlainObject(base) && isPlainObject(value) ? mergeVmDefaults(base, value) : value;
  }
  return out;
}

function readVms(defaultsAt: Located, listAt: Located, dirs: ScriptPaths, problems: Problem[]): Read[] {
  let defaults: Record<string, unknown> = {};
  if (isPlainObject(defaultsAt.value)) defaults = defaultsAt.value;
  else
    problems.push(
      error(defaultsAt.file, defaultsAt.path, 'must be an object', 'write "vm_defaults": { ... }'),
    );
  const nested = { ...NESTED_KEYS, network_config: Object.keys(vmNetworkFields.shape) };
  problems.push(...typos(defaultsAt, VM_KEYS, nested));
  if (!Array.isArray(listAt.value)) {
    problems.push(
      error(listAt.file, listAt.path, 'must be an array of VMs', 'write "vms": [ { "vmid": 1000, ... } ]'),
    );
    return [];
  }
  const guests: Read[] = [];
  listAt.value.forEach((vm: unknown, index) => {
    const path = [...listAt.path, index];
    if (!isPlainObject(vm)) {
      problems.push(error(listAt.file, path, 'must be an object', 'write { "vmid": 1000, "name": "..." }'));
      return;
    }
    problems.push(...typos({ file: listAt.file, path, value: vm }, VM_KEYS, nested));
    const parsed = vmGuest.safeParse(mergeVmDefaults(defaults, vm), REPORT);
    if (!parsed.success) {
      // A bad value that came from vm_defaults is reported there, not on every VM.
      const place = (p: JsonPath) =>
        p[0] !== undefined && !(p[0] in vm) ? [...defaultsAt.path, ...p] : [...path, ...p];
      for (const problem of problemsFromZod(parsed.error.issues, listAt.file, path, place)) {
        if (
          !problems.some(
            (q) =>
              q.file === problem.file && q.message === problem.message && sameJsonPath(q.path, problem.path),
          )
        ) {
          problems.push(problem);
        }
      }
      const id = guestId.safeParse(vm.vmid);
      if (id.success) guests.push({ id: id.data, kind: 'vm', origin: { file: listAt.file, path } });
      return;
    }
    const config = parsed.data;
    const guest: Guest = {
      kind: 'vm',
      id: config.vmid,
      config,
      origin: { file: listAt.file, path },
      declared: Object.keys(mergeVmDefaults(defaults, vm)),
      scripts: vmScripts(config, dirs),
      ...(config.clone_from_vmid === undefined ? {} : { cloneFrom: config.clone_from_vmid }),
      dependencies: config.dependencies,
      bootOrder: config.boot_order,
    };
    guests.push({ id: config.vmid, guest });
  });
  return guests;
}

function sameJsonPath(a: JsonPath, b: JsonPath): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

function vmScripts(config: VmConfig, dirs: ScriptPaths): GuestScripts {
  return {
    features: config.features.map((name) => ({ name, path: vmFeatureScript(dirs, name) })),
    tests: {},
    userDataTemplate: userDataTemplate(dirs),
  };
}
