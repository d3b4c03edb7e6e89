import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Removes the temp folders a test file made, when it ends (test/support/temp-dirs.ts).
    setupFiles: ['test/support/setup.ts'],
    // Generous: the end-to-end and fault tests run chains of real processes, and a loaded 2-core machine is slow.
    testTimeout: 150_000,
    hookTimeout: 150_000,
    pool: 'forks',
    // Test files share a worker process instead of a fresh module graph each: about 6% less CPU for the whole
    // suite (250 s against 266 s user+sys, measured with /usr/bin/time), which counts on two cores. Tests must not
    // leave process-wide state behind (env, cwd, signal handlers); the suite passes either way (`--isolate`).
    isolate: false,
    // Most tests wait on child processes (phoenix, the simulated pct/qm): more files than cores keep both busy.
    maxWorkers: 4,
  },
});
