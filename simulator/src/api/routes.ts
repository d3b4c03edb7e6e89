// The simulated API's write endpoints, each mapped back onto the simulated CLI command that does the same work
// (the CLI is a thin client of the same handlers on a real node: pve-container src/PVE/CLI/pct.pm and qemu-server
// src/PVE/CLI/qm.pm map positionals and options onto the API2 handlers of the same name). Pure: the server runs
// the command on the path's node and turns its outcome into a task or an answer. Reads are not here: they go to
// pvesh get's paths (simulator/src/pvesh/get.ts).

/** A request parameter: repeated form keys (and JSON arrays) are arrays, as pve-http-server decodes them. */
export type ApiParams = Record<string, string | string[]>;

export type WriteAction =
  /** A task: the answer is a UPID at once, the command runs behind it (worker `type`, worker ID `id`). */
  | { kind: 'task'; node: string; tool: string; argv: string[]; type: string; id: string }
  /** Synchronous: the answer is `data` once the command succeeded (a failure is a 500 with its message). */
  | { kind: 'sync'; node: string; tool: string; argv: string[]; data: unknown }
  /** `agent/exec`: runs `qm guest exec`, answers a pid whose result exec-status reads. */
  | { kind: 'agent-exec'; node: string; tool: string; argv: string[] };

const TOOL = { lxc: 'pct', qemu: 'qm' } as const;

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** `--key value` for every parameter but the ones the path or a positional already took. */
function options(params: ApiParams, omit: readonly string[]): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (omit.includes(k)) continue;
    for (const x of Array.isArray(v) ? v : [v]) out.push(`--${k}`, x);
  }
  return out;
}

/**
 * The write a request stands for, or undefined when the simulated API has no such handler (501, as pveproxy
 * answers an unknown path). `sshkeysFile` is where the caller put the URL-decoded `sshkeys` text: qm reads keys
 * from a file (qemu-server qm.pm param_mapping), the API takes the text.
 */
export function writeAction(
  method: string,
  path: string,
  params: ApiParams,
  sshkeysFile?: string,
): WriteAction | undefined {
  const parts = path.replace(/^\/+|\/+$/g, '').split('/');
  if (parts[0] !== 'nodes' || parts[1] === undefined) return undefined;
  const node = decodeURIComponent(parts[1]);
  const [, , kindWord, idWord, ...rest] = parts;
  const route = `${method} ${rest.join('/')}`;
  if (kindWord === 'aplinfo' && idWord === undefined && method === 'POST') {
    const template = one(params.template) ?? '';
    return {
      kind: 'task',
      node,
      tool: 'pveam',
      argv: ['download', one(params.storage) ?? '', template],
      type: 'download',
      id: template,
    };
  }
  if (kindWord === 'storage' && idWord !== undefined && route === 'POST download-url') {
    const file = one(params.filename) ?? '';
    return {
      kind: 'task',
      node,
      tool: 'pvesh',
      argv: ['create', `/nodes/${node}/storage/${idWord}/download-url`, ...options(params, [])],
      type: 'download',
      id: file,
    };
  }
  if (kindWord !== 'lxc' && kindWord !== 'qemu') return undefined;
  const kind = kindWord;
  const tool = TOOL[kind];
  const prefix = kind === 'lxc' ? 'vz' : 'qm';
  const keys = sshkeysFile !== undefined && params.sshkeys !== undefined ? ['--sshkeys', sshkeysFile] : [];
  if (idWord === undefined) {
    if (method !== 'POST') return undefined;
    const vmid = one(params.vmid) ?? '';
    const ostemplate = kind === 'lxc' ? [one(params.ostemplate) ?? ''] : [];
    const argv = [
      'create',
      vmid,
      ...ostemplate,
      ...options(params, ['vmid', 'ostemplate', 'sshkeys']),
      ...keys,
    ];
    return { kind: 'task', node, tool, argv, type: `${prefix}create`, id: vmid };
  }
  const id = idWord;
  const task = (argv: string[], type: string): WriteAction => ({ kind: 'task', node, tool, argv, type, id });
  switch (route) {
    case 'DELETE ':
      return task(['destroy', id, ...options(params, [])], `${prefix}destroy`);
    case 'POST clone':
      return task(['clone', id, one(params.newid) ?? '', ...options(params, ['newid'])], `${prefix}clone`);
    case 'POST migrate':
      return task(
        ['migrate', id, one(params.target) ?? '', ...options(params, ['target'])],
        kind === 'lxc' ? 'vzmigrate' : 'qmigrate',
      );
    case 'PUT config':
      return {
        kind: 'sync',
        node,
        tool,
        argv: ['set', id, ...options(params, ['sshkeys']), ...keys],
        data: null,
      };
    case 'PUT resize': {
      const argv = [
        ...(kind === 'lxc' ? ['resize'] : ['disk', 'resize']),
        id,
        one(params.disk) ?? '',
        one(params.size) ?? '',
      ];
      return task(argv, 'resize');
    }
    case 'POST status/start':
    case 'POST status/stop':
    case 'POST status/shutdown': {
      const action = rest[1] ?? '';
      return task([action, id, ...options(params, [])], `${prefix}${action}`);
    }
    case 'POST snapshot':
      return task(
        ['snapshot', id, one(params.snapname) ?? '', ...options(params, ['snapname'])],
        `${prefix}snapshot`,
      );
    case 'POST template':
      // pve-container LXC.pm template: `returns => null` although it forks (the UPID is not handed out).
      return kind === 'lxc'
        ? { kind: 'sync', node, tool, argv: ['template', id], data: null }
        : task(['template', id], 'qmtemplate');
    case 'POST agent/ping':
      return { kind: 'sync', node, tool, argv: ['guest', 'cmd', id, 'ping'], data: { result: {} } };
    case 'POST agent/exec': {
      const command = params.command;
      const words = Array.isArray(command) ? command : command === undefined ? [] : [command];
      return { kind: 'agent-exec', node, tool, argv: ['guest', 'exec', id, '--', ...words] };
    }
  }
  if (method === 'DELETE' && rest[0] === 'snapshot' && rest[1] !== undefined && rest.length === 2)
    return task(
      ['delsnapshot', id, decodeURIComponent(rest[1]), ...options(params, [])],
      `${prefix}delsnapshot`,
    );
  return undefined;
}
