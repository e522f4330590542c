/**
 * The worked sequences of kernel-mm-flows.md §16.2 (migration blocked by an extra reference, and a
 * successful page-cache migration) and §16.3 (reclaim, drop_caches, fault-around, pinning) on the
 * simulator, event by event. Each scenario runs on one CPU with everything drained before the
 * checkpoint `go`; the rows are the events after it, page-table pages left out, pfns named in order
 * of appearance (P = the page under test, D1, D2… = migration targets).
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { countWithFrames, sequenceRows } from '../helpers/sequence-rows.js';
import { traceProfile } from '../helpers/shared.js';

/** `setup` then `checkpoint go` then `act`, for one task t on CPU 0 of a one-CPU machine */
const rows = (version: '6.1' | '6.12', setup: string, act: string) => sequenceRows(version, setup, act);

// vmsplice's GUP-fast marks the page referenced (6.12 mm/gup.c gup_fast_pte_range, 6.1
// gup_pte_range: folio_set_referenced), as the real migration_blocked traces show from move_pages on
const PINNED_ANON = 't mmap p anon 1\nt write p\nt pipe x\nt vmsplice p x';
const PINNED_SHMEM = 't mmap p shmem 1\nt write p\nt pipe x\nt vmsplice p x';

describe('§16.2 (a) 6.12 anon page + one FOLL_GET reference (vmsplice) under move_pages', () => {
  it('no freeze: unmap -1 / remap +1, dst allocated and freed twice (ASYNC, SYNC), putback', () => {
    // try_to_migrate_one() marks the folio dirty from the PTE (6.12 mm/rmap.c:2203), as the real
    // 6.12 migration_blocked trace shows on its pinned anon pages (locked|...|dirty|swapbacked)
    const L = 'locked|referenced|uptodate|dirty|swapbacked';
    expect(rows('6.12', PINNED_ANON, 't migrate p')).toEqual([
      `P M 1 - 3 0 referenced|uptodate|owner_2|swapbacked`, // folio_isolate_lru
      'D1 S 1 - 1 -1 none',
      `P T -1 0 2 -1 ${L}`, // try_to_migrate_one
      `P M 1 - 3 -1 ${L}`, // undo: remove_migration_ptes(P, P)
      'D1 T -1 1 0 -1 none',
      'D1 S 1 - 1 -1 none', // the SYNC batch reuses the freed pfn
      `P T -1 0 2 -1 ${L}`,
      `P M 1 - 3 -1 ${L}`,
      'D1 T -1 1 0 -1 none',
      `P M 1 - 4 0 referenced|uptodate|dirty|owner_2|swapbacked`, // folio_putback_lru -> folio_add_lru
      `P T -1 0 3 0 referenced|uptodate|dirty|lru|owner_2|swapbacked`, // drained at once: lru_cache_disable()
      `P T -1 0 2 0 referenced|uptodate|dirty|lru|owner_2|swapbacked`, // the isolation reference
    ]);
  });
});

describe('§16.2 (b) page-cache (shmem) page, mapped once, + one extra reference, move_pages', () => {
  const F0 = 'P F 2 0 3 0 locked|referenced|uptodate|dirty|swapbacked';
  it('6.1: 10 × freeze val=2 ret=0 count=3, each inside an unmap/remap pair', () => {
    const r = rows('6.1', PINNED_SHMEM, 't migrate p');
    // 6.1 add_page_for_migration: follow_page(FOLL_GET) +1, isolate_lru_page +1, put_page -1
    expect(r.slice(0, 3)).toEqual([
      'P M 1 - 4 1 referenced|uptodate|dirty|lru|swapbacked',
      'P M 1 - 5 1 referenced|uptodate|dirty|swapbacked',
      'P T -1 0 4 1 referenced|uptodate|dirty|swapbacked',
    ]);
    const pass = [
      'D1 S 1 - 1 0 none',
      'P T -1 0 3 0 locked|referenced|uptodate|dirty|swapbacked',
      F0,
      'P M 1 - 4 0 locked|referenced|uptodate|dirty|swapbacked',
      'D1 T -1 1 0 0 none',
    ];
    expect(r.slice(3, 53)).toEqual(Array.from({ length: 10 }, () => pass).flat());
    expect(r.slice(53)).toEqual([
      'P M 1 - 5 1 referenced|uptodate|dirty|swapbacked',
      'P T -1 0 4 1 referenced|uptodate|dirty|lru|swapbacked',
      'P T -1 0 3 1 referenced|uptodate|dirty|lru|swapbacked',
    ]);
  });
  it('6.12: the precheck fails silently, no freeze; one unmap/undo per batch (ASYNC, SYNC)', () => {
    const L = 'locked|referenced|uptodate|dirty|swapbacked';
    const batch = ['D1 S 1 - 1 -1 none', `P T -1 0 3 -1 ${L}`, `P M 1 - 4 -1 ${L}`, 'D1 T -1 1 0 -1 none'];
    expect(rows('6.12', PINNED_SHMEM, 't migrate p')).toEqual([
      'P M 1 - 4 0 referenced|uptodate|dirty|swapbacked',
      ...batch,
      ...batch,
      'P M 1 - 5 0 referenced|uptodate|dirty|swapbacked',
      'P T -1 0 4 0 referenced|uptodate|dirty|lru|swapbacked',
      'P T -1 0 3 0 referenced|uptodate|dirty|lru|swapbacked',
    ]);
  });
});

describe('§16.2 (c) successful migration of a page-cache page mapped once (compaction)', () => {
  // dst is locked from migrate_folio_unmap's folio_trylock(dst) until after the remap (6.12
  // mm/migrate.c:1289/:1403), as in the real 6.12 migration_blocked trace (cache ref flags=locked,
  // lru and remap flags=locked|uptodate, the put after folio_unlock). On a fresh machine the free
  // scanner finds nothing it may take (whole free pageblocks, suitable_migration_target(), and the
  // migrate scanner's own block), so q's 1024 pages, touched and unmapped, leave free buddy
  // pages above p's pageblock: the free scanner isolates one 32-page block of them.
  const FRAGMENTED = 't mmap p shmem 1\nt write p\nt mmap q anon 1024\nt write q\nt munmap q';
  const L = 'locked|uptodate|dirty|swapbacked';
  it('6.12: freeze val=2 ret=1, dst gets the cache ref, unfreeze val=1, src freed; the rest of the block released', () => {
    expect(rows('6.12', FRAGMENTED, 't compact')).toEqual([
      'P U 1 1 3 0 uptodate|dirty|lru|swapbacked', // isolate_migratepages_block
      'D1 S 1 - 1 -1 none', // compaction_alloc: the first page of the isolated block, split
      `P T -1 0 2 -1 ${L}`,
      `P F 2 1 0 -1 ${L}`,
      'D1 M 1 - 2 -1 locked', // folio_ref_add(newfolio, nr): the cache reference
      'P Z 1 - 1 -1 locked|uptodate|swapbacked', // PG_dirty moved to dst while frozen (:570)
      `D1 M 1 - 3 -1 ${L}`, // folio_add_lru (batched)
      `D1 M 1 - 4 -1 ${L}`, // remove_migration_ptes(src, dst)
      'D1 T -1 0 3 0 uptodate|dirty|swapbacked', // folio_put(dst) after folio_unlock(dst)
      'P T -1 1 0 -1 uptodate|swapbacked', // migrate_folio_done
      // release_free_list(): the split-off halves of order 0..4, each mark_allocated + __free_pages
      ...['D2', 'D3', 'D4', 'D5', 'D6'].flatMap((d) => [`${d} S 1 - 1 -1 none`, `${d} T -1 1 0 -1 none`]),
    ]);
  });
  it('6.1: the 32 pages refcounted at isolation (split_map_pages), dst drained at once, 31 freed at the end', () => {
    const free = Array.from({ length: 32 }, (_, i) => `D${i + 1}`);
    expect(rows('6.1', FRAGMENTED, 't compact')).toEqual([
      'P U 1 1 3 1 uptodate|dirty|lru|swapbacked',
      ...free.map((d) => `${d} S 1 - 1 0 none`), // post_alloc_hook + split_page, in pfn order
      `P T -1 0 2 0 ${L}`,
      `P F 2 1 0 0 ${L}`,
      'D32 M 1 - 2 0 locked', // compaction_alloc hands out the last page first
      'P Z 1 - 1 0 locked|uptodate|swapbacked', // PG_dirty moved to dst while frozen (:437)
      `D32 M 1 - 3 0 ${L}`, // folio_add_lru
      'D32 T -1 0 2 0 locked|uptodate|dirty|lru|swapbacked', // lru_add_drain(): page_was_mapped (6.1 :1212)
      'D32 M 1 - 3 0 locked|uptodate|dirty|lru|swapbacked', // remove_migration_ptes(src, dst)
      'D32 T -1 0 2 1 uptodate|dirty|lru|swapbacked', // folio_put(dst)
      'P T -1 1 0 0 uptodate|swapbacked',
      ...free
        .slice(0, 31)
        .reverse()
        .map((d) => `${d} T -1 1 0 0 none`), // release_freepages: __free_page, list order
    ]);
  });
});

describe('§16.3 short sequences', () => {
  it.each(['6.1', '6.12'] as const)(
    '%s: reclaim of a clean page-cache page ends frozen (freeze val=2 ret=1, no further event)',
    (v) => {
      // MADV_PAGEOUT isolates with folio_isolate_lru (folio_get: M +1), not isolate_lru_folios'
      // folio_try_get (U +1) of the reference's LRU-scan reclaim, and must unmap (T -1) first; the
      // real migration_blocked traces (MADV_PAGEOUT of /dev/vda) show exactly M +1, T -1, F ret=1.
      const unm = v === '6.12' ? -1 : 0;
      const fl = v === '6.1' ? 'uptodate|mappedtodisk' : 'uptodate'; // 6.1 mpage_readahead
      expect(rows(v, 't mmap p file 1\nt read p', 't reclaim p')).toEqual([
        `P M 1 - 3 ${unm + 1} ${fl}`,
        `P T -1 0 2 ${unm} locked|${fl}`,
        `P F 2 1 0 ${unm} locked|${fl}`,
      ]);
    },
  );
  it.each(['6.1', '6.12'] as const)(
    '%s: drop_caches of an unmapped clean page: U+1, F 2 ret=1, Z 1, T-1 ret=1',
    (v) => {
      const unm = v === '6.12' ? -1 : 0;
      const fl = v === '6.1' ? 'referenced|uptodate|lru|mappedtodisk' : 'referenced|uptodate|lru';
      expect(rows(v, 't mmap p file 1\nt fread p', 't drop_caches')).toEqual([
        `P U 1 1 2 ${unm} ${fl}`,
        `P F 2 1 0 ${unm} locked|${fl}`,
        `P Z 1 - 1 ${unm} locked|${fl}`,
        `P T -1 1 0 ${unm} ${fl}`,
      ]);
    },
  );
  it.each(['6.1', '6.12'] as const)(
    '%s: drop_caches of a dirty tmpfs page: U+1, deactivate_file_folio M+1, its drain T-1 (reclaim, not referenced), T-1',
    (v) => {
      // the real 6.1 soak trace shows exactly these four on /tmp/soak.N in the next pass's drop_caches
      const unm = v === '6.12' ? -1 : 0;
      const before = 'referenced|uptodate|dirty|lru|swapbacked';
      const after = 'uptodate|dirty|lru|reclaim|swapbacked';
      expect(rows(v, 't open f shmem 1\nt fwrite f', 't drop_caches')).toEqual([
        `P U 1 1 2 ${unm} ${before}`, // find_lock_entries
        `P M 1 - 3 ${unm} ${before}`, // mapping_evict_folio refused it (dirty): deactivate_file_folio
        `P T -1 0 2 ${unm} ${after}`, // folio_batch_release: lru_add_drain -> lru_deactivate_file
        `P T -1 0 1 ${unm} ${after}`, // folios_put
      ]);
    },
  );
  it.each(['6.1', '6.12'] as const)(
    '%s: drop_caches of a mapped page: deactivated in name only (lru_deactivate_file skips a mapped folio)',
    (v) => {
      const m = v === '6.12' ? 0 : 1;
      const fl = 'uptodate|dirty|lru|swapbacked';
      expect(rows(v, 't mmap p shmem 1\nt write p', 't drop_caches')).toEqual([
        `P U 1 1 3 ${m} ${fl}`,
        `P M 1 - 4 ${m} ${fl}`,
        `P T -1 0 3 ${m} ${fl}`,
        `P T -1 0 2 ${m} ${fl}`,
      ]);
    },
  );
  it.each([
    ['6.1', 15],
    ['6.12', 31],
  ] as const)(
    '%s: drop_caches of PAGEVEC_SIZE + 1 (%i + 1) dirty pages: the batch of deactivations drains when full, inside deactivate_file_folio',
    (v, size) => {
      const text = `machine cpus=1\ntask t comm=t cpu=0\nt open f shmem ${size + 1}\nt fwrite f\ndrain\ncheckpoint go\nt drop_caches\n`;
      const r = runScenario(parseScenario(text, 'sequence'), traceProfile(v));
      const after = r.events.slice(r.checkpoints.get('go')!.at);
      const count = (...frames: string[]) => countWithFrames(after, ...frames);
      expect(after).toHaveLength(4 * (size + 1));
      // the first find_lock_entries batch: its deactivations fill the lru_deactivate_file batch
      expect(count('folio_batch_move_lru', 'deactivate_file_folio')).toBe(size);
      // the second batch's one folio is drained by its folio_batch_release's lru_add_drain
      expect(count('folio_batch_move_lru', 'lru_add_drain_cpu')).toBe(1);
      // the frames of the real 6.1 soak stack run (invalidate_mapping_pagevec under drop_pagecache_sb)
      const loop = v === '6.1' ? 'invalidate_mapping_pagevec' : 'mapping_try_invalidate';
      expect(count('find_get_entry', 'find_lock_entries', loop, 'drop_pagecache_sb')).toBe(size + 1);
    },
  );
  it('fault-around of a cached page: 6.12 U+1, M+1, T-1; 6.1 U+1 only (the try_get ref goes to the PTE)', () => {
    // the folio_ref_inc comes under next_uptodate_folio's folio_trylock, as in the real file_mmap traces
    expect(rows('6.12', 't mmap p file 1\nt fread p', 't read p')).toEqual([
      'P U 1 1 2 -1 referenced|uptodate|lru',
      'P M 1 - 3 0 locked|referenced|uptodate|lru',
      'P T -1 0 2 0 referenced|uptodate|lru',
    ]);
    expect(rows('6.1', 't mmap p file 1\nt fread p', 't read p')).toEqual([
      'P U 1 1 2 0 referenced|uptodate|lru|mappedtodisk',
    ]);
  });
  it.each(['6.1', '6.12'] as const)('%s: pin_user_pages_fast + unpin: U+1, M+1023, T-1024', (v) => {
    const [m, fl] = v === '6.12' ? [0, 'owner_2'] : [1, 'mappedtodisk'];
    const F = `uptodate|lru|${fl}|swapbacked`;
    expect(rows(v, 't mmap p anon 1\nt write p', 't pin p\nt unpin p')).toEqual([
      `P U 1 1 2 ${m} ${F}`,
      `P M 1023 - 1025 ${m} ${F}`,
      `P T -1024 0 1 ${m} referenced|${F}`, // GUP-fast's folio_set_referenced after the grab
    ]);
  });
});
