import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most tests wait on child processes (phoenix, the simulated pct/qm): more files than cores keep both busy.
    maxWorkers: 4,
  },
});
