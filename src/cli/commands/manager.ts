// `phoenix lxc|vm <verb> <id>` and `phoenix hypervisor <verb>`: the manager interface of the refactor plan
// (lxc-manager.sh, vm-manager.sh, hypervisor-manager.sh), routed onto the same verbs, with the kind checked.
import { unknownTargetMessage } from '../../app/targets.js';
import type { CommandContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { findVerb } from '../verbs.js';
import { loadConfigFor } from '../load-config.js';

const GUEST_VERBS = ['create', 'delete', 'start', 'stop', 'restart', 'reconfigure', 'test'];
const HYPERVISOR_VERBS = ['setup', 'test'];

export async function run(ctx: CommandContext): Promise<number> {
  const manager = ctx.verb.name;
  const [verb, ...rest] = ctx.words;
  const allowed = manager === 'hypervisor' ? HYPERVISOR_VERBS : GUEST_VERBS;
  if (verb === undefined) {
    ctx.io.err(
      `Error: Missing verb. Usage: phoenix ${manager} <${allowed.join('|')}>${manager === 'hypervisor' ? '' : ' <id>'}`,
    );
    return EXIT.failed;
  }
  if (!allowed.includes(verb)) {
    ctx.io.err(`Error: Invalid verb '${verb}'`);
    return EXIT.failed;
  }
  const spec = findVerb(verb);
  if (!spec) return EXIT.failed;
  if (manager === 'hypervisor') {
    return (await spec.load()).run({ ...ctx, verb: spec, words: verb === 'test' ? ['hypervisor'] : [] });
  }
  if (rest.length === 0) {
    ctx.io.err('Error: Missing target ID');
    return EXIT.failed;
  }
  if (rest.length > 1 || !/^\d+$/.test(rest[0] ?? '')) {
    ctx.io.err(`Error: phoenix ${manager} ${verb} takes one numeric target ID (got '${rest.join(' ')}')`);
    return EXIT.failed;
  }
  const loaded = await loadConfigFor(ctx);
  if (!loaded.ok) return loaded.exit;
  const guest = loaded.fleet.guests.get(Number(rest[0]));
  if (!guest) {
    ctx.io.err(unknownTargetMessage(loaded.fleet, rest[0] ?? ''));
    return EXIT.failed;
  }
  if (guest.kind !== manager) {
    ctx.io.err(
      `Error: Target ID '${rest[0]}' is ${guest.kind === 'vm' ? 'a VM' : 'an LXC container'}; use 'phoenix ${guest.kind} ${verb} ${rest[0]}'`,
    );
    return EXIT.failed;
  }
  return (await spec.load()).run({ ...ctx, verb: spec, words: rest });
}
