// The validated, normalized fleet of a config, cached so that a run whose config evaluates to the same input skips
// validation: zod and its schemas are the largest part of a warm start-up. Keyed by the evaluated input (what
// phoenix.config.ts produced, or the legacy files' parsed contents), never by source text, since a config may
// compute values from the environment or other files. Script existence is not cached: the caller re-checks it.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Fleet, Guest, Problem } from './model.js';
import type { RawSource } from './raw-source.js';

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
 * The slot of a read config: one file per config source (its files and root) under `<cacheDir>/config/`, keyed
 * by the evaluated input. Undefined when the input is not plain JSON data (a Date, a function, an undefined value
 * or NaN would key like something else): such a config is validated every time.
 */
export function fleetSlot(cacheDir: string, raw: RawSource): FleetSlot | undefined {
  const { texts: _texts, ...input } = raw; // texts only place problems in files; the values are in `input`
  const text = JSON.stringify(input);
  if (!isDeepStrictEqual(JSON.parse(text), input)) return undefined;
  const source = sha256(JSON.stringify([raw.layout, raw.root, raw.files])).slice(0, 16);
  return {
    file: path.join(cacheDir, 'config', `fleet-${source}.json`),
    key: sha256(`${FORMAT}\0${codeIdentity()}\0${text}`),
  };
}

/** The slot's entry; a missing, torn, foreign or stale one (another key) is a miss. */
export function readFleetEntry({ file, key }: FleetSlot): FleetEntry | undefined {
  let stored: Partial<StoredEntry>;
  try {
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
  return { fleet: revive(stored.fleet), problems: stored.problems };
}

/**
 * Store the slot's entry (atomically; a failure to write only makes the next run validate again). Skipped when
 * the fleet would not read back exactly as it is.
 */
export async function writeFleetEntry({ file, key }: FleetSlot, entry: FleetEntry): Promise<void> {
  const stored: StoredEntry = {
    format: FORMAT,
    key,
    fleet: { ...entry.fleet, guests: [...entry.fleet.guests.values()] },
    problems: entry.problems,
  };
  const text = JSON.stringify(stored);
  const back = JSON.parse(text) as StoredEntry;
  if (
    !isDeepStrictEqual(revive(back.fleet), entry.fleet) ||
    !isDeepStrictEqual(back.problems, entry.problems)
  )
    return;
  try {
    const { default: writeFileAtomic } = await import('write-file-atomic');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, text);
  } catch {
    // A read-only cache folder: validation simply runs every time.
  }
}

function revive(stored: StoredEntry['fleet']): Fleet {
  return { ...stored, guests: new Map(stored.guests.map((g) => [g.id, g])) };
}

let identity: string | undefined;

/**
 * Which build of Phoenix validated the entry: the names, sizes and times of the files beside this module (the
 * bundled CLI's chunks, whose names carry content hashes, or the config modules themselves when run from source).
 * A rebuilt or upgraded Phoenix, whose schema may differ, thus never reads an entry an older one wrote.
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
