// Every command Phoenix runs inside a container goes through `pct exec` with `--keep-env 0`. pct's default is
// still keep-env 1 in Proxmox VE 9 (pve-container `src/PVE/CLI/pct.pm`, `exec`: "FIXME: switch to default 0"), which
// runs `lxc-attach --keep-env` and hands the guest the whole environment of the process calling pct: Phoenix's own
// and the root shell's. With 0, lxc-attach `--clear-env` gives the command only PATH (a default), `container=lxc`
// and the container's own `lxc.environment` (lxc `src/lxc/attach.c`, `lxc_attach_set_environment`).
import type { Argv } from '../host/argv.js';

/**
 * `pct exec ID --keep-env 0 -- [env K=V...] command...`. Variables the command needs are named on its command line
 * through `env` (never secrets: an argv is visible to every user of the host in `ps`).
 */
export function pctExec(id: number, command: readonly string[], env: Record<string, string> = {}): Argv {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return [
    'pct',
    'exec',
    String(id),
    '--keep-env',
    '0',
    '--',
    ...(vars.length > 0 ? ['env', ...vars] : []),
    ...command,
  ];
}
