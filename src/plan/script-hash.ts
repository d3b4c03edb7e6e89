// Script content hashes for fingerprints. The one place in plan/ that reads files; the planner gets the function.
import { readFileSync } from 'node:fs';
import { MISSING_SCRIPT_HASH, sha256 } from './fingerprint.js';

/**
 * Returns a `path -> sha256 of the file's bytes` function that reads each file once (memoized by path), so a run
 * hashes every script once however many steps share it. A missing or unreadable file hashes as 'missing'.
 */
export function createScriptHasher(
  read: (path: string) => Uint8Array = readFileSync,
): (path: string) => string {
  const memo = new Map<string, string>();
  return (path) => {
    let hash = memo.get(path);
    if (hash === undefined) {
      hash = hashFile(path, read);
      memo.set(path, hash);
    }
    return hash;
  };
}

function hashFile(path: string, read: (path: string) => Uint8Array): string {
  try {
    return sha256(read(path));
  } catch {
    return MISSING_SCRIPT_HASH;
  }
}
