// What a VM's first boot with cloud-init leaves behind, as far as Phoenix can see it through the guest agent.
//
// - At start, Proxmox builds the cloud-init drive, reading the `cicustom` snippets (qemu-server
//   QemuServer/Cloudinit.pm, read_cloudinit_snippets_file: a missing file fails the start with
//   "can't find file '<volid>'"). The nocloud instance-id is a digest of the user-data and network-config
//   (nocloud_gen_metadata), so a change to either makes the next boot a new instance, which runs the data again.
// - The QEMU guest agent answers only where it is installed: the official cloud images do not ship it (the VM's
//   disk remembers `guestAgent: false` from the image it was imported from), and cloud-init installs it when the
//   data names the `qemu-guest-agent` package (guess: any mention of the package name counts, packages list or
//   an apt-get line in runcmd). Clones inherit their source disk's agent.
// - Inside the VM, `cloud-init status --wait` answers "status: done", and
//   `cat /var/lib/cloud/instance/{user,vendor}-data.txt` prints what the current instance booted with.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PveError } from './errors.js';
import type { GuestState, SimState } from './state.js';
import { storagePath } from './storage.js';

const AGENT_PACKAGE = 'qemu-guest-agent';

/** `user=local:snippets/a.yml,vendor=...` -> { user: 'local:snippets/a.yml', ... }. */
function cicustomParts(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (value ?? '').split(',')) {
    const [k, v] = part.split('=');
    if (k && v) out[k.trim()] = v.trim();
  }
  return out;
}

/** The text of a snippet volid, from the storage's folder under the simulator's root. */
function readSnippet(dir: string, s: SimState, volid: string): string {
  const m = /^([A-Za-z][\w.-]*):(snippets\/.+)$/.exec(volid);
  if (!m) throw new PveError(`${volid} is not in the snippets directory`);
  const st = s.storages[m[1]!];
  if (!st) throw new PveError(`storage '${m[1]}' does not exist`);
  try {
    return readFileSync(join(dir, storagePath(m[1]!, st), m[2]!), 'utf8');
  } catch {
    throw new PveError(`can't find file '${volid}'`);
  }
}

/** At `qm start`: read the VM's cloud-init data; a new instance "runs" it (and may install the agent). */
export function bootCloudInit(dir: string, s: SimState, g: GuestState): void {
  const parts = cicustomParts(g.config.cicustom);
  const user = parts.user === undefined ? undefined : readSnippet(dir, s, parts.user);
  const vendor = parts.vendor === undefined ? '' : readSnippet(dir, s, parts.vendor);
  const generated = `generated:${g.config.name ?? ''}:${g.config.ciuser ?? ''}:${g.config.sshkeys ?? ''}`;
  const network = `${g.config.ipconfig0 ?? ''}:${g.config.nameserver ?? ''}`;
  const instance = createHash('sha1')
    .update(`${user ?? generated}\n${network}`)
    .digest('hex');
  if (g.cloudInitRun?.instance === instance) return;
  g.cloudInitRun = { instance, user: user ?? '', vendor };
  if (`${user ?? ''}\n${vendor}`.includes(AGENT_PACKAGE)) g.guestAgent = true;
}

/** Whether the agent inside the VM answers (unknown disks have one, as before images were told apart). */
export function agentInstalled(g: GuestState): boolean {
  return g.guestAgent !== false;
}

/** The answer of a command inside the VM that the boot above determines, when no exec rule matched. */
export function bootAnswer(
  g: GuestState,
  cmd: readonly string[],
): { exit: number; stdout: string } | undefined {
  const line = cmd.join(' ');
  if (/^cloud-init status( --wait| -w)*$/.test(line)) return { exit: 0, stdout: 'status: done\n' };
  const m = /^cat \/var\/lib\/cloud\/instance\/(user|vendor)-data\.txt$/.exec(line);
  if (m) {
    const run = g.cloudInitRun;
    const text = m[1] === 'user' ? run?.user : run?.vendor;
    return text === undefined || text === '' ? { exit: 1, stdout: '' } : { exit: 0, stdout: text };
  }
  return undefined;
}
