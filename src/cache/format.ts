// The on-disk format of one target's cache file, versioned and validated on read.
import { z } from 'zod';

export const CACHE_FORMAT = 'phoenix-step-cache';
export const CACHE_VERSION = 1;

const stepRecord = z.object({
  fingerprint: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()),
  scripts: z.record(z.string(), z.string()),
  upstream: z.record(z.string(), z.string()).optional(),
  at: z.string(),
  durationMs: z.number().nonnegative(),
  incarnation: z.string().optional(),
});

export const cacheFile = z.object({
  format: z.literal(CACHE_FORMAT),
  version: z.number().int(),
  target: z.string(),
  steps: z.record(z.string(), stepRecord),
});

export type CacheFile = z.infer<typeof cacheFile>;
