// What a VM is given through cloud-init: its feature scripts, run inside it at first boot, and the QEMU guest agent
// (the official cloud images do not ship it; Phoenix's agent wait and template clean-up need it). Pure: the
// template and scripts' text in, the snippet out.
//
// With the install root's etc/cloud-init/user-data.template.yml (the original's apply_vm_configurations), the
// snippet is the VM's user-data: the template with __HOSTNAME__ and __USERNAME__ filled in and the feature scripts
// written where the #FEATURE_FILES_PLACEHOLDER# line was (as write_files entries under /tmp/features, mode 0755).
// Without one, it is vendor-data: Proxmox keeps generating the user-data from ciuser, sshkeys and the rest, and
// cloud-init merges the two.
import path from 'node:path';
import { Document, isMap, isSeq, parseDocument } from 'yaml';
import type { VmGuest } from '../config/model.js';

export type SnippetKind = 'user' | 'vendor';

/** Where cloud-init's write_files puts the feature scripts inside the VM (the original's folder). */
export const FEATURE_DIR = '/tmp/features';
export const AGENT_PACKAGE = 'qemu-guest-agent';
/** First in runcmd: the package does not start the agent by itself on a first boot. */
export const AGENT_ENABLE = ['systemctl', 'enable', '--now', AGENT_PACKAGE];
const PLACEHOLDER = '#FEATURE_FILES_PLACEHOLDER#';
const HEADER = '#cloud-config';

export interface FeatureFile {
  name: string;
  /** The script's path on the host (its file name is kept inside the VM). */
  path: string;
  content: string;
}

export interface CloudInitInput {
  vm: VmGuest;
  /** The user-data template's text, when the install root has one. */
  template?: string;
  features: FeatureFile[];
}

export interface Snippet {
  kind: SnippetKind;
  /** File name in the snippets folder: `user-data-<id>.yml` (the original's) or `vendor-data-<id>.yml`. */
  file: string;
  text: string;
}

export function snippetKind(hasTemplate: boolean): SnippetKind {
  return hasTemplate ? 'user' : 'vendor';
}

export function snippetFile(kind: SnippetKind, vmid: number): string {
  return `${kind}-data-${vmid}.yml`;
}

/** Where a feature script is written inside the VM. */
export function featureTarget(file: string): string {
  return path.posix.join(FEATURE_DIR, path.basename(file));
}

/** Where cloud-init keeps the data the current instance booted with (`/var/lib/cloud/instance/user-data.txt`). */
export function consumedDataFile(kind: SnippetKind): string {
  return `/var/lib/cloud/instance/${kind}-data.txt`;
}

export function renderSnippet(input: CloudInitInput): Snippet {
  const kind = snippetKind(input.template !== undefined);
  const doc =
    input.template === undefined ? vendorDocument(input.vm) : templateDocument(input.template, input.vm);
  addFeatures(doc, input.features);
  ensureAgent(doc);
  // The user's template runs the scripts itself (its runcmd loop over /tmp/features); Phoenix's own vendor-data
  // runs each with the VMID as $1, in the configured order, after the agent is up.
  if (kind === 'vendor')
    for (const f of input.features)
      seqAt(doc, 'runcmd').items.push(
        doc.createNode([featureTarget(f.path), String(input.vm.id)], { flow: true }),
      );
  const body = doc.toString({ lineWidth: 0, blockQuote: 'literal' });
  return { kind, file: snippetFile(kind, input.vm.id), text: `${HEADER}\n${body}` };
}

/**
 * The user's template, filled in. `#cloud-config` must be the very first line for cloud-init to read the file as
 * cloud-config; the template may have comments above it, so it is moved to the top.
 */
function templateDocument(template: string, vm: VmGuest): Document {
  const filled = template
    .replaceAll('__HOSTNAME__', vm.config.name)
    .replaceAll('__USERNAME__', vm.config.user_config?.username ?? 'phoenix')
    .split('\n')
    .filter((line) => line.trim() !== HEADER && line.trim() !== PLACEHOLDER)
    .join('\n');
  const doc = parseDocument(filled);
  if (doc.errors.length > 0)
    throw new Error(`cloud-init template is not valid YAML: ${doc.errors[0]?.message}`);
  if (doc.contents === null) return new Document({});
  return doc;
}

function vendorDocument(vm: VmGuest): Document {
  const doc = new Document({});
  doc.commentBefore = ` Written by Phoenix for VM ${vm.id} (${vm.config.name}): the QEMU guest agent, and its features run at first boot.`;
  return doc;
}

/** A sequence at `key`, made when the key is absent or empty (`write_files:` with nothing under it is null). */
function seqAt(doc: Document, key: string): ReturnType<Document['createNode']> & { items: unknown[] } {
  const existing = doc.get(key, true);
  if (isSeq(existing)) return existing as never;
  const seq = doc.createNode([]);
  doc.set(key, seq);
  return seq as never;
}

function addFeatures(doc: Document, features: FeatureFile[]): void {
  if (features.length === 0) {
    const existing = doc.get('write_files', true);
    if (!isSeq(existing) || existing.items.length === 0) doc.delete('write_files');
    return;
  }
  const files = seqAt(doc, 'write_files');
  for (const f of features)
    files.items.push(
      doc.createNode({ path: featureTarget(f.path), permissions: '0755', content: f.content }),
    );
}

/** The agent package in `packages`, and its start first in `runcmd`. */
function ensureAgent(doc: Document): void {
  const packages = seqAt(doc, 'packages');
  const named = (item: unknown) => String((item as { value?: unknown }).value ?? item) === AGENT_PACKAGE;
  if (!packages.items.some(named)) packages.items.push(doc.createNode(AGENT_PACKAGE));
  const runcmd = seqAt(doc, 'runcmd');
  const first = runcmd.items[0];
  const same = isSeq(first) && first.items.map((i) => String((i as { value?: unknown }).value)).join(' ');
  if (same !== AGENT_ENABLE.join(' ')) {
    const node = doc.createNode(AGENT_ENABLE, { flow: true });
    runcmd.items.unshift(node);
  }
  if (!isMap(doc.contents)) throw new Error('cloud-init data must be a mapping');
}
