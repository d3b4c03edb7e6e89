// How the API's certificate is trusted, one of three ways and never "not at all": a pinned SHA-256 fingerprint
// (Proxmox's own self-signed certificates: `pvenode cert info` prints it), a CA file (the cluster's
// pve-root-ca.pem or a company CA), or the system's CAs (an ACME certificate). A pin replaces chain verification
// the way a known_hosts entry does: the connector checks the certificate before undici writes a single request byte
// on the socket, so the token never reaches a server that is not the pinned one.
import { timingSafeEqual } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';
export { normalizeFingerprint } from './fingerprint.js';

/** The certificate did not match the pin: named by both fingerprints, so the user can tell a change from an attack. */
export class PinMismatchError extends Error {
  readonly code = 'PHOENIX_PIN_MISMATCH';
  constructor(
    readonly expected: string,
    readonly actual: string | undefined,
  ) {
    super(
      actual === undefined
        ? `the server sent no certificate; the pinned fingerprint is ${expected}`
        : `certificate fingerprint ${actual} does not match the pinned ${expected}`,
    );
    this.name = 'PinMismatchError';
  }
}

function samePin(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export type Trust = { pin: string } | { ca: string } | { system: true };

/** The common TLS options: one protocol (no HTTP/2, as pveproxy speaks 1.1), a 10 s connect budget. */
const BASE = { allowH2: false, timeout: 10_000 } as const;

/**
 * The connector for a trust mode. With a pin: chain verification is replaced by the fingerprint check (the only
 * place `rejectUnauthorized: false` is allowed: the socket is destroyed unless the pin matches) and TLS sessions
 * are never resumed (a resumed session shows no certificate to check).
 */
export function connectorFor(trust: Trust): buildConnector.connector {
  if ('ca' in trust) return buildConnector({ ...BASE, ca: trust.ca });
  if ('system' in trust) return buildConnector({ ...BASE });
  const inner = buildConnector({ ...BASE, rejectUnauthorized: false, maxCachedSessions: 0 });
  return (options, callback) => {
    inner(options, (error, socket) => {
      if (error !== null) {
        callback(error, null);
        return;
      }
      const cert = (socket as TLSSocket).getPeerCertificate?.();
      const actual = cert && typeof cert.fingerprint256 === 'string' ? cert.fingerprint256 : undefined;
      if (actual === undefined || !samePin(actual.toUpperCase(), trust.pin)) {
        socket.destroy();
        callback(new PinMismatchError(trust.pin, actual), null);
        return;
      }
      callback(null, socket);
    });
  };
}
