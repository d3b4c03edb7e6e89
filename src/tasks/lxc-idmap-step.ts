// `idmap`: the complete `lxc.idmap` lines an unprivileged container's `id_maps` ask for, and the `/etc/subuid` /
// `/etc/subgid` ranges root needs to use them (LXC maps ids through newuidmap/newgidmap, which check those files:
// docs/proxmox-facts.md F14). The lines are read when the container starts: a running one needs a restart.
import type { LxcGuest } from '../config/model.js';
import type { LiveState } from '../host/live.js';
import { done, fail, verifyFailed } from './act.js';
import { existenceCheck, liveOf } from './guest-common.js';
import { covered, idMapLines, idMapOf, rootRanges, subIdNeeds } from './lxc-idmap.js';
import { applyRawEdit } from './raw-lxc.js';
import type { Argv, Diff, LiveCheck } from './step.js';
import { defineStep } from './step.js';

export const SUBUID = '/etc/subuid';
export const SUBGID = '/etc/subgid';
/** The files the live read reads for a container with `id_maps`. */
export const SUBID_FILES: readonly string[] = [SUBUID, SUBGID];

const KEY = 'lxc.idmap';

/** `root:<start>:<size>` lines a subordinate id file lacks for the container's map, per file. */
export function missingSubIds(
  g: LxcGuest,
  text: (file: string) => string | undefined,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [file, type] of [
    [SUBUID, 'u'],
    [SUBGID, 'g'],
  ] as const) {
    const have = rootRanges(text(file));
    const lines = subIdNeeds(idMapOf(g, type))
      .filter((need) => !covered(have, need))
      .map((n) => `root:${n.start}:${n.size}`);
    if (lines.length > 0) out.set(file, lines);
  }
  return out;
}

const liveFile =
  (live: LiveState) =>
  (file: string): string | undefined =>
    live.hostFiles?.get(file) ?? undefined;

const normalize = (v: string): string => v.trim().split(/\s+/).join(' ');

function lineDiffs(g: LxcGuest, rawLxc: readonly [string, string][]): Diff[] {
  const have = rawLxc.filter(([k]) => k === KEY).map(([, v]) => normalize(v));
  const want = idMapLines(g);
  if (have.length === want.length && want.every((w, i) => have[i] === w)) return [];
  return [
    { field: KEY, actual: have.length === 0 ? undefined : have.join(' | '), desired: want.join(' | ') },
  ];
}

export const idmapStep = defineStep<LxcGuest>({
  kind: 'idmap',
  instances: (g) => (g.config.id_maps.length > 0 ? ['idmap'] : []),
  inputs: (ctx) => ({ id_maps: ctx.target.config.id_maps, unprivileged: ctx.target.config.unprivileged }),
  check(ctx): LiveCheck {
    const g = ctx.target;
    const live = liveOf(ctx);
    const bad = existenceCheck(g, live);
    if (bad) return bad;
    if (live?.rawLxc === undefined) return { ok: 'unknown' };
    const diffs = lineDiffs(g, live.rawLxc);
    if (ctx.live.hostFiles !== undefined)
      for (const [file, lines] of missingSubIds(g, liveFile(ctx.live)))
        diffs.push({ field: file, actual: undefined, desired: lines.join(' ') });
    if (diffs.length === 0) return { ok: true };
    return { ok: false, reason: 'drift', detail: `${diffs.length} id map setting(s) differ`, diffs };
  },
  preview(ctx) {
    const g = ctx.target;
    const files = ctx.live.hostFiles ? missingSubIds(g, liveFile(ctx.live)) : new Map<string, string[]>();
    const append: Argv[] = [...files].map(([file, lines]) => ['append', file, ...lines]);
    const raw = liveOf(ctx)?.rawLxc ?? [];
    const edit: Argv[] =
      lineDiffs(g, raw).length > 0
        ? [['edit', `/etc/pve/lxc/${g.id}.conf`, ...idMapLines(g).map((l) => `${KEY}: ${l}`)]]
        : [];
    return [...append, ...edit];
  },
  async run(ctx) {
    const g = ctx.target;
    // The subordinate ranges first: a container whose lines name ranges root does not hold fails to start.
    const texts = new Map<string, string | undefined>();
    for (const file of SUBID_FILES) texts.set(file, await ctx.host.readHostFile(file));
    for (const [file, lines] of missingSubIds(g, (f) => texts.get(f))) {
      const before = texts.get(file) ?? '';
      const text = `${before}${before === '' || before.endsWith('\n') ? '' : '\n'}${lines.join('\n')}\n`;
      ctx.report(`adding ${lines.join(', ')} to ${file}`);
      const wrote = await ctx.host.writeHostFile(file, text, 0o644);
      if (!wrote.ok) return fail(ctx, wrote.error.message, wrote.error);
    }
    const before = await ctx.host.readGuestConfig('lxc', g.id);
    if (!before) return fail(ctx, `CT ${g.id} does not exist`);
    if (lineDiffs(g, before.rawLxc ?? []).length === 0) return done;
    ctx.report(`writing the lxc.idmap lines of CT ${g.id} (they apply at its next start)`);
    const edit = { removeKeys: [KEY], append: idMapLines(g).map((l): [string, string] => [KEY, l]) };
    const wrote = await ctx.host.editGuestConfig('lxc', g.id, (text) => applyRawEdit(text, edit));
    if (!wrote.ok) return fail(ctx, wrote.error.message, wrote.error);
    const after = await ctx.host.readGuestConfig('lxc', g.id);
    if (lineDiffs(g, after?.rawLxc ?? []).length > 0)
      return verifyFailed(ctx, ['edit', `CT ${g.id} config`], `CT ${g.id} lxc.idmap lines did not take`);
    return done;
  },
});
