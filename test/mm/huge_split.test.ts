/**
 * kernel-mm-flows.md §12.6 (split_huge_page) and §12.7 (deferred split) on the simulator, against
 * 6.12 / 6.1 mm/huge_memory.c: what queues a THP (6.12 __folio_remove_rmap partially_mapped and the
 * underused queue of new PMD THPs; 6.1 page_remove_rmap), deferred_split_scan (folio_try_get,
 * split, put), split_huge_page_to_list_to_order (can_split_folio, unmap_folio into migration
 * entries, page_ref_freeze with 1 + extra pins, page_ref_unfreeze of every tail, the head's
 * folio_ref_inc, remap_page, free_page_and_swap_cache), the 6.1/6.12 PMD freeze and the 6.12
 * zero-page remap, and the debugfs split_huge_pages lookup.
 */
import { describe, expect, it } from 'vitest';
import { show_page_flags } from '../../src/kernel/flag_names.js';
import { PageCompound, PageTail, folio_test_large } from '../../src/kernel/folio.js';
import { pageRefHasRet } from '../../src/kernel/tracepoint.js';
import { deferred_split_queue, folio_test_partially_mapped } from '../../src/mm/huge_split.js';
import { Pte } from '../../src/mm/mm_types.js';
import { vm_events } from '../../src/mm/vmstat.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario, type RunResult } from '../../src/scenario/runner.js';
import { traceProfile } from '../helpers/shared.js';

type Version = '6.1' | '6.12';

function run(version: Version, body: string): RunResult {
  const text = `machine cpus=1\ntask t comm=t cpu=0\n${body}\n`;
  return runScenario(parseScenario(text, 'split'), traceProfile(version));
}

/** one pfn's events after checkpoint `tag` (S set, M mod, T mod_and_test, U mod_unless, F freeze, Z unfreeze) */
function rows(r: RunResult, pfn: number, tag: string): string[] {
  return r.events
    .slice(r.checkpoints.get(tag)!.at)
    .filter((e) => e.record.pfn === pfn)
    .map(({ record: x }) => {
      const ret = pageRefHasRet(x.type) ? String(x.ret) : '-';
      return `${'SMTRUFZ'[x.type]} ${x.val} ${ret} ${x.count} ${x.mapcount} ${show_page_flags(r.profile, x.flagsLo)}`;
    });
}

function head(r: RunResult, tag: string): number {
  return r.checkpoints.get(tag)!.regions.get('t:m')![0];
}

/** the page_mapcount() 6.1 traces, the raw _mapcount 6.12 traces */
const mc = (v: Version, raw: number) => (v === '6.1' ? raw + 1 : raw);
const EXCL = { '6.1': 'mappedtodisk', '6.12': 'owner_2' } as const;

/** a 2 MiB THP, every page written, 1 MiB in its middle unmapped */
const PARTIAL = 't mmap m anon 512\nt madvise m hugepage\nt write m\nt munmap m 128..383';

describe.each(['6.1', '6.12'] as const)('deferred split queue and split, %s', (v) => {
  it('a partial munmap queues the THP (no reference); it is split later, not at once', () => {
    const r = run(
      v,
      `t mmap m anon 512\nt madvise m hugepage\nt write m\ncheckpoint faulted\nt munmap m 128..383`,
    );
    const k = r.machine.k;
    const h = head(r, 'faulted');
    expect([...deferred_split_queue(k)]).toEqual([h]);
    expect(folio_test_large(k, h)).toBe(true);
    expect(folio_test_partially_mapped(k, h)).toBe(v === '6.12');
    expect(k.mem.refcount[h]).toBe(256);
    expect(vm_events(k).get('thp_deferred_split_page')).toBe(1);
    expect(vm_events(k).get('thp_split_page')).toBeUndefined();
  });

  it('deferred_split_scan: +1, unmap (-1 per PTE), freeze 1, tails unfrozen at 1, remapped, put', () => {
    const r = run(v, `${PARTIAL}\ncheckpoint go\nt deferred_split_scan`);
    const k = r.machine.k;
    const h = head(r, 'go');
    const H = 'uptodate|dirty|lru|head|swapbacked';
    const hr = rows(r, h, 'go');
    expect(hr.slice(0, 2)).toEqual([
      `U 1 1 257 ${mc(v, 0)} uptodate|dirty|lru|${v === '6.1' ? 'head|mappedtodisk' : 'owner_2|head'}|swapbacked`,
      `T -1 0 256 ${mc(v, -1)} locked|${H}`, // try_to_migrate_one of page 0
    ]);
    expect(hr.slice(2, 257).every((x, j) => x === `T -1 0 ${255 - j} ${mc(v, -1)} locked|${H}`)).toBe(true);
    const tailFlags = 'uptodate|dirty|lru|swapbacked';
    expect(hr.slice(257)).toEqual([
      `F 1 1 0 ${mc(v, -1)} locked|${H}`, // folio_ref_freeze(folio, 1)
      `M 1 - 1 ${mc(v, -1)} locked|${tailFlags}`, // the head's folio_ref_inc: the caller's pin
      `M 1 - 2 ${mc(v, -1)} locked|${tailFlags}`, // remove_migration_pte
      `T -1 0 1 ${mc(v, 0)} uptodate|dirty|lru|${EXCL[v]}|swapbacked`, // deferred_split_scan's put
    ]);
    // a mapped tail and an unmapped one (the munmapped middle: freed)
    expect(rows(r, h + 1, 'go')).toEqual([
      `Z 1 - 1 ${mc(v, -1)} locked|uptodate|dirty|swapbacked`,
      `M 1 - 2 ${mc(v, -1)} locked|${tailFlags}`,
      `T -1 0 1 ${mc(v, 0)} uptodate|dirty|lru|${EXCL[v]}|swapbacked`, // free_page_and_swap_cache
    ]);
    expect(rows(r, h + 200, 'go')).toEqual([
      `Z 1 - 1 ${mc(v, -1)} locked|uptodate|dirty|swapbacked`,
      `T -1 1 0 ${mc(v, -1)} ${tailFlags}`,
    ]);
    // every page a small folio again, mapped once, exclusive, writable
    const vma = r.machine.task('t').mm!.vmas[0];
    for (const i of [0, 1, 127, 384, 511]) {
      const p = h + i;
      expect([PageCompound(k, p), PageTail(k, p), k.mem.refcount[p], k.mem.mapcount[p]]).toEqual([
        false,
        false,
        1,
        0,
      ]);
      expect(vma.pfn[i]).toBe(p);
      expect(vma.pte[i] & (Pte.PRESENT | Pte.WRITE)).toBe(Pte.PRESENT | Pte.WRITE);
    }
    expect(k.mem.refcount[h + 200]).toBe(0);
    expect(deferred_split_queue(k).size).toBe(0);
    expect(vm_events(k).get('thp_split_page')).toBe(1);
  });

  it('an extra reference (a vmsplice pipe holds a tail page): no freeze, -EAGAIN, still queued', () => {
    const r = run(v, `${PARTIAL}\nt pipe x\nt vmsplice m x 7..7\ncheckpoint go\nt deferred_split_scan`);
    const k = r.machine.k;
    const h = head(r, 'go');
    expect(rows(r, h, 'go').map((x) => x.split(' ').slice(0, 4).join(' '))).toEqual([
      'U 1 1 258',
      'T -1 0 257',
    ]);
    expect(rows(r, h + 7, 'go')).toEqual([]);
    expect([...deferred_split_queue(k)]).toEqual([h]);
    expect(vm_events(k).get('thp_split_page_failed')).toBe(1);
  });
});

describe('what the scan does with a THP nothing unmapped', () => {
  it('6.12: queued at the fault for the underused check; the scan takes +1/-1 and drops it unsplit', () => {
    const r = run(
      '6.12',
      't mmap m anon 512\nt madvise m hugepage\nt write m\ncheckpoint go\nt deferred_split_scan',
    );
    const k = r.machine.k;
    const h = head(r, 'go');
    expect(rows(r, h, 'go')).toEqual([
      'U 1 1 2 -1 uptodate|lru|owner_2|head|swapbacked',
      'T -1 0 1 -1 uptodate|lru|owner_2|head|swapbacked',
    ]);
    expect(deferred_split_queue(k).size).toBe(0);
    expect(folio_test_large(k, h)).toBe(true);
  });
  it('6.1: never queued, no event', () => {
    const r = run(
      '6.1',
      't mmap m anon 512\nt madvise m hugepage\nt write m\ncheckpoint go\nt deferred_split_scan',
    );
    expect(rows(r, head(r, 'go'), 'go')).toEqual([]);
  });
});

describe('6.12 remap_page(RMP_USE_SHARED_ZEROPAGE)', () => {
  const body =
    't mmap m anon 512\nt madvise m hugepage\nt write m 0..0\nt write m 500..500\nt munmap m 128..383';
  it('6.12: a mapped subpage still zero-filled goes to the shared zero page and is freed', () => {
    const r = run('6.12', `${body}\ncheckpoint go\nt deferred_split_scan`);
    const h = head(r, 'go');
    const vma = r.machine.task('t').mm!.vmas[0];
    expect(rows(r, h + 1, 'go')).toEqual([
      'Z 1 - 1 -1 locked|uptodate|dirty|swapbacked',
      'T -1 1 0 -1 uptodate|dirty|lru|swapbacked',
    ]);
    expect([vma.pte[1], vma.pfn[1]]).toEqual([Pte.PRESENT | Pte.ZERO, -1]);
    // the written page 500 is remapped (+1) and kept
    expect(rows(r, h + 500, 'go').map((x) => x.split(' ')[0])).toEqual(['Z', 'M', 'T']);
    expect(vma.pfn[500]).toBe(h + 500);
  });
  it('6.1: every mapped subpage is remapped', () => {
    const r = run('6.1', `${body}\ncheckpoint go\nt deferred_split_scan`);
    const h = head(r, 'go');
    expect(rows(r, h + 1, 'go').map((x) => x.split(' ')[0])).toEqual(['Z', 'M', 'T']);
    expect(r.machine.task('t').mm!.vmas[0].pfn[1]).toBe(h + 1);
  });
});

describe.each(['6.1', '6.12'] as const)(
  'split_huge_pages of a THP the parent maps by PMD, the child by PTEs, %s',
  (v) => {
    const body =
      't mmap m anon 512\nt madvise m hugepage\nt write m\nt fork c cpu=0\nc write m 3..3\ncheckpoint go';
    it('the PMD is split with freeze: 6.12 one -1, 6.1 +511 then 512 x -1; every page then small', () => {
      const r = run(v, `${body}\nt split_huge_pages m 0..0`);
      const k = r.machine.k;
      const h = head(r, 'go');
      const counts = rows(r, h, 'go').map((x) => x.split(' ').slice(0, 4).join(' '));
      // 6.1 follow_page(FOLL_GET) +1 / 6.12 folio_get after can_split_folio: 512 + 1
      expect(counts[0]).toBe('M 1 - 513');
      const pmd =
        v === '6.12'
          ? ['T -1 0 512']
          : ['M 511 - 1024', ...Array.from({ length: 512 }, (_, j) => `T -1 0 ${1023 - j}`)];
      expect(counts.slice(1, 1 + pmd.length)).toEqual(pmd);
      // then the child's 511 PTEs (-1 each), the freeze, the head's +1, its two remaps and the put
      const rest = counts.slice(1 + pmd.length);
      expect(rest.slice(0, 511).every((x, j) => x === `T -1 0 ${511 - j}`)).toBe(true);
      expect(rest.slice(511)).toEqual(['F 1 1 0', 'M 1 - 1', 'M 1 - 2', 'M 1 - 3', 'T -1 0 2']);
      for (const i of [0, 3, 4, 511]) {
        expect(folio_test_large(k, h + i) || PageTail(k, h + i)).toBe(false);
        expect(k.mem.refcount[h + i]).toBe(i === 3 ? 1 : 2); // page 3: the child has its own copy
      }
      expect(r.machine.task('t').mm!.deposited.size).toBe(0); // the deposit became the PTE table
    });
  },
);
