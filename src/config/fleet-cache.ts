// The validated, normalized fleet of a config, cached so that a run whose config evaluates to the same input skips
// validation: zod and its schemas are the largest part of a warm start-up. Keyed by the evaluated input (what
// phoenix.config.ts produced, or the legacy files' parsed contents), never by source text, since a config may
// compute values from the environment or other files. Script existence is not cached: the caller re-checks it.
// Secret values (under password/token/... keys) are stored masked, as the step cache keeps them, and restored from
// the config input on a hit.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Fleet, Guest, Problem } from './model.js';
import { isPlainObject, type RawSource } from './raw-source.js';
import { ensurePrivateDir, writePrivateFile } from '../private-files.js';
import { fleetSecrets, isSecretKey, type SecretMasker } from './secrets.js';

/** Bumped when the entry's layout changes. */
const FORMAT = 1;

/** What validation produced for one input: the fleet and its problems (warnings only; errors are never cached). */
export interface FleetEntry {
  fleet: Fleet;
  problems: Problem[];
}

interface StoredEntry {
  format: number;
  key: string;
  fleet: Omit<Fleet, 'guests'> & { guests: Guest[] };
  problems: Problem[];
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Where a config's entry lives and the key it must carry to count. */
export interface FleetSlot {
  file: string;
  key: string;
}

/**
 * The slot of a read config: one file per config source (its files and root) in `dir`, keyed by the evaluated
 * input. Undefined when the input is not plain JSON data (a Date, a function, an undefined value
 * or NaN would key like something else): such a config is validated every time.
 */
export function fleetSlot(dir: string, raw: RawSource): FleetSlot | undefined {
  const { texts: _texts, ...input } = raw; // texts only place problems in files; the values are in `input`
  const text = JSON.stringify(input);
  if (!isDeepStrictEqual(JSON.parse(text), input)) return undefined;
  const source = sha256(JSON.stringify([raw.layout, raw.root, raw.files])).slice(0, 16);
  return {
    file: path.join(dir, `fleet-${source}.json`),
    key: sha256(`${FORMAT}\0${codeIdentity()}\0${text}`),
  };
}

/**
 * The slot's entry for `raw`; a missing, torn, foreign or stale one (another key) is a miss, and so is a link.
 * `mask`: the keyed masker the entry was written with (its folder's key).
 */
export function readFleetEntry(
  { file, key }: FleetSlot,
  raw: RawSource,
  mask: SecretMasker,
): FleetEntry | undefined {
  let stored: Partial<StoredEntry>;
  try {
    if (lstatSync(file).isSymbolicLink()) return undefined;
    stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredEntry>;
  } catch {
    return undefined;
  }
  if (
    stored.format !== FORMAT ||
    stored.key !== key ||
    typeof stored.fleet !== 'object' ||
    !Array.isArray(stored.fleet.guests) ||
    !Array.isArray(stored.problems)
  )
    return undefined;
  const fleet = unmasked(stored.fleet, raw, mask);
  return fleet === undefined ? undefined : { fleet, problems: stored.problems };
}

/**
 * Store the slot's entry for `raw` (atomically; a failure to write only makes the next run validate again). Skipped
 * when a secret would still show in it, or when the fleet would not read back exactly as it is.
 */
export async function writeFleetEntry(
  { file, key }: FleetSlot,
  raw: RawSource,
  entry: FleetEntry,
  mask: SecretMasker,
): Promise<void> {
  const stored: StoredEntry = {
    format: FORMAT,
    key,
    fleet: masked(entry.fleet, mask),
    problems: entry.problems,
  };
  const text = JSON.stringify(stored);
  // A secret's value elsewhere in the fleet (a guest named like a password) is not masked: then no entry at all.
  if (fleetSecrets(entry.fleet).some((secret) => secret.length >= 4 && text.includes(secret))) return;
  const back = JSON.parse(text) as StoredEntry;
  if (
    !isDeepStrictEqual(unmasked(back.fleet, raw, mask), entry.fleet) ||
    !isDeepStrictEqual(back.problems, entry.problems)
  )
    return;
  try {
    ensurePrivateDir(path.dirname(file));
    await writePrivateFile(file, text);
  } catch {
    // A read-only config folder: validation simply runs every time. (No shared temp folder instead: Phoenix runs
    // as root, and an entry there could be planted by anyone.)
  }
}

/** The fleet as stored: guests as a list, secret values (where fleetSecrets looks) masked. */
function masked(fleet: Fleet, mask: SecretMasker): StoredEntry['fleet'] {
  return {
    ...fleet,
    hypervisor: mask(fleet.hypervisor),
    ...(fleet.globals === undefined ? {} : { globals: mask(fleet.globals) }),
    guests: [...fleet.guests.values()].map((g) => withConfig(g, (c) => mask(c))),
  };
}

/** The stored fleet with its secrets restored from the config input, or undefined if one is not there. */
function unmasked(stored: StoredEntry['fleet'], raw: RawSource, mask: SecretMasker): Fleet | undefined {
  const secrets = secretsByMask(raw, mask);
  if (secrets === undefined) return undefined;
  let missing = false;
  const restore = <T>(value: T, inSecret = false): T => {
    if (inSecret && (typeof value === 'string' || typeof value === 'number')) {
      if (!secrets.has(String(value))) missing = true;
      return secrets.get(String(value)) as T;
    }
    if (Array.isArray(value)) return value.map((v: unknown) => restore(v, inSecret)) as T;
    if (isPlainObject(value))
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, restore(v, inSecret || isSecretKey(k))]),
      ) as T;
    return value;
  };
  const fleet: StoredEntry['fleet'] = {
    ...stored,
    hypervisor: restore(stored.hypervisor),
    ...(stored.globals === undefined ? {} : { globals: restore(stored.globals) }),
    guests: stored.guests.map((g) => withConfig(g, restore)),
  };
  return missing ? undefined : revive(fleet);
}

/** The guest with its config mapped by `f` (which keeps the config's type). */
function withConfig(g: Guest, f: <T>(config: T) => T): Guest {
  return g.kind === 'lxc' ? { ...g, config: f(g.config) } : { ...g, config: f(g.config) };
}

/**
 * Every secret value of the config input by its mask. Undefined when two different values share a mask (the
 * number 1234 and the string "1234"): such a config is validated every time.
 */
function secretsByMask(raw: RawSource, mask: SecretMasker): Map<string, unknown> | undefined {
  const byMask = new Map<string, unknown>();
  let ambiguous = false;
  const walk = (value: unknown, inSecret: boolean): void => {
    if (typeof value === 'string' || typeof value === 'number') {
      if (!inSecret) return;
      const masked = mask(value, true) as string;
      ambiguous ||= byMask.has(masked) && byMask.get(masked) !== value;
      byMask.set(masked, value);
    } else if (Array.isArray(value)) for (const v of value) walk(v, inSecret);
    else if (isPlainObject(value))
      for (const [k, v] of Object.entries(value)) walk(v, inSecret || isSecretKey(k));
  };
  for (const part of [raw.hypervisor, raw.lxc, raw.vmDefaults, raw.vms]) walk(part.value, false);
  walk(raw.globals, false);
  return ambiguous ? undefined : byMask;
}

function revive(stored: StoredEntry['fleet']): Fleet {
  return { ...stored, guests: new Map(stored.guests.map((g) => [g.id, g])) };
}

let identity: string | undefined;

/**
 * Which build of Phoenix validated the entry: the files beside this module, by name, size and time (the bundled
 * verbs, which `npm run build` writes anew together with the rest of dist/cli, or the config modules themselves
 * when run from source). A rebuilt or upgraded Phoenix, whose schema may differ, thus never reads an entry an older
 * one wrote.
 */
function codeIdentity(): string {
  if (identity === undefined) {
    const dir = path.dirname(fileURLToPath(import.meta.url));
    identity = readdirSync(dir)
      .sort()
      .map((name) => {
        const s = statSync(path.join(dir, name));
        return `${name}:${s.size}:${s.mtimeMs}`;
      })
      .join('\n');
  }
  return identity;
}
