// `phoenix sim serve --sim-dir DIR --nodes pve1,pve2 [--port N]`: the simulated Proxmox VE API over the simulator's
// state, in the foreground until Ctrl-C (simulator/src/api/server.ts). It prints where it listens; the token and
// the certificate's fingerprint are in DIR/api.json (0600), never on the terminal.
import { resolve } from 'node:path';
import { serve } from '../../../simulator/src/api/server.js';
import type { VerbContext } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { watchInterrupts } from '../interrupt.js';
import { SIMULATOR_BIN } from '../paths.js';

const NODE_NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

export async function run(ctx: VerbContext): Promise<number> {
  const usage = (message: string): number => {
    ctx.io.err(`Error: ${message}`);
    return EXIT.usage;
  };
  if (ctx.words.join(' ') !== 'serve')
    return usage(`sim takes one sub-verb, serve (got '${ctx.words.join(' ')}')`);
  const dir = ctx.options.simDir;
  if (dir === undefined)
    return usage('sim serve needs --sim-dir DIR (or PHOENIX_SIM_DIR): the state it serves');
  const nodes = (ctx.options.nodes ?? 'pve').split(',').map((n) => n.trim());
  const bad = nodes.find((n) => !NODE_NAME.test(n));
  if (bad !== undefined || new Set(nodes).size !== nodes.length)
    return usage(
      `--nodes takes distinct node names joined by commas, such as pve1,pve2 (got '${ctx.options.nodes}')`,
    );
  const interrupts = watchInterrupts();
  try {
    const server = await serve({
      dir: resolve(ctx.cwd, dir),
      nodes,
      port: ctx.options.port ?? 8006,
      binDir: SIMULATOR_BIN,
    });
    ctx.io.out(
      `simulated Proxmox VE API for ${nodes.join(', ')} at ${server.url}; token and fingerprint in ${resolve(ctx.cwd, dir, 'api.json')}`,
    );
    await new Promise<void>((done) =>
      interrupts.signal.addEventListener('abort', () => done(), { once: true }),
    );
    await server.close();
    return EXIT.ok;
  } catch (e) {
    ctx.io.err(`Error: sim serve: ${(e as Error).message}`);
    return EXIT.failed;
  } finally {
    interrupts.dispose();
  }
}
