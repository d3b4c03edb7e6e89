// How to reach a cluster's API: the URL (`--api`, PHOENIX_API_URL), the token (PHOENIX_API_TOKEN or --token-file;
// never a flag, so it never shows in a process list) and how its certificate is trusted (a pinned fingerprint, a CA
// file, or the system's CAs). TLS verification is never switched off: there is no option that does it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { err, ok, type Result } from '../result.js';
import { normalizeFingerprint } from '../host/api/fingerprint.js';
import type { Trust } from '../host/api/tls.js';
import type { ResolvedOptions } from './context.js';

export interface ApiAccess {
  url: string;
  token: string;
  trust: Trust;
}

/** `user@realm!tokenid=secret`, as Proxmox shows it when the token is made (pveum user token add). */
const TOKEN = /^[^\s@!=]+@[^\s@!=]+![A-Za-z][A-Za-z0-9._-]*=\S+$/;

/** The API access the options ask for; undefined without `--api`. Errors are one line naming the fix. */
export function resolveApiAccess(
  options: ResolvedOptions,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Result<ApiAccess | undefined, string> {
  if (options.api === undefined) return ok(undefined);
  if (options.sim) return err('--api and --sim (or --sim-dir) name two different hosts: give one');
  let url: URL;
  try {
    url = new URL(options.api);
  } catch {
    return err(`--api '${options.api}' is not a URL: give https://<node>:8006`);
  }
  if (url.protocol !== 'https:')
    return err(`--api '${options.api}' must be https:// (the token never travels in clear)`);
  let token: string;
  if (options.tokenFile !== undefined) {
    try {
      token = readFileSync(resolve(cwd, options.tokenFile), 'utf8').trim();
    } catch (e) {
      return err(
        `--token-file ${options.tokenFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  } else token = (env.PHOENIX_API_TOKEN ?? '').trim();
  if (token === '')
    return err(
      '--api needs a token: set PHOENIX_API_TOKEN or give --token-file FILE (user@realm!tokenid=secret)',
    );
  if (!TOKEN.test(token))
    return err(
      `the API token (${options.tokenFile ? `--token-file ${options.tokenFile}` : 'PHOENIX_API_TOKEN'}) must look like user@realm!tokenid=secret`,
    );
  if (options.fingerprint !== undefined && options.caFile !== undefined)
    return err('--fingerprint and --ca-file are two ways to trust the certificate: give one');
  let trust: Trust = { system: true };
  if (options.fingerprint !== undefined) {
    const pin = normalizeFingerprint(options.fingerprint);
    if (!pin.ok) return err(`--fingerprint (or PHOENIX_API_FINGERPRINT) ${pin.error}`);
    trust = { pin: pin.value };
  } else if (options.caFile !== undefined) {
    try {
      trust = { ca: readFileSync(resolve(cwd, options.caFile), 'utf8') };
    } catch (e) {
      return err(`--ca-file ${options.caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  return ok({ url: url.href.replace(/\/+$/, ''), token, trust });
}
