// The certificate pin's format, apart from the TLS code so option checks load no HTTP client.
import { err, ok, type Result } from '../../result.js';

/**
 * A SHA-256 fingerprint as Proxmox prints it: 32 upper-case hex pairs joined by `:`. Accepts either case, and the
 * 64 hex digits without colons.
 */
export function normalizeFingerprint(raw: string): Result<string, string> {
  const s = raw.trim();
  const hex = /^[0-9A-Fa-f]{64}$/.test(s)
    ? s
    : /^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/.test(s)
      ? s.replace(/:/g, '')
      : undefined;
  if (hex === undefined)
    return err(
      'must be a SHA-256 fingerprint: 32 hex pairs joined by colons, as `pvenode cert info` prints it (AB:CD:...)',
    );
  return ok(hex.toUpperCase().match(/../g)!.join(':'));
}
