// The Proxmox guest config file format (/etc/pve/nodes/<node>/{lxc,qemu-server}/<id>.conf): render and parse.
import type { GuestState, SnapshotState } from './state.js';

/** Percent-encodes what PVE::Tools::encode_text encodes: control and high characters, and ':'. */
export function encodeText(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- PVE encodes control characters
    /[\x00-\x1f\x7f-\xff:]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'),
  );
}

export function decodeText(text: string): string {
  return text.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** `key: value` lines like `pct config`/`qm config` print them (description as one encoded line). */
export function printLxcConfig(config: Record<string, string>, lxc: [string, string][]): string {
  let out = '';
  for (const k of Object.keys(config).sort()) {
    if (k === 'digest') continue;
    out += `${k}: ${k === 'description' ? encodeText(config[k]!) : config[k]}\n`;
  }
  for (const [k, v] of lxc) out += `${k}: ${v}\n`;
  return out;
}

function renderSection(config: Record<string, string>, lxc: [string, string][]): string {
  let out = '';
  const desc = config.description;
  if (desc !== undefined && desc !== '') {
    for (const line of desc.split('\n')) out += `#${encodeText(line)}\n`;
  }
  for (const key of Object.keys(config).sort()) {
    if (key === 'description') continue;
    out += `${key}: ${config[key]}\n`;
  }
  for (const [k, v] of lxc) out += `${k}: ${v}\n`;
  return out;
}

function snapshotConfig(snap: SnapshotState): Record<string, string> {
  const c: Record<string, string> = { ...snap.config, snaptime: String(snap.snaptime) };
  if (snap.description !== undefined && snap.description !== '') c.description = snap.description;
  if (snap.snapstate) c.snapstate = snap.snapstate;
  return c;
}

/** The file exactly as PVE writes it: main block, pending, cloud-init state, snapshots sorted by name. */
export function renderConfFile(g: GuestState): string {
  let out = renderSection(g.config, g.lxc);
  const pending: Record<string, string> = { ...g.pending };
  if (g.pendingDelete.length > 0) pending.delete = g.pendingDelete.join(',');
  if (Object.keys(pending).length > 0) {
    out += `\n[${g.type === 'lxc' ? 'pve:pending' : 'PENDING'}]\n` + renderSection(pending, []);
  }
  if (g.type === 'qemu' && g.cloudinit && Object.keys(g.cloudinit).length > 0) {
    out += '\n[special:cloudinit]\n' + renderSection(g.cloudinit, []);
  }
  for (const name of Object.keys(g.snapshots).sort()) {
    const snap = g.snapshots[name]!;
    out += `\n[${name}]\n` + renderSection(snapshotConfig(snap), snap.lxc);
  }
  return out;
}

interface ParsedSection {
  config: Record<string, string>;
  lxc: [string, string][];
}

/** Parses a conf file written by PVE or edited by hand (e.g. raw lxc.* lines appended). */
export function parseConfFile(text: string): {
  main: ParsedSection;
  pending?: ParsedSection;
  cloudinit?: ParsedSection;
  snapshots: Record<string, ParsedSection>;
} {
  const main: ParsedSection = { config: {}, lxc: [] };
  const snapshots: Record<string, ParsedSection> = {};
  let pending: ParsedSection | undefined;
  let cloudinit: ParsedSection | undefined;
  let cur = main;
  let descr: string[] = [];
  const flushDescr = (): void => {
    if (descr.length > 0) cur.config.description = descr.join('\n');
    descr = [];
  };
  for (const line of text.split('\n')) {
    if (/^\s*$/.test(line)) continue;
    const sec = /^\[([^\]]+)\]\s*$/.exec(line);
    if (sec) {
      flushDescr();
      const name = sec[1]!;
      cur = { config: {}, lxc: [] };
      if (/^(pve:pending|PENDING)$/i.test(name)) pending = cur;
      else if (name === 'special:cloudinit') cloudinit = cur;
      else snapshots[name] = cur;
      continue;
    }
    const comment = /^#(.*)$/.exec(line);
    if (comment) {
      descr.push(decodeText(comment[1]!));
      continue;
    }
    const raw = /^(lxc\.[a-z0-9_\-.]+)(:|\s*=)\s*(.*?)\s*$/.exec(line);
    if (raw) {
      cur.lxc.push([raw[1]!, raw[3]!]);
      continue;
    }
    const kv = /^([a-z][a-z0-9_-]*):\s*(.*?)\s*$/.exec(line);
    if (kv) {
      if (kv[1] === 'description') descr.push(decodeText(kv[2]!));
      else cur.config[kv[1]!] = kv[2]!;
    }
  }
  flushDescr();
  const res: ReturnType<typeof parseConfFile> = { main, snapshots };
  if (pending) res.pending = pending;
  if (cloudinit) res.cloudinit = cloudinit;
  return res;
}

/** Applies a parsed file onto a guest (used when someone edited the mirrored file directly). */
export function importConfFile(g: GuestState, text: string): void {
  const parsed = parseConfFile(text);
  g.config = parsed.main.config;
  g.lxc = parsed.main.lxc;
  const pend = { ...(parsed.pending?.config ?? {}) };
  g.pendingDelete = pend.delete ? pend.delete.split(',') : [];
  delete pend.delete;
  g.pending = pend;
  if (g.type === 'qemu') g.cloudinit = parsed.cloudinit?.config;
  const snaps: Record<string, SnapshotState> = {};
  for (const [name, sec] of Object.entries(parsed.snapshots)) {
    const c = { ...sec.config };
    const snap: SnapshotState = { config: c, lxc: sec.lxc, snaptime: Number(c.snaptime ?? 0) };
    delete c.snaptime;
    if (c.description !== undefined) snap.description = c.description;
    delete c.description;
    if (c.snapstate) snap.snapstate = c.snapstate;
    delete c.snapstate;
    snaps[name] = snap;
  }
  g.snapshots = snaps;
}

/**
 * `/etc/pve/.vmlist` in pmxcfs' own layout (valid JSON; pve-cluster src/pmxcfs/status.c cfs_create_vmlist_msg):
 * every guest of the cluster with its node; no `ids` key at all without guests. Rows here are sorted; pmxcfs
 * prints them in hash-table order.
 */
export function renderVmlist(
  version: number,
  guests: { vmid: number; type: string; node: string; version: number }[],
): string {
  const rows = guests
    .sort((a, b) => a.vmid - b.vmid)
    .map((g) => `"${g.vmid}": { "node": "${g.node}", "type": "${g.type}", "version": ${g.version} }`);
  if (rows.length === 0) return `{\n"version": ${version}\n\n}\n`;
  return `{\n"version": ${version},\n"ids": {\n${rows.join(',\n')}}\n\n}\n`;
}

/**
 * `/etc/pve/storage.cfg` (pve-common `PVE/SectionConfig.pm` `write_config`): `type: id` headers, each option on a
 * tab-indented line, a blank line between sections. The lvmthin `thinpool`/`vgname` are the installer's
 * (`local-lvm` is `pve/data`); content is written in the state's order (Proxmox writes it in Perl hash order).
 */
export function renderStorageCfg(
  storages: Record<
    string,
    {
      type: string;
      content: readonly string[];
      path?: string;
      disabled?: boolean;
      nodes?: string[];
      shared?: boolean;
    }
  >,
): string {
  const sections = Object.entries(storages).map(([sid, st]) => {
    const lines = [`${st.type}: ${sid}`];
    if (st.type === 'dir' || st.type === 'nfs')
      lines.push(`\tpath ${st.path ?? (sid === 'local' ? '/var/lib/vz' : `/mnt/pve/${sid}`)}`);
    if (st.type === 'lvmthin') lines.push('\tthinpool data', '\tvgname pve');
    lines.push(`\tcontent ${st.content.length > 0 ? st.content.join(',') : 'none'}`);
    if (st.nodes) lines.push(`\tnodes ${st.nodes.join(',')}`);
    if (st.shared && st.type !== 'nfs') lines.push('\tshared 1');
    if (st.disabled) lines.push('\tdisable');
    return lines.join('\n');
  });
  return `${sections.join('\n\n')}\n`;
}
