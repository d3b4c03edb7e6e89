// Confirmation for destructive actions: --yes, or an explicit "y" on a TTY. Never implicit.
import { createInterface } from 'node:readline/promises';
import type { CommandContext } from './context.js';

export async function confirm(ctx: CommandContext, what: string): Promise<boolean> {
  if (ctx.options.yes) return true;
  if (!process.stdin.isTTY || !ctx.io.isTTY) {
    ctx.io.err(`Error: ${what}\nRefusing without confirmation: pass --yes to proceed (nothing was changed).`);
    return false;
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${what}\nProceed? [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
