// Mounts inside a simulated VM, as far as Phoenix sees them through the guest agent: `/etc/fstab`, `/proc/mounts`,
// `mount <folder>` and `umount <folder>`, and the script Phoenix's `volumes` step writes the fstab with. All of it
// is a guess at an Ubuntu cloud image (no Proxmox source speaks about the inside of a VM):
// - fstab starts as the image's (its root and EFI partitions by label); the disk keeps it, so a clone has its
//   source's;
// - `mount <folder>` mounts the fstab line for that folder (util-linux: "can't find in /etc/fstab" and exit 1
//   without one, "already mounted" and exit 32 when it is); every NFS server answers, unless an exec rule says not;
// - a boot mounts the fstab's NFS lines with `auto` (their `nofail` lets a boot go on without the server); a stop
//   forgets every mount;
// - `/proc/mounts` shows an NFS share as `nfs4` with the kernel's options.
import type { GuestState } from './state.js';

const STOCK_FSTAB =
  'LABEL=cloudimg-rootfs\t/\t ext4\tdiscard,commit=30,errors=remount-ro\t0 1\nLABEL=UEFI\t/boot/efi\tvfat\tumask=0077\t0 1\n';
const STOCK_MOUNTS = [
  'sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0',
  'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0',
  '/dev/sda1 / ext4 rw,relatime,discard,errors=remount-ro,commit=30 0 0',
  '/dev/sda15 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077 0 0',
];
/** `$0` of the `volumes` step's fstab script (src/tasks/vm-volumes.ts FSTAB_SCRIPT_NAME). */
const FSTAB_SCRIPT_NAME = 'phoenix-fstab';

type Answer = { exit: number; stdout: string; stderr?: string };

const fstabOf = (g: GuestState): string => g.fstab ?? STOCK_FSTAB;

/** The fstab's lines as [source, folder, type, options]. */
function fstabEntries(g: GuestState): string[][] {
  return fstabOf(g)
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 3 && !f[0]!.startsWith('#'));
}

function procMounts(g: GuestState): string {
  const nfs = (g.nfsMounts ?? []).map(
    (m) => `${m.source} ${m.target} nfs4 rw,relatime,vers=4.2,rsize=1048576,wsize=1048576,hard,proto=tcp 0 0`,
  );
  return [...STOCK_MOUNTS, ...nfs].join('\n') + '\n';
}

function mount(g: GuestState, target: string): Answer {
  const entry = fstabEntries(g).find((f) => f[1] === target);
  if (!entry) return { exit: 1, stdout: '', stderr: `mount: ${target}: can't find in /etc/fstab.\n` };
  if ((g.nfsMounts ?? []).some((m) => m.target === target))
    return { exit: 32, stdout: '', stderr: `mount: ${target}: ${entry[0]} already mounted on ${target}.\n` };
  if (/^nfs4?$/.test(entry[2] ?? '')) g.nfsMounts = [...(g.nfsMounts ?? []), { source: entry[0]!, target }];
  return { exit: 0, stdout: '' };
}

function umount(g: GuestState, target: string): Answer {
  if (!(g.nfsMounts ?? []).some((m) => m.target === target))
    return { exit: 32, stdout: '', stderr: `umount: ${target}: not mounted.\n` };
  g.nfsMounts = (g.nfsMounts ?? []).filter((m) => m.target !== target);
  return { exit: 0, stdout: '' };
}

/** The answer of a mount-related command inside the VM (it may change the VM's state), or undefined. */
export function mountAnswer(g: GuestState, cmd: readonly string[]): Answer | undefined {
  const [name, ...args] = cmd;
  if (name === 'cat' && args.length === 1 && args[0] === '/proc/mounts')
    return { exit: 0, stdout: procMounts(g) };
  if (name === 'cat' && args.length === 1 && args[0] === '/etc/fstab') return { exit: 0, stdout: fstabOf(g) };
  if (name === 'mount' && args.length === 1) return mount(g, args[0]!);
  if (name === 'umount' && args.length === 1) return umount(g, args[0]!);
  if (/^(\/bin\/)?sh$/.test(name ?? '') && args[0] === '-c' && args[2] === FSTAB_SCRIPT_NAME) {
    // The script writes its second argument as the file named by its first.
    if (args[3] !== '/etc/fstab' || args[4] === undefined) return { exit: 1, stdout: '', stderr: '' };
    g.fstab = args[4];
    return { exit: 0, stdout: '' };
  }
  return undefined;
}

/** At a VM's boot: the fstab's NFS lines with `auto` are mounted; at its stop every mount is gone. */
export function bootMounts(g: GuestState, running: boolean): void {
  if (!running) {
    delete g.nfsMounts;
    return;
  }
  const auto = fstabEntries(g).filter(
    (f) => /^nfs4?$/.test(f[2] ?? '') && !/(^|,)noauto(,|$)/.test(f[3] ?? ''),
  );
  if (auto.length > 0) g.nfsMounts = auto.map((f) => ({ source: f[0]!, target: f[1]! }));
  else delete g.nfsMounts;
}
