// The normalized fleet: what every later stage (graph, plan, run, report) consumes, whatever the source was.
import type { HypervisorConfig, LxcConfig, ScriptPaths, VmConfig } from './schema.js';

export type GuestKind = 'lxc' | 'vm';

/** Where a value came from, so every message can name the file and the JSON path. */
export interface Origin {
  file: string;
  /** JSON path inside `file`, e.g. ['lxc_configs', '950', 'memory_mb'] or ['vms', 0, 'name']. */
  path: (string | number)[];
}

/** Absolute paths of every script a guest's steps run (resolved against the config's scripts folders). */
export interface GuestScripts {
  /** One entry per feature, in config order. */
  features: { name: string; path: string }[];
  application?: string;
  /** Test scripts by suite name. */
  tests: Record<string, { name: string; type: string; path: string }[]>;
  /**
   * Set when `health_check.command`'s first word names a script in the health-checks folder (`check_gateway.sh`):
   * that script runs on the host with the guest ID as $1. Otherwise the command runs inside the guest.
   */
  healthCheck?: string;
  /** The portainer feature script, when `portainer_role` is set and not `none` (run on the host with the CTID). */
  portainer?: string;
  /** `check_nvidia.sh` for a container with the `nvidia` feature: run on the host with the CTID when it exists. */
  nvidiaCheck?: string;
  /** The custom AppArmor profile's file (`etc/apparmor/<profile>`), installed on the host before the start. */
  apparmorProfile?: string;
  /** Files pushed beside the application script when they exist (the original's per-script extras). */
  applicationFiles?: string[];
  /** VMs: the cloud-init user-data template their features are delivered in, when the install root has one. */
  userDataTemplate?: string;
}

interface GuestBase {
  id: number;
  origin: Origin;
  /** The keys the config writes for this guest (a VM's with vm_defaults'), for `validate`'s key lists. */
  declared?: string[];
  scripts: GuestScripts;
  /**
   * The guest this one is cloned from, if any: its config's clone source, or that template's copy on the node its
   * `node` key names (config/node-copies.ts).
   */
  cloneFrom?: number;
  /** Set on a template's per-node copy (`node_copies`), a guest the config names only by its VMID. */
  copyOf?: { template: number; node: string };
  dependencies: number[];
  bootOrder: number;
}

export interface LxcGuest extends GuestBase {
  kind: 'lxc';
  config: LxcConfig;
}

export interface VmGuest extends GuestBase {
  kind: 'vm';
  config: VmConfig;
}

export type Guest = LxcGuest | VmGuest;

export interface HostSetupStep {
  /** Script file name as configured, e.g. `hypervisor_feature_setup_zfs.sh`. */
  script: string;
  /** Step name: `setup_zfs` for `hypervisor_feature_setup_zfs.sh` (see hostStepName in scripts.ts); address `host:setup_zfs`. */
  name: string;
  path: string;
  /** Where the script is listed (`setup_scripts[i]`); absent when it comes from the default sequence. */
  origin?: Origin;
  /**
   * Set on the host step Phoenix does itself instead of running a script: `firewall` writes `shared_volumes.firewall`
   * into cluster.fw (tasks/host-firewall.ts). It takes the place of hypervisor_feature_setup_firewall.sh, which does
   * that job in the user's tree; `script` and `path` name that script, which is not run.
   */
  own?: 'firewall';
}

export interface Fleet {
  /** The files the fleet was read from (one for phoenix.config.ts, three for the legacy layout). */
  files: string[];
  /** Directory config-relative paths resolve against (config file's folder or the legacy install root). */
  root: string;
  /** The file the hypervisor scripts receive as their config (legacy: phoenix_hypervisor_config.json). */
  hypervisorConfigFile: string;
  /** True when Phoenix writes that file from the config (phoenix.config.*) before a run: ensureHypervisorJson. */
  generatedHypervisorConfig?: boolean;
  hypervisor: HypervisorConfig;
  hostSteps: HostSetupStep[];
  /** Hypervisor test runner script (`bin/tests/hypervisor_test_runner.sh`). */
  hypervisorTestRunner: string;
  /** Per-guest test runner script (`bin/tests/test_runner.sh`). */
  guestTestRunner: string;
  /** Every guest, keyed by ID; IDs are unique across kinds. */
  guests: Map<number, Guest>;
  /** Fleet-wide values for scripts: the legacy LXC file's extra top-level keys (nvidia_runfile_url, ...) or `globals`. */
  globals?: Record<string, unknown>;
  /** The absolute script folders the paths above were resolved against. */
  scriptDirs?: ScriptPaths;
  /**
   * Every script's content hash (or `missing`), read when the config loaded (config/script-files.ts): planning
   * reads no file. Set by loadFleet on every load, never cached with the fleet.
   */
  scriptHashes?: ReadonlyMap<string, string>;
  /**
   * Scripts stored without their run bit, by path: the interpreter their `#!` line names (read at load, like the
   * hashes; they run through it).
   */
  scriptInterpreters?: ReadonlyMap<string, readonly string[]>;
  /** Per script, the keys of `globals` its text names (config/script-files.ts globalsReadBy); set with the hashes. */
  scriptGlobals?: ReadonlyMap<string, readonly string[]>;
  /** Guests' settings that fall back to a default because of a mistyped key. Set by loadFleet on every load. */
  keyTypos?: KeyTypo[];
}

export interface Problem {
  severity: 'error' | 'warning';
  file: string;
  path: (string | number)[];
  message: string;
  /** What the user should do about it. */
  hint?: string;
  /** 1-based position in `file`, when known (JSON syntax errors, TS compile errors, legacy JSON values). */
  line?: number;
  column?: number;
  /**
   * Set on an unknown key one edit away from a known one (`boot_ordr`): the key meant, and whether that key is
   * absent beside it, so the setting silently takes its default (plan shows this next to the change it causes).
   */
  typo?: { key: string; meant: string; fallsBack: boolean };
}

/** A typo that makes a guest's setting fall back to its default, as `plan` names it next to the change. */
export interface KeyTypo {
  guest: number;
  /** The setting's path inside the guest's config as inputs name it: `boot_order`, `network_config.gw`. */
  field: string;
  /** The key as written: `boot_ordr`. */
  key: string;
}
