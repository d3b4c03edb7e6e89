import { describe, expect, it } from 'vitest';
import { diffInputs } from '../../src/plan/diff.js';
import { fingerprint } from '../../src/plan/fingerprint.js';

const base = { kind: 'configure', inputs: { memory_mb: 512, cores: 1 }, scriptHashes: [], upstream: {} };

describe('fingerprint', () => {
  it('ignores key order but not values, kind, scripts or upstream', () => {
    const fp = fingerprint(base);
    expect(fingerprint({ ...base, inputs: { cores: 1, memory_mb: 512 } })).toBe(fp);
    expect(fingerprint({ ...base, inputs: { memory_mb: 1024, cores: 1 } })).not.toBe(fp);
    expect(fingerprint({ ...base, kind: 'disk' })).not.toBe(fp);
    expect(fingerprint({ ...base, scriptHashes: ['x'] })).not.toBe(fp);
    expect(fingerprint({ ...base, upstream: { '950:start': 'y' } })).not.toBe(fp);
  });

  it('treats an absent value like an undefined one (as JSON does)', () => {
    expect(fingerprint({ ...base, inputs: { memory_mb: 512, cores: 1, swap: undefined } })).toBe(
      fingerprint(base),
    );
  });
});

describe('diffInputs', () => {
  it('dots nested fields and compares arrays whole', () => {
    expect(
      diffInputs(
        { memory_mb: 2048, network_config: { ip: 'dhcp', bridge: 'vmbr0' }, pct_options: ['nesting=1'] },
        {
          memory_mb: 4096,
          network_config: { ip: '10.0.0.5/24', bridge: 'vmbr0' },
          pct_options: ['nesting=1', 'keyctl=1'],
        },
      ),
    ).toEqual([
      { field: 'memory_mb', actual: 2048, desired: 4096 },
      { field: 'network_config.ip', actual: 'dhcp', desired: '10.0.0.5/24' },
      { field: 'pct_options', actual: ['nesting=1'], desired: ['nesting=1', 'keyctl=1'] },
    ]);
  });

  it('reports fields that appear or disappear', () => {
    expect(diffInputs({ a: 1 }, { b: null })).toEqual([
      { field: 'a', actual: 1, desired: undefined },
      { field: 'b', actual: undefined, desired: null },
    ]);
  });
});
