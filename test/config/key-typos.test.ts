// A key one edit away from a known key that leaves the known one unset (issue 16 item 5): `plan` shows it beside
// the change it causes, and `validate --strict` fails on it.
import { describe, expect, test } from 'vitest';
import { dispatchCaptured } from '../support/dispatch.js';
import { loadFleet } from '../../src/config/load.js';
import { typoNotes, formatPlan } from '../../src/reporters/plan.js';
import type { Plan } from '../../src/plan/types.js';
import { LXC_FILE, editJson, legacyCopy, lxc } from './helpers.js';

const phoenix = (cwd: string, ...argv: string[]) =>
  dispatchCaptured(argv, { cwd, env: { PHOENIX_CACHE_DIR: `${cwd}/.cache` } });

describe('key typos', () => {
  test('a mistyped key whose setting takes its default is tied to the guest and the setting', async () => {
    const root = legacyCopy();
    editJson(root, LXC_FILE, (doc) => {
      const ct = lxc(doc, '950');
      ct.boot_ordr = ct.boot_order ?? 3;
      delete ct.boot_order;
      lxc(doc, '953').memroy_mb = 1; // memory_mb is set beside it: no fallback
    });
    const r = await loadFleet({ config: root, cwd: root });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.fleet.keyTypos).toEqual([{ guest: 950, field: 'boot_order', key: 'boot_ordr' }]);
    const warning = r.value.warnings.find((p) => p.path.at(-1) === 'boot_ordr');
    expect(warning?.hint).toContain('boot_order is not set here, so it takes its default');
  });

  test('plan names the typo beside the input it changed', () => {
    const plan: Plan = {
      steps: [
        {
          address: '950:configure',
          target: 950,
          name: 'configure',
          status: 'stale',
          reasons: [{ type: 'input-changed', diffs: [{ field: 'boot_order', actual: 3, desired: 0 }] }],
          fingerprint: 'f',
          inputs: {},
          scripts: {},
          after: [],
          preview: [['pct', 'set', '950', '--startup', 'order=0']],
        },
      ],
    };
    const notes = typoNotes([{ guest: 950, field: 'boot_order', key: 'boot_ordr' }]);
    expect(formatPlan(plan, { diffNote: notes })).toContain(
      "boot_order: 3 -> 0  <- the config says 'boot_ordr', not 'boot_order': a typo? (it took its default)",
    );
  });
});

test('validate --strict turns warnings into errors (exit 2), for CI', async () => {
  const root = legacyCopy();
  editJson(root, LXC_FILE, (doc) => {
    lxc(doc, '950').boot_ordr = 3;
  });
  const plain = await phoenix(root, 'validate', '--config', root);
  expect(plain.code).toBe(0);
  const strict = await phoenix(root, 'validate', '--strict', '--config', root);
  expect(strict.code).toBe(2);
  expect(strict.err).toMatch(/boot_ordr: unknown key; did you mean boot_order\?/);
  expect(strict.err).toMatch(/Error: --strict: the config has \d+ warnings?/);
});
