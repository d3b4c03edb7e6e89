// phoenix.config.* (a default-exported object) split into the same raw parts as the legacy files.
import path from 'node:path';
import { typo } from './legacy.js';
import type { Problem } from './model.js';
import { error } from './problems.js';
import { isPlainObject, type RawSource } from './raw-source.js';
import { CONFIG_TOP_KEYS } from './schema-keys.js';
import { suggestKey } from './typos.js';

const TOP_KEYS = [...CONFIG_TOP_KEYS];

export function configSource(file: string, value: unknown, text?: string): RawSource {
  const problems: Problem[] = [];
  const doc = isPlainObject(value) ? value : {};
  if (!isPlainObject(value)) {
    problems.push(
      error(file, [], 'the config must be an object', 'export default defineConfig({ lxc: { ... } })'),
    );
  }
  for (const key of Object.keys(doc)) {
    if (TOP_KEYS.includes(key)) continue;
    const meant = suggestKey(key, TOP_KEYS);
    problems.push(
      meant === undefined
        ? error(file, [key], 'unknown top-level key', `use only ${TOP_KEYS.join(', ')}`)
        : { ...typo(file, [key], meant), severity: 'error' },
    );
  }
  const globals = isPlainObject(doc.globals) ? doc.globals : {};
  if (doc.globals !== undefined && !isPlainObject(doc.globals)) {
    problems.push(error(file, ['globals'], 'must be an object', 'write globals: { key: value }'));
  }
  return {
    layout: 'config',
    files: [file],
    root: path.dirname(file),
    scripts: { file, path: ['scripts'], value: doc.scripts ?? {} },
    hypervisor: { file, path: ['hypervisor'], value: doc.hypervisor ?? {} },
    hypervisorConfigFile: file,
    lxc: { file, path: ['lxc'], value: doc.lxc ?? {} },
    vmDefaults: { file, path: ['vm_defaults'], value: doc.vm_defaults ?? {} },
    vms: { file, path: ['vms'], value: doc.vms ?? [] },
    globals,
    problems,
    texts: new Map<string, string>(text === undefined ? [] : [[file, text]]),
  };
}
