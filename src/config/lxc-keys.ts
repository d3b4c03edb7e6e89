// Which raw `lxc.*` keys Proxmox VE keeps in a container's config: pve-container `src/PVE/LXC/Config.pm`,
// `$valid_lxc_conf_keys` and `is_valid_lxc_conf_key`. Proxmox drops any other line when it loads the config
// (`vm N - unable to parse config: ...`, a warning only) and the next config write removes it from the file, so
// Phoenix refuses such keys at validate instead of writing a line that silently does nothing.
import { distance } from 'fastest-levenshtein';

/** The exact keys pve-container accepts (value 1 in `$valid_lxc_conf_keys`). */
export const PVE_LXC_KEYS: readonly string[] = [
  'lxc.apparmor.profile',
  'lxc.apparmor.allow_incomplete',
  'lxc.apparmor.allow_nesting',
  'lxc.apparmor.raw',
  'lxc.selinux.context',
  'lxc.include',
  'lxc.arch',
  'lxc.uts.name',
  'lxc.signal.halt',
  'lxc.signal.reboot',
  'lxc.signal.stop',
  'lxc.init.cmd',
  'lxc.init.cwd',
  'lxc.init.uid',
  'lxc.init.gid',
  'lxc.init.groups',
  'lxc.pty.max',
  'lxc.console.logfile',
  'lxc.console.path',
  'lxc.tty.max',
  'lxc.devtty.dir',
  'lxc.hook.autodev',
  'lxc.autodev',
  'lxc.kmsg',
  'lxc.mount.fstab',
  'lxc.mount.entry',
  'lxc.mount.auto',
  'lxc.rootfs.mount',
  'lxc.cap.drop',
  'lxc.cap.keep',
  'lxc.seccomp.profile',
  'lxc.seccomp.notify.proxy',
  'lxc.seccomp.notify.cookie',
  'lxc.idmap',
  'lxc.hook.pre-start',
  'lxc.hook.pre-mount',
  'lxc.hook.mount',
  'lxc.hook.start',
  'lxc.hook.stop',
  'lxc.hook.post-stop',
  'lxc.hook.clone',
  'lxc.hook.destroy',
  'lxc.hook.version',
  'lxc.log.level',
  'lxc.log.file',
  'lxc.start.auto',
  'lxc.start.delay',
  'lxc.start.order',
  'lxc.group',
  'lxc.environment',
  'lxc.environment.runtime',
  'lxc.environment.hooks',
  'lxc.sysctl.fs.mqueue',
  'lxc.sysctl.kernel.msgmax',
  'lxc.sysctl.kernel.msgmnb',
  'lxc.sysctl.kernel.msgmni',
  'lxc.sysctl.kernel.sem',
  'lxc.sysctl.kernel.shmall',
  'lxc.sysctl.kernel.shmmax',
  'lxc.sysctl.kernel.shmmni',
  'lxc.sysctl.kernel.shm_rmid_forced',
];

/** Keys of which any sub-key is kept: `lxc.cgroup2.devices.allow`, `lxc.prlimit.nofile`, `lxc.net.0.type`. */
export const PVE_LXC_PREFIXES: readonly string[] = ['lxc.cgroup2.', 'lxc.prlimit.', 'lxc.net.'];

/** Keys pve-container knows but refuses, with its own reason. */
const REFUSED: Readonly<Record<string, string>> = {
  'lxc.rootfs.path': 'Proxmox generates lxc.rootfs.path from rootfs',
  'lxc.rootfs.options': 'Proxmox does not support lxc.rootfs.options: use the mount options of rootfs',
};

/**
 * Keys removed in LXC 3.0 that pve-container still loads with a warning (`$deprecated_lxc_conf_keys`), and the
 * LXC 6 that Proxmox VE 9 ships no longer reads: the container would not start. `INDEX` is the NIC's number.
 */
const RENAMED: Readonly<Record<string, string>> = {
  'lxc.aa_profile': 'lxc.apparmor.profile',
  'lxc.aa_allow_incomplete': 'lxc.apparmor.allow_incomplete',
  'lxc.console': 'lxc.console.path',
  'lxc.devttydir': 'lxc.tty.dir',
  'lxc.haltsignal': 'lxc.signal.halt',
  'lxc.rebootsignal': 'lxc.signal.reboot',
  'lxc.stopsignal': 'lxc.signal.stop',
  'lxc.id_map': 'lxc.idmap',
  'lxc.init_cmd': 'lxc.init.cmd',
  'lxc.loglevel': 'lxc.log.level',
  'lxc.logfile': 'lxc.log.file',
  'lxc.mount': 'lxc.mount.fstab',
  'lxc.network.type': 'lxc.net.INDEX.type',
  'lxc.network.flags': 'lxc.net.INDEX.flags',
  'lxc.network.link': 'lxc.net.INDEX.link',
  'lxc.network.mtu': 'lxc.net.INDEX.mtu',
  'lxc.network.name': 'lxc.net.INDEX.name',
  'lxc.network.hwaddr': 'lxc.net.INDEX.hwaddr',
  'lxc.network.ipv4': 'lxc.net.INDEX.ipv4.address',
  'lxc.network.ipv4.gateway': 'lxc.net.INDEX.ipv4.gateway',
  'lxc.network.ipv6': 'lxc.net.INDEX.ipv6.address',
  'lxc.network.ipv6.gateway': 'lxc.net.INDEX.ipv6.gateway',
  'lxc.network.script.up': 'lxc.net.INDEX.script.up',
  'lxc.network.script.down': 'lxc.net.INDEX.script.down',
  'lxc.pts': 'lxc.pty.max',
  'lxc.se_context': 'lxc.selinux.context',
  'lxc.seccomp': 'lxc.seccomp.profile',
  'lxc.tty': 'lxc.tty.max',
  'lxc.utsname': 'lxc.uts.name',
};

/**
 * A raw line as the config may spell it: `lxc.key: value` or `lxc.key = value`. Phoenix writes it back as
 * `lxc.key: value`, the spelling pve-container's parser (`parse_pct_config`) reads.
 */
export const LXC_OPTION_LINE = /^(lxc\.[A-Za-z0-9_.-]+)[ \t]*[:=][ \t]*([^\r\n]*)$/;

/** [key, value] of a raw line, or undefined when it is not one. */
export function splitLxcLine(line: string): [string, string] | undefined {
  const m = LXC_OPTION_LINE.exec(line.trim());
  return m ? [m[1] ?? '', (m[2] ?? '').trim()] : undefined;
}

export type LxcKeyVerdict = { ok: true } | { ok: false; message: string; hint: string };

/** Whether Proxmox keeps a raw line with this key; when it does not, why and what to write instead. */
export function checkLxcKey(key: string): LxcKeyVerdict {
  if (PVE_LXC_KEYS.includes(key) || PVE_LXC_PREFIXES.some((p) => key.startsWith(p))) return { ok: true };
  const refused = REFUSED[key];
  if (refused !== undefined) return { ok: false, message: `${key}: ${refused}`, hint: 'remove this line' };
  const renamed =
    RENAMED[key] ?? (key.startsWith('lxc.limit.') ? key.replace('lxc.limit.', 'lxc.prlimit.') : '');
  if (renamed !== '') {
    return {
      ok: false,
      message: `${key} was removed in LXC 3.0 (Proxmox VE 9 runs LXC 6): the container would not start`,
      hint: `write ${renamed}`,
    };
  }
  if (key.startsWith('lxc.cgroup.')) {
    return {
      ok: false,
      message: `${key} is a cgroup v1 key; Proxmox VE 9 hosts have cgroup v2 only`,
      hint: `write ${key.replace('lxc.cgroup.', 'lxc.cgroup2.')}`,
    };
  }
  const near = nearestKeys(key);
  return {
    ok: false,
    message: `${key} is not a key Proxmox VE keeps: it drops the line when it loads the config ("unable to parse config")`,
    hint:
      near.length > 0
        ? `did you mean ${near.join(' or ')}? (Proxmox keeps its own list of lxc.* keys plus lxc.cgroup2.*, lxc.prlimit.*, lxc.net.*)`
        : 'use a key Proxmox keeps: its own list of lxc.* keys, or lxc.cgroup2.*, lxc.prlimit.*, lxc.net.*',
  };
}

/** Up to two allowed keys closest to a refused one (a typo such as lxc.mount.entries). */
function nearestKeys(key: string): string[] {
  const scored = PVE_LXC_KEYS.map((k) => ({ k, d: distance(k, key) })).filter(
    ({ d }) => d <= Math.max(2, Math.floor(key.length / 5)),
  );
  return scored
    .sort((a, b) => a.d - b.d)
    .slice(0, 2)
    .map(({ k }) => k);
}
