// What `phoenix validate` prints: the counts, per guest the keys Phoenix acts on and those it only hands to
// scripts, and the files beside a legacy config that Phoenix does not read.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { isLegacyFileName } from './legacy.js';
import type { Fleet } from './model.js';
import { hostStepName } from './scripts.js';
import { LXC_GUEST_KEYS, VM_GUEST_KEYS } from './schema-keys.js';

export interface GuestKeys {
  id: number;
  kind: 'lxc' | 'vm';
  name: string;
  /** Keys Phoenix acts on (a step's input, or its guest graph). */
  acts_on: string[];
  /** Keys Phoenix does not know: handed unchanged to feature and application scripts, nothing more. */
  passed_to_scripts: string[];
}

export interface FleetSummary {
  containers: number;
  vms: number;
  /** Guests meant to be cloned: those with template_snapshot_name, and VMs with is_template. */
  templates: number;
  guests: GuestKeys[];
  /** JSON files beside a legacy config that Phoenix does not read (scripts may: phoenix_stacks_config.json). */
  unread_files: string[];
  /** Setup scripts listed but not run: a step of Phoenix's own does their job (host:firewall writes cluster.fw). */
  replaced_scripts: { script: string; by: string }[];
}

const KNOWN = { lxc: new Set(LXC_GUEST_KEYS), vm: new Set(VM_GUEST_KEYS) };

export function summarizeFleet(fleet: Fleet): FleetSummary {
  let containers = 0;
  let vms = 0;
  let templates = 0;
  const guests: GuestKeys[] = [];
  for (const g of [...fleet.guests.values()].sort((a, b) => a.id - b.id)) {
    if (g.kind === 'lxc') containers++;
    else vms++;
    const isTemplate =
      g.config.template_snapshot_name !== undefined || (g.kind === 'vm' && g.config.is_template);
    if (isTemplate) templates++;
    const keys = g.declared ?? Object.keys(g.config);
    const known = KNOWN[g.kind];
    guests.push({
      id: g.id,
      kind: g.kind,
      name: g.config.name,
      acts_on: keys.filter((k) => known.has(k)),
      passed_to_scripts: keys.filter((k) => !known.has(k)),
    });
  }
  return {
    containers,
    vms,
    templates,
    guests,
    unread_files: unreadFiles(fleet),
    replaced_scripts: replacedScripts(fleet),
  };
}

function replacedScripts(fleet: Fleet): { script: string; by: string }[] {
  return fleet.hostSteps.flatMap((own) =>
    own.own === undefined
      ? []
      : fleet.hypervisor.setup_scripts
          .filter((s) => hostStepName(s) === hostStepName(own.script))
          .map((script) => ({ script, by: `host:${own.name}` })),
  );
}

/** `*.json` in the legacy files' folder that Phoenix does not read (their `*.schema.json` aside). */
function unreadFiles(fleet: Fleet): string[] {
  const legacy = fleet.files.filter(isLegacyFileName);
  if (legacy.length === 0) return [];
  const dir = path.dirname(legacy[0]!);
  const read = new Set(fleet.files.map((f) => path.basename(f)));
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json') && !f.endsWith('.schema.json') && !read.has(f))
      .sort();
  } catch {
    return [];
  }
}
