// What Phoenix reads from the Proxmox API, as zod schemas. The API answers booleans as 0/1, some numbers as strings
// (a VM's `memory`, `cpulimit`), and leaves fields out until pvestatd has data for them, so the schemas accept what
// the server really sends and hand the rest of Phoenix plain, settled values. Unknown fields pass through.
import { z } from 'zod';

/** 0/1 (what Proxmox sends), true/false, or the strings "0"/"1". */
export const bool01 = z
  .union([z.literal(0), z.literal(1), z.boolean(), z.literal('0'), z.literal('1')])
  .transform((v) => v === 1 || v === true || v === '1');

/** A number, or a string holding one (Perl's stringly numbers). */
export const numeric = z
  .union([z.number(), z.string().regex(/^-?\d+(?:\.\d+)?$/)])
  .transform((v) => (typeof v === 'number' ? v : Number(v)));

const vmid = z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(Number);

/** `/cluster/resources` entries Phoenix uses; the `sdn`, `pool` and other types are kept as `other`. */
const guestResource = z.looseObject({
  type: z.enum(['lxc', 'qemu']),
  vmid,
  node: z.string(),
  status: z.string().optional(),
  name: z.string().optional(),
  template: bool01.optional(),
  lock: z.string().optional(),
  hastate: z.string().optional(),
  maxmem: numeric.optional(),
});
const nodeResource = z.looseObject({
  type: z.literal('node'),
  node: z.string(),
  status: z.string().optional(),
  maxmem: numeric.optional(),
  mem: numeric.optional(),
});
const storageResource = z.looseObject({
  type: z.literal('storage'),
  storage: z.string(),
  node: z.string(),
  status: z.string().optional(),
  shared: bool01.optional(),
  content: z.string().optional(),
  plugintype: z.string().optional(),
  maxdisk: numeric.optional(),
  disk: numeric.optional(),
});
const otherResource = z.looseObject({ type: z.string() });

export const resourceEntry = z.union([guestResource, nodeResource, storageResource, otherResource]);
export const clusterResources = z.array(resourceEntry);
export type GuestResource = z.infer<typeof guestResource>;
export type NodeResource = z.infer<typeof nodeResource>;
export type StorageResource = z.infer<typeof storageResource>;
export type ResourceEntry = z.infer<typeof resourceEntry>;

/**
 * `GET .../config`: key -> value. Numbers and 0/1 become the strings `pct config` prints; a container's raw lines
 * arrive as `lxc: [[key, value], ...]`.
 */
export const guestConfig = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean(), z.array(z.tuple([z.string(), z.string()]))]),
);

export const snapshotList = z.array(
  z.looseObject({ name: z.string(), parent: z.string().optional(), snaptime: numeric.optional() }),
);

/** `GET /nodes/{node}/{lxc|qemu}/{vmid}/status/current`. */
export const guestStatus = z.looseObject({
  status: z.string(),
  qmpstatus: z.string().optional(),
  lock: z.string().optional(),
  template: bool01.optional(),
});

/** `GET /nodes/{node}/tasks/{upid}/status`. */
export const taskStatus = z.looseObject({
  status: z.string(),
  exitstatus: z.string().optional(),
  type: z.string().optional(),
  node: z.string().optional(),
});

/** `GET /nodes/{node}/tasks/{upid}/log`: `{n, t}` lines. */
export const taskLog = z.array(z.looseObject({ n: numeric, t: z.string() }));

/** `GET /nodes/{node}/storage`. */
export const storageStatus = z.array(
  z.looseObject({
    storage: z.string(),
    type: z.string().optional(),
    content: z.string().optional(),
    enabled: bool01.optional(),
    active: bool01.optional(),
    shared: bool01.optional(),
    total: numeric.optional(),
    used: numeric.optional(),
    avail: numeric.optional(),
  }),
);

/** `GET /nodes/{node}/storage/{storage}/content`. */
export const storageContent = z.array(
  z.looseObject({ volid: z.string(), content: z.string().optional(), size: numeric.optional() }),
);

/** `GET /access/permissions`: path -> privilege -> propagate flag (present means granted). */
export const permissions = z.record(z.string(), z.record(z.string(), z.union([z.number(), z.boolean()])));

/** `GET /nodes`. */
export const nodeList = z.array(
  z.looseObject({ node: z.string(), status: z.string().optional(), ssl_fingerprint: z.string().optional() }),
);

export const version = z.looseObject({ version: z.string(), release: z.string().optional() });

/** `POST .../agent/exec`. */
export const agentExec = z.looseObject({ pid: numeric });

/** `GET .../agent/exec-status`. */
export const agentExecStatus = z.looseObject({
  exited: bool01,
  exitcode: numeric.optional(),
  signal: numeric.optional(),
  'out-data': z.string().optional(),
  'err-data': z.string().optional(),
});

/** A task-starting call answers its UPID; a few (CT template, PUT config) answer null. */
export const upidOrNull = z.union([z.string(), z.null()]);
