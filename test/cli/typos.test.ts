// Typos get the nearest guess (issue 16 item 5): a mistyped verb keeps the spec's message and exit 1 and adds
// "Did you mean"; a mistyped step names the step it was probably meant to be.
import { describe, expect, it } from 'vitest';
import { dispatchCaptured } from '../support/dispatch.js';
import { resolveAddresses } from '../../src/engine/addresses.js';
import { buildStepGraph } from '../../src/graph/build.js';
import { stepsOf } from '../../src/graph/query.js';
import { stepTables } from '../../src/tasks/index.js';
import { nearestWord } from '../../src/config/typos.js';
import { sketchFleet } from '../support/fleet.js';

const phoenix = (...argv: string[]) => dispatchCaptured(argv);

describe('a mistyped verb', () => {
  it('keeps the spec message and exit 1, and suggests the verb (LetGo -> LetsGo)', async () => {
    const r = await phoenix('LetGo');
    expect(r.code).toBe(1);
    expect(r.err.split('\n').slice(0, 2)).toEqual(["Error: Invalid verb 'LetGo'", 'Did you mean LetsGo?']);
  });

  it('suggests nothing for a word close to no verb', async () => {
    const r = await phoenix('foobar');
    expect(r.code).toBe(1);
    expect(r.err).not.toContain('Did you mean');
  });

  it('suggests the manager verb (lxc strat -> lxc start)', async () => {
    const r = await phoenix('lxc', 'strat', '950');
    expect(r.code).toBe(1);
    expect(r.err).toContain("Error: Invalid verb 'strat'\nDid you mean lxc start?");
  });
});

describe('nearestWord', () => {
  it.each([
    ['LetGo', 'LetsGo'],
    ['satus', 'status'],
    ['snapshott', 'snapshot'],
    ['confgure', 'configure'],
    ['nope', undefined],
    ['x', undefined],
  ])('%s -> %s', (word, meant) => {
    const words = ['LetsGo', 'status', 'start', 'snapshot', 'configure', 'define', 'plan'];
    expect(nearestWord(word, words)).toBe(meant);
  });
});

describe('a mistyped step', () => {
  it('names the nearest step of the guest (run 950:snapshott)', () => {
    const fleet = sketchFleet([{ id: 950, snapshot: 'ready', features: ['docker'] }]);
    const graph = buildStepGraph(fleet, stepTables);
    if (!graph.ok) throw new Error(graph.error.message);
    const r = resolveAddresses(fleet, graph.value, ['950:snapshott'], stepsOf);
    expect(r.ok ? '' : r.error).toBe(
      "Error: '950:snapshott' is not a step of 950; did you mean 950:snapshot? valid steps: " +
        'define, configure, disk, start, feature:docker, snapshot',
    );
  });
});
