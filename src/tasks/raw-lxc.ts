// Raw `lxc.*` lines cannot be set through `pct set`; like the original orchestrator, Phoenix writes them into the
// container's config file (through the host seam: HostExec.editGuestConfig). This is the edit it makes.
import type { RawEdit } from './lxc-desired.js';

const rawKeyOf = (line: string): string | undefined => /^(lxc\.[A-Za-z0-9_.-]+)[ \t]*[:=]/.exec(line)?.[1];

/**
 * Applies a raw-line edit to a config file's text: removes the lines of `removeKeys` and appends the new lines at
 * the end of the main section (before `[pve:pending]` and snapshot sections). Returns the text unchanged when the
 * edit is already in place.
 */
export function applyRawEdit(text: string, edit: RawEdit): string {
  const lines = text.split('\n');
  const sectionAt = lines.findIndex((l) => /^\[[^\]]+\]\s*$/.test(l));
  const mainEnd = sectionAt < 0 ? lines.length : sectionAt;
  const main = lines.slice(0, mainEnd).filter((l) => {
    const key = rawKeyOf(l);
    return key === undefined || !edit.removeKeys.includes(key);
  });
  while (main.length > 0 && main[main.length - 1]?.trim() === '') main.pop();
  for (const [k, v] of edit.append) {
    if (!main.some((l) => rawKeyOf(l) === k && l.replace(/^[^:=]*[:=][ \t]*/, '').trim() === v))
      main.push(`${k}: ${v}`);
  }
  const rest = lines.slice(mainEnd);
  const out = sectionAt < 0 ? [...main, ''] : [...main, '', ...rest];
  return out.join('\n');
}
