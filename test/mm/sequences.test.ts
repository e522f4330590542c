/** The worked event sequences of kernel-mm-flows.md §4.3 and §16.1 on the simulator, and folio_add_lru's VM_BUG_ONs. */
import { describe, expect, it } from 'vitest';
import { show_page_flags } from '../../src/kernel/flag_names.js';
import { pageflags } from '../../src/kernel/page_flags.js';
import { PAGE_REF_EVENT_NAMES, pageRefHasRet } from '../../src/kernel/tracepoint.js';
import { VmBug } from '../../src/kernel/vm_bug.js';
import { Machine } from '../../src/mm/machine.js';
import { handle_mm_fault } from '../../src/mm/memory.js';
import { do_mmap_anon } from '../../src/mm/mm_types.js';
import { folio_alloc } from '../../src/mm/page_alloc.js';
import { folio_add_lru } from '../../src/mm/swap.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { traceProfile } from '../helpers/shared.js';

function rows(version: '6.1' | '6.12'): string[] {
  const profile = traceProfile(version); // the QEMU kernels' config: classic LRU, as in the reference tables
  const r = runScenario(parseScenario(BUILTINS.seed002, 'seed002'), profile);
  return r.events
    .filter((e) => e.record.mt === 1) // page-table pages (UNMOVABLE blocks) are left out, as in §16
    .map((e) => {
      const x = e.record;
      const ev = 'SMTRUFZ'[x.type];
      const ret = pageRefHasRet(x.type) ? String(x.ret) : '-';
      return `${ev} ${x.val} ${ret} ${x.count} ${x.mapcount} ${show_page_flags(profile, x.flagsLo)}`;
    });
}

describe('§16.1 parent touches, forks, child writes, both exit (one CPU)', () => {
  it('6.12', () => {
    expect(rows('6.12')).toEqual([
      'S 1 - 1 -1 none',
      'M 0 - 1 -1 uptodate',
      'M 1 - 2 0 uptodate|owner_2|swapbacked',
      'M 1 - 3 0 uptodate|owner_2|swapbacked',
      'T -1 0 2 1 uptodate|lru|swapbacked',
      'M 1 - 3 1 uptodate|lru|swapbacked',
      'S 1 - 1 -1 none',
      'M 1 - 2 0 uptodate|owner_2|swapbacked',
      'T -1 0 2 0 uptodate|lru|swapbacked',
      'T -1 0 1 0 uptodate|lru|swapbacked',
      'T -1 0 1 0 uptodate|lru|owner_2|swapbacked',
      'T -1 1 0 -1 uptodate|lru|owner_2|swapbacked',
      'T -1 1 0 -1 uptodate|lru|swapbacked',
    ]);
  });
  it('6.1: no val=0 event, page_mapcount() column, mappedtodisk', () => {
    expect(rows('6.1')).toEqual([
      'S 1 - 1 0 none',
      'M 1 - 2 1 uptodate|mappedtodisk|swapbacked',
      'M 1 - 3 1 uptodate|mappedtodisk|swapbacked',
      'T -1 0 2 2 uptodate|lru|swapbacked',
      'M 1 - 3 2 uptodate|lru|swapbacked',
      'S 1 - 1 0 none',
      'M 1 - 2 1 uptodate|mappedtodisk|swapbacked',
      'T -1 0 2 1 uptodate|lru|swapbacked',
      'T -1 0 1 1 uptodate|lru|swapbacked',
      'T -1 0 1 1 uptodate|lru|mappedtodisk|swapbacked',
      'T -1 1 0 0 uptodate|lru|mappedtodisk|swapbacked',
      'T -1 1 0 0 uptodate|lru|swapbacked',
    ]);
  });
});

describe('folio_add_lru VM_BUG_ON_FOLIO checks', () => {
  it.each(['6.1', '6.12'] as const)('%s: PG_lru already set, and active && unevictable', (v) => {
    const m = new Machine({ profile: traceProfile(v), nrPages: 8192, nrCpus: 1 });
    const f = pageflags(m.k);
    const a = folio_alloc(m.k, 0);
    f.folio_set_lru(a);
    expect(() => folio_add_lru(m.k, a)).toThrow(/VM_BUG_ON_FOLIO\(folio_test_lru\(folio\)\)/);
    const b = folio_alloc(m.k, 0);
    f.folio_set_active(b);
    f.folio_set_unevictable(b);
    expect(() => folio_add_lru(m.k, b)).toThrow(VmBug);
  });
});

describe('§4.3 one anon write fault, 6.12', () => {
  it('set 1, mod 0, mod +1, then the drain at the 31st fault', () => {
    const m = new Machine({ profile: traceProfile('6.12'), nrPages: 8192, nrCpus: 1 });
    const t = m.spawn('p', 'p', 0);
    const vma = do_mmap_anon(m.k, t.mm!, 'a', 31, false);
    const seen: { pfn: number; ev: string }[] = [];
    m.k.tracer.subscribe((r) =>
      seen.push({ pfn: r.pfn, ev: `${PAGE_REF_EVENT_NAMES[r.type]} ${r.val} ${r.count}` }),
    );
    m.run(t, () => {
      for (let i = 0; i < 31; i++) handle_mm_fault(m.k, t.mm!, vma, i, true);
    });
    expect(seen.filter((e) => e.pfn === vma.pfn[0]).map((e) => e.ev)).toEqual([
      'page_ref_set 1 1',
      'page_ref_mod 0 1',
      'page_ref_mod 1 2',
      'page_ref_mod_and_test -1 1',
    ]);
  });
});
