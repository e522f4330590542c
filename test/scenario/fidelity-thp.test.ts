/**
 * Fidelity of the built-in thp scenario against the real 6.1 and 6.12 thp traces: the two PMD THP
 * heads of thp_parent (pages 0 and 512 at checkpoint thp_forked) have the real lifecycle, from the
 * PMD fault through fork, the child's PMD split + COW, the child's exit, the partial munmap (PMD
 * split) and the final munmap. Tail pages carry no events of their own while compound.
 */
import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { pagemapRegions, realLifecycles, simLifecycles } from '../../src/scenario/fidelity.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { readShared, traceProfile } from '../helpers/shared.js';

const HEADS = [0, 512];

describe.each(['6.1', '6.12'] as const)('thp fidelity, %s', (version) => {
  it('both THP heads have the real lifecycle', () => {
    const regions = pagemapRegions(readShared('traces', version, 'thp', 'pagemap-pfns.txt.gz'), 'thp_forked');
    const parent = regions.get('thp_parent') ?? [];
    expect(parent).toHaveLength(1024);
    const heads = HEADS.map((i) => parent[i]);
    const real = realLifecycles(
      readShared('traces', version, 'thp', 'trace.txt.gz').split('\n'),
      'thp_forked',
      new Map([['thp_parent', heads]]),
    ).get('thp_parent');
    const run = runScenario(parseScenario(BUILTINS.thp, 'builtin:thp'), traceProfile(version));
    const all = simLifecycles(run, 'thp_forked', ['parent:thp']).get('parent:thp') ?? [];
    const sim = HEADS.map((i) => all[i]);
    expect(real?.map((l) => l.join('\n'))).toEqual(sim.map((l) => l.join('\n')));
    // not vacuous: the first head's life has the split (+511) and the COW; 6.12's exit puts runs
    expect(real?.[0].length).toBeGreaterThanOrEqual(version === '6.1' ? 500 : 11);
    expect(real?.[0].some((k) => k.startsWith('mod 511 '))).toBe(true);
  });
});
