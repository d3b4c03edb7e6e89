// What `qm create`/`qm set` store for a value: nets with a MAC, drives allocated, sshkeys read and escaped,
// cipassword hashed (unless it already is).
import { readFileSync } from 'node:fs';
import { crypto } from '../crypto.js';
import { ParamError, PveError } from '../errors.js';
import { randomMac } from '../guests.js';
import { parsePropString, qmNetFormat } from '../props.js';
import type { SimState } from '../state.js';
import { setupDrive } from './drives.js';

export function normalizeNet(value: string, key: string, keepMac?: string): string {
  const r = parsePropString(qmNetFormat, value, key);
  if (!r.ok) throw new ParamError(r.errors);
  const map = { ...r.map };
  const model = map.model ?? 'virtio';
  const mac = map.macaddr ?? keepMac ?? randomMac();
  delete map.model;
  delete map.macaddr;
  const rest = Object.keys(map)
    .sort()
    .map((k) => `${k}=${map[k]}`);
  return [`${model}=${mac}`, ...rest].join(',');
}

/** uri_escape as Perl's URI::Escape does it (what PVE stores for sshkeys). */
function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/**
 * What qemu-server stores for `cipassword` (API2/Qemu.pm, update_vm): a value that already looks like a crypt hash
 * as it is, anything else through encrypt_pw (a `$5$` hash; this one is only shaped like it).
 */
export function storedPassword(pw: string): string {
  return /^\$(?:[156]|2[ay])(\$.+){2}/.test(pw) ? pw : cryptPassword(pw);
}

function cryptPassword(pw: string): string {
  const salt = crypto().randomBytes(6).toString('base64').replace(/[+/=]/g, 'x');
  return `$5$${salt}$${crypto()
    .createHash('sha256')
    .update(salt + pw)
    .digest('base64')
    .replace(/=+$/, '')
    .replace(/\+/g, '.')}`;
}

/** Values the CLI maps or transforms before storing (`--sshkeys FILE`, `--cipassword`, nets, drives). */
export function prepareValue(
  s: SimState,
  id: number,
  k: string,
  v: string,
  out: string[],
  old?: string,
): string {
  if (k === 'sshkeys') {
    let text: string;
    try {
      text = readFileSync(v, 'utf8');
    } catch {
      throw new PveError(`unable to open file '${v}' - No such file or directory`, 2);
    }
    return uriEscape(text);
  }
  if (k === 'cipassword') return storedPassword(v);
  if (/^net\d+$/.test(k)) {
    const oldMac = old ? /^[a-z0-9-]+=([0-9A-Fa-f:]{17})/.exec(old)?.[1] : undefined;
    return normalizeNet(v, k, oldMac);
  }
  if (/^(ide|sata|scsi|virtio)\d+$/.test(k)) return setupDrive(s, id, k, v, out);
  return v;
}
