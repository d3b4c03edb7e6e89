// `phoenix schema [lxc|vm|hypervisor|config]`: JSON Schema generated from the zod model.
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';

const WHICH = ['lxc', 'vm', 'hypervisor', 'config'] as const;

export async function run(ctx: VerbContext): Promise<number> {
  const which = ctx.words[0] ?? 'config';
  if (ctx.words.length > 1 || !(WHICH as readonly string[]).includes(which)) {
    ctx.io.err(`Error: schema takes one of ${WHICH.join(', ')} (got '${ctx.words.join(' ')}')`);
    return EXIT.usage;
  }
  const { jsonSchemaFor } = await import('../../config/json-schema.js');
  ctx.io.out(JSON.stringify(jsonSchemaFor(which as (typeof WHICH)[number]), null, 2));
  return EXIT.ok;
}
