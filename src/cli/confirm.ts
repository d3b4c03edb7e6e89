// Confirmation for destructive actions: --yes, or an explicit "y" on a TTY. Never implicit.
import { createInterface } from 'node:readline/promises';
import type { Output } from '../reporters/output.js';

export async function confirm(io: Output, yes: boolean, what: string): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY || !io.isTTY) {
    io.err(`Error: ${what}\nRefusing without confirmation: pass --yes to proceed (nothing was changed).`);
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
