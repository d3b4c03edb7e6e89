// `pveam`: the appliance (OS template) manager.
import type { Command, Registry } from './context.js';
import { ParamError, PveError } from './errors.js';
import { storageIdSpec } from './props.js';
import { getStorage, splitVolid, volumePath } from './storage.js';

const DL_BASE = 'http://download.proxmox.com/images';

const update: Command = {
  spec: { usage: 'pveam update', positionals: [], options: {} },
  run(ctx) {
    ctx.out('update successful\n');
  },
};

const available: Command = {
  spec: {
    usage: 'pveam available [OPTIONS]',
    positionals: [],
    options: { section: { type: 'string', enum: ['system', 'mail', 'turnkeylinux'] } },
  },
  // pve-manager `PVE/CLI/pveam.pm` `available`: `%-15s %-60s %s` (section, template, arch), sorted by section
  // and then template with Perl's byte-order sort. Every index entry is amd64.
  run(ctx, p) {
    const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    const rows = ctx.cfg.catalog
      .filter((t) => p.opts.section === undefined || t.section === p.opts.section)
      .sort((a, b) => byteOrder(a.section, b.section) || byteOrder(a.name, b.name));
    ctx.out(rows.map((t) => `${t.section.padEnd(15)} ${t.name.padEnd(60)} amd64\n`).join(''));
  },
};

const download: Command = {
  task: true,
  spec: {
    usage: 'pveam download <storage> <template>',
    positionals: [{ name: 'storage', spec: storageIdSpec }, { name: 'template' }],
    options: {},
  },
  async run(ctx, p) {
    const sid = p.params.storage!;
    const name = p.params.template!;
    const entry = ctx.cfg.catalog.find((t) => t.name === name);
    if (!entry) throw new ParamError({ template: 'no such template' });
    const s0 = ctx.read();
    const st = getStorage(s0, sid);
    if (!st.content.includes('vztmpl')) throw new PveError(`storage '${sid}' does not support templates`);
    const volname = `vztmpl/${name}`;
    const path = volumePath(sid, st, volname) ?? `/mnt/pve/${sid}/template/cache/${name}`;
    const url =
      entry.section === 'turnkeylinux'
        ? `https://releases.turnkeylinux.org/pve/${name}`
        : `${DL_BASE}/${entry.section}/${name}`;
    // pve-common `PVE/Tools.pm` `download_file_from_url`: the first line is always the URL and destination.
    return ctx.task(false, async () => {
      ctx.out(`downloading ${url} to ${path}\n`);
      if (st.volumes[volname]) {
        ctx.out(
          'calculating checksum of existing file...OK, got correct file already, no need to download\n',
        );
        return;
      }
      await ctx.sleep('pveamDownload');
      await ctx.tx((s) => {
        getStorage(s, sid).volumes[volname] = {
          format: name.replace(/^.*\.tar\./, 't'),
          content: 'vztmpl',
          size: entry.size,
        };
      });
      ctx.out(`calculating checksum...OK, checksum verified\ndownload of '${url}' to '${path}' finished\n`);
    });
  },
};

const list: Command = {
  spec: {
    usage: 'pveam list <storage>',
    positionals: [{ name: 'storage', spec: storageIdSpec }],
    options: {},
  },
  run(ctx, p) {
    const sid = p.params.storage!;
    const st = getStorage(ctx.read(), sid);
    if (!st.content.includes('vztmpl')) throw new PveError('Storage does not support templates!');
    // `printf "%-60s %-6s\n", qw(NAME SIZE)`: SIZE is padded to six characters.
    let out = `${'NAME'.padEnd(60)} ${'SIZE'.padEnd(6)}\n`;
    for (const name of Object.keys(st.volumes).sort()) {
      const v = st.volumes[name]!;
      if (v.content !== 'vztmpl') continue;
      out += `${`${sid}:${name}`.padEnd(60)} ${(v.size / 1048576).toFixed(2)}MB\n`;
    }
    ctx.out(out);
  },
};

const remove: Command = {
  spec: { usage: 'pveam remove <template_path>', positionals: [{ name: 'template_path' }], options: {} },
  async run(ctx, p) {
    const volid = p.params.template_path!;
    const sv = splitVolid(volid);
    if (!sv || !sv[1].startsWith('vztmpl/'))
      throw new PveError(`Error: Can't remove non-template volume ${volid}`);
    await ctx.tx((s) => {
      const st = getStorage(s, sv[0]);
      if (!st.volumes[sv[1]]) throw new PveError(`volume '${volid}' does not exist`);
      delete st.volumes[sv[1]];
    });
  },
};

export const pveamCommands: Registry = { update, available, download, list, remove };
