// `pvesh`: the API paths Phoenix reads (cluster resources, guests, configs, snapshots, storage) and the
// download-url endpoint, with `--output-format json|json-pretty|text`.
import { effectiveConfig, setStatus, type Command, type Ctx, type Registry } from './context.js';
import { ParamError, PveError, UsageError } from './errors.js';
import { parseArgs, type OptSpec } from './getopt.js';
import {
  bootDiskBytes,
  configDisks,
  guestName,
  isTemplate,
  maskPassword,
  memBytes,
  uptimeSec,
} from './guests.js';
import { totalKiB, usedKiB } from './pvesm.js';
import { allCloudImages } from './simconfig.js';
import { getStorage, volumePath } from './storage.js';
import type { GuestState, SimState } from './state.js';

void setStatus;
const FORMAT_OPTS: Record<string, OptSpec> = {
  'output-format': { type: 'string', enum: ['text', 'json', 'json-pretty', 'yaml'] },
  noheader: { type: 'boolean' },
  noborder: { type: 'boolean' },
  quiet: { type: 'boolean' },
  'human-readable': { type: 'boolean' },
};

/** Numbers/booleans in configs come back as JSON numbers, like the API's typed values. */
const NUMERIC_KEYS =
  /^(cores|memory|swap|onboot|unprivileged|template|protection|cpuunits|balloon|sockets|vcpus|tty|console|numa|kvm|acpi|tablet|ciupgrade|shares|debug|localtime|freeze|autostart|snaptime)$/;

function typedConfig(c: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c))
    out[k] = NUMERIC_KEYS.test(k) && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  return out;
}

function stableJson(v: unknown, pretty: boolean): string {
  const sort = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(sort);
    if (x !== null && typeof x === 'object') {
      return Object.fromEntries(
        Object.keys(x)
          .sort()
          .map((k) => [k, sort((x as Record<string, unknown>)[k])]),
      );
    }
    return x;
  };
  return JSON.stringify(sort(v), null, pretty ? 4 : undefined);
}

function textTable(v: unknown, border: boolean, header: boolean): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return `${fmtCell(v)}\n`;
  let rows: string[][];
  let head: string[];
  if (Array.isArray(v)) {
    const keys = [
      ...new Set(
        (v as unknown[]).flatMap((r) => (r !== null && typeof r === 'object' ? Object.keys(r) : [])),
      ),
    ].sort();
    head = keys;
    rows = v.map((r) => keys.map((k) => fmtCell((r as Record<string, unknown>)[k])));
  } else {
    head = ['key', 'value'];
    rows = Object.keys(v)
      .sort()
      .map((k) => [k, fmtCell((v as Record<string, unknown>)[k])]);
  }
  const widths = head.map((h, i) => Math.max(header ? h.length : 0, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    border
      ? `│ ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' │ ')} │\n`
      : `${cells.map((c, i) => c.padEnd(widths[i]!)).join(' ')}\n`;
  const rule = (l: string, m: string, r: string): string =>
    border ? `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}\n` : '';
  let out = rule('┌', '┬', '┐');
  if (header) out += line(head) + rule('╞', '╪', '╡').replace(/─/g, '═');
  out += rows.map(line).join(rule('├', '┼', '┤'));
  out += rule('└', '┴', '┘');
  return out;
}

function fmtCell(x: unknown): string {
  if (x === undefined || x === null) return '';
  if (typeof x === 'string') return x;
  return JSON.stringify(x);
}

function emit(ctx: Ctx, data: unknown, opts: Record<string, string>): void {
  const fmt = opts['output-format'] ?? 'text';
  if (opts.quiet === '1') return;
  if (fmt === 'json') ctx.out(stableJson(data ?? null, false) + '\n');
  else if (fmt === 'json-pretty') ctx.out(stableJson(data ?? null, true) + '\n');
  else ctx.out(textTable(data, opts.noborder !== '1', opts.noheader !== '1'));
}

function guestStatusAt(g: GuestState, t: number): string {
  let st = g.statusLog[0]?.status ?? g.status;
  for (const e of g.statusLog) if (e.t <= t) st = e.status;
  return st;
}

function clusterResources(ctx: Ctx, s: SimState, type?: string): unknown[] {
  const now = ctx.now();
  const stale = ctx.cfg.resourcesStaleMs * ctx.cfg.latencyScale;
  const out: unknown[] = [];
  if (type === undefined || type === 'vm') {
    for (const g of Object.values(s.guests).sort((a, b) => a.vmid - b.vmid)) {
      const base = { id: `${g.type}/${g.vmid}`, vmid: g.vmid, node: s.node, type: g.type };
      if (stale > 0 && g.createdAt > now - stale) {
        out.push({ ...base, status: 'unknown' });
        continue;
      }
      const status = stale > 0 ? guestStatusAt(g, now - stale) : g.status;
      const running = status === 'running';
      const r: Record<string, unknown> = {
        ...base,
        status,
        name: guestName(g),
        template: isTemplate(g) ? 1 : 0,
        maxmem: memBytes(g),
        mem: running ? Math.floor(memBytes(g) * 0.1) : 0,
        maxdisk: bootDiskBytes(g),
        disk: 0,
        maxcpu: Number(g.config.cores ?? 1),
        cpu: running ? 0.01 : 0,
        uptime: running ? uptimeSec(g, now - stale) : 0,
        netin: 0,
        netout: 0,
        diskread: 0,
        diskwrite: 0,
      };
      if (g.type === 'qemu') r.memhost = r.mem;
      if (g.config.lock) r.lock = g.config.lock;
      if (g.config.tags) r.tags = g.config.tags;
      out.push(r);
    }
  }
  if (type === undefined || type === 'node') {
    out.push({
      id: `node/${s.node}`,
      node: s.node,
      type: 'node',
      status: 'online',
      level: '',
      maxcpu: 16,
      cpu: 0.03,
      maxmem: 68719476736,
      mem: 8589934592,
      maxdisk: 100861726720,
      disk: 10366459904,
      uptime: 864000,
      cgroup_mode: 2,
    });
  }
  if (type === undefined || type === 'storage') {
    for (const sid of Object.keys(s.storages).sort()) {
      const st = s.storages[sid]!;
      out.push({
        id: `storage/${s.node}/${sid}`,
        storage: sid,
        node: s.node,
        type: 'storage',
        status: st.disabled ? 'unknown' : 'available',
        plugintype: st.type,
        content: st.content.join(','),
        shared: 0,
        maxdisk: totalKiB(st) * 1024,
        disk: usedKiB(st) * 1024,
      });
    }
  }
  return out;
}

function guestListEntry(g: GuestState, now: number): Record<string, unknown> {
  const running = g.status === 'running';
  const r: Record<string, unknown> = {
    vmid: g.vmid,
    name: guestName(g),
    status: g.status,
    maxmem: memBytes(g),
    mem: running ? Math.floor(memBytes(g) * 0.1) : 0,
    maxdisk: bootDiskBytes(g),
    disk: 0,
    cpus: Number(g.config.cores ?? 1),
    cpu: running ? 0.01 : 0,
    uptime: uptimeSec(g, now),
    netin: 0,
    netout: 0,
    diskread: 0,
    diskwrite: 0,
  };
  if (g.type === 'lxc') {
    r.type = 'lxc';
    r.maxswap = Number(g.config.swap ?? 512) * 1048576;
    r.swap = 0;
  }
  if (running && g.pid) r.pid = g.pid;
  if (g.config.lock) r.lock = g.config.lock;
  if (g.config.tags) r.tags = g.config.tags;
  if (isTemplate(g)) r.template = 1;
  return r;
}

function guestFor(s: SimState, node: string, kind: string, id: string): GuestState {
  const type = kind === 'lxc' ? 'lxc' : 'qemu';
  const g = s.guests[id];
  if (node !== s.node)
    throw new PveError(
      `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`,
    );
  if (!g || g.type !== type) {
    throw new PveError(
      `Configuration file 'nodes/${s.node}/${type === 'lxc' ? 'lxc' : 'qemu-server'}/${id}.conf' does not exist`,
    );
  }
  return g;
}

function getPath(ctx: Ctx, s: SimState, path: string, opts: Record<string, string>): unknown {
  const parts = path.replace(/^\/+|\/+$/g, '').split('/');
  const [a, b, c, d, e, f] = parts;
  if (a === 'version' && parts.length === 1)
    return { release: '9.1', repoid: 'b1d5f6f0a3e2c4d7', version: '9.1.1' };
  if (a === 'cluster' && b === 'resources' && parts.length === 2) return clusterResources(ctx, s, opts.type);
  // A fresh node has no /etc/pve/firewall/cluster.fw: PVE answers with no options set, only the (empty) digest.
  if (a === 'cluster' && b === 'firewall' && c === 'options' && parts.length === 3)
    return { digest: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' };
  if (a === 'cluster' && b === 'nextid' && parts.length === 2) {
    let id = 100;
    while (s.guests[id]) id++;
    return String(id);
  }
  if (a === 'nodes' && parts.length === 1) {
    return [
      {
        node: s.node,
        status: 'online',
        type: 'node',
        id: `node/${s.node}`,
        level: '',
        maxcpu: 16,
        cpu: 0.03,
        maxmem: 68719476736,
        mem: 8589934592,
        uptime: 864000,
        ssl_fingerprint:
          '3A:7B:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD',
      },
    ];
  }
  if (a === 'nodes' && b !== undefined) {
    if (b !== s.node)
      throw new PveError(
        `hostname lookup '${b}' failed - failed to get address info for: ${b}: Name or service not known`,
      );
    if (c === 'storage' && parts.length === 3) {
      return Object.keys(s.storages)
        .sort()
        .map((sid) => {
          const st = s.storages[sid]!;
          const total = totalKiB(st) * 1024;
          const used = usedKiB(st) * 1024;
          return {
            storage: sid,
            type: st.type,
            content: st.content.join(','),
            active: st.disabled ? 0 : 1,
            enabled: st.disabled ? 0 : 1,
            shared: 0,
            total,
            used,
            avail: total - used,
            used_fraction: used / total,
          };
        });
    }
    if (c === 'storage' && d !== undefined && e === 'content' && parts.length === 5) {
      const st = getStorage(s, d);
      return Object.entries(st.volumes)
        .filter(([, v]) => opts.content === undefined || v.content === opts.content)
        .map(([name, v]) => ({
          volid: `${d}:${name}`,
          format: v.format,
          content: v.content,
          size: v.size,
          ...(v.vmid !== undefined ? { vmid: v.vmid } : {}),
        }));
    }
    if ((c === 'lxc' || c === 'qemu') && parts.length === 3) {
      return Object.values(s.guests)
        .filter((g) => g.type === c)
        .sort((x, y) => x.vmid - y.vmid)
        .map((g) => guestListEntry(g, ctx.now()));
    }
    if ((c === 'lxc' || c === 'qemu') && d !== undefined) {
      const g = guestFor(s, b, c, d);
      if (e === 'config' && parts.length === 5) {
        const current = effectiveConfig(g, opts.current === '1');
        const conf = typedConfig(g.type === 'qemu' ? maskPassword(current) : current);
        if (g.lxc.length > 0) conf.lxc = g.lxc;
        conf.digest = g.mirrorHash ?? '';
        return conf;
      }
      if (e === 'status' && f === 'current' && parts.length === 6) {
        const r = guestListEntry(g, ctx.now());
        if (g.type === 'qemu') {
          r.qmpstatus = g.status;
          if (g.config.agent) r.agent = 1;
        }
        r.ha = { managed: 0 };
        return r;
      }
      if (e === 'snapshot' && parts.length === 5) {
        const list: Record<string, unknown>[] = Object.entries(g.snapshots).map(([name, snap]) => ({
          name,
          snaptime: snap.snaptime,
          description: snap.description ?? '',
          ...(snap.config.parent ? { parent: snap.config.parent } : {}),
          ...(snap.config.vmstate ? { vmstate: 1 } : {}),
        }));
        list.push({
          name: 'current',
          description: 'You are here!',
          running: g.status === 'running' ? 1 : 0,
          digest: g.mirrorHash ?? '',
          ...(g.config.parent ? { parent: g.config.parent } : {}),
        });
        return list;
      }
    }
  }
  throw new PveError(`No '${path.replace(/^\/+/, '')}' handler`);
}

const CONTENT_EXT: Record<string, RegExp> = {
  import: /\.(ova|ovf|qcow2|raw|vmdk)$/,
  iso: /\.(iso|img)$/,
  vztmpl: /\.tar\.(gz|xz|zst)$/,
};

function upid(node: string, type: string, id: string): string {
  const hex = (n: number, w: number): string => n.toString(16).toUpperCase().padStart(w, '0');
  return `UPID:${node}:${hex(process.pid, 8)}:${hex(Math.floor(Math.random() * 0xffffffff), 8)}:${hex(Math.floor(Date.now() / 1000), 8)}:${type}:${id}:root@pam:`;
}

async function downloadUrl(ctx: Ctx, node: string, sid: string, rest: string[]): Promise<number> {
  const spec = {
    usage: 'pvesh create <api_path> [OPTIONS] [FORMAT_OPTIONS]',
    positionals: [],
    options: {
      ...FORMAT_OPTS,
      content: { type: 'string', enum: ['iso', 'vztmpl', 'import'] },
      filename: { type: 'string' },
      url: { type: 'string', pattern: /https?:\/\/.*/ },
      checksum: { type: 'string' },
      'checksum-algorithm': { type: 'string', enum: ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] },
      compression: { type: 'string' },
      'verify-certificates': { type: 'boolean' },
    } satisfies Record<string, OptSpec>,
  };
  const p = parseArgs(spec, rest);
  const missing: Record<string, string> = {};
  for (const k of ['content', 'filename', 'url'])
    if (p.opts[k] === undefined) missing[k] = 'property is missing and it is not optional';
  if (Object.keys(missing).length > 0) throw new ParamError(missing, spec.usage);
  const content = p.opts.content!;
  const filename = p.opts.filename!;
  const url = p.opts.url!;
  if (!CONTENT_EXT[content]!.test(filename))
    throw new ParamError({ filename: 'invalid filename or wrong extension' }, spec.usage);
  const s0 = ctx.read();
  if (node !== s0.node)
    throw new PveError(
      `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`,
    );
  const st = getStorage(s0, sid);
  if (!st.content.includes(content as never))
    throw new PveError(`storage '${sid}' is not configured for content-type '${content}'`);
  const volname = `${content}/${filename}`;
  const path = volumePath(sid, st, volname) ?? '';
  const image = allCloudImages(ctx.cfg)[url];
  const id = upid(s0.node, 'download', sid);
  const rc = await ctx.task(false, async () => {
    ctx.out(`downloading ${url} to ${path}\n`);
    if (!image) throw new PveError(`download failed: wget: server returned error: HTTP/1.1 404 Not Found`);
    await ctx.sleep('downloadUrl');
    await ctx.tx((s) => {
      getStorage(s, sid).volumes[volname] = {
        format: /\.(\w+)$/.exec(filename)?.[1] ?? 'raw',
        content: content as 'import',
        size: image.virtualSize,
      };
    });
    ctx.out(`download of '${url}' to '${path}' finished\n`);
  });
  if (p.opts.quiet !== '1') ctx.out(`${id}\n`);
  return rc;
}

function pveshCommand(method: 'get' | 'create' | 'set' | 'delete'): Command {
  const usage = `pvesh ${method} <api_path> [OPTIONS] [FORMAT_OPTIONS]`;
  return {
    rawArgs: true,
    task: method === 'create',
    spec: { usage, positionals: [{ name: 'api_path' }], options: {} },
    async run(ctx, parsed) {
      const args = parsed.extra;
      const idx = args.findIndex((x) => !x.startsWith('-'));
      if (idx < 0) throw new UsageError('not enough arguments', [], usage);
      const path = args[idx]!;
      const rest = [...args.slice(0, idx), ...args.slice(idx + 1)];
      if (method === 'get') {
        const p = parseArgs(
          {
            usage,
            positionals: [],
            options: {
              ...FORMAT_OPTS,
              type: { type: 'string', enum: ['vm', 'storage', 'node', 'sdn'] },
              current: { type: 'boolean' },
              content: { type: 'string' },
            },
          },
          rest,
        );
        emit(ctx, getPath(ctx, ctx.read(), path, p.opts), p.opts);
        return 0;
      }
      const dl = /^\/?nodes\/([^/]+)\/storage\/([^/]+)\/download-url\/?$/.exec(path);
      if (method === 'create' && dl) return downloadUrl(ctx, dl[1]!, dl[2]!, rest);
      throw new PveError(`No '${path.replace(/^\/+/, '')}' handler`);
    },
  };
}

export const pveshCommands: Registry = {
  get: pveshCommand('get'),
  create: pveshCommand('create'),
  set: pveshCommand('set'),
  delete: pveshCommand('delete'),
};

export { configDisks };
