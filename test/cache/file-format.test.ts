// The step cache's plain check stands in for the zod schema on the start-up path: whatever it accepts, the schema
// must accept and return unchanged; anything odd goes to the schema (and its message).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isWrittenCacheFile } from '../../src/cache/file-format.js';
import { CACHE_FORMAT, cacheFile } from '../../src/cache/format.js';

const json = fc.jsonValue({ maxDepth: 2 });
/** Mostly `usual`, now and then any JSON value (so every field is sometimes wrong). */
const mostly = <T>(usual: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: usual, weight: 30 }, { arbitrary: json, weight: 1 });
/** Usually absent, sometimes `value`. */
const sometimes = <T>(value: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: value, weight: 1 });
const strings = fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 });

/** Records as Phoenix writes them, with a wrong value or a stray key mixed in now and then. */
const record = fc.record({
  fingerprint: mostly(fc.string()),
  inputs: mostly(fc.dictionary(fc.string(), json, { maxKeys: 3 })),
  scripts: mostly(strings),
  upstream: sometimes(mostly(strings)),
  at: mostly(fc.string()),
  durationMs: mostly(fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true }))),
  incarnation: sometimes(mostly(fc.string())),
  stray: fc.oneof({ arbitrary: fc.constant(undefined), weight: 30 }, { arbitrary: json, weight: 1 }),
});
const file = fc
  .record({
    format: mostly(fc.constant(CACHE_FORMAT)),
    version: mostly(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }))),
    target: mostly(fc.string()),
    steps: mostly(fc.dictionary(fc.string(), record, { maxKeys: 3 })),
    stray: fc.oneof({ arbitrary: fc.constant(undefined), weight: 30 }, { arbitrary: json, weight: 1 }),
  })
  .map((f) => JSON.parse(JSON.stringify(f)) as unknown); // as read from disk: no undefined, no -0

describe('step cache plain check', () => {
  it('accepts only what the schema accepts, and the schema returns it unchanged', () => {
    fc.assert(
      fc.property(file, (value) => {
        if (!isWrittenCacheFile(value)) return;
        const parsed = cacheFile.safeParse(value);
        expect(parsed.success).toBe(true);
        expect(parsed.data).toStrictEqual(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts a file as Phoenix writes it', () => {
    const written = {
      format: CACHE_FORMAT,
      version: 1,
      target: '950',
      steps: {
        '950:define': { fingerprint: 'f', inputs: { a: 1 }, scripts: {}, at: 'now', durationMs: 3 },
        '950:start': {
          fingerprint: 'g',
          inputs: {},
          scripts: { '/s.sh': 'h' },
          upstream: { '950:define': 'f' },
          at: 'now',
          durationMs: 0,
          incarnation: 'u',
        },
      },
    };
    expect(isWrittenCacheFile(written)).toBe(true);
  });
});

describe('step cache plain check: a __proto__ key', () => {
  it('leaves a file with a "__proto__" step or input to the schema, which drops it', () => {
    const record = { fingerprint: 'f', inputs: {}, scripts: {}, at: 'now', durationMs: 1 };
    const text = (steps: string) =>
      `{"format":"${CACHE_FORMAT}","version":1,"target":"950","steps":${steps}}`;
    const proto = JSON.parse(text(`{"__proto__":${JSON.stringify(record)}}`)) as unknown;
    expect(isWrittenCacheFile(proto)).toBe(false);
    expect(cacheFile.parse(proto).steps).toEqual({});
    const input = JSON.parse(
      text(
        `{"950:define":{"fingerprint":"f","inputs":{"__proto__":1},"scripts":{},"at":"now","durationMs":1}}`,
      ),
    ) as unknown;
    expect(isWrittenCacheFile(input)).toBe(false);
  });
});
