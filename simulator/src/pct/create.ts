// `pct create`: the config is written holding `lock: create`, then the task allocates volumes and
// "extracts" the template.
import { existsSync, readFileSync } from 'node:fs';
import { checkUnused, newGuest, setStatus, type Command } from '../context.js';
import { crypto } from '../crypto.js';
import { ParamError, PveError } from '../errors.js';
import { lazyOptions } from '../getopt.js';
import { discardGuest, nextPid } from '../guests.js';
import { vmidArg } from '../props.js';
import type { SimState } from '../state.js';
import { findVolumeByPath, getStorage, splitVolid, volumePath } from '../storage.js';
import { allocMount, checkRootdirStorage } from './mounts.js';
import { normalizeNet } from './net.js';
import { lxcConfigOptions, lxcCreateOptions } from './options.js';

function ostypeOf(template: string): string {
  const base = template.split('/').pop() ?? '';
  const distro = base.split(/[-_]/)[0] ?? '';
  const map: Record<string, string> = {
    rockylinux: 'centos',
    almalinux: 'centos',
    centos: 'centos',
    opensuse: 'opensuse',
  };
  if (map[distro]) return map[distro];
  return ['debian', 'ubuntu', 'alpine', 'fedora', 'archlinux', 'devuan', 'gentoo', 'nixos'].includes(distro)
    ? distro
    : 'unmanaged';
}

/** Resolves an ostemplate volid or path to its file path; undefined when the file is missing. */
function templatePath(s: SimState, tmpl: string): { path: string; exists: boolean } {
  if (tmpl.startsWith('/')) {
    return { path: tmpl, exists: findVolumeByPath(s, tmpl) !== undefined || existsSync(tmpl) };
  }
  const sv = splitVolid(tmpl);
  if (!sv) throw new ParamError({ ostemplate: `unable to parse volume ID '${tmpl}'` });
  const st = getStorage(s, sv[0]);
  const path = volumePath(sv[0], st, sv[1]) ?? `/dev/${sv[0]}/${sv[1]}`;
  return { path, exists: st.volumes[sv[1]] !== undefined };
}

export const create: Command = {
  task: true,
  spec: lazyOptions(
    { usage: 'pct create <vmid> <ostemplate> [OPTIONS]', positionals: [vmidArg, { name: 'ostemplate' }] },
    lxcCreateOptions,
  ),
  async run(ctx, p) {
    const id = Number(p.params.vmid);
    const o = p.opts;
    let sshKeys: string | undefined;
    if (o['ssh-public-keys'] !== undefined) {
      try {
        sshKeys = readFileSync(o['ssh-public-keys'], 'utf8');
      } catch {
        throw new PveError(`unable to open file '${o['ssh-public-keys']}' - No such file or directory`, 2);
      }
    }
    void sshKeys;
    const storage = o.storage ?? 'local';
    const out: string[] = [];
    const tmpl = p.params.ostemplate!;
    let tmplInfo = { path: '', exists: false };
    // pre-task checks, then the config is created holding `lock: create`
    await ctx.tx((s) => {
      checkUnused(s, String(id));
      getStorage(s, storage);
      if (o.rootfs === undefined || /^\d/.test(o.rootfs)) checkRootdirStorage(s, storage, 'storage');
      tmplInfo = templatePath(s, tmpl);
      const g = newGuest(id, 'lxc', ctx.now(), s.vmlistVersion + 1);
      g.config = { lock: 'create' };
      s.guests[id] = g;
    });
    const cleanup = async (): Promise<void> => {
      await ctx.tx((s) => discardGuest(s, id));
    };
    const rc = await ctx.task(
      true,
      async () => {
        await ctx.sleep('pctCreate');
        await ctx.tx((s) => {
          const g = s.guests[id];
          if (!g) throw new PveError(`unable to create CT ${id} - config file vanished`);
          const config: Record<string, string> = {};
          try {
            config.rootfs = allocMount(s, id, 'rootfs', o.rootfs ?? `${storage}:4`, storage, out);
            for (const [k, v] of Object.entries(o)) {
              if (/^mp\d+$/.test(k)) config[k] = allocMount(s, id, k, v, storage, out);
              else if (/^net\d+$/.test(k)) config[k] = normalizeNet(v, k);
            }
          } catch (e) {
            if (e instanceof ParamError)
              throw new PveError(
                `unable to create CT ${id} - ${e.render().split('\n').slice(1, -2).join(' ')}`,
              );
            throw e;
          }
          if (!tmplInfo.exists) {
            out.push(`extracting archive '${tmplInfo.path}'`);
            out.push(`tar: ${tmplInfo.path}: Cannot open: No such file or directory`);
            throw new PveError(
              `unable to create CT ${id} - command 'lxc-usernsexec -m u:0:100000:65536 -m g:0:100000:65536 -- tar xpf - --zstd --totals --one-file-system -p --sparse --numeric-owner --acls --xattrs '--xattrs-include=user.*' '--xattrs-include=security.capability' '--warning=no-file-ignored' '--warning=no-xattr-write' -C /var/lib/lxc/${id}/rootfs --skip-old-files --anchored --exclude './dev/*'' failed: exit code 2`,
            );
          }
          for (const k of Object.keys(lxcConfigOptions())) {
            const v = o[k];
            if (v === undefined || k in config || k === 'template' || k === 'lock') continue;
            if (k === 'unprivileged') continue;
            config[k] = v;
          }
          config.arch ??= 'amd64';
          config.hostname ??= `CT${id}`;
          config.memory ??= '512';
          config.swap ??= '512';
          config.ostype ??= ostypeOf(tmpl);
          if ((o.unprivileged ?? '1') === '1') config.unprivileged = '1';
          g.config = config;
          const size =
            s.storages[tmpl.split(':')[0] ?? '']?.volumes[tmpl.split(':')[1] ?? '']?.size ??
            126 * 1024 * 1024;
          out.push(`extracting archive '${tmplInfo.path}'`);
          out.push(`Total bytes read: ${size * 4} (${Math.round((size * 4) / 1048576)}MiB, 146MiB/s)`);
          out.push(`Detected container architecture: ${config.arch}`);
          if (config.ostype !== 'unmanaged') {
            for (const t of ['rsa', 'ecdsa', 'ed25519']) {
              out.push(`Creating SSH host key 'ssh_host_${t}_key' - this may take some time ...`);
              out.push(
                `done: SHA256:${crypto().createHash('sha256').update(`${id}${t}${ctx.now()}`).digest('base64').slice(0, 43)} root@${config.hostname}`,
              );
            }
          }
        });
        ctx.out(out.join('\n') + '\n');
        if (o.start === '1') {
          await ctx.sleep('start');
          await ctx.tx((s) => {
            const g = s.guests[id]!;
            setStatus(g, 'running', ctx.now(), nextPid(s));
          });
        }
      },
      async () => {
        if (out.length > 0) ctx.out(out.join('\n') + '\n');
        await cleanup();
      },
    );
    return rc;
  },
};
