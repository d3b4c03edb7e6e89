// The counts `phoenix validate` prints.
import type { Fleet } from './model.js';

export interface FleetSummary {
  containers: number;
  vms: number;
  /** Guests meant to be cloned: those with template_snapshot_name, and VMs with is_template. */
  templates: number;
}

export function summarizeFleet(fleet: Fleet): FleetSummary {
  let containers = 0;
  let vms = 0;
  let templates = 0;
  for (const g of fleet.guests.values()) {
    if (g.kind === 'lxc') containers++;
    else vms++;
    const isTemplate =
      g.config.template_snapshot_name !== undefined || (g.kind === 'vm' && g.config.is_template);
    if (isTemplate) templates++;
  }
  return { containers, vms, templates };
}
