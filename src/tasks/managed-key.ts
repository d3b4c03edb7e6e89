// One setting `configure` manages (`memory`, `net0`, ...): how it compares with the live value and what to set.
// Container and VM desired-config modules build lists of these; diffKeys() turns them into diffs and set options.
import { parseProps, printProps, sameProps, sameValue } from '../host/props.js';
import type { Props } from '../host/props.js';
import type { Diff } from './step.js';

export interface ManagedKey {
  key: string;
  /** The value as configured, for messages and diffs. */
  desired: string;
  /** Default Proxmox assumes when the key is absent from the config. */
  absentMeans?: string;
  same(live: string | undefined): boolean;
  /** The value to pass to `pct set`/`qm set`, keeping live parts Phoenix does not manage (e.g. a generated MAC). */
  valueFor(live: string | undefined): string;
  /** A file the value names, which must exist while the command runs (`qm set --sshkeys FILE`): name, content. */
  file?: { name: string; content: string };
  /** The value is a secret: diffs name no value (neither the configured one nor the stored hash). */
  secret?: boolean;
}

export function simpleKey(key: string, desired: string, absentMeans?: string): ManagedKey {
  return {
    key,
    desired,
    ...(absentMeans === undefined ? {} : { absentMeans }),
    same: (live) => sameValue(live ?? absentMeans, desired),
    valueFor: () => desired,
  };
}

export function propsKey(key: string, desired: Props, defaultKey?: string): ManagedKey {
  return {
    key,
    desired: printProps(desired),
    same: (live) => sameProps(parseProps(live, defaultKey), desired),
    valueFor: () => printProps(desired),
  };
}

/**
 * `startup`: the boot order, the delay after starting (`up`), and the shutdown timeout the host gives the guest
 * when it stops all guests (`down`; pve-manager Nodes.pm stopall: 0 would stop it without waiting).
 */
export function startupKey(order: number, delay: number, shutdownTimeout: number): ManagedKey {
  const props: Props = new Map([
    ['order', String(order)],
    ['up', String(delay)],
    ['down', String(shutdownTimeout)],
  ]);
  return propsKey('startup', props, 'order');
}

/** Nameservers as Proxmox's cloud-init and container setup read them: one space-separated list. */
export function nameserverList(s: string | undefined): string {
  return (s ?? '')
    .split(/[\s,;]+/)
    .filter(Boolean)
    .join(' ');
}

/** `nameserver`: DNS servers, compared as a list whatever separators Proxmox or the config used. */
export function nameserverKey(servers: string): ManagedKey {
  const want = nameserverList(servers);
  return { key: 'nameserver', desired: want, same: (l) => nameserverList(l) === want, valueFor: () => want };
}

export interface KeyChanges {
  diffs: Diff[];
  /** `--key value` pairs for one set call. */
  setArgs: string[];
  /** Files the set call needs, name -> content (written to a private folder for the call, removed after). */
  files: Record<string, string>;
}

/** Only what differs from the live config. */
export function diffKeys(keys: readonly ManagedKey[], config: Record<string, string>): KeyChanges {
  const out: KeyChanges = { diffs: [], setArgs: [], files: {} };
  for (const k of keys) {
    const actual = config[k.key];
    if (k.same(actual)) continue;
    const shown = k.secret && actual !== undefined ? '(another value)' : (actual ?? k.absentMeans);
    out.diffs.push({ field: k.key, actual: shown, desired: k.desired });
    out.setArgs.push(`--${k.key}`, k.valueFor(actual));
    if (k.file) out.files[k.file.name] = k.file.content;
  }
  return out;
}
