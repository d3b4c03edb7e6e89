// A step's fingerprint: a value computed from exactly what the step's result depends on (see docs/fingerprints.md).
import { createHash } from 'node:crypto';
import { configure } from 'safe-stable-stringify';

/** Bump when what goes into a fingerprint changes meaning: every step then re-runs once ('format-changed'). */
export const FINGERPRINT_VERSION = 1;

// Key order never matters; a cycle in inputs is a bug in a step table, so it throws rather than hashing a marker.
const canonical = configure({ deterministic: true, circularValue: TypeError, bigint: true });

/** Canonical JSON: sorted keys, `undefined` members dropped (as in JSON). */
export function canonicalJson(value: unknown): string {
  return canonical(value) ?? 'null';
}

export interface FingerprintParts {
  /** Step kind (`configure`, `feature`): the same inputs mean different work in different kinds. */
  kind: string;
  inputs: Record<string, unknown>;
  /**
   * Content hashes of the step's scripts, in the order the step runs them. Paths are left out on purpose: moving
   * the install folder must not re-run every script.
   */
  scriptHashes: readonly string[];
  /** Upstream address -> fingerprint, along cascading edges only. */
  upstream: Readonly<Record<string, string>>;
}

export function fingerprint(parts: FingerprintParts): string {
  const { kind, inputs, scriptHashes, upstream } = parts;
  return sha256(
    canonicalJson({ format: FINGERPRINT_VERSION, kind, inputs, scripts: scriptHashes, upstream }),
  );
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
