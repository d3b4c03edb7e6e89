// JSON Schema for the files users edit by hand, generated from the zod model so it cannot drift:
// `"$schema": "./lxc.schema.json"` in phoenix_lxc_configs.json gives editor completion and checks.
import { z } from 'zod';
import { hypervisor, lxcGuest, phoenixConfig, scriptPaths, vmGuest } from './schema.js';

export type SchemaKind = 'lxc' | 'vm' | 'hypervisor' | 'config';
export const SCHEMA_KINDS: readonly SchemaKind[] = ['lxc', 'vm', 'hypervisor', 'config'];

const schemaKey = z.string().optional();
const ctidKey = z.string().regex(/^[1-9][0-9]{2,8}$/);
/** A VM entry: only `vmid` is required, the rest may come from vm_defaults. */
const vmEntry = vmGuest.partial().required({ vmid: true });
const vmDefaults = vmGuest.omit({ vmid: true }).partial();

/** The legacy files' whole shapes, and phoenix.config's. Unknown keys stay allowed, as the loader allows them. */
const fileShapes: Record<SchemaKind, z.ZodType> = {
  lxc: z.looseObject({ $schema: schemaKey, lxc_configs: z.record(ctidKey, lxcGuest) }),
  vm: z.looseObject({ $schema: schemaKey, vm_defaults: vmDefaults.optional(), vms: z.array(vmEntry) }),
  hypervisor: hypervisor.extend({ $schema: schemaKey }),
  config: phoenixConfig.extend({
    lxc: z.record(ctidKey, lxcGuest).optional(),
    vm_defaults: vmDefaults.optional(),
    vms: z.array(vmEntry).optional(),
    scripts: scriptPaths.optional(),
  }),
};

const titles: Record<SchemaKind, string> = {
  lxc: 'phoenix_lxc_configs.json',
  vm: 'phoenix_vm_configs.json',
  hypervisor: 'phoenix_hypervisor_config.json',
  config: 'phoenix.config (JSON form)',
};

export function jsonSchemaFor(which: SchemaKind): Record<string, unknown> {
  // Input side: defaults are optional to write, and guest IDs may be numbers or digit strings.
  const schema = z.toJSONSchema(fileShapes[which], {
    io: 'input',
    target: 'draft-7',
    unrepresentable: 'any',
  });
  return { ...schema, title: titles[which] };
}
