// `pct exec`, `pct push` and `pct pull`: commands and files inside a running CT.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadGuest, type Command } from '../context.js';
import { crypto } from '../crypto.js';
import { PveError } from '../errors.js';
import { runExecRules } from '../exec.js';
import { bool, str } from '../getopt.js';
import { vmidArg } from '../props.js';
import type { GuestState } from '../state.js';

export const exec: Command = {
  spec: {
    usage: 'pct exec <vmid> [<extra-args>] [OPTIONS]',
    positionals: [vmidArg, { name: 'extra-args' }],
    listParam: true,
    options: { 'keep-env': bool },
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const g = loadGuest(ctx.read(), 'lxc', id);
    if (g.status !== 'running') throw new PveError(`container '${id}' not running!`);
    if (p.extra.length === 0)
      throw new PveError('missing command at /usr/share/perl5/PVE/CLI/pct.pm line 246.');
    await ctx.sleep('exec');
    // pve-container `src/PVE/CLI/pct.pm` `exec`: keep-env defaults to 1, still in PVE 9.
    const hostEnv = p.opts['keep-env'] !== '0';
    const res = await runExecRules(ctx, Number(id), 'pct exec', p.extra, { hostEnv });
    if (res.stdout) ctx.out(res.stdout);
    if (res.stderr) ctx.err(res.stderr);
    return res.exit;
  },
};

/** The owner and mode options of `pct push` and `pct pull`. */
const fileOptions = { perms: str, user: str, group: str };

export const push: Command = {
  task: true,
  spec: {
    usage: 'pct push <vmid> <file> <destination> [OPTIONS]',
    positionals: [vmidArg, { name: 'file' }, { name: 'destination' }],
    options: fileOptions,
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const file = p.params.file!;
    const dest = p.params.destination!;
    const g = loadGuest(ctx.read(), 'lxc', id);
    if (g.status !== 'running') throw new PveError('can only push files to a running CT');
    return ctx.task(false, async () => {
      let data: Buffer;
      try {
        if (!statSync(file).isFile()) throw new Error('not a file');
        data = readFileSync(file);
      } catch {
        throw new PveError(`failed to open ${file} for reading`);
      }
      await ctx.sleep('push');
      const sha256 = crypto().createHash('sha256').update(data).digest('hex');
      await ctx.tx((s) => {
        const cur = loadGuest(s, 'lxc', id);
        const t = ctx.now();
        const rec = { t, src: file, dest, sha256, size: data.length } as GuestState['pushes'][number];
        if (p.opts.perms !== undefined) rec.perms = p.opts.perms;
        if (p.opts.user !== undefined) rec.user = p.opts.user;
        if (p.opts.group !== undefined) rec.group = p.opts.group;
        cur.pushes.push(rec);
        cur.files[dest] = {
          sha256,
          size: data.length,
          t,
          ...(p.opts.perms !== undefined ? { perms: p.opts.perms } : {}),
          ...(data.length <= 1024 * 1024 ? { content: data.toString('base64') } : {}),
        };
      });
    });
  },
};

export const pull: Command = {
  task: true,
  spec: {
    usage: 'pct pull <vmid> <path> <destination> [OPTIONS]',
    positionals: [vmidArg, { name: 'path' }, { name: 'destination' }],
    options: fileOptions,
  },
  async run(ctx, p) {
    const id = p.params.vmid!;
    const g = loadGuest(ctx.read(), 'lxc', id);
    if (g.status !== 'running') {
      throw new PveError(
        'can only pull files from a running VM at /usr/share/perl5/PVE/CLI/pct.pm line 383.',
      );
    }
    return ctx.task(false, async () => {
      await ctx.sleep('pull');
      const f = g.files[p.params.path!];
      if (!f || f.content === undefined) throw new PveError(`failed to open ${p.params.path} for reading`);
      writeFileSync(p.params.destination!, Buffer.from(f.content, 'base64'));
    });
  },
};
