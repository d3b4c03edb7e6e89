// Storage probes the define steps run before creating anything: does the pool exist, is the OS template or cloud
// image there. Parsers are pure; the probes go through the host and return failures as data.
import type { Guest } from '../config/model.js';
import type { Result } from '../result.js';
import { ok } from '../result.js';
import { exec, fail, fieldOrigin } from './act.js';
import type { ActionContext, StepFailure } from './step.js';

/** `pvesm status` rows: storage ID -> status (`active`, `inactive`, `disabled`). The header is skipped. */
export function parsePvesmStatus(stdout: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [name, , status] = line.trim().split(/\s+/);
    if (name === undefined || name === '' || name === 'Name' || status === undefined) continue;
    rows.set(name, status);
  }
  return rows;
}

/** The volids (`local:vztmpl/x.tar.zst`) in `pveam list` or `pvesm list` output. */
export function parseVolids(stdout: string): Set<string> {
  const ids = new Set<string>();
  for (const line of stdout.split('\n')) {
    const first = line.trim().split(/\s+/)[0] ?? '';
    if (/^[A-Za-z][A-Za-z0-9_.-]*:/.test(first)) ids.add(first);
  }
  return ids;
}

/** Fails, naming the pool and the config field, unless the storage exists and is active. */
export async function ensureStoragePool(
  ctx: ActionContext<Guest>,
  pool: string,
  field = 'storage_pool',
): Promise<Result<void, StepFailure>> {
  const res = await exec(ctx, ['pvesm', 'status']);
  if (!res.ok) return res;
  const pools = parsePvesmStatus(res.value.stdout);
  const status = pools.get(pool);
  const where = fieldOrigin(ctx.target, field);
  if (status === undefined) {
    const known = [...pools.keys()].join(', ') || 'none';
    return fail(
      ctx,
      `storage pool '${pool}' (${where}) does not exist on node '${ctx.host.node}' (it has: ${known})`,
    );
  }
  if (status !== 'active')
    return fail(ctx, `storage pool '${pool}' (${where}) is ${status} on node '${ctx.host.node}'`);
  return ok(undefined);
}

/** Whether `volid` is listed by a listing command (`pveam list local`, `pvesm list local --content import`). */
export async function volumeListed(
  ctx: ActionContext<Guest>,
  listArgv: readonly string[],
  volid: string,
): Promise<Result<boolean, StepFailure>> {
  const res = await exec(ctx, listArgv);
  if (!res.ok) return res;
  return ok(parseVolids(res.value.stdout).has(volid));
}

/** A storage as the cluster's storage config describes it (`pvesh get /storage`). */
export interface StorageConfig {
  storage: string;
  type: string;
  /** Content types, comma-separated as Proxmox prints them. */
  content?: string;
  /** Mount path of a file-based storage (dir, nfs, cifs, ...). */
  path?: string;
}

/** Every storage the cluster's storage config defines, with its type, content and path. */
export async function readStorageConfig(
  ctx: ActionContext<Guest>,
): Promise<Result<StorageConfig[], StepFailure>> {
  const argv = ['pvesh', 'get', '/storage', '--output-format', 'json'];
  const res = await exec(ctx, argv);
  if (!res.ok) return res;
  try {
    const parsed = JSON.parse(res.value.stdout) as unknown;
    if (!Array.isArray(parsed)) throw new Error('not a list');
    return ok(
      parsed.filter(
        (s): s is StorageConfig =>
          typeof (s as StorageConfig | null)?.storage === 'string' &&
          typeof (s as StorageConfig).type === 'string',
      ),
    );
  } catch (e) {
    return fail(ctx, `cannot read the storage config from ${argv.join(' ')}: ${(e as Error).message}`);
  }
}

/** Whether a storage lists a content type. */
export function hasContent(storage: StorageConfig, content: string): boolean {
  return (storage.content ?? '')
    .split(',')
    .map((c) => c.trim())
    .includes(content);
}
