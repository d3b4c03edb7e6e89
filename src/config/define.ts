import type { PhoenixConfigInput } from './schema.js';

/** Typed identity helper for `phoenix.config.ts`: gives editor completion, validation happens at load time. */
export function defineConfig(config: PhoenixConfigInput): PhoenixConfigInput {
  return config;
}
