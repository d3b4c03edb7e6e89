// One cache namespace per target host: a readable name plus a short hash, so two hosts never share records.
import { createHash } from 'node:crypto';

/** `cacheNamespace('ssh://root@pve.lan')` -> `ssh-root-pve.lan-3f2a9c1e04`. */
export function cacheNamespace(identity: string): string {
  const readable = identity
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 40)
    .replace(/[-.]+$/, '');
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, 10);
  return readable === '' ? hash : `${readable}-${hash}`;
}
