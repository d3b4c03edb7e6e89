// `pvesh create /nodes/<n>/storage/<sid>/download-url`: a cloud image or ISO "downloaded" to a storage.
import type { Ctx } from '../context.js';
import { ParamError, PveError } from '../errors.js';
import { parseArgs, type OptSpec } from '../getopt.js';
import { allCloudImages } from '../simconfig.js';
import { getStorage, volumePath } from '../storage.js';
import { FORMAT_OPTS } from './format.js';
import { checkNode } from './nodes.js';

const CONTENT_EXT: Record<string, RegExp> = {
  import: /\.(ova|ovf|qcow2|raw|vmdk)$/,
  iso: /\.(iso|img)$/,
  vztmpl: /\.tar\.(gz|xz|zst)$/,
};

function upid(node: string, type: string, id: string): string {
  const hex = (n: number, w: number): string => n.toString(16).toUpperCase().padStart(w, '0');
  return `UPID:${node}:${hex(process.pid, 8)}:${hex(Math.floor(Math.random() * 0xffffffff), 8)}:${hex(Math.floor(Date.now() / 1000), 8)}:${type}:${id}:root@pam:`;
}

export async function downloadUrl(ctx: Ctx, node: string, sid: string, rest: string[]): Promise<number> {
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
  checkNode(s0, node);
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
    // pve-storage download_url: the file is checked against the given checksum before it is kept.
    const want = p.opts.checksum;
    if (want !== undefined) {
      const sum = image.checksum;
      const got = sum !== undefined && sum.algorithm === p.opts['checksum-algorithm'] ? sum.value : undefined;
      if (got !== want.toLowerCase())
        throw new PveError(`checksum mismatch: got '${got ?? 'unknown'}' != expect '${want}'`);
    }
    await ctx.tx((s) => {
      getStorage(s, sid).volumes[volname] = {
        format: /\.(\w+)$/.exec(filename)?.[1] ?? 'raw',
        content: content as 'import',
        size: image.virtualSize,
        ...(image.guestAgent === undefined ? {} : { guestAgent: image.guestAgent }),
      };
    });
    ctx.out(`download of '${url}' to '${path}' finished\n`);
  });
  if (p.opts.quiet !== '1') ctx.out(`${id}\n`);
  return rc;
}
