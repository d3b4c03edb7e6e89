// Finding the config file from a folder upward, in cosmiconfig's order, without loading cosmiconfig (it costs
// ~35 ms of start-up): cosmiconfig is still used to read the formats only it reads (.phoenixrc, YAML).
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** cosmiconfig 9's default search places for "phoenix", in its order, plus phoenix.config.json. */
export const SEARCH_PLACES = [
  'package.json',
  '.phoenixrc',
  '.phoenixrc.json',
  '.phoenixrc.yaml',
  '.phoenixrc.yml',
  '.phoenixrc.js',
  '.phoenixrc.ts',
  '.phoenixrc.cjs',
  '.phoenixrc.mjs',
  '.config/phoenixrc',
  '.config/phoenixrc.json',
  '.config/phoenixrc.yaml',
  '.config/phoenixrc.yml',
  '.config/phoenixrc.js',
  '.config/phoenixrc.ts',
  '.config/phoenixrc.cjs',
  '.config/phoenixrc.mjs',
  'phoenix.config.js',
  'phoenix.config.ts',
  'phoenix.config.cjs',
  'phoenix.config.mjs',
  'phoenix.config.json',
];

function nonEmptyFile(file: string): boolean {
  try {
    const s = statSync(file);
    return s.isFile() && s.size > 0;
  } catch {
    return false;
  }
}

function hasPhoenixKey(packageJson: string): boolean {
  try {
    return (JSON.parse(readFileSync(packageJson, 'utf8')) as { phoenix?: unknown }).phoenix !== undefined;
  } catch {
    return true; // let the loader report the broken file
  }
}

/**
 * The first config file from `dir` upward, stopping at the first folder with a package.json (cosmiconfig's
 * "project" strategy), or only in `dir` when `onlyHere`.
 */
export function findConfigFile(dir: string, onlyHere = false): string | undefined {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    for (const place of SEARCH_PLACES) {
      const file = path.join(current, place);
      if (!nonEmptyFile(file)) continue;
      if (place !== 'package.json' || hasPhoenixKey(file)) return file;
    }
    const parent = path.dirname(current);
    if (onlyHere || parent === current || existsSync(path.join(current, 'package.json'))) return undefined;
  }
}
