// `pvesh`: the API paths Phoenix reads (cluster resources, guests, configs, snapshots, storage) and the
// download-url endpoint, with `--output-format json|json-pretty|text`. The command table and its dispatch by path.
import type { Command, Registry } from '../context.js';
import { PveError, UsageError } from '../errors.js';
import { parseArgs } from '../getopt.js';
import { downloadUrl } from './download.js';
import { emit, FORMAT_OPTS } from './format.js';
import { getPath } from './get.js';

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
