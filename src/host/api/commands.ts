// Which lane each command Phoenix emits takes over a cluster, and what it becomes there. Pure: the step tables keep
// emitting `pct`/`qm`/`pvesm`/`pveam`/`pvesh` argv and scripts; this maps each to API calls (the token can do it)
// or to the ssh lane (only root on the node can: pct exec and push, host-path inputs, root-only settings, host
// scripts), with the reason, so `plan` can show the lane and the API host can run it. Parameter names follow the
// CLI's (pve-container src/PVE/CLI/pct.pm and qemu-server src/PVE/CLI/qm.pm map positionals and options onto the
// API handlers of the same name); the mapping table is docs/cluster.md's.
import path from 'node:path';
import type { Argv } from '../argv.js';
import { parseProps } from '../props.js';
import type { Method, Params } from './http.js';

/** What one API call of a route expects back. */
export type Expect =
  /** A UPID to wait for. */
  | 'task'
  /** The answer is the result (config writes answer null). */
  | 'sync'
  /** A task whose UPID the API does not return (CT template): done when the config says so. */
  | 'template';

export interface ApiCall {
  method: Method;
  /** Path below /api2/json, parameters encoded. */
  path: string;
  params?: Params;
  expect: Expect;
}

/** How the answer becomes the stdout the step tables parse (the CLI's own output format). */
export type Output =
  | { kind: 'none' }
  | { kind: 'storage-status' }
  | { kind: 'volume-list' }
  | { kind: 'aplinfo' }
  | { kind: 'json' }
  | { kind: 'guest-exec'; node: string; guestPath: string };

export type Route =
  | {
      lane: 'api';
      node: string;
      why: string;
      calls: ApiCall[];
      output: Output;
      /** `--sshkeys FILE`: the file's text is read here and sent URL-encoded, as qm does. */
      readFiles?: { param: string; file: string }[];
    }
  | {
      lane: 'ssh';
      node: string;
      why: string;
      /** The command as the node runs it. */
      argv: Argv;
      /** `pct push`: this local file travels to the node first, replacing the argv word it names. */
      push?: string;
    }
  /** Not something Phoenix can do over this cluster connection: the message says why. */
  | { lane: 'refused'; why: string };

export interface RouteContext {
  /** The node a step works on (its guest's): for commands that name no guest (pvesm, pveam, scripts). */
  node: string;
  /** Where a guest is now, or undefined when the cluster has no such guest. */
  guestNode(id: number): string | undefined;
  /** Where a guest the config describes is placed (its `node` key, or the placement policy's choice). */
  placedNode(id: number): string | undefined;
  /** Whether a storage is shared by every node (NFS, Ceph...), as /cluster/resources says; undefined if unknown. */
  sharedStorage(storage: string): boolean | undefined;
  /** The storages a guest's disks are on (its config, read before planning; else its `storage_pool`). */
  guestStorages(id: number): string[] | undefined;
  /** The nodes a storage is enabled on, as /cluster/resources lists it; undefined when no node lists it. */
  storageNodes(storage: string): string[] | undefined;
}

const PVE_TOOLS = new Set(['pct', 'qm', 'pvesm', 'pveam', 'pvesh']);

/** Whether the argv is one of the Proxmox tools (else a script Phoenix runs on the node). */
export const isPveTool = (argv: Argv): boolean => PVE_TOOLS.has(path.basename(argv[0] ?? ''));

/** Positionals and `--key value` options; everything after `--` is the rest. */
interface ParsedArgs {
  pos: string[];
  opts: Map<string, string>;
  rest: string[] | undefined;
}

function parseArgs(words: readonly string[]): ParsedArgs {
  const pos: string[] = [];
  const opts = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (w === '--') return { pos, opts, rest: words.slice(i + 1) };
    if (w.startsWith('--') && w.length > 2) {
      const eq = w.indexOf('=');
      if (eq > 0) opts.set(w.slice(2, eq), w.slice(eq + 1));
      else opts.set(w.slice(2), words[++i] ?? '');
    } else pos.push(w);
  }
  return { pos, opts, rest: undefined };
}

const enc = encodeURIComponent;
const guestBase = (node: string, kind: 'lxc' | 'qemu', id: string): string =>
  `/nodes/${enc(node)}/${kind}/${enc(id)}`;

/** The API's own words: options become parameters of the same name. */
function paramsOf(opts: Map<string, string>, omit: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of opts) if (!omit.includes(k)) out[k] = v;
  return out;
}

/**
 * Keys a token can never set on a container (pve-container LXC.pm check_ct_modify_config_perm). `unprivileged`:
 * the container's, known when it is created; a `pct set` of features goes over ssh, as whether the container is
 * privileged (then any feature flag is root@pam's) is not known here.
 */
export function ctRootOnly(key: string, value: string, unprivileged?: boolean): string | undefined {
  if (/^dev\d+$/.test(key)) return `${key}: device passthrough is only allowed for root@pam`;
  if (key === 'hookscript') return 'hookscript: only root@pam may change it';
  if (key === 'features') {
    if (unprivileged !== true)
      return 'features: only root@pam may change the feature flags of a privileged container';
    const extra = [...parseProps(value).keys()].filter((k) => k !== 'nesting');
    if (extra.length > 0)
      return `features ${extra.join(', ')}: only root@pam may change features other than nesting`;
  }
  if (/^(?:mp\d+|rootfs)$/.test(key)) {
    const volume = parseProps(value, 'volume').get('volume') ?? '';
    if (volume.startsWith('/')) return `${key}: a bind mount of a host folder is only allowed for root@pam`;
  }
  if (key === 'delete')
    for (const gone of value.split(/[,;\s]+/).filter((k) => k !== ''))
      if (/^dev\d+$/.test(gone) || gone === 'hookscript' || gone === 'features')
        return `delete ${gone}: only root@pam may remove it`;
  return undefined;
}

/** Keys a token can never set on a VM (qemu-server Qemu.pm $check_vm_modify_config_perm). */
function vmRootOnly(key: string, value: string): string | undefined {
  if (['hookscript', 'args', 'affinity'].includes(key)) return `${key}: only root@pam may set it`;
  if (key === 'delete') {
    const gone = value.split(/[,;\s]+/).find((k) => ['hookscript', 'args', 'affinity'].includes(k));
    if (gone !== undefined) return `delete ${gone}: only root@pam may remove it`;
  }
  if (/^(?:scsi|virtio|sata|ide|efidisk|tpmstate)\d+$/.test(key)) {
    const props = parseProps(value, 'volume');
    const from = props.get('import-from');
    if (from?.startsWith('/') || props.get('volume')?.startsWith('/'))
      return `${key}: a host path is only allowed for root@pam ("Only root can pass arbitrary filesystem paths")`;
  }
  return undefined;
}

/** A tool's sub-command: `qm disk resize` and `qm guest exec` have two words. */
function subcommand(words: readonly string[]): { sub: string; args: readonly string[] } {
  const [first = '', second = '', ...rest] = words;
  if ((first === 'disk' || first === 'guest') && second !== '')
    return { sub: `${first} ${second}`, args: rest };
  return { sub: first, args: words.slice(1) };
}

/** The lane and the calls of one command. */
export function routeCommand(argv: Argv, ctx: RouteContext): Route {
  const tool = path.basename(argv[0] ?? '');
  if (!PVE_TOOLS.has(tool)) return routeScript(argv, ctx);
  const { sub, args } = subcommand(argv.slice(1));
  switch (tool) {
    case 'pct':
      return routeGuest('lxc', sub, args, argv, ctx);
    case 'qm':
      return routeGuest('qemu', sub, args, argv, ctx);
    case 'pvesm':
      return routePvesm(sub, args, argv, ctx);
    case 'pveam':
      return routePveam(sub, args, argv, ctx);
    default:
      return routePvesh(sub, args, ctx);
  }
}

function routeScript(argv: Argv, ctx: RouteContext): Route {
  return {
    lane: 'ssh',
    node: ctx.node,
    why: 'a host script runs on the node it acts on (it calls pct and qm there)',
    argv,
  };
}

function ssh(node: string, why: string, argv: Argv, push?: string): Route {
  return push === undefined ? { lane: 'ssh', node, why, argv } : { lane: 'ssh', node, why, argv, push };
}

function api(node: string, why: string, calls: ApiCall[], output: Output = { kind: 'none' }): Route {
  return { lane: 'api', node, why, calls, output };
}

const TOKEN_SAFE = 'the API does it with the token';

function routeGuest(
  kind: 'lxc' | 'qemu',
  sub: string,
  args: readonly string[],
  argv: Argv,
  ctx: RouteContext,
): Route {
  const { pos, opts, rest } = parseArgs(args);
  const id = pos[0] ?? '';
  const vmid = Number(id);
  const here = ctx.guestNode(vmid) ?? ctx.placedNode(vmid) ?? ctx.node;
  const base = guestBase(here, kind, id);
  const task = (method: Method, p: string, params?: Params): ApiCall => ({
    method,
    path: p,
    ...(params && Object.keys(params).length > 0 && { params }),
    expect: 'task',
  });
  switch (sub) {
    case 'create':
      return routeCreate(kind, id, pos[1], opts, argv, ctx);
    case 'clone':
      return routeClone(kind, id, pos[1] ?? '', opts, argv, ctx);
    case 'set':
      return routeSet(kind, id, opts, argv, here);
    case 'resize':
    case 'disk resize':
      return api(here, TOKEN_SAFE, [
        task('PUT', `${base}/resize`, { disk: pos[1] ?? '', size: pos[2] ?? '' }),
      ]);
    case 'start':
    case 'stop':
      return api(here, TOKEN_SAFE, [task('POST', `${base}/status/${sub}`, paramsOf(opts))]);
    case 'shutdown':
      return api(here, TOKEN_SAFE, [task('POST', `${base}/status/shutdown`, paramsOf(opts))]);
    case 'destroy':
      return api(here, TOKEN_SAFE, [task('DELETE', base, paramsOf(opts))]);
    case 'snapshot':
      return api(here, TOKEN_SAFE, [
        task('POST', `${base}/snapshot`, { snapname: pos[1] ?? '', ...paramsOf(opts) }),
      ]);
    case 'delsnapshot':
      return api(here, TOKEN_SAFE, [task('DELETE', `${base}/snapshot/${enc(pos[1] ?? '')}`, paramsOf(opts))]);
    case 'template':
      return api(here, TOKEN_SAFE, [
        { method: 'POST', path: `${base}/template`, expect: kind === 'lxc' ? 'template' : 'task' },
      ]);
    case 'config':
      return api(here, TOKEN_SAFE, [{ method: 'GET', path: `${base}/config`, expect: 'sync' }], {
        kind: 'json',
      });
    case 'guest cmd':
      return api(here, TOKEN_SAFE, [
        { method: 'POST', path: `${base}/agent/${enc(pos[1] ?? '')}`, expect: 'sync' },
      ]);
    case 'guest exec':
      return api(
        here,
        TOKEN_SAFE,
        [
          {
            method: 'POST',
            path: `${base}/agent/exec`,
            params: { command: rest ?? pos.slice(1) },
            expect: 'sync',
          },
        ],
        { kind: 'guest-exec', node: here, guestPath: base },
      );
    case 'exec':
      return ssh(here, 'pct exec has no API: it runs lxc-attach on the node that holds the container', argv);
    case 'push':
      return ssh(
        here,
        'pct push has no API: the file goes to the node over ssh, then into the container',
        argv,
        pos[1],
      );
    default:
      return ssh(here, `${kind === 'lxc' ? 'pct' : 'qm'} ${sub} has no API route in Phoenix`, argv);
  }
}

function routeCreate(
  kind: 'lxc' | 'qemu',
  id: string,
  ostemplate: string | undefined,
  opts: Map<string, string>,
  argv: Argv,
  ctx: RouteContext,
): Route {
  const node = ctx.placedNode(Number(id)) ?? ctx.node;
  if (kind === 'lxc' && ostemplate?.startsWith('/'))
    return ssh(node, 'an OS template named by a host path is only allowed for root@pam', argv);
  const unprivileged = opts.get('unprivileged') === '1';
  const rootOnly = [...opts]
    .map(([k, v]) => (kind === 'lxc' ? ctRootOnly(k, v, unprivileged) : vmRootOnly(k, v)))
    .find(Boolean);
  if (rootOnly !== undefined) return ssh(node, rootOnly, argv);
  const params: Record<string, string> = { vmid: id, ...paramsOf(opts, ['sshkeys']) };
  if (kind === 'lxc' && ostemplate !== undefined) params.ostemplate = ostemplate;
  const route = api(node, TOKEN_SAFE, [
    { method: 'POST', path: `/nodes/${enc(node)}/${kind}`, params, expect: 'task' },
  ]) as Extract<Route, { lane: 'api' }>;
  const keys = opts.get('sshkeys');
  return keys === undefined ? route : { ...route, readFiles: [{ param: 'sshkeys', file: keys }] };
}

/**
 * A clone is made on the source's node. Placed on another node, it goes there with the clone (`target`) when every
 * disk is on shared storage; otherwise it is cloned in full beside its source and migrated (a linked clone of a
 * local disk cannot leave its base, and Proxmox refuses `target` with local storage: LXC.pm and Qemu.pm clone_vm;
 * docs/proxmox-facts.md F16.4). The migration needs each of those storages on the target node (F16.3): when one is
 * not, the route is refused here, so the plan says so before anything runs instead of a task failing mid-run.
 */
function routeClone(
  kind: 'lxc' | 'qemu',
  source: string,
  newid: string,
  opts: Map<string, string>,
  argv: Argv,
  ctx: RouteContext,
): Route {
  const srcNode = ctx.guestNode(Number(source)) ?? ctx.placedNode(Number(source)) ?? ctx.node;
  const want = ctx.placedNode(Number(newid)) ?? srcNode;
  const params: Record<string, string> = { newid, ...paramsOf(opts) };
  const clonePath = `${guestBase(srcNode, kind, source)}/clone`;
  if (want === srcNode)
    return api(srcNode, TOKEN_SAFE, [{ method: 'POST', path: clonePath, params, expect: 'task' }]);
  const storages = opts.has('storage')
    ? [opts.get('storage') ?? '']
    : (ctx.guestStorages(Number(source)) ?? []);
  const shared = storages.length > 0 && storages.every((s) => ctx.sharedStorage(s) === true);
  if (shared) {
    return api(srcNode, `cloned on ${srcNode} straight to ${want}: ${storages.join(', ')} is shared`, [
      { method: 'POST', path: clonePath, params: { ...params, target: want }, expect: 'task' },
    ]);
  }
  const local = storages.filter((s) => ctx.sharedStorage(s) !== true);
  const missing = local.filter((s) => ctx.storageNodes(s)?.includes(want) === false);
  if (missing.length > 0)
    return {
      lane: 'refused',
      why:
        `${newid} cannot be made on ${want}: its clone source ${source} is on ${srcNode}'s local storage ` +
        `${local.join(', ')}, which Proxmox cannot clone to another node, and ${missing.join(', ')} is not on ` +
        `${want} to migrate a copy to. Fix: give ${newid} node: ${srcNode}, or put ${source} on storage all ` +
        `nodes share, or enable ${missing.join(', ')} on ${want}`,
    };
  const why =
    `cloned in full on ${srcNode}, then moved to ${want}: ` +
    (local.length > 0
      ? `${local.join(', ')} is local to ${srcNode}`
      : `the source's storage is not known to be shared`);
  return api(srcNode, why, [
    { method: 'POST', path: clonePath, params: { ...params, full: '1' }, expect: 'task' },
    {
      method: 'POST',
      path: `${guestBase(srcNode, kind, newid)}/migrate`,
      params: { target: want },
      expect: 'task',
    },
  ]);
}

/** `pct set` / `qm set`: the token-safe keys through the API, root-only ones over ssh (`pct set` on the node). */
function routeSet(
  kind: 'lxc' | 'qemu',
  id: string,
  opts: Map<string, string>,
  argv: Argv,
  node: string,
): Route {
  const rootOnly = [...opts]
    .map(([k, v]) => (kind === 'lxc' ? ctRootOnly(k, v) : vmRootOnly(k, v)))
    .find(Boolean);
  if (rootOnly !== undefined) return ssh(node, rootOnly, argv);
  const route = api(node, TOKEN_SAFE, [
    {
      method: 'PUT',
      path: `${guestBase(node, kind, id)}/config`,
      params: paramsOf(opts, ['sshkeys']),
      expect: 'sync',
    },
  ]) as Extract<Route, { lane: 'api' }>;
  const keys = opts.get('sshkeys');
  return keys === undefined ? route : { ...route, readFiles: [{ param: 'sshkeys', file: keys }] };
}

function routePvesm(sub: string, args: readonly string[], argv: Argv, ctx: RouteContext): Route {
  const { pos, opts } = parseArgs(args);
  const node = ctx.node;
  if (sub === 'status')
    return api(node, TOKEN_SAFE, [{ method: 'GET', path: `/nodes/${enc(node)}/storage`, expect: 'sync' }], {
      kind: 'storage-status',
    });
  if (sub === 'list') {
    const content = opts.get('content');
    return api(
      node,
      TOKEN_SAFE,
      [
        {
          method: 'GET',
          path: `/nodes/${enc(node)}/storage/${enc(pos[0] ?? '')}/content`,
          ...(content !== undefined && { params: { content } }),
          expect: 'sync',
        },
      ],
      { kind: 'volume-list' },
    );
  }
  return ssh(node, `pvesm ${sub} has no API route in Phoenix`, argv);
}

function routePveam(sub: string, args: readonly string[], argv: Argv, ctx: RouteContext): Route {
  const { pos } = parseArgs(args);
  const node = ctx.node;
  if (sub === 'list')
    return api(
      node,
      TOKEN_SAFE,
      [
        {
          method: 'GET',
          path: `/nodes/${enc(node)}/storage/${enc(pos[0] ?? '')}/content`,
          params: { content: 'vztmpl' },
          expect: 'sync',
        },
      ],
      { kind: 'volume-list' },
    );
  if (sub === 'download')
    return api(node, TOKEN_SAFE, [
      {
        method: 'POST',
        path: `/nodes/${enc(node)}/aplinfo`,
        params: { storage: pos[0] ?? '', template: pos[1] ?? '' },
        expect: 'task',
      },
    ]);
  if (sub === 'available')
    return api(node, TOKEN_SAFE, [{ method: 'GET', path: `/nodes/${enc(node)}/aplinfo`, expect: 'sync' }], {
      kind: 'aplinfo',
    });
  return ssh(node, `pveam ${sub} has no API: it runs on the node`, argv);
}

/** `pvesh get|create|set|delete PATH --k v`: the API call it stands for; `create` answers a UPID when it starts one. */
function routePvesh(sub: string, args: readonly string[], ctx: RouteContext): Route {
  const { pos, opts } = parseArgs(args);
  const methods: Record<string, Method> = { get: 'GET', create: 'POST', set: 'PUT', delete: 'DELETE' };
  const method = methods[sub];
  if (method === undefined) return { lane: 'refused', why: `pvesh ${sub} is not an API call` };
  const p = pos[0] ?? '/';
  const node = /^\/nodes\/([^/]+)/.exec(p)?.[1] ?? ctx.node;
  const params = paramsOf(opts, ['output-format', 'noproxy']);
  const expect: Expect = method === 'POST' && /\/download-url$|\/aplinfo$/.test(p) ? 'task' : 'sync';
  return api(
    node,
    TOKEN_SAFE,
    [{ method, path: p, ...(Object.keys(params).length > 0 && { params }), expect }],
    method === 'GET' ? { kind: 'json' } : { kind: 'none' },
  );
}

/** One line for a plan: the lane, where, and why. */
export function describeRoute(r: Route): string {
  if (r.lane === 'refused') return `refused: ${r.why}`;
  if (r.lane === 'ssh') return `ssh root@${r.node}: ${r.why}`;
  const calls = r.calls.map((c) => `${c.method} ${c.path}`).join(', then ');
  return `api ${calls}${r.why === TOKEN_SAFE ? '' : ` (${r.why})`}`;
}
