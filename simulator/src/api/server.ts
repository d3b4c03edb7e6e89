// `phoenix sim serve`: the Proxmox VE HTTPS API (`/api2/json`) over the simulator's cluster state, on 127.0.0.1,
// for the endpoints Phoenix's api transport uses. Reads answer from pvesh get's paths (the same state the CLI
// simulator reads); writes run the simulated pct/qm/pveam/pvesh command on the path's node, so both transports
// share one implementation of every rule. A write that forks a worker on a real node answers its UPID at once and
// runs behind it; its status and log are served under /nodes/<node>/tasks/<upid>. Every request is one line of
// calls.jsonl: {"tool": "api", "argv": [METHOD, PATH], "exit": STATUS, "ms": N}.
import { execFile } from 'node:child_process';
import { randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { Ctx } from '../context.js';
import { PveError } from '../errors.js';
import { getPath } from '../pvesh/get.js';
import { SIM_CONFIG_FILE } from '../simconfig.js';
import { appendCall, nodeView } from '../state.js';
import { writeAction, type ApiParams, type WriteAction } from './routes.js';
import { cachedState } from './state-cache.js';
import { lxcRootOnly, qemuUpdateRootOnly, type Refusal } from './root-only.js';
import { preForkRefusal } from './pre-fork.js';
import { replaceFile } from '../processes.js';

export interface ServeOptions {
  /** The simulator's state folder. */
  dir: string;
  /** The cluster's nodes (written to sim.json's `nodes`; the first is where `/cluster/*` is answered). */
  nodes: string[];
  /** 0: any free port. */
  port: number;
  /** The simulated tools' launchers (simulator/bin). */
  binDir: string;
}

export interface ApiInfo {
  url: string;
  /** `user@realm!tokenid=secret`, as PHOENIX_API_TOKEN takes it. */
  token: string;
  /** SHA-256 of the certificate, colon hex as `pvenode cert info` prints it. */
  fingerprint: string;
  /** The simulated nodes' `ssh` (PHOENIX_SSH): `ssh root@<node> CMD` runs CMD as that node, for the ssh lane. */
  ssh: string;
}

export interface RunningServer extends ApiInfo {
  close(): Promise<void>;
}

export const API_INFO_FILE = 'api.json';
const TOKEN_ID = 'root@pam!phoenix';

interface Task {
  upid: string;
  node: string;
  type: string;
  id: string;
  pid: number;
  pstart: number;
  starttime: number;
  status: 'running' | 'stopped';
  exitstatus?: string;
  log: string[];
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');

/** pve-common PVE/UPID.pm encode: `UPID:node:pid:pstart:starttime:type:id:user:`. */
export function makeUpid(t: Omit<Task, 'upid' | 'status' | 'log'>, user: string): string {
  return `UPID:${t.node}:${hex(t.pid, 8)}:${hex(t.pstart, 8)}:${hex(t.starttime, 8)}:${t.type}:${t.id}:${user}:`;
}

/** Writes sim.json's `nodes` (keeping everything else in it), so every simulated tool sees the same cluster. */
function writeNodes(dir: string, nodes: string[]): void {
  const file = join(dir, SIM_CONFIG_FILE);
  let raw: Record<string, unknown> = {};
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  writeFileSync(file, `${JSON.stringify({ ...raw, nodes }, null, 2)}\n`);
}

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * DIR/bin/ssh: what `ssh [options] [--] user@node CMD` does on a cluster, for the simulated nodes. OpenSSH joins the
 * words after the destination with spaces and the login shell runs them (`sh -c`); here that shell runs with the
 * simulated tools first on PATH, as that node (PHOENIX_SIM_NODE), with the node's files under DIR (PHOENIX_PVE_ROOT).
 */
function writeSsh(opts: ServeOptions): string {
  const bin = join(opts.dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const file = join(bin, 'ssh');
  const script = [
    '#!/bin/sh',
    '# Written by phoenix sim serve: ssh to a simulated node (see simulator/src/api/server.ts writeSsh).',
    'while [ $# -gt 0 ]; do',
    '  case "$1" in',
    '    --) shift; break ;;',
    '    -[bcDEeFIiJLlmOopQRSWw]) shift 2 ;;',
    '    -*) shift ;;',
    '    *) break ;;',
    '  esac',
    'done',
    'node=${1#*@}; shift',
    `PHOENIX_SIM_DIR=${shq(opts.dir)} PHOENIX_PVE_ROOT=${shq(opts.dir)} PHOENIX_SIM_NODE="$node" PATH=${shq(bin)}:${shq(opts.binDir)}:"$PATH" exec sh -c "$*"`,
    '',
  ].join('\n');
  writeFileSync(file, script, { mode: 0o700 });
  chmodSync(file, 0o700);
  // What else a node runs for Phoenix (wget of a cloud image's checksums) is the simulator's stand-in for scripts.
  const wget = join(bin, 'wget');
  const standIn = join(opts.binDir, 'phoenix-sim-script');
  writeFileSync(wget, `#!/bin/sh\nexec ${shq(process.execPath)} ${shq(standIn)} wget "$@"\n`, {
    mode: 0o700,
  });
  chmodSync(wget, 0o700);
  return file;
}

/** The body of a PUT/POST: form-encoded (a repeated key is an array) or JSON; the query string is merged in. */
function paramsOf(url: URL, body: string, contentType: string | undefined): ApiParams {
  const out: ApiParams = {};
  const add = (k: string, v: string): void => {
    const cur = out[k];
    out[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
  };
  for (const [k, v] of url.searchParams) add(k, v);
  if (body === '') return out;
  if (contentType?.startsWith('application/json')) {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    for (const [k, v] of Object.entries(parsed))
      out[k] = Array.isArray(v) ? v.map(String) : typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
  } else for (const [k, v] of new URLSearchParams(body)) add(k, v);
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function serve(opts: ServeOptions): Promise<RunningServer> {
  mkdirSync(opts.dir, { recursive: true });
  writeNodes(opts.dir, opts.nodes);
  const pems = await generate([{ name: 'commonName', value: opts.nodes[0] ?? 'pve' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' },
        ],
      },
    ],
  });
  const fingerprint = new X509Certificate(pems.cert).fingerprint256;
  const secret = randomBytes(18).toString('hex');
  const token = `${TOKEN_ID}=${secret}`;
  const tasks = new Map<string, Task>();
  const execResults = new Map<number, unknown>();
  let nextPid = 4000;
  /** The state every read answers from, parsed again only when its files change (state-cache.ts). */
  const state = cachedState(opts.dir);

  const run = (a: WriteAction): Promise<Outcome> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(opts.binDir, a.tool), ...a.argv],
        {
          env: {
            ...process.env,
            PHOENIX_SIM_DIR: opts.dir,
            PHOENIX_SIM_NODE: a.node,
            PHOENIX_SIM_VIA: 'api',
          },
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 255) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  /** The message a failed command leaves: its last stderr line, as a task's exitstatus or a 500's text. */
  const lastLine = (o: Outcome): string =>
    o.stderr.trim().split('\n').pop()?.trim() || `command failed (exit ${o.code})`;

  const startTask = (a: Extract<WriteAction, { kind: 'task' }>): string => {
    const base = {
      node: a.node,
      type: a.type,
      id: a.id.replace(/[:\s/]/g, ''),
      pid: nextPid++,
      pstart: Math.floor(process.uptime() * 100),
      starttime: Math.floor(Date.now() / 1000),
    };
    const task: Task = { ...base, upid: makeUpid(base, TOKEN_ID), status: 'running', log: [] };
    tasks.set(task.upid, task);
    void run(a).then((o) => {
      task.log = [...o.stdout.split('\n'), ...o.stderr.split('\n')].filter((l) => l.trim() !== '');
      task.exitstatus = o.code === 0 ? 'OK' : lastLine(o);
      task.log.push(o.code === 0 ? 'TASK OK' : `TASK ERROR: ${task.exitstatus}`);
      task.status = 'stopped';
    });
    return task.upid;
  };

  /** The refusal a token gets for a root@pam-only change of a guest config (root-only.ts). */
  const rootOnly = (method: string, parts: string[], params: ApiParams): Refusal | undefined => {
    const [, node, kind, id, what] = parts;
    if (kind !== 'lxc' && kind !== 'qemu') return undefined;
    const create = method === 'POST' && id === undefined;
    if (!create && !(method === 'PUT' && what === 'config' && parts.length === 5)) return undefined;
    if (kind === 'qemu') return create ? undefined : qemuUpdateRootOnly(params);
    const known = opts.nodes.includes(decodeURIComponent(node ?? ''))
      ? decodeURIComponent(node ?? '')
      : undefined;
    const old = create
      ? undefined
      : nodeView(state().cluster, known ?? opts.nodes[0] ?? '').guests[id ?? '']?.config;
    return lxcRootOnly(params, create ? undefined : (old ?? {}));
  };

  /** A request's answer: status and the envelope's data (or message). */
  const handle = async (
    method: string,
    path: string,
    params: ApiParams,
  ): Promise<[number, unknown, string?]> => {
    const parts = path.replace(/^\/+|\/+$/g, '').split('/');
    if (method === 'GET' && parts[0] === 'nodes' && parts[2] === 'tasks' && parts[3] !== undefined) {
      const task = tasks.get(decodeURIComponent(parts[3]));
      if (!task) return [400, undefined, `no such task`];
      if (parts[4] === 'status') {
        const { log: _log, ...status } = task;
        return [200, { ...status, user: TOKEN_ID }];
      }
      if (parts[4] === 'log') {
        const start = Number(params.start ?? 0);
        const limit = Number(params.limit ?? 50);
        const lines = task.log.map((t, i) => ({ n: i + 1, t })).slice(start);
        return [200, limit > 0 ? lines.slice(0, limit) : lines];
      }
    }
    if (method === 'GET' && parts[4] === 'agent' && parts[5] === 'exec-status') {
      const result = execResults.get(Number(params.pid));
      return result === undefined ? [500, undefined, `Agent error: no such process\n`] : [200, result];
    }
    if (method === 'GET') {
      const node = parts[0] === 'nodes' && parts[1] !== undefined ? decodeURIComponent(parts[1]) : undefined;
      const { cfg, cluster } = state();
      const known = opts.nodes.includes(node ?? '') ? node : undefined;
      const ctx = new Ctx('pvesh', [], opts.dir, cfg, known ?? opts.nodes[0]);
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(params)) flat[k] = Array.isArray(v) ? (v[0] ?? '') : v;
      try {
        return [200, getPath(ctx, nodeView(cluster, ctx.node ?? cluster.nodes[0]!), path, flat, fingerprint)];
      } catch (e) {
        if (!(e instanceof PveError)) throw e;
        if (/^No '.*' handler$/.test(e.message))
          return [501, undefined, `Method '${method} ${path}' not implemented`];
        return [500, undefined, e.message];
      }
    }
    let keysFile: string | undefined;
    const keys = params.sshkeys;
    if (typeof keys === 'string') {
      // qm reads keys from a file; the API takes the URL-encoded text (qemu-server qm.pm param_mapping).
      keysFile = join(opts.dir, `sshkeys-${randomBytes(6).toString('hex')}`);
      writeFileSync(keysFile, decodeURIComponent(keys), { mode: 0o600 });
    }
    const action = writeAction(method, path, params, keysFile);
    if (action === undefined) return [501, undefined, `Method '${method} ${path}' not implemented`];
    const refused = rootOnly(method, parts, params);
    if (refused) return [refused.status, undefined, refused.message];
    if (action.kind === 'task') {
      const early = preForkRefusal(action, nodeView(state().cluster, action.node).guests[action.id]?.config);
      return early ? [early.status, undefined, early.message] : [200, startTask(action)];
    }
    const o = await run(action);
    if (o.code !== 0) return [500, undefined, `${lastLine(o)}\n`];
    if (action.kind === 'sync') return [200, action.data];
    const pid = nextPid++;
    execResults.set(pid, JSON.parse(o.stdout) as unknown);
    return [200, { pid }];
  };

  const respond = (res: ServerResponse, status: number, data: unknown, message?: string): void => {
    const body = JSON.stringify(message === undefined ? { data: data ?? null } : { data: null, message });
    res.statusCode = status;
    // pve-http-server AnyEvent.pm response: the reason is the message's first line; >= 400 closes the connection.
    if (message !== undefined)
      res.statusMessage = (message.split('\n')[0] ?? '').replace(/[^\x20-\x7e]/g, ' ');
    if (status >= 400) res.setHeader('connection', 'close');
    res.setHeader('content-type', 'application/json;charset=UTF-8');
    res.end(body);
  };

  const server: Server = createServer({ key: pems.private, cert: pems.cert }, (req, res) => {
    const started = Date.now();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const path = url.pathname.startsWith('/api2/json')
      ? url.pathname.slice('/api2/json'.length) || '/'
      : url.pathname;
    const done = (status: number): void => {
      appendCall(opts.dir, { tool: 'api', argv: [method, path], exit: status, ms: Date.now() - started });
    };
    const auth = /^PVEAPIToken=(.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (auth === undefined || !sameSecret(auth, token)) {
      // pve-http-server: a bad ticket or token is a bare 401 "authentication failure".
      respond(res, 401, undefined, 'authentication failure');
      done(401);
      return;
    }
    void readBody(req)
      .then((body) => handle(method, path, paramsOf(url, body, req.headers['content-type'])))
      .then(([status, data, message]) => {
        respond(res, status, data, message);
        done(status);
      })
      .catch((e: unknown) => {
        respond(res, 500, undefined, `simulator: ${(e as Error).message}`);
        done(500);
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  const info: ApiInfo = { url: `https://127.0.0.1:${port}`, token, fingerprint, ssh: writeSsh(opts) };
  // Whole or not at all: a client polls for the file and reads it as soon as it is there (it holds the token: 0600).
  replaceFile(join(opts.dir, API_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`, 0o600);
  return {
    ...info,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
