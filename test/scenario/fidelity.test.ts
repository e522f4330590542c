/**
 * Fidelity of the built-in fork_cow scenario against the real 6.1 and 6.12 traces: every page of
 * the workload's 256-page region, in the parent and in the child, has the same lifecycle of
 * (event, val, ret, count, mapcount, flags) as in the real kernel (pfns and timestamps aside).
 */
import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../src/scenario/builtins.js';
import {
  compareLifecycles,
  pagemapRegions,
  realLifecycles,
  simLifecycles,
} from '../../src/scenario/fidelity.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { readShared, traceProfile } from '../helpers/shared.js';

describe.each(['6.1', '6.12'] as const)('fork_cow fidelity, %s', (version) => {
  it('every page of the region has the real lifecycle', () => {
    const regions = pagemapRegions(readShared('traces', version, 'fork_cow', 'pagemap-pfns.txt'), 'cow');
    const wanted = new Map([...regions].filter(([r]) => r === 'parent_anon' || r === 'child_anon'));
    expect(wanted.get('parent_anon')).toHaveLength(256);
    const real = realLifecycles(
      readShared('traces', version, 'fork_cow', 'trace.txt.gz').split('\n'),
      'cow',
      wanted,
    );
    const run = runScenario(parseScenario(BUILTINS.fork_cow, 'builtin:fork_cow'), traceProfile(version));
    const sim = simLifecycles(run, 'cow', ['parent:a', 'child:a']);
    const diffs = compareLifecycles(real, sim, [
      ['parent_anon', 'parent:a'],
      ['child_anon', 'child:a'],
    ]);
    const report = diffs
      .slice(0, 3)
      .map(
        (d) =>
          `${d.region}[${d.index}]\n real: ${d.real.join('\n       ')}\n sim:  ${d.sim.join('\n       ')}`,
      );
    expect(report.join('\n')).toBe('');
    expect(diffs).toHaveLength(0);
    // not vacuous: 512 positions (384 distinct pages: odd child pages are the parent's), 4..9 events each
    const all = [...real.values()].flat();
    expect(all).toHaveLength(512);
    expect(Math.min(...all.map((l) => l.length))).toBeGreaterThanOrEqual(4);
    expect(new Set(all.map((l) => l.join('|'))).size).toBeGreaterThanOrEqual(5);
    // and the other kernel's rules do not pass
    const other = runScenario(
      parseScenario(BUILTINS.fork_cow, 'builtin:fork_cow'),
      traceProfile(version === '6.1' ? '6.12' : '6.1'),
    );
    const wrong = compareLifecycles(real, simLifecycles(other, 'cow', ['parent:a', 'child:a']), [
      ['parent_anon', 'parent:a'],
      ['child_anon', 'child:a'],
    ]);
    expect(wrong.length).toBe(512);
  });
});
