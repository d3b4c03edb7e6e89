// The API client: one request -> the `data` of Proxmox's `{"data": ...}` envelope, or an ApiFailure as data. It
// logs every request (never the token or a secret parameter), counts them (the no-op budget is counted in
// requests), and retries what can be retried: a read whenever no answer came; a write only when Proxmox says the
// work did not start (a 5xx from the proxy hop, or a 500 whose message says a lock or the worker fork timed out).
// It never retries after a task started: that is the caller's rule (a UPID in hand is never re-sent).
import type { z } from 'zod';
import { err, ok, type Result } from '../../result.js';
import { sleep as pause } from './sleep.js';
import type { RunLog } from '../../run/log.js';
import type { Method, Params, Transport } from './http.js';
import { PinMismatchError } from './tls.js';

export type ApiFailure =
  | {
      kind: 'http';
      status: number;
      /** Proxmox's message (the body's `message`, else the status line), one line per parameter error after it. */
      message: string;
      /** Parameter errors (`{"vmid": "..."}`), on a 400. */
      errors?: Record<string, string>;
    }
  /** No answer: refused, unreachable, TLS or pin failure, timeout. */
  | { kind: 'network'; message: string; code?: string; pin?: boolean; timeout?: boolean }
  /** An answer Phoenix cannot read (not JSON, or not the shape the endpoint documents). */
  | { kind: 'schema'; message: string }
  | { kind: 'cancelled'; message: string };

export interface CallOptions {
  signal?: AbortSignal;
  /** Headers and body must arrive within this (default 60 s; Proxmox cuts proxied calls at 30 s anyway). */
  timeoutMs?: number;
  /** Retry as a dispatch (a write that may be retried while nothing started). Reads always retry. */
  dispatch?: boolean;
}

export interface RetryPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  totalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 1_000, maxDelayMs: 15_000, totalMs: 180_000 };

export interface ApiClient {
  call(
    method: Method,
    path: string,
    params?: Params,
    opts?: CallOptions,
  ): Promise<Result<unknown, ApiFailure>>;
  /** A GET whose `data` must have `schema`'s shape. */
  read<T>(
    path: string,
    schema: z.ZodType<T>,
    params?: Params,
    opts?: CallOptions,
  ): Promise<Result<T, ApiFailure>>;
  /** Requests sent so far (retries included), and how many of them wrote (POST, PUT, DELETE). */
  readonly requests: number;
  readonly writes: number;
  close(): Promise<void>;
}

export interface ClientOptions {
  transport: Transport;
  log?: RunLog;
  /** Masks secrets in free text (messages, logged parameters). */
  redact?: (s: string) => string;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<boolean>;
}

/** Parameters whose value is never logged. */
const SECRET_PARAMS = new Set(['password', 'cipassword', 'sshkeys', 'ssh-public-keys', 'input-data']);

/** 500 messages that mean the request did nothing: a lock wait or the worker fork timed out. */
const TRANSIENT_500 = [
  /got timeout/,
  /can't lock file/,
  /got no worker upid/,
  /\b(?:CT|VM) is locked \((?:create|clone|disk|snapshot|snapshot-delete)\)/,
];

/** Whether a failed dispatch may be sent again: nothing can have started. */
export function dispatchRetryable(f: ApiFailure): boolean {
  if (f.kind === 'network') return !f.pin && f.code !== undefined && CONNECT_CODES.has(f.code);
  if (f.kind !== 'http') return false;
  if (f.status === 500) return TRANSIENT_500.some((re) => re.test(f.message));
  // The proxy hop to the owning node failed (AnyEvent::HTTP's 59x), or the service is restarting.
  return f.status === 502 || f.status === 503 || f.status === 595 || f.status === 596;
}

/** Whether a failed read may be sent again. */
export function readRetryable(f: ApiFailure): boolean {
  if (f.kind === 'network') return !f.pin;
  return f.kind === 'http' && (dispatchRetryable(f) || f.status === 599 || f.status === 597);
}

/** Errors raised before a request byte left: retrying cannot run anything twice. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function createApiClient(opts: ClientOptions): ApiClient {
  const retry = { ...DEFAULT_RETRY, ...opts.retry };
  const redact = opts.redact ?? ((s: string) => s);
  const sleep = opts.sleep ?? pause;
  let requests = 0;
  let writes = 0;
  let seq = 0;

  const once = async (
    method: Method,
    path: string,
    params: Params | undefined,
    o: CallOptions,
  ): Promise<Result<unknown, ApiFailure>> => {
    const n = ++seq;
    requests++;
    if (method !== 'GET') writes++;
    const started = Date.now();
    opts.log?.write(`${stamp()} #a${n} api ${method} ${path}${logParams(params, redact)}`);
    let outcome: Result<unknown, ApiFailure>;
    try {
      const res = await opts.transport.request({
        method,
        path,
        ...(params && { params }),
        ...(o.signal && { signal: o.signal }),
        timeoutMs: o.timeoutMs ?? 60_000,
      });
      outcome = envelope(res.status, res.statusText, res.body);
      opts.log?.write(
        `${stamp()} #a${n} ${res.status}${outcome.ok ? '' : ` ${redact(failureText(outcome.error))}`} in ${seconds(started)}`,
      );
    } catch (e) {
      const failure = networkFailure(e, o.signal);
      outcome = err(failure);
      opts.log?.write(`${stamp()} #a${n} ${redact(failureText(failure))} after ${seconds(started)}`);
    }
    return outcome;
  };

  const call: ApiClient['call'] = async (method, path, params, o = {}) => {
    const began = Date.now();
    const mayRetry = method === 'GET' ? readRetryable : o.dispatch ? dispatchRetryable : () => false;
    for (let tries = 0; ; tries++) {
      const res = await once(method, path, params, o);
      if (res.ok || !mayRetry(res.error) || o.signal?.aborted) return res;
      const delay = backoff(tries, retry);
      if (Date.now() - began + delay > retry.totalMs) return res;
      opts.log?.write(`${stamp()} retrying ${method} ${path} in ${(delay / 1000).toFixed(1)}s`);
      if (!(await sleep(delay, o.signal))) return res;
    }
  };

  return {
    call,
    async read(path, schema, params, o) {
      const res = await call('GET', path, params, o);
      if (!res.ok) return res;
      const parsed = schema.safeParse(res.value);
      if (parsed.success) return ok(parsed.data);
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
      return err({
        kind: 'schema',
        message: `GET ${path}: unexpected answer${where}: ${issue?.message ?? ''}`,
      });
    },
    get requests() {
      return requests;
    },
    get writes() {
      return writes;
    },
    close: () => opts.transport.close(),
  };
}

/** Proxmox's envelope: `{"data": ...}`; on an error status also `message` and `errors`. */
export function envelope(status: number, statusText: string, body: string): Result<unknown, ApiFailure> {
  let parsed: unknown;
  try {
    parsed = body.trim() === '' ? undefined : JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const obj = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (status >= 200 && status < 300) {
    if (!('data' in obj)) return err({ kind: 'schema', message: `answer without "data" (HTTP ${status})` });
    return ok(obj.data);
  }
  const message = typeof obj.message === 'string' && obj.message.trim() !== '' ? obj.message : statusText;
  const errors =
    typeof obj.errors === 'object' && obj.errors !== null
      ? Object.fromEntries(Object.entries(obj.errors).map(([k, v]) => [k, String(v).trim()]))
      : undefined;
  const text = [
    message.trim() || `HTTP ${status}`,
    ...Object.entries(errors ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  return err({ kind: 'http', status, message: text.join('\n'), ...(errors && { errors }) });
}

function networkFailure(e: unknown, signal: AbortSignal | undefined): ApiFailure {
  if (signal?.aborted) return { kind: 'cancelled', message: 'cancelled' };
  if (e instanceof PinMismatchError) return { kind: 'network', message: e.message, pin: true };
  const error = e as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (error.cause instanceof PinMismatchError)
    return { kind: 'network', message: error.cause.message, pin: true };
  const code = error.code ?? error.cause?.code;
  const timeout = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
  const message = certificateHint(code, error.message) ?? `${error.message}${code ? ` (${code})` : ''}`;
  return { kind: 'network', message, ...(code && { code }), ...(timeout && { timeout }) };
}

/** A TLS verification error, with what to do about it. */
function certificateHint(code: string | undefined, message: string): string | undefined {
  const untrusted = [
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'CERT_HAS_EXPIRED',
    'ERR_TLS_CERT_ALTNAME_INVALID',
  ];
  if (code === undefined || !untrusted.includes(code)) return undefined;
  return `the server's certificate is not trusted (${message}): pin it with --fingerprint or PHOENIX_API_FINGERPRINT (the sha256 that \`pvenode cert info\` prints), or name its CA in the config (api.ca_file)`;
}

function failureText(f: ApiFailure): string {
  return f.kind === 'http' ? `${f.status} ${f.message.split('\n')[0] ?? ''}` : `${f.kind}: ${f.message}`;
}

function logParams(params: Params | undefined, redact: (s: string) => string): string {
  if (params === undefined) return '';
  const parts = Object.entries(params).map(([k, v]) =>
    SECRET_PARAMS.has(k) ? `${k}=***` : `${k}=${redact(Array.isArray(v) ? JSON.stringify(v) : String(v))}`,
  );
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

function backoff(tries: number, r: RetryPolicy): number {
  const step = Math.min(r.maxDelayMs, r.initialDelayMs * 2 ** tries);
  return Math.round(step * (0.5 + Math.random() * 0.5));
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(2)}s`;
}

function stamp(): string {
  return `[${new Date().toISOString()}]`;
}
