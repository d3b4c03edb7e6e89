// Which config values are secrets (passwords, tokens, keys), so messages, logs and --json output never show them.
import { createHmac } from 'node:crypto';
import type { Fleet } from './model.js';

/** Keys whose values are secrets: user_config.password, api_token, client_secret, api_key, private_key ... */
const SECRET_KEY = /pass(?:word|wd|phrase)|token|secret|api[_-]?key|private[_-]?key/i;

export function isSecretKey(key: string | number): boolean {
  return typeof key === 'string' && SECRET_KEY.test(key);
}

/** True when a JSON path runs through a secret key (`vms[0].user_config.password`). */
export function isSecretPath(path: readonly (string | number)[]): boolean {
  return path.some(isSecretKey);
}

/** Every string or number found under a secret key anywhere in `value`. */
export function collectSecrets(value: unknown, out: Set<string> = new Set(), inSecret = false): Set<string> {
  if (typeof value === 'string' || typeof value === 'number') {
    if (inSecret) out.add(String(value));
  } else if (Array.isArray(value)) {
    for (const v of value) collectSecrets(v, out, inSecret);
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) collectSecrets(v, out, inSecret || isSecretKey(k));
  }
  return out;
}

/** The secret values of a fleet: guest configs, hypervisor settings and globals (for the run log's redactor). */
export function fleetSecrets(fleet: Fleet): string[] {
  const out = new Set<string>();
  collectSecrets(fleet.hypervisor, out);
  collectSecrets(fleet.globals ?? {}, out);
  for (const g of fleet.guests.values()) collectSecrets(g.config, out);
  return [...out];
}

/** `value` with every value under a secret key replaced (`inSecret`: `value` itself is under one). */
export type SecretMasker = <T>(value: T, inSecret?: boolean) => T;

/** A masker replacing each secret value with what `mask` makes of it. */
function maskerOf(mask: (secret: string) => string): SecretMasker {
  const walk = <T>(value: T, inSecret = false): T => {
    if (inSecret && (typeof value === 'string' || typeof value === 'number')) return mask(String(value)) as T;
    if (Array.isArray(value)) return value.map((v: unknown) => walk(v, inSecret)) as T;
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, walk(v, inSecret || isSecretKey(k))]),
      ) as T;
    }
    return value;
  };
  return walk;
}

/**
 * Secret values replaced by `secret:<16 hex of HMAC-SHA256 under key>`: what step inputs, the step cache, `why`
 * and `plan --json` keep, so a changed secret still changes the fingerprint. Keyed with a random per-host key
 * (see cache/secret-key.ts): a plain hash could be guessed offline by anyone who reads a cache file.
 */
export function secretMasker(key: Uint8Array): SecretMasker {
  return maskerOf(
    (secret) => `secret:${createHmac('sha256', key).update(secret).digest('hex').slice(0, 16)}`,
  );
}

/** Secret values replaced by `***`: for copies that need no fingerprint (a config pushed into another guest). */
export const hideSecrets: SecretMasker = maskerOf(() => '***');
