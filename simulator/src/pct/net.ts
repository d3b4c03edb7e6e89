// pct's network interfaces (`netN`): a MAC and the veth type filled in.
import { ParamError } from '../errors.js';
import { randomMac } from '../guests.js';
import { lxcNetFormat, parsePropString, printPropString } from '../props.js';

export function normalizeNet(value: string, key: string): string {
  const r = parsePropString(lxcNetFormat, value, key);
  if (!r.ok) throw new ParamError(r.errors);
  const map = { ...r.map };
  map.hwaddr ??= randomMac();
  map.type ??= 'veth';
  return printPropString(lxcNetFormat, map);
}
