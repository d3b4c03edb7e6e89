// `pvesm`: storage status and volume lists.
import type { Command, Registry } from './context.js';
import { ParamError, PveError } from './errors.js';
import type { ContentType, StorageType } from './simconfig.js';
import type { StorageState } from './state.js';
import { storageIdSpec } from './props.js';
import { getStorage } from './storage.js';

const CONTENT = ['images', 'rootdir', 'vztmpl', 'iso', 'backup', 'snippets', 'import'];

/** KiB used on a storage: the volumes on it plus a fixed base for what the OS keeps there. */
export function usedKiB(st: StorageState): number {
  const vols = Object.values(st.volumes).reduce((a, v) => a + v.size, 0);
  const baseUsed = st.type === 'dir' ? 10_123_456 : 0;
  return Math.floor(vols / 1024) + baseUsed;
}

export function totalKiB(st: StorageState): number {
  return st.totalKiB ?? 104_857_600;
}

const status: Command = {
  spec: {
    usage: 'pvesm status [OPTIONS]',
    positionals: [],
    options: {
      storage: storageIdSpec,
      content: { type: 'string', enum: CONTENT },
      enabled: { type: 'boolean' },
      format: { type: 'boolean' },
      target: { type: 'string' },
    },
  },
  run(ctx, p) {
    const s = ctx.read();
    if (p.opts.storage !== undefined) getStorage(s, p.opts.storage);
    const ids = Object.keys(s.storages)
      .filter((id) => p.opts.storage === undefined || id === p.opts.storage)
      .filter(
        (id) => p.opts.content === undefined || s.storages[id]!.content.includes(p.opts.content as never),
      )
      .filter((id) => p.opts.enabled !== '1' || !s.storages[id]!.disabled)
      .sort();
    const L = Math.max(4, ...ids.map((i) => i.length)) + 1;
    const row = (...c: string[]): string =>
      `${c[0]!.padEnd(L)} ${c[1]!.padStart(10)} ${c[2]!.padStart(10)} ${c[3]!.padStart(15)} ${c[4]!.padStart(15)} ${c[5]!.padStart(15)} ${c[6]!.padStart(8)}\n`;
    let out = row('Name', 'Type', 'Status', 'Total (KiB)', 'Used (KiB)', 'Available (KiB)', '%');
    for (const id of ids) {
      const st = s.storages[id]!;
      if (st.disabled) {
        out += row(id, st.type, 'disabled', '0', '0', '0', 'N/A');
        continue;
      }
      const total = totalKiB(st);
      const used = Math.min(total, usedKiB(st));
      out += row(
        id,
        st.type,
        'active',
        String(total),
        String(used),
        String(total - used),
        `${((used / total) * 100).toFixed(2).padStart(7)}%`,
      );
    }
    ctx.out(out);
  },
};

const list: Command = {
  spec: {
    usage: 'pvesm list <storage> [OPTIONS]',
    positionals: [{ name: 'storage', spec: storageIdSpec }],
    options: { content: { type: 'string', enum: CONTENT }, vmid: { type: 'integer', min: 100 } },
  },
  run(ctx, p) {
    const sid = p.params.storage!;
    const st = getStorage(ctx.read(), sid);
    if (st.disabled) throw new PveError(`storage '${sid}' is disabled`);
    const vols = Object.entries(st.volumes)
      .filter(([, v]) => p.opts.content === undefined || v.content === p.opts.content)
      .filter(([, v]) => p.opts.vmid === undefined || v.vmid === Number(p.opts.vmid))
      .map(([name, v]) => ({ volid: `${sid}:${name}`, ...v }))
      .sort((a, b) => {
        if ((a.vmid === undefined) !== (b.vmid === undefined)) return a.vmid === undefined ? 1 : -1;
        if (a.vmid !== undefined && b.vmid !== undefined && a.vmid !== b.vmid) return a.vmid - b.vmid;
        return a.format.localeCompare(b.format) || a.volid.localeCompare(b.volid);
      });
    const w = Math.max(5, ...vols.map((v) => v.volid.length));
    let out = `${'Volid'.padEnd(w)} ${'Format'.padEnd(7)}${' '} ${'Type'.padEnd(9)} ${'Size'.padStart(14)} VMID\n`;
    for (const v of vols) {
      out += `${v.volid.padEnd(w)} ${v.format.padEnd(7)}  ${v.content.padEnd(9)} ${String(v.size).padStart(14)} ${v.vmid ?? ''}\n`;
    }
    ctx.out(out);
  },
};

/** Content each storage type accepts (pve-storage `PVE/Storage/*Plugin.pm` `plugindata`, first element). */
const VALID_CONTENT: Record<StorageType, readonly string[]> = {
  dir: ['images', 'rootdir', 'vztmpl', 'iso', 'backup', 'snippets', 'none', 'import'],
  nfs: ['images', 'rootdir', 'vztmpl', 'iso', 'backup', 'snippets', 'import'],
  lvmthin: ['images', 'rootdir'],
  lvm: ['images', 'rootdir'],
  zfspool: ['images', 'rootdir'],
};

/**
 * `pvesm set <storage> --content a,b` (pve-storage `PVE/API2/Storage/Config.pm` `update`): the list **replaces**
 * the storage's content. Each item must be a content type at all (`verify_content`: `invalid content type`); one
 * the storage type cannot hold is dropped with a warning (`Plugin.pm` `decode_value`); `none` cannot be combined.
 * Prints nothing.
 */
const set: Command = {
  spec: {
    usage: 'pvesm set <storage> [OPTIONS]',
    positionals: [{ name: 'storage', spec: storageIdSpec }],
    options: { content: { type: 'string' }, disable: { type: 'boolean' }, digest: { type: 'string' } },
  },
  async run(ctx, p) {
    const sid = p.params.storage!;
    const content = p.opts.content;
    if (content !== undefined) {
      const bad = content.split(/[,;\s]+/).find((c) => c !== '' && !CONTENT.includes(c) && c !== 'none');
      if (bad !== undefined)
        throw new ParamError({ content: `invalid format - invalid content type '${bad}'` });
    }
    await ctx.tx((s) => {
      const st = getStorage(s, sid);
      if (content !== undefined) {
        const kept: string[] = [];
        for (const c of content.split(/[,;\s]+/).filter((x) => x !== '')) {
          if (!VALID_CONTENT[st.type].includes(c)) ctx.err(`storage does not support content type '${c}'\n`);
          else if (!kept.includes(c)) kept.push(c);
        }
        if (kept.includes('none') && kept.length > 1)
          throw new PveError("unable to combine 'none' with other content types");
        if (kept.length === 0) throw new PveError("storage does not support content type 'none'");
        st.content = kept.filter((c) => c !== 'none') as ContentType[];
      }
      if (p.opts.disable !== undefined) {
        if (p.opts.disable === '1') st.disabled = true;
        else delete st.disabled;
      }
    });
  },
};

export const pvesmCommands: Registry = { status, list, set };
