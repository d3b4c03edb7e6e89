// Shared helpers for config tests: throwaway copies of the legacy fixture that a test can edit.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir as sharedTempDir } from '../support/temp-dirs.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const LEGACY_FIXTURE = path.join(REPO, 'test/fixtures/legacy/phoenix_hypervisor');
export const LXC_FILE = 'phoenix_lxc_configs.json';
export const VM_FILE = 'phoenix_vm_configs.json';
export const HV_FILE = 'phoenix_hypervisor_config.json';

export function tempDir(): string {
  return sharedTempDir('phoenix-config-test-');
}

/** A fresh copy of the legacy install root. */
export function legacyCopy(): string {
  const root = path.join(tempDir(), 'phoenix_hypervisor');
  cpSync(LEGACY_FIXTURE, root, { recursive: true });
  return root;
}

type Json = Record<string, unknown>;

/** Edit one of the copy's JSON files in place. */
export function editJson(root: string, file: string, edit: (doc: Json) => void): void {
  const full = path.join(root, 'etc', file);
  const doc = JSON.parse(readFileSync(full, 'utf8')) as Json;
  edit(doc);
  writeFileSync(full, JSON.stringify(doc, null, 4));
}

export function lxc(doc: Json, id: string): Json {
  return (doc.lxc_configs as Record<string, Json>)[id] as Json;
}

export function vm(doc: Json, index: number): Json {
  return (doc.vms as Json[])[index] as Json;
}
