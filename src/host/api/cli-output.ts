// API answers printed the way the CLI prints them, so the step tables' parsers (src/host/conf.ts,
// src/tasks/storage.ts) read both transports alike: `pvesm status`, `pveam list` / `pvesm list`, `pveam available`,
// `pvesh get --output-format json` and `qm guest exec`'s JSON.
import type { z } from 'zod';
import type { agentExecStatus } from './schemas.js';
import { storageContent, storageStatus } from './schemas.js';

/** `pvesm status`: `Name Type Status Total Used Available %`, status active / inactive / disabled. */
export function formatStorageStatus(data: unknown): string | undefined {
  const rows = storageStatus.safeParse(data);
  if (!rows.success) return undefined;
  const lines = ['Name Type Status Total Used Available %'];
  for (const s of rows.data) {
    const status = s.enabled === false ? 'disabled' : s.active === false ? 'inactive' : 'active';
    const total = s.total ?? 0;
    const used = s.used ?? 0;
    const pct = total > 0 ? `${((used / total) * 100).toFixed(2)}%` : '0.00%';
    lines.push(
      [s.storage, s.type ?? 'unknown', status, kib(total), kib(used), kib(s.avail ?? 0), pct].join(' '),
    );
  }
  return `${lines.join('\n')}\n`;
}

const kib = (bytes: number): string => String(Math.floor(bytes / 1024));

/** `pvesm list` / `pveam list`: one volid per line after a header (the parsers read the first column). */
export function formatVolumeList(data: unknown): string | undefined {
  const rows = storageContent.safeParse(data);
  if (!rows.success) return undefined;
  const lines = ['Volid Format Type Size'];
  for (const v of rows.data) lines.push(`${v.volid} - ${v.content ?? '-'} ${v.size ?? 0}`);
  return `${lines.join('\n')}\n`;
}

/** `pveam available`: `section  template` rows. */
export function formatAplinfo(data: unknown): string | undefined {
  if (!Array.isArray(data)) return undefined;
  return data
    .map((e: unknown) => {
      const o = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
      const text = (v: unknown, dflt: string): string => (typeof v === 'string' ? v : dflt);
      return `${text(o.section, 'system')}\t${text(o.template, '')}\n`;
    })
    .join('');
}

/** `qm guest exec`'s JSON: exitcode, exited, out-data, err-data. */
export function formatGuestExec(status: z.infer<typeof agentExecStatus>): string {
  return `${JSON.stringify(
    {
      exited: status.exited ? 1 : 0,
      ...(status.exitcode !== undefined && { exitcode: status.exitcode }),
      ...(status.signal !== undefined && { signal: status.signal }),
      ...(status['out-data'] !== undefined && { 'out-data': status['out-data'] }),
      ...(status['err-data'] !== undefined && { 'err-data': status['err-data'] }),
    },
    null,
    2,
  )}\n`;
}

/**
 * What `qm` sends as `sshkeys`: the key text percent-encoded with Perl's URI::Escape::uri_escape (everything but
 * A-Z a-z 0-9 - _ . ~), as qemu-server's CLI param_mapping does for `--sshkeys FILE`.
 */
export function uriEscape(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}
