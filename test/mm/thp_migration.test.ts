/**
 * Migration of large folios (PMD THPs; 6.12 64 KiB mTHPs) by move_pages(2) and migrate_pages(),
 * event by event. No trace in ../shared/traces migrates a large folio (the thp workload never calls
 * move_pages; the compaction capture has no THP in the zone), so the rows follow the kernel source:
 * 6.12 mm/migrate.c do_pages_move :2300, add_folio_for_migration :2243, migrate_pages :2041,
 * migrate_pages_sync :1964, migrate_pages_batch :1718, migrate_folio_unmap :1183, migrate_folio_move
 * :1344, __folio_migrate_mapping :509, remove_migration_pte :288, mm/huge_memory.c
 * set_pmd_migration_entry :4264, remove_migration_pmd :4314, mm/rmap.c try_to_migrate_one :2034;
 * 6.1 mm/migrate.c do_pages_move :2055, add_page_for_migration :1958, migrate_pages :1804,
 * migrate_pages_batch :1591, migrate_folio_unmap :1237, folio_migrate_mapping :383, mm/huge_memory.c
 * set_pmd_migration_entry :3267, remove_migration_pmd :3316. Rows: see test/helpers/sequence-rows.ts.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  folio_entire_mapcount,
  folio_mapcount,
  folio_order,
  folio_test_large,
  page_folio,
} from '../../src/kernel/folio.js';
import { folio_ref_count } from '../../src/kernel/page_ref.js';
import { deferred_split_queue, folio_test_partially_mapped } from '../../src/mm/huge_split.js';
import { migrate_pages } from '../../src/mm/migrate.js';
import { do_pages_move } from '../../src/mm/move_pages.js';
import { ALLOC_MIGRATION_TARGET, type MigrationTarget } from '../../src/mm/migrate_folio.js';
import { mmcache } from '../../src/mm/mm_cache.js';
import { Pte, find_vma } from '../../src/mm/mm_types.js';
import { PageBuddy } from '../../src/mm/page_alloc.js';
import { PageAnonExclusive } from '../../src/mm/rmap.js';
import { folio_isolate_lru, lru_add_drain } from '../../src/mm/swap.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario, type RunResult } from '../../src/scenario/runner.js';
import { sequenceRows } from '../helpers/sequence-rows.js';
import { traceProfile } from '../helpers/shared.js';

/** split_folio_to_list's return values, as migrate.ts calls it (try_split_folio) */
const splits = vi.hoisted((): number[] => []);
vi.mock('../../src/mm/huge_split.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../../src/mm/huge_split.js')>();
  return {
    ...m,
    split_folio_to_list: (...a: Parameters<typeof m.split_folio_to_list>) => {
      const rc = m.split_folio_to_list(...a);
      splits.push(rc);
      return rc;
    },
  };
});

const THP = 't mmap p anon 512\nt madvise p hugepage\nt write p';
const MTHP = 'sysfs hugepages-64kB always\nt mmap p anon 16\nt write p';
const PIPE = '\nt pipe x\nt vmsplice p x 5..5';

const times = <T>(n: number, rows: readonly T[]): T[] => Array.from({ length: n }, () => rows).flat();

/** the same one-CPU machine as sequenceRows, for the state after `act` */
function run(version: '6.1' | '6.12', setup: string, act = ''): RunResult {
  const text = `machine cpus=1\ntask t comm=t cpu=0\n${setup}\ndrain\ncheckpoint go\n${act}\n`;
  return runScenario(parseScenario(text, 'thp-migration'), traceProfile(version));
}

/** the folio page i of region p maps */
function folioAt(r: RunResult, i: number): number {
  return page_folio(r.machine.k, find_vma(r.machine.task('t').mm!, 'p')!.pfn[i]);
}

/** the machine after `setup`, as migrate_pages' callers see it: task t, its mm, the folio at p[0] */
function prepared(version: '6.1' | '6.12', setup: string) {
  const r = run(version, setup);
  const t = r.machine.task('t');
  return { r, k: r.machine.k, t, ctx: { mms: [t.mm!], mappings: new Map() }, head: folioAt(r, 0) };
}

describe('move_pages of a PMD THP: page 0 isolates it, page 1 finds it isolated and migrates it', () => {
  it('6.12: isolate +1; dst set 1; PMD migration entry -1; freeze/unfreeze 1 (deferred split); lru; remap +1', () => {
    const L = 'locked|uptodate|dirty|head|swapbacked';
    expect(sequenceRows('6.12', THP, 't migrate p')).toEqual([
      'P M 1 - 2 -1 uptodate|owner_2|head|swapbacked', // folio_isolate_lru: references on the head only
      'D1 S 1 - 1 -1 none', // alloc_migration_target(order 9): page_ref_set before prep_compound_page
      `P T -1 0 1 -1 ${L}`, // set_pmd_migration_entry: folio_remove_rmap_pmd, folio_put
      `P F 1 1 0 -1 ${L}`, // __folio_migrate_mapping: folio_ref_freeze(expected = 0 + 1)
      `P Z 1 - 1 -1 ${L}`, // folio_unqueue_deferred_split, folio_ref_unfreeze(expected)
      `D1 M 1 - 2 -1 ${L}`, // folio_add_lru(dst): a large folio is moved to the LRU at once
      `D1 T -1 0 1 -1 locked|uptodate|dirty|lru|head|swapbacked`,
      `D1 M 1 - 2 -1 locked|uptodate|dirty|lru|head|swapbacked`, // remove_migration_pmd: folio_get
      'D1 T -1 0 1 -1 uptodate|dirty|lru|owner_2|head|swapbacked', // folio_put(dst) after folio_unlock
      'P T -1 1 0 -1 uptodate|dirty|head|swapbacked', // migrate_folio_done: src freed
      // pages 2..511: folio_walk_start finds dst on the target node (no reference)
    ]);
  });
  it('6.1: follow_page(FOLL_GET) +1/-1 around each page, the same move without a freeze', () => {
    const F = 'uptodate|head|mappedtodisk|swapbacked';
    const L = 'locked|uptodate|dirty|head|swapbacked';
    const D = 'uptodate|dirty|lru|head|mappedtodisk|swapbacked';
    expect(sequenceRows('6.1', THP, 't migrate p')).toEqual([
      'P M 1 - 2 1 uptodate|lru|head|mappedtodisk|swapbacked', // page 0: follow_trans_huge_pmd
      `P M 1 - 3 1 ${F}`, // isolate_lru_page(head)
      `P T -1 0 2 1 ${F}`, // put_page
      `P M 1 - 3 1 ${F}`, // page 1: follow_page; isolate_lru_page fails (-EBUSY)
      `P T -1 0 2 1 ${F}`,
      'D1 S 1 - 1 0 none',
      `P T -1 0 1 0 ${L}`, // set_pmd_migration_entry; folio_migrate_mapping compares (anon)
      `D1 M 1 - 2 0 ${L}`,
      `D1 T -1 0 1 0 locked|uptodate|dirty|lru|head|swapbacked`,
      `D1 M 1 - 2 0 locked|uptodate|dirty|lru|head|swapbacked`, // remove_migration_pmd: get_page
      `D1 T -1 0 1 1 ${D}`,
      'P T -1 1 0 0 uptodate|dirty|head|swapbacked',
      ...times(510, [`D1 M 1 - 2 1 ${D}`, `D1 T -1 0 1 1 ${D}`]), // pages 2..511: follow_page, on the node
    ]);
  });
  it.each(['6.1', '6.12'] as const)('%s: dst mapped by the PMD, exclusive; src freed', (v) => {
    const r = run(v, THP, 't migrate p');
    const k = r.machine.k;
    const src = r.checkpoints.get('go')!.regions.get('t:p')![0];
    const dst = folioAt(r, 0);
    const vma = find_vma(r.machine.task('t').mm!, 'p')!;
    expect(dst).not.toBe(src);
    expect(Array.from(vma.pfn, (pfn, i) => pfn - i)).toEqual(Array(512).fill(dst));
    expect(vma.pte.every((pte) => (pte & (Pte.PRESENT | Pte.PMD)) === (Pte.PRESENT | Pte.PMD))).toBe(true);
    expect([folio_order(k, dst), folio_ref_count(k, dst), folio_entire_mapcount(k, dst)]).toEqual([9, 1, 1]);
    expect([folio_mapcount(k, dst), PageAnonExclusive(k, dst)]).toEqual([1, true]);
    expect(PageBuddy(k, src)).toBe(true);
    // 6.12 queues a new PMD THP at its fault (underused check); migrate_folio_move queues dst as src was
    expect(deferred_split_queue(k).has(dst)).toBe(v === '6.12');
    expect(folio_test_partially_mapped(k, dst)).toBe(false);
  });
});

describe('a THP migration blocked by an extra reference: -EAGAIN every pass, never split', () => {
  // the vmsplice's / pin's GUP-fast marked the folio referenced (6.12 mm/gup.c gup_fast_pmd_leaf
  // and gup_fast_pte_range, 6.1 gup_huge_pmd and gup_pte_range: folio_set_referenced)
  // the split fallback is for -ENOMEM (no destination) and 6.12's partially mapped folios only
  // (migrate_pages_batch: 6.12 :1777, :1823; 6.1 :1674); an -EAGAIN folio is retried, then put back
  // putback_movable_pages: folio_add_lru +1 (a large folio goes to the LRU at once: -1), the isolation -1
  const putback = (m: number, F: string, LRU: string) => [
    `P M 1 - 4 ${m} ${F}`,
    `P T -1 0 3 ${m} ${LRU}`,
    `P T -1 0 2 ${m} ${LRU}`,
  ];
  it('6.12, a pipe (FOLL_GET): one unmap per batch (ASYNC 3 passes, SYNC 7), each undone (+1 via the PMD)', () => {
    const L = 'locked|referenced|uptodate|dirty|head|swapbacked';
    const batch = ['D1 S 1 - 1 -1 none', `P T -1 0 2 -1 ${L}`, `P M 1 - 3 -1 ${L}`, 'D1 T -1 1 0 -1 head'];
    splits.length = 0;
    expect(sequenceRows('6.12', THP + PIPE, 't migrate p')).toEqual([
      'P M 1 - 3 -1 referenced|uptodate|owner_2|head|swapbacked',
      ...batch, // __migrate_folio's precheck (count 2 != 1) fails silently in all 3 move passes
      ...batch, // migrate_pages_sync: the folio alone, 7 move passes
      ...putback(
        -1,
        'referenced|uptodate|dirty|owner_2|head|swapbacked',
        'referenced|uptodate|dirty|lru|owner_2|head|swapbacked',
      ),
    ]);
    expect(splits).toEqual([]); // a PMD unmap leaves nothing partially mapped (mm/rmap.c __folio_remove_rmap)
  });
  it('6.1, a pipe: 10 passes, each unmapped and remapped (unmap_and_move), no freeze for anon', () => {
    const F = 'referenced|uptodate|head|mappedtodisk|swapbacked';
    const L = 'locked|referenced|uptodate|dirty|head|swapbacked';
    expect(sequenceRows('6.1', THP + PIPE, 't migrate p')).toEqual([
      'P M 1 - 3 1 referenced|uptodate|lru|head|mappedtodisk|swapbacked',
      ...times(2, [`P M 1 - 4 1 ${F}`, `P T -1 0 3 1 ${F}`]),
      ...times(10, ['D1 S 1 - 1 0 none', `P T -1 0 2 0 ${L}`, `P M 1 - 3 0 ${L}`, 'D1 T -1 1 0 0 head']),
      ...putback(
        1,
        'referenced|uptodate|dirty|head|mappedtodisk|swapbacked',
        'referenced|uptodate|dirty|lru|head|mappedtodisk|swapbacked',
      ),
    ]);
  });
  it.each(['6.1', '6.12'] as const)(
    '%s, a FOLL_PIN: the PMD keeps its mapping (-EBUSY in set_pmd_migration_entry), 10 destinations set and freed',
    (v) => {
      const [m, F, LRU] =
        v === '6.12'
          ? [
              -1,
              'referenced|uptodate|owner_2|head|swapbacked',
              'referenced|uptodate|lru|owner_2|head|swapbacked',
            ]
          : [
              1,
              'referenced|uptodate|head|mappedtodisk|swapbacked',
              'referenced|uptodate|lru|head|mappedtodisk|swapbacked',
            ];
      const d = v === '6.12' ? -1 : 0;
      const rows = sequenceRows(v, THP + '\nt pin p 5..5', 't migrate p');
      // 6.12: 3 ASYNC + 7 SYNC unmap attempts (the unmap phase retries); 6.1: 10 passes
      expect(rows.slice(-23)).toEqual([
        ...times(10, [`D1 S 1 - 1 ${d} none`, `D1 T -1 1 0 ${d} head`]),
        ...putback(m, F, LRU),
      ]);
      // nothing on the THP between its isolation (6.1: and the two follow_page pairs) and the putback
      expect(rows.filter((x) => x.startsWith('P '))).toHaveLength(v === '6.12' ? 4 : 8);
    },
  );
  it.each(['6.1', '6.12'] as const)(
    '%s: move_pages returns 511 (the THP, and the 510 pages not tried)',
    (v) => {
      const { r, k, t, ctx, head } = prepared(v, THP + PIPE);
      const vma = find_vma(t.mm!, 'p')!;
      expect(r.machine.run(t, () => do_pages_move(k, ctx, 1, vma, 0, 511))).toBe(511);
      expect(folioAt(r, 511)).toBe(head);
      expect([folio_ref_count(k, head), folio_mapcount(k, head), folio_test_large(k, head)]).toEqual([
        2,
        1,
        true,
      ]);
    },
  );
});

describe('6.12 mTHP (64 KiB, PTE-mapped): references on the head, one per PTE', () => {
  const L = 'locked|uptodate|dirty|head|swapbacked';
  const DL = 'locked|uptodate|dirty|lru|owner_2|head|swapbacked';
  const unmap = (from: number) => Array.from({ length: 16 }, (_, j) => `P T -1 0 ${from - j} -1 ${L}`);
  it('16 x -1 (try_to_migrate_one per PTE), freeze/unfreeze 1, dst order 4, 16 x +1 (remove_migration_pte)', () => {
    expect(sequenceRows('6.12', MTHP, 't migrate p')).toEqual([
      'P M 1 - 17 0 uptodate|owner_2|head|swapbacked',
      'D1 S 1 - 1 -1 none', // alloc_migration_target(order 4)
      ...unmap(16),
      `P F 1 1 0 -1 ${L}`,
      `P Z 1 - 1 -1 ${L}`,
      `D1 M 1 - 2 -1 ${L}`,
      'D1 T -1 0 1 -1 locked|uptodate|dirty|lru|head|swapbacked',
      'D1 M 1 - 2 -1 locked|uptodate|dirty|lru|head|swapbacked', // folio_get, then the rmap of page 0
      ...Array.from({ length: 15 }, (_, j) => `D1 M 1 - ${3 + j} 0 ${DL}`),
      'D1 T -1 0 16 0 uptodate|dirty|lru|owner_2|head|swapbacked',
      'P T -1 1 0 -1 uptodate|dirty|head|swapbacked',
    ]);
  });
  it('dst is queued as partially mapped: try_to_migrate queued src so (mm/rmap.c:1587), :1400 carries it over', () => {
    // __folio_remove_rmap() of the first PTE leaves 15 of 16 pages mapped: partially_mapped, so
    // deferred_split_folio(src, true); migrate_folio_move() records that before the move and
    // deferred_split_folio(dst, true) after it, though every page of dst is mapped again
    const r = run('6.12', MTHP, 't migrate p');
    const k = r.machine.k;
    const dst = folioAt(r, 0);
    expect([folio_order(k, dst), folio_ref_count(k, dst), folio_mapcount(k, dst)]).toEqual([4, 16, 16]);
    expect([deferred_split_queue(k).has(dst), folio_test_partially_mapped(k, dst)]).toEqual([true, true]);
    expect(Array.from({ length: 16 }, (_, i) => folioAt(r, i))).toEqual(Array(16).fill(dst));
  });
  it('blocked by a pipe: two unmap/undo rounds; the SYNC one first tries to split it (-EAGAIN, no event)', () => {
    const LR = 'locked|referenced|uptodate|dirty|head|swapbacked'; // the vmsplice's GUP-fast
    const pid = (from: number) => Array.from({ length: 16 }, (_, j) => `P T -1 0 ${from - j} -1 ${LR}`);
    const undo = [
      `P M 1 - 3 -1 ${LR}`,
      ...Array.from(
        { length: 15 },
        (_, j) => `P M 1 - ${4 + j} 0 locked|referenced|uptodate|dirty|owner_2|head|swapbacked`,
      ),
    ];
    const round = ['D1 S 1 - 1 -1 none', ...pid(17), ...undo, 'D1 T -1 1 0 -1 head'];
    splits.length = 0;
    expect(sequenceRows('6.12', MTHP + PIPE, 't migrate p')).toEqual([
      'P M 1 - 18 0 referenced|uptodate|owner_2|head|swapbacked',
      ...round,
      ...round,
      'P M 1 - 19 0 referenced|uptodate|dirty|owner_2|head|swapbacked',
      'P T -1 0 18 0 referenced|uptodate|dirty|lru|owner_2|head|swapbacked',
      'P T -1 0 17 0 referenced|uptodate|dirty|lru|owner_2|head|swapbacked',
    ]);
    // migrate_pages_batch :1777: partially mapped (by the first round's unmap) and queued, so
    // try_split_folio; can_split_folio fails on the pipe's reference: -EAGAIN before any event
    expect(splits).toEqual([-11]);
  });
});

describe('6.12 mTHP pinned (FOLL_PIN on one page)', () => {
  it('the whole folio counts as maybe-pinned (_pincount): the walk stops at its first PTE, 10 destinations set and freed', () => {
    // folio_try_share_anon_rmap_pte() tests folio_maybe_dma_pinned(folio), not the page: nothing is
    // unmapped, so nothing is partially mapped and no pass tries a split
    splits.length = 0;
    const rows = sequenceRows('6.12', `${MTHP}\nt pin p 5..5`, 't migrate p');
    expect(rows.map((x) => x.split(' ').slice(0, 5).join(' '))).toEqual([
      'P M 1 - 18',
      ...times(10, ['D1 S 1 - 1', 'D1 T -1 1 0']),
      'P M 1 - 19',
      'P T -1 0 18',
      'P T -1 0 17',
    ]);
    expect(splits).toEqual([]);
  });
});

/** a target without large folios: alloc_migration_target's -ENOMEM for a THP, order-0 pages otherwise */
const NO_LARGE: MigrationTarget = {
  get_new_folio: (k, src) => (folio_order(k, src) ? -1 : ALLOC_MIGRATION_TARGET.get_new_folio(k, src)),
};

/** migrate_pages() of the THP of region p, isolated, with `target`; the events after it, by pfn */
function migrateThp(version: '6.1' | '6.12', target: MigrationTarget) {
  const { r, k, t, ctx, head } = prepared(version, THP);
  r.machine.run(t, () => folio_isolate_lru(k, head));
  const at = r.events.length;
  const res = r.machine.run(t, () => migrate_pages(k, ctx, [head], target));
  const ev = r.events.slice(at).map(({ record: x, stack }) => ({
    pfn: x.pfn,
    e: 'SMTRUFZ'[x.type],
    val: x.val,
    count: x.count,
    stack,
  }));
  return { r, k, head, res, ev };
}

describe('-ENOMEM for a THP destination: split (try_split_folio), the pieces migrated', () => {
  it.each(['6.1', '6.12'] as const)(
    '%s: the split (tails onto the list, +1 each), then 512 order-0 moves',
    (v) => {
      const { r, k, head, res, ev } = migrateThp(v, NO_LARGE);
      expect(res).toEqual({ rc: 0, left: [] }); // every piece moved: "Return 0 in case all split folios ... are migrated"
      const split = ev.slice(
        0,
        ev.findIndex((x) => x.e === 'S'),
      );
      const n = (x: { pfn: number; e: string; val: number; count: number }) =>
        `${x.pfn - head} ${x.e} ${x.val} ${x.count}`;
      const tails = Array.from({ length: 511 }, (_, j) => 511 - j);
      expect(split.map(n)).toEqual([
        // unmap_folio: TTU_SPLIT_HUGE_PMD, the PMD split frozen (6.12 one put; 6.1 +511, 512 x -1)
        ...(v === '6.12'
          ? ['0 T -1 1']
          : ['0 M 511 513', ...Array.from({ length: 512 }, (_, j) => `0 T -1 ${512 - j}`)]),
        '0 F 1 0', // folio_ref_freeze(1 + extra pins): the caller's isolation reference
        ...tails.flatMap((i) => [`${i} Z 1 1`, `${i} M 1 2`]), // page_ref_unfreeze(tail, 1), get_page(tail) for the list
        '0 M 1 1', // the head: folio_ref_inc
        '0 M 1 2',
        ...tails.map((i) => `${512 - i} M 1 3`), // remap_page, in pfn order (the written pages: no zero page)
        ...tails.map((i) => `${512 - i} T -1 2`), // free_page_and_swap_cache(tail): the unfreeze's reference
      ]);
      // the pieces, tails first (list order: 511 .. 1, then the head try_split_folio moved after them):
      // 6.12 one ASYNC pass of migrate_pages_batch (:2100), unmapping them all before moving any; 6.1 the
      // split_folio_migration round (:1761), unmap and move per piece. A freed piece's pfn may come
      // back as a later piece's destination: the pieces' unmaps are told by their stack
      const pieceUnmaps = ev.filter(
        (x) => x.stack.includes('try_to_migrate_one') && !x.stack.includes('unmap_folio'),
      );
      expect(pieceUnmaps.map((x) => `${x.pfn - head} ${x.e} ${x.count}`)).toEqual(
        [...tails, 0].map((i) => `${i} T 1`),
      );
      const firstMove = ev.findIndex((x) => x.pfn === head + 511 && x.e === 'T' && x.count === 0);
      expect(ev.slice(0, firstMove).filter((x) => x.e === 'S')).toHaveLength(v === '6.12' ? 512 : 1);
      // every page now maps its own small folio, one reference each once the LRU batch is drained
      // (no lru_cache_disable() around this call); every source piece was freed
      r.machine.run(r.machine.task('t'), () => lru_add_drain(k));
      const dsts = new Set(Array.from({ length: 512 }, (_, i) => folioAt(r, i)));
      expect(dsts.size).toBe(512);
      for (const d of dsts)
        expect([folio_test_large(k, d), folio_ref_count(k, d), folio_mapcount(k, d)]).toEqual([false, 1, 1]);
      for (let i = 0; i < 512; i++)
        expect(ev.some((x) => x.pfn === head + i && x.e === 'T' && x.count === 0)).toBe(true);
    },
  );
  it.each(['6.1', '6.12'] as const)(
    '%s: a split that fails (a pipe reference) ends the batch with -ENOMEM, the THP put back whole',
    (v) => {
      const { r, k, t, ctx, head } = prepared(v, THP + PIPE);
      r.machine.run(t, () => folio_isolate_lru(k, head));
      const at = r.events.length;
      splits.length = 0;
      const res = r.machine.run(t, () => migrate_pages(k, ctx, [head], NO_LARGE));
      expect(res).toEqual({ rc: -12, left: [head] });
      expect(splits).toEqual([-11]); // can_split_folio: the pipe's reference is no mapping
      expect(r.events.slice(at)).toEqual([]); // nothing was allocated, unmapped or frozen
    },
  );
});

describe('a THP partially unmapped before move_pages (munmap of pages 128..383)', () => {
  const PARTIAL = `${THP}\nt munmap p 128..383`;
  it('6.12: queued as partially mapped, so migrate_pages_batch splits it first (:1777) and moves all its pieces', () => {
    splits.length = 0;
    const r = run('6.12', PARTIAL, 't migrate p 0..1');
    const k = r.machine.k;
    const src = r.checkpoints.get('go')!.regions.get('t:p')![0];
    expect(splits).toEqual([0]);
    // the split list holds every piece: the 256 still mapped move (each to its own page), the 256
    // unmapped ones hold only the list's reference and are freed by migrate_folio_unmap (:1196)
    const moved = [
      ...Array.from({ length: 128 }, (_, i) => i),
      ...Array.from({ length: 128 }, (_, i) => 384 + i),
    ];
    for (const i of moved) {
      const f = folioAt(r, i);
      expect([f === src + i, folio_test_large(k, f), folio_ref_count(k, f), folio_mapcount(k, f)]).toEqual([
        false,
        false,
        1,
        1,
      ]);
    }
    for (let i = 0; i < 512; i++)
      expect(r.events.some((e) => e.record.pfn === src + i && e.record.count === 0)).toBe(true);
  });
  it('6.1: no such step: the PTE-mapped THP moves whole (256 PTEs), and dst is not queued', () => {
    splits.length = 0;
    const r = run('6.1', PARTIAL, 't migrate p 0..1');
    const k = r.machine.k;
    const dst = folioAt(r, 0);
    expect(splits).toEqual([]);
    expect([folio_order(k, dst), folio_ref_count(k, dst), folio_mapcount(k, dst)]).toEqual([9, 256, 256]);
    expect(folioAt(r, 511)).toBe(dst);
    expect(deferred_split_queue(k).has(dst)).toBe(false);
  });
});

describe('move_pages of a THP another process maps too (fork): -EACCES without MPOL_MF_MOVE_ALL', () => {
  it.each(['6.1', '6.12'] as const)(
    '%s: not isolated; 6.1 still takes follow_page +1/-1 on every page',
    (v) => {
      const rows = sequenceRows(v, `${THP}\nt fork c cpu=0`, 't migrate p');
      const F = 'uptodate|lru|head|swapbacked';
      // 6.1 add_page_for_migration :1990 page_mapcount(page) > 1 (compound_mapcount 2); 6.12
      // __add_folio_for_migration :2218 folio_likely_mapped_shared (an entire mapping, mapped twice)
      expect(rows).toEqual(v === '6.12' ? [] : times(512, [`P M 1 - 3 2 ${F}`, `P T -1 0 2 2 ${F}`]));
    },
  );
});

describe('NR_MAX_BATCHED_MIGRATION: a small folio (held by a pipe) and a THP in one migrate_pages list', () => {
  it.each(['6.1', '6.12'] as const)('%s: which pass allocates the THP destination', (v) => {
    // p first: the top-down mmap keeps its 2 MiB alignment, so it faults a PMD THP
    const {
      r,
      k,
      t,
      ctx,
      head: thp,
    } = prepared(v, `${THP}\nt mmap s anon 1\nt write s\nt pipe x\nt vmsplice s x`);
    const small = find_vma(t.mm!, 's')!.pfn[0];
    expect(folio_order(k, thp)).toBe(9);
    r.machine.run(t, () => [small, thp].forEach((f) => folio_isolate_lru(k, f)));
    const at = r.events.length;
    const res = r.machine.run(t, () => migrate_pages(k, ctx, [small, thp]));
    expect(res).toEqual({ rc: 1, left: [small] });
    const sets = r.events.slice(at).filter((e) => e.record.type === 0 && e.record.mt === 1);
    const thpDst = sets.findIndex((e) => e.record.pfn === folioAt(r, 0));
    // 6.12 :2072 `>= 512`: the batch ends with the THP, so its ASYNC unmap phase allocates the THP's
    // destination second; 6.1 :1833 `> 512`: the small folio's batch (10 passes) goes first
    expect(thpDst).toBe(v === '6.12' ? 1 : 10);
  });
});

describe('compact_memory and large folios (6.12 isolate_migratepages_block :870, skip_isolation_on_order :834)', () => {
  const SMALL_AROUND =
    'sysfs hugepages-64kB never\nt mmap q anon 2048\nt write q\nt madvise q dontneed keep=2';
  it.each(['6.1', '6.12'] as const)(
    '%s: a PMD THP is stepped over (6.12 order >= pageblock_order; 6.1 every compound page)',
    (v) => {
      const rows = sequenceRows(v, `${THP}\nt mmap q anon 1024\nt write q\nt munmap q`, 't compact');
      expect(rows.filter((x) => x.startsWith('P '))).toEqual([]);
    },
  );
  it('6.12: an mTHP is isolated (+1, mod_unless) and compacted whole into an order-4 block of cc->freepages', () => {
    const rows = sequenceRows('6.12', `${MTHP}\n${SMALL_AROUND}`, 't compact');
    const p = rows.filter((x) => x.startsWith('P '));
    expect(p[0]).toBe('P U 1 1 17 0 uptodate|lru|owner_2|head|swapbacked');
    expect(p.slice(1, 17)).toEqual(
      Array.from({ length: 16 }, (_, j) => `P T -1 0 ${16 - j} -1 locked|uptodate|dirty|head|swapbacked`),
    );
    expect(p.slice(17)).toEqual([
      'P F 1 1 0 -1 locked|uptodate|dirty|head|swapbacked',
      'P Z 1 - 1 -1 locked|uptodate|dirty|head|swapbacked',
      'P T -1 1 0 -1 uptodate|dirty|head|swapbacked',
    ]);
    const r = run('6.12', `${MTHP}\n${SMALL_AROUND}`, 't compact');
    const k = r.machine.k;
    const dst = folioAt(r, 0);
    expect([folio_order(k, dst), folio_ref_count(k, dst), folio_mapcount(k, dst)]).toEqual([4, 16, 16]);
    expect(mmcache(k).f.folio_test_large_rmappable?.(dst)).toBe(true); // compaction_alloc :1878
  });
  it('6.12: no free block of the mTHP order: compaction_alloc NULL (-ENOMEM), the mTHP split, its pieces fail too and are put back', () => {
    const r = run('6.12', `${MTHP}\nt mmap q anon 1024\nt write q\nt munmap q`, 't compact');
    const k = r.machine.k;
    const src = r.checkpoints.get('go')!.regions.get('t:p')![0];
    splits.length = 0;
    const rows = sequenceRows('6.12', `${MTHP}\nt mmap q anon 1024\nt write q\nt munmap q`, 't compact');
    expect(splits).toEqual([0]);
    expect(rows.filter((x) => / S /.test(x))).toEqual([]); // no destination was ever allocated
    // 16 order-0 folios where the mTHP was, each mapped once and back on the LRU (the batch's +1)
    for (let i = 0; i < 16; i++) {
      expect(folioAt(r, i)).toBe(src + i);
      expect([folio_test_large(k, src + i), folio_mapcount(k, src + i), folio_ref_count(k, src + i)]).toEqual(
        [false, 1, 2],
      );
    }
  });
});
