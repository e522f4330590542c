/**
 * kernel-mm-flows.md §12.1 / §16.3 "Anon THP fault, PMD" on the simulator, event by event, and the
 * rmap counters it leaves (6.12 _entire_mapcount/_large_mapcount/_nr_pages_mapped; 6.1
 * compound_mapcount), then fork (copy_huge_pmd) and the PMD split of §12.4.
 */
import { describe, expect, it } from 'vitest';
import { show_page_flags } from '../../src/kernel/flag_names.js';
import { folio_entire_mapcount, folio_large_mapcount, folio_mapcount } from '../../src/kernel/folio.js';
import { pageRefHasRet } from '../../src/kernel/tracepoint.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { traceProfile } from '../helpers/shared.js';

const SCENARIO = `scenario thp fault
machine cpus=1
task A comm=thp cpu=0
A mmap thp anon 512
A madvise thp hugepage
A write thp 0..0
checkpoint faulted
A fork B cpu=0
checkpoint forked
B write thp 3..3
checkpoint split
`;

function run(version: '6.1' | '6.12') {
  const profile = traceProfile(version);
  const r = runScenario(parseScenario(SCENARIO, 'thp-fault'), profile);
  const head = r.checkpoints.get('faulted')?.regions.get('A:thp')?.[0] ?? -1;
  const rows = r.events
    .filter((e) => e.record.pfn === head)
    .map((e) => {
      const x = e.record;
      const ret = pageRefHasRet(x.type) ? String(x.ret) : '-';
      return `${'SMTRUFZ'[x.type]} ${x.val} ${ret} ${x.count} ${x.mapcount} ${show_page_flags(profile, x.flagsLo)}`;
    });
  return { r, head, rows };
}

describe('§16.3 anon THP PMD fault, fork, child write', () => {
  it('6.12: set 1 (flags none), +1, drained at once; fork +1; split +511 then the COW', () => {
    const { r, head, rows } = run('6.12');
    expect(rows).toEqual([
      'S 1 - 1 -1 none',
      'M 1 - 2 -1 uptodate|owner_2|head|swapbacked',
      'T -1 0 1 -1 uptodate|lru|owner_2|head|swapbacked',
      'M 1 - 2 -1 uptodate|lru|owner_2|head|swapbacked',
      'M 511 - 513 -1 uptodate|dirty|lru|head|swapbacked',
      'M 1 - 514 0 uptodate|dirty|lru|head|swapbacked',
      'T -1 0 513 0 uptodate|dirty|lru|head|swapbacked',
      'T -1 0 512 0 uptodate|dirty|lru|head|swapbacked',
    ]);
    const k = r.machine.k;
    // after the split: the parent's PMD (entire 1) + 511 PTEs in the child; page 3 was copied
    expect(folio_entire_mapcount(k, head)).toBe(1);
    expect(folio_large_mapcount(k, head)).toBe(512);
    expect(folio_mapcount(k, head)).toBe(512);
    expect(k.mem.mapcount[head + 3]).toBe(-1);
    expect(k.mem.nrPagesMapped[head + 1]).toBe(k.profile.facts.entirelyMapped! + 511);
  });
  it('6.1: page_mapcount() includes compound_mapcount; PG_double_map during the split', () => {
    const { r, head, rows } = run('6.1');
    expect(rows.slice(0, 5)).toEqual([
      'S 1 - 1 0 none',
      'M 1 - 2 1 uptodate|head|mappedtodisk|swapbacked',
      'T -1 0 1 1 uptodate|lru|head|mappedtodisk|swapbacked',
      'M 1 - 2 1 uptodate|lru|head|mappedtodisk|swapbacked',
      'M 511 - 513 2 uptodate|dirty|lru|head|swapbacked',
    ]);
    expect(rows).toHaveLength(8);
    expect(folio_entire_mapcount(r.machine.k, head)).toBe(1);
    expect(folio_mapcount(r.machine.k, head)).toBe(512);
  });
});
