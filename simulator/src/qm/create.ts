// `qm create`: the config is written holding `lock: create`, then the task allocates (or imports) the drives.
import { existsSync } from 'node:fs';
import { clusterGuest, guestWord, newGuest, setStatus, type Command } from '../context.js';
import { ParamError, PveError } from '../errors.js';
import { lazyOptions } from '../getopt.js';
import { discardGuest, newUuid, nextPid } from '../guests.js';
import { vmidArg } from '../props.js';
import { checkImagesStorage, checkImport, defaultBoot, importSource } from './drives.js';
import { createOptions } from './options.js';
import { prepareValue } from './values.js';

export const create: Command = {
  task: true,
  spec: lazyOptions({ usage: 'qm create <vmid> [OPTIONS]', positionals: [vmidArg] }, createOptions),
  async run(ctx, p) {
    const id = Number(p.params.vmid);
    const o = p.opts;
    await ctx.tx((s) => {
      const g = clusterGuest(s, id);
      if (g)
        throw new PveError(
          `unable to create VM ${id} - ${guestWord(g.type)} ${id} already exists on node '${g.node}'`,
        );
      for (const [k, v] of Object.entries(o)) {
        if (/^(ide|sata|scsi|virtio)\d+$/.test(k)) {
          checkImport(k, v);
          const sid = /^([a-zA-Z][\w\-.]*):(\d|cloudinit)/.exec(v)?.[1];
          if (sid) checkImagesStorage(s, sid, k);
          const imp = /import-from=([^,]+)/.exec(v)?.[1];
          if (imp && !importSource(s, imp)) {
            throw new PveError(
              imp.startsWith('/') ? `no such file '${imp}'` : `volume '${imp}' does not exist`,
            );
          }
        }
        if (k === 'sshkeys' && !existsSync(v))
          throw new PveError(`unable to open file '${v}' - No such file or directory`, 2);
      }
      const ng = newGuest(id, 'qemu', ctx.now(), s.vmlistVersion + 1);
      ng.config = { lock: 'create' };
      s.guests[id] = ng;
    });
    const out: string[] = [];
    return ctx.task(
      true,
      async () => {
        const importing = Object.values(o).some((v) => v.includes('import-from='));
        await ctx.sleep(importing ? 'diskImport' : 'qmCreate');
        await ctx.tx((s) => {
          const g = s.guests[id];
          if (!g) throw new PveError(`unable to create VM ${id} - config vanished`);
          const conf: Record<string, string> = {};
          try {
            for (const [k, v] of Object.entries(o)) {
              if (
                [
                  'archive',
                  'bwlimit',
                  'force',
                  'live-restore',
                  'pool',
                  'start',
                  'storage',
                  'unique',
                  'lock',
                ].includes(k)
              )
                continue;
              conf[k] = prepareValue(s, id, k, v, out);
            }
          } catch (e) {
            if (e instanceof ParamError) throw e;
            if (e instanceof PveError) throw new PveError(`unable to create VM ${id} - ${e.message}`);
            throw e;
          }
          conf.boot ??= defaultBoot(conf);
          conf.meta = `creation-qemu=9.2.0,ctime=${Math.floor(ctx.now() / 1000)}`;
          conf.smbios1 ??= `uuid=${newUuid()}`;
          conf.vmgenid ??= newUuid();
          g.config = conf;
          if (o.start === '1') setStatus(g, 'running', ctx.now(), nextPid(s));
        });
        if (out.length > 0) ctx.out(out.join('\n') + '\n');
      },
      async () => {
        await ctx.tx((s) => discardGuest(s, id));
      },
    );
  },
};
