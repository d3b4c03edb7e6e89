// The preflight, pure: what the steps of a plan need on the host (their HostNeeds) against what the host has, as
// one message per missing thing. A plan with any runs nothing (engine/preflight.ts reads the facts).
import { distance } from 'fastest-levenshtein';
import type { StorageInfo } from '../host/conf.js';
import type { HostNeed } from '../tasks/step.js';

export interface HostFacts {
  storages: StorageInfo[];
  /** Volids `pveam list <storage>` shows, per storage read. */
  templates: ReadonlyMap<string, ReadonlySet<string>>;
  /** Template names `pveam available` lists; undefined when it was not needed. */
  catalogue?: readonly string[];
}

type ContentNeed = Extract<HostNeed, { kind: 'content' }>;

/** Every missing thing once, naming the guests and config fields that need it and the fix. */
export function checkNeeds(needs: readonly HostNeed[], facts: HostFacts): string[] {
  const problems: string[] = [];
  const byId = new Map(facts.storages.map((s) => [s.id, s]));
  const contentNeeds: ContentNeed[] = needs.flatMap((n) =>
    n.kind === 'content' ? [n] : [{ ...n, kind: 'content' as const, content: 'vztmpl', why: 'OS templates' }],
  );
  const failed = new Set<string>();
  for (const [key, group] of groupBy(contentNeeds, (n) => `${n.storage}\0${n.content}`)) {
    const problem = contentProblem(group, byId, facts.storages);
    if (problem === undefined) continue;
    failed.add(key);
    problems.push(problem);
  }
  const templateNeeds = needs.filter((n) => n.kind === 'os-template');
  for (const [, group] of groupBy(templateNeeds, (n) => `${n.storage}\0${n.file}`)) {
    const first = group[0]!;
    if (failed.has(`${first.storage}\0vztmpl`)) continue;
    const volid = `${first.storage}:vztmpl/${first.file}`;
    if (facts.templates.get(first.storage)?.has(volid)) continue;
    if (facts.catalogue?.includes(first.file)) continue;
    problems.push(templateProblem(first.file, first.storage, group, facts.catalogue ?? []));
  }
  return problems;
}

function contentProblem(
  group: ContentNeed[],
  byId: ReadonlyMap<string, StorageInfo>,
  all: readonly StorageInfo[],
): string | undefined {
  const { storage, content, why } = group[0]!;
  const who = whoNeeds(group);
  const s = byId.get(storage);
  if (!s) {
    const known = all.map((x) => x.id).join(', ') || 'none';
    return `storage '${storage}' does not exist on this node (${who}); it has: ${known}`;
  }
  if (s.disabled) return `storage '${storage}' is disabled (${who}). Fix: pvesm set ${storage} --disable 0`;
  if (s.content.includes(content)) return undefined;
  const others = all.filter((x) => !x.disabled && x.content.includes(content)).map((x) => x.id);
  const instead = others.length > 0 ? `, or use a storage that holds it: ${others.join(', ')}` : '';
  const current = s.content.length > 0 ? s.content.join(',') : 'none';
  return (
    `storage '${storage}' does not hold '${content}' content, which ${why} need (${who}); its content is ` +
    `${current}. Fix: pvesm set ${storage} --content ${[...s.content, content].join(',')}${instead}`
  );
}

function templateProblem(
  file: string,
  storage: string,
  group: HostNeed[],
  catalogue: readonly string[],
): string {
  const near = closestTemplates(file, catalogue);
  const hint =
    near.length > 0
      ? `; the closest it has: ${near.join(', ')}`
      : catalogue.length === 0
        ? '; the catalogue is empty: run pveam update'
        : '';
  return (
    `OS template ${file} (${whoNeeds(group)}) is neither on storage '${storage}' nor in this host's template ` +
    `catalogue (pveam available), so pveam download would fail with "no such template"${hint}. ` +
    `Old builds leave the catalogue when new ones replace them; 'pveam update' refreshes it`
  );
}

/** `CT 900: phoenix.config.ts at lxc.900.template; CT 901: ...` */
function whoNeeds(group: readonly HostNeed[]): string {
  return [...new Set(group.map((n) => `${n.guest}: ${n.where}`))].join('; ');
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(key(item), [...(out.get(key(item)) ?? []), item]);
  return out;
}

/**
 * Up to three catalogue names nearest to a missing one: the same template in another build first
 * (`debian-12-standard_12.12-1` for `debian-12-standard_12.7-1`), then the same distribution, then any close name.
 */
export function closestTemplates(file: string, catalogue: readonly string[], n = 3): string[] {
  const pkg = (s: string): string => s.split('_')[0] ?? s;
  const distro = (s: string): string => s.split('-')[0] ?? s;
  const score = (c: string): number =>
    (pkg(c) === pkg(file) ? 0 : distro(c) === distro(file) ? 1000 : 100_000) + distance(c, file);
  const scored = catalogue.map((c) => ({ c, s: score(c) }));
  const related = scored.filter(({ s }) => s < 100_000);
  const pool = related.length > 0 ? related : scored.filter(({ c }) => distance(c, file) <= file.length / 3);
  return pool
    .sort((a, b) => a.s - b.s || (a.c < b.c ? -1 : 1))
    .slice(0, n)
    .map(({ c }) => c);
}
