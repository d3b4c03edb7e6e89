// The original orchestrator's layout: three JSON files in an install root's etc/, read unchanged.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Problem } from './model.js';
import { error, warning } from './problems.js';
import { readJsonFile } from './json-file.js';
import { isPlainObject, type RawSource } from './raw-source.js';
import { suggestKey } from './typos.js';

export const LEGACY_FILES = {
  hypervisor: 'phoenix_hypervisor_config.json',
  lxc: 'phoenix_lxc_configs.json',
  vm: 'phoenix_vm_configs.json',
} as const;

const LEGACY_NAMES: readonly string[] = Object.values(LEGACY_FILES);

export function isLegacyFileName(file: string): boolean {
  return LEGACY_NAMES.includes(path.basename(file));
}

function holdsLegacyFiles(dir: string): boolean {
  return LEGACY_NAMES.some((name) => existsSync(path.join(dir, name)));
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Where the legacy files and scripts are, for a folder given as config: the folder itself when it holds the
 * files, else its `etc/`. Scripts resolve against the install root: the folder with `bin/` (the files' folder or,
 * for `.../etc`, its parent).
 */
export function findLegacyLayout(dir: string): { etc: string; root: string } | undefined {
  if (holdsLegacyFiles(dir)) {
    const parent = path.dirname(dir);
    const root =
      isDir(path.join(dir, 'bin')) || !(path.basename(dir) === 'etc' || isDir(path.join(parent, 'bin')))
        ? dir
        : parent;
    return { etc: dir, root };
  }
  const etc = path.join(dir, 'etc');
  return holdsLegacyFiles(etc) ? { etc, root: dir } : undefined;
}

const LXC_TOP_KEYS = ['lxc_configs', '$schema'];
const VM_TOP_KEYS = ['vm_defaults', 'vms', '$schema'];

/** Read the three files; a missing one is a warning (a fleet may have no VMs), broken JSON is an error. */
export async function readLegacy(layout: { etc: string; root: string }): Promise<RawSource> {
  const file = (name: string) => path.join(layout.etc, name);
  const hvFile = file(LEGACY_FILES.hypervisor);
  const lxcFile = file(LEGACY_FILES.lxc);
  const vmFile = file(LEGACY_FILES.vm);
  const problems: Problem[] = [];
  const texts = new Map<string, string>();
  const files: string[] = [];

  const read = async (f: string): Promise<unknown> => {
    if (!existsSync(f)) {
      problems.push(
        warning(
          f,
          [],
          'file not found; treating it as empty',
          `create ${path.basename(f)} if you expected one`,
        ),
      );
      return undefined;
    }
    files.push(f);
    const result = await readJsonFile(f);
    if (!result.ok) {
      problems.push(...result.error);
      return undefined;
    }
    texts.set(f, result.value.text);
    if (!isPlainObject(result.value.json)) {
      problems.push(error(f, [], 'must be a JSON object', 'wrap the content in { ... }'));
      return undefined;
    }
    return result.value.json;
  };

  const hv = await read(hvFile);
  const lxcDoc = (await read(lxcFile)) as Record<string, unknown> | undefined;
  const vmDoc = (await read(vmFile)) as Record<string, unknown> | undefined;

  const globals: Record<string, unknown> = {};
  if (lxcDoc !== undefined) {
    for (const [key, value] of Object.entries(lxcDoc)) {
      if (LXC_TOP_KEYS.includes(key)) continue;
      globals[key] = value; // nvidia_runfile_url and friends: scripts read them from here
      const meant = suggestKey(key, LXC_TOP_KEYS);
      if (meant !== undefined) problems.push(typo(lxcFile, [key], meant));
    }
    if (lxcDoc.lxc_configs === undefined) {
      problems.push(
        error(lxcFile, ['lxc_configs'], 'is required', 'add "lxc_configs": { "<CTID>": { ... } }'),
      );
    }
  }
  if (vmDoc !== undefined) {
    for (const key of Object.keys(vmDoc)) {
      const meant = VM_TOP_KEYS.includes(key) ? undefined : suggestKey(key, VM_TOP_KEYS);
      if (meant !== undefined) problems.push(typo(vmFile, [key], meant));
    }
  }

  return {
    layout: 'legacy',
    files,
    root: layout.root,
    scripts: { file: lxcFile, path: [], value: {} },
    hypervisor: { file: hvFile, path: [], value: hv ?? {} },
    hypervisorConfigFile: hvFile,
    lxc: { file: lxcFile, path: ['lxc_configs'], value: lxcDoc?.lxc_configs ?? {} },
    vmDefaults: { file: vmFile, path: ['vm_defaults'], value: vmDoc?.vm_defaults ?? {} },
    vms: { file: vmFile, path: ['vms'], value: vmDoc?.vms ?? [] },
    globals,
    problems,
    texts,
  };
}

export function typo(file: string, path: (string | number)[], meant: string, fallsBack = false): Problem {
  const key = String(path.at(-1) ?? '');
  return {
    ...warning(
      file,
      path,
      `unknown key; did you mean ${meant}?`,
      `rename it to ${meant}${fallsBack ? ` (${meant} is not set here, so it takes its default)` : ''}, or ignore this if it is yours`,
    ),
    typo: { key, meant, fallsBack },
  };
}
