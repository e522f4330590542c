/**
 * Fidelity of the built-in thp scenario against the real 6.1 and 6.12 thp traces:
 * - the two PMD THP heads of thp_parent (pages 0 and 512 at checkpoint thp_forked) have the real
 *   lifecycle, from the PMD fault through fork, the child's PMD split + COW, the child's exit, the
 *   partial munmap (PMD split; the folio is queued for deferred split, not split: no freeze) and
 *   the final munmap;
 * - 6.12: every page of thp.c's 1 MiB mTHP mapping (checkpoint mthp64k) — the 6 + 10 order-0 pages
 *   at its unaligned ends and the 15 order-4 heads — has the real lifecycle, through the fault
 *   (+15), fork (+16), the child's COW of a small page and of one page of an order-4 folio, the
 *   child's exit (runs -16, -11, -4) and the munmap; the 225 tail pages have no event in either;
 * - the THP vm_events of the run equal the real /proc/vmstat difference.
 */
import { describe, expect, it } from 'vitest';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { pagemapRegions, realLifecycles, simLifecycles } from '../../src/scenario/fidelity.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { vm_events, type VmEvent } from '../../src/mm/vmstat.js';
import { readShared, traceProfile } from '../helpers/shared.js';

const HEADS = [0, 512];
/** include/uapi/linux/kernel-page-flags.h */
const KPF_COMPOUND_HEAD = 15;
const KPF_COMPOUND_TAIL = 16;

const trace = (version: string) => readShared('traces', version, 'thp', 'trace.txt.gz').split('\n');
const run = (version: '6.1' | '6.12') =>
  runScenario(parseScenario(BUILTINS.thp, 'builtin:thp'), traceProfile(version));

describe.each(['6.1', '6.12'] as const)('thp fidelity, %s', (version) => {
  it('both THP heads have the real lifecycle', () => {
    const regions = pagemapRegions(readShared('traces', version, 'thp', 'pagemap-pfns.txt.gz'), 'thp_forked');
    const parent = regions.get('thp_parent') ?? [];
    expect(parent).toHaveLength(1024);
    const heads = HEADS.map((i) => parent[i]);
    const real = realLifecycles(trace(version), 'thp_forked', new Map([['thp_parent', heads]])).get(
      'thp_parent',
    );
    const all = simLifecycles(run(version), 'thp_forked', ['parent:thp']).get('parent:thp') ?? [];
    const sim = HEADS.map((i) => all[i]);
    expect(real?.map((l) => l.join('\n'))).toEqual(sim.map((l) => l.join('\n')));
    // not vacuous: the first head's life has the split (+511) and the COW; 6.12's exit puts runs
    expect(real?.[0].length).toBeGreaterThanOrEqual(version === '6.1' ? 500 : 11);
    expect(real?.[0].some((k) => k.startsWith('mod 511 '))).toBe(true);
    // the partially unmapped second THP: split PMD (+511) then -256 (6.12) / 256 x -1 (6.1), and
    // no split of the folio (no freeze) before the final munmap frees it
    expect(real?.[1].filter((k) => k.startsWith('mod 511 '))).toHaveLength(1);
    expect(real?.[1].some((k) => k.startsWith('freeze') || k.startsWith('unfreeze'))).toBe(false);
  });

  it('the run counts the THP vm_events the real /proc/vmstat counted', () => {
    const counters = (file: string) =>
      new Map(
        readShared('traces', version, 'thp', file)
          .trim()
          .split('\n')
          .map((l) => l.split(' '))
          .map(([name, v]) => [name, Number(v)] as const),
      );
    const [start, end] = [counters('vmstat-start.txt'), counters('vmstat.txt')];
    const sim = vm_events(run(version).machine.k);
    const names: VmEvent[] = [
      'thp_fault_alloc',
      'thp_split_pmd',
      'thp_deferred_split_page',
      'thp_split_page',
    ];
    for (const name of names) {
      const real = (end.get(name) ?? 0) - (start.get(name) ?? 0);
      expect([name, sim.get(name) ?? 0]).toEqual([name, real]);
    }
    expect(sim.get('thp_deferred_split_page')).toBe(1);
  });
});

describe('thp fidelity, 6.12 mTHP (hugepages-64kB/enabled=always)', () => {
  it('every order-0 page and order-4 head of the mapping has the real lifecycle; tails have no events', () => {
    const text = readShared('traces', '6.12', 'thp', 'pagemap-pfns.txt.gz');
    const pfns = pagemapRegions(text, 'mthp64k').get('mthp64k') ?? [];
    expect(pfns).toHaveLength(256);
    // the real folio layout, from the checkpoint's kpageflags column
    const kinds = text
      .slice(text.indexOf('### checkpoint-mthp64k'))
      .split('\n')
      .filter((l) => l.startsWith('mthp64k '))
      .map((l) => {
        const flags = Number(l.split(/\s+/)[11]);
        return flags & (1 << KPF_COMPOUND_HEAD) ? 'H' : flags & (1 << KPF_COMPOUND_TAIL) ? 't' : 's';
      })
      .join('');
    expect(kinds).toBe('s'.repeat(6) + ('H' + 't'.repeat(15)).repeat(15) + 's'.repeat(10));
    const real = realLifecycles(trace('6.12'), 'mthp64k', new Map([['m', pfns]])).get('m') ?? [];
    const r = run('6.12');
    const sim = simLifecycles(r, 'mthp64k', ['parent:m']).get('parent:m') ?? [];
    const simPfns = r.checkpoints.get('mthp64k')?.regions.get('parent:m') ?? new Int32Array();
    const mismatched: number[] = [];
    for (let i = 0; i < 256; i++) {
      if (kinds[i] === 't') {
        expect([i, real[i], sim[i]]).toEqual([i, [], []]);
        expect(simPfns[i]).toBe(simPfns[i - 1] + 1); // the simulated folio is contiguous too
      } else if (real[i].join('\n') !== sim[i].join('\n')) mismatched.push(i);
    }
    expect(mismatched).toEqual([]);
    // not vacuous: fault +15, fork +16, the COW of page 33 (+1, -1, -1), the child's runs -11 and -4
    expect(real[22]).toEqual([
      'set 1 - 1 -1 none',
      'mod 15 - 16 -1 uptodate|head',
      'mod 1 - 17 0 uptodate|owner_2|head|swapbacked',
      'mod_and_test -1 0 16 0 uptodate|lru|owner_2|head|swapbacked',
      'mod 16 - 32 0 uptodate|lru|owner_2|head|swapbacked',
      'mod 1 - 33 1 uptodate|lru|head|swapbacked',
      'mod_and_test -1 0 32 1 uptodate|lru|head|swapbacked',
      'mod_and_test -1 0 31 1 uptodate|lru|head|swapbacked',
      'mod_and_test -11 0 20 0 uptodate|lru|head|swapbacked',
      'mod_and_test -4 0 16 0 uptodate|lru|head|swapbacked',
      'mod_and_test -16 1 0 -1 uptodate|lru|head|swapbacked',
    ]);
    // the last 10 small pages were still in the parent's lru_add batch at fork (count 3, no lru)
    expect(real[255][3]).toBe('mod 1 - 3 0 uptodate|owner_2|swapbacked');
  });
});
