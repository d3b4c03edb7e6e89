// The on-disk format of one target's cache file as a zod schema: what decides, and explains, for a file the plain
// check in file-format.ts does not accept.
import { z } from 'zod';
import { CACHE_FORMAT, type CacheFile } from './file-format.js';

export { CACHE_FORMAT, CACHE_VERSION, type CacheFile } from './file-format.js';

const stepRecord = z.object({
  fingerprint: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()),
  scripts: z.record(z.string(), z.string()),
  upstream: z.record(z.string(), z.string()).optional(),
  at: z.string(),
  durationMs: z.number().nonnegative(),
  incarnation: z.string().optional(),
  failed: z.object({ at: z.string(), message: z.string() }).optional(),
  source: z
    .object({ address: z.string(), fingerprint: z.string(), incarnation: z.string().optional() })
    .optional(),
});

export const cacheFile = z.object({
  format: z.literal(CACHE_FORMAT),
  version: z.number().int(),
  target: z.string(),
  steps: z.record(z.string(), stepRecord),
});

// The schema's output and the plain type are the same shape.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Same<z.infer<typeof cacheFile>, CacheFile> = true;
void sameShape;
