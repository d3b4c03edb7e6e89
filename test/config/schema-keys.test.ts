// The zod-free key lists must name exactly the schema's keys: a key missing there would be passed through to
// scripts as unknown (or a new top-level key refused) on a warm run only.
import { expect, test } from 'vitest';
import { CONFIG_TOP_KEYS, LXC_GUEST_KEYS, VM_GUEST_KEYS } from '../../src/config/schema-keys.js';
import { lxcGuest, phoenixConfig, vmGuest } from '../../src/config/schema.js';

test('the written-out key lists equal the schema objects’ keys', () => {
  expect(CONFIG_TOP_KEYS).toEqual(Object.keys(phoenixConfig.shape));
  expect(LXC_GUEST_KEYS).toEqual(Object.keys(lxcGuest.shape));
  expect(VM_GUEST_KEYS).toEqual(Object.keys(vmGuest.shape));
});
