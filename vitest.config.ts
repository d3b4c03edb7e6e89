import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: the end-to-end and fault tests run chains of real processes, and a loaded 2-core machine is slow.
    testTimeout: 150_000,
    hookTimeout: 150_000,
    pool: 'forks',
    // Most tests wait on child processes (phoenix, the simulated pct/qm): more files than cores keep both busy.
    maxWorkers: 4,
  },
});
