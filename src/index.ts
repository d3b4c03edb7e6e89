// Public API for `phoenix.config.ts` authors.
export { defineConfig } from './config/define.js';
export type { PhoenixConfigInput } from './config/schema.js';
