// Builds dist/ once before the simulator tests spawn simulator/bin/* (they run the compiled JS): tsc's output, then
// the per-tool bundles the launchers load (a bundle left from an older build would otherwise win).
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/bundle-sim.js'], { stdio: 'inherit' });
}
