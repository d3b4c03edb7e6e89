// Builds dist/ once before the simulator tests spawn simulator/bin/* (they run the compiled JS).
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
