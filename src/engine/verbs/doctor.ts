// `phoenix doctor`: what a cluster reached with --api lacks for the fleet, each missing piece with its fix
// (src/engine/doctor.ts). Exit 0 when every check passes, 1 when one fails, 5 when the certificate is refused
// (nothing else is asked then), 2 without --api.
import type { VerbContext } from '../context.js';
import type { Fleet } from '../../config/model.js';
import { resolveApiAccess, type ApiAccess } from '../api-access.js';
import { EXIT } from '../exit-codes.js';
import { loadConfigFor } from '../load-config.js';
import { openHost, prepareSession } from '../session.js';
import { fleetPrivileges, privilegeCheck, probe, sshChecks, storageChecks, type Check } from '../doctor.js';
import { formatChecks } from '../../reporters/doctor.js';

export async function run(ctx: VerbContext): Promise<number> {
  const loaded = await loadConfigFor(ctx);
  if (!loaded.ok) return loaded.error;
  const access = resolveApiAccess(ctx.options, ctx.env, ctx.cwd);
  if (!access.ok) {
    ctx.io.err(`Error: ${access.error}`);
    return EXIT.usage;
  }
  if (access.value === undefined) {
    ctx.io.err(
      'Error: doctor checks a Proxmox VE cluster reached over its API: give --api https://<node>:8006 (or PHOENIX_API_URL) and a token (PHOENIX_API_TOKEN or --token-file)',
    );
    return EXIT.usage;
  }
  const { fleet } = loaded.value;
  const first = await probe(access.value);
  const checks: Check[] = [...first.checks];
  if (first.ok) checks.push(...(await clusterChecks(ctx, fleet, access.value)));
  if (ctx.options.json) ctx.io.out(JSON.stringify({ ok: checks.every((c) => c.ok), checks }));
  else ctx.io.out(formatChecks(checks, ctx.io.color));
  if (first.untrusted) return EXIT.untrusted;
  return checks.every((c) => c.ok) ? EXIT.ok : EXIT.failed;
}

/** The checks that need the cluster open: privileges, storages, ssh. */
async function clusterChecks(ctx: VerbContext, fleet: Fleet, access: ApiAccess): Promise<Check[]> {
  const opened = await openHost(fleet, ctx.options, ctx.env, undefined, false, access, false);
  if (!opened.ok) return [{ name: 'cluster', ok: false, detail: opened.error.message }];
  const api = opened.value.api!;
  try {
    const graphed = prepareSession(opened.value);
    if (!graphed.ok) return [{ name: 'cluster', ok: false, detail: graphed.error }];
    const view = await api.view();
    if (!view.ok) return [{ name: 'cluster', ok: false, detail: view.error.message }];
    const { graph } = graphed.value;
    const privileges = await privilegeCheck(access, api, fleetPrivileges(fleet, graph, api));
    return [
      privileges.check,
      ...storageChecks(fleet, graph, api, view.value, privileges.hidden),
      ...(await sshChecks(fleet, api)),
    ];
  } finally {
    await api.close();
  }
}
