// What either source (phoenix.config.* or the legacy JSON files) looks like after reading, before validation:
// the raw values and where in which file each part sits, so every problem can name its file and JSON path.
import type { Problem } from './model.js';
import type { JsonPath } from './problems.js';

export interface Located {
  file: string;
  /** JSON path of `value` inside `file`. */
  path: JsonPath;
  value: unknown;
}

export interface RawSource {
  layout: 'config' | 'legacy';
  files: string[];
  /** Folder that relative script folders resolve against. */
  root: string;
  /** Script folders as written (relative to root), not yet validated. */
  scripts: Located;
  hypervisor: Located;
  hypervisorConfigFile: string;
  /** Object of guest configs keyed by CTID. */
  lxc: Located;
  vmDefaults: Located;
  /** Array of VM configs. */
  vms: Located;
  globals: Record<string, unknown>;
  /** Problems found while reading (missing files, wrong top-level shapes, typos in top-level keys). */
  problems: Problem[];
  /** Text of each JSON file, for line/column of problems. */
  texts: Map<string, string>;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
