// Entry point of every simulated tool when run from tsc's output (dist/simulator/src): picks the tool's command
// table. The launchers prefer the per-tool bundles scripts/bundle-sim.js builds (dist/simulator/bin/<tool>.js).
import { runTool, type Loader } from './run.js';

const TOOLS: Record<string, Loader> = {
  pct: async () => ({ commands: (await import('./pct/index.js')).pctCommands }),
  qm: async () => {
    const m = await import('./qm/index.js');
    return { commands: m.qmCommands, aliases: m.qmAliases };
  },
  pvesm: async () => ({ commands: (await import('./pvesm.js')).pvesmCommands }),
  pveam: async () => ({ commands: (await import('./pveam.js')).pveamCommands }),
  pvesh: async () => ({ commands: (await import('./pvesh/index.js')).pveshCommands }),
  script: async () => ({ commands: {}, catchAll: (await import('./script.js')).scriptCommand }),
};

/** Runs one tool invocation; returns the exit code. */
export function main(tool: string, argv: string[]): Promise<number> {
  return runTool(tool, argv, TOOLS[tool]);
}
