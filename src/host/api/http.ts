// The HTTP layer under the API client: one undici Agent per run, keep-alive below pveproxy's 5 s idle limit, the
// token in the Authorization header, parameters form-encoded as Proxmox's CLI sends them. The client above only
// sees `Transport`, so unit tests drive it with a fake and no socket.
import { Agent } from 'undici';
import { connectorFor, type Trust } from './tls.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Request parameters: a repeated key (an array) is sent once per value, as Proxmox reads arrays. */
export type Params = Readonly<Record<string, string | number | readonly string[]>>;

export interface HttpRequest {
  method: Method;
  /** Below `/api2/json`: `/nodes/pve1/lxc/101/config`. Path parameters already encoded. */
  path: string;
  params?: Params;
  signal?: AbortSignal;
  /** Time to wait for the response headers and body. */
  timeoutMs: number;
}

export interface HttpResponse {
  status: number;
  /** The status line's reason: Proxmox puts the error's first line there (all a 401 carries). */
  statusText: string;
  body: string;
}

export interface Transport {
  /** Sends one request. Rejects only when no response arrived (connect, TLS, timeout, abort). */
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

export interface HttpOptions {
  /** `https://pve1:8006` or `https://pve1:8006/api2/json`. */
  url: string;
  /** `user@realm!tokenid=secret`. */
  token: string;
  trust: Trust;
}

/** The API's origin and the path prefix every request goes below (`/api2/json` unless the URL names its own). */
export function apiBase(url: string): { origin: string; prefix: string } {
  const u = new URL(url);
  const path = u.pathname.replace(/\/+$/, '');
  return { origin: u.origin, prefix: path === '' ? '/api2/json' : path };
}

/** `a=1&b=2`; a boolean-like value is whatever the caller gave (Proxmox wants 0/1, never true/false). */
export function encodeParams(params: Params | undefined): string {
  const out = new URLSearchParams();
  for (const [k, v] of Object.entries(params ?? {})) {
    if (Array.isArray(v)) for (const x of v as readonly string[]) out.append(k, x);
    else out.append(k, String(v));
  }
  return out.toString();
}

export function createHttpTransport(opts: HttpOptions): Transport {
  const { origin, prefix } = apiBase(opts.url);
  const agent = new Agent({
    connect: connectorFor(opts.trust),
    // pveproxy closes idle connections after 5 s and after any error status: stay under it.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 4_000,
    connections: 8,
    pipelining: 1,
  });
  const authorization = `PVEAPIToken=${opts.token}`;
  return {
    async request(req) {
      const query = encodeParams(req.params);
      // GET and DELETE carry parameters in the query (pveproxy refuses a DELETE with a body); POST and PUT in a form.
      const inQuery = req.method === 'GET' || req.method === 'DELETE';
      const path = `${prefix}${req.path}${inQuery && query !== '' ? `?${query}` : ''}`;
      const res = await agent.request({
        origin,
        path,
        method: req.method,
        headers: {
          authorization,
          accept: 'application/json',
          ...(!inQuery && { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        ...(!inQuery && { body: query }),
        ...(req.signal && { signal: req.signal }),
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      return { status: res.statusCode, statusText: res.statusText, body: await res.body.text() };
    },
    close: () => agent.close(),
  };
}
