// `phoenix schema [lxc|vm|hypervisor|config]`: JSON Schema generated from the zod model.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { jsonSchemaFor } from '../../config/json-schema.js';

const WHICH = ['lxc', 'vm', 'hypervisor', 'config'] as const;

export function run(ctx: VerbContext): Promise<number> {
  return Promise.resolve(runNow(ctx));
}

function runNow(ctx: VerbContext): number {
  const which = ctx.words[0] ?? 'config';
  if (ctx.words.length > 1 || !(WHICH as readonly string[]).includes(which)) {
    ctx.io.err(`Error: schema takes one of ${WHICH.join(', ')} (got '${ctx.words.join(' ')}')`);
    return EXIT.usage;
  }
  ctx.io.out(JSON.stringify(jsonSchemaFor(which as (typeof WHICH)[number]), null, 2));
  return EXIT.ok;
}
