/**
 * Memory compaction (mm/compaction.c) as `echo 1 > /proc/sys/vm/compact_memory` drives it:
 * compact_nodes() drains every CPU's LRU batches, then compact_node() runs compact_zone() on the
 * zone with cc.order = -1 (is_via_compact_memory: no suitability, watermark or capture checks),
 * MIGRATE_SYNC, skip hints ignored, the whole zone. The migrate scanner walks pageblocks up from
 * the zone start isolating LRU folios (isolate_migratepages_block); the free scanner walks
 * pageblocks down from the zone end taking free buddy blocks (isolate_freepages_block); compaction
 * ends where they meet. migrate_pages() takes its destinations from the isolated free pages
 * (compaction_alloc) and gives unused ones back (compaction_free); the free pages left at the end
 * go back to the buddy. How the isolated free pages are held, and so when they get their
 * refcount, is the profile's `compaction.freepages`. Pageblock skip bits are not modelled: this
 * caller ignores them (ignore_skip_hint), and nothing else reads them here.
 */
import {
  PageAnon,
  PageCompound,
  PageHead,
  folio_mapcount,
  folio_order,
  folio_test_large,
  prep_compound_page,
} from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import { PAGEBLOCK_ORDER, type Pfn } from '../kernel/mem_map.js';
import { folio_put, get_page_unless_zero, put_page_testzero } from '../kernel/mm_ref.js';
import { folio_ref_count } from '../kernel/page_ref.js';
import {
  ENOMEM,
  migrate_pages,
  putback_movable_pages,
  type MigrateCtx,
  type MigrationTarget,
} from './migrate.js';
import { lruvec_del_folio } from './lru.js';
import { mmcache } from './mm_cache.js';
import {
  MIGRATE_CMA,
  MIGRATE_MOVABLE,
  PageBuddy,
  __free_pages,
  __isolate_free_page,
  buddy_order,
  free_pages_prepare,
  get_pageblock_migratetype,
  post_alloc_hook,
  set_page_refcounted,
  split_page,
  zoneOf,
  type Zone,
} from './page_alloc.js';
import { called } from './stack.js';
import { lru_add_drain, lru_add_drain_all } from './swap.js';

/** include/linux/swap.h SWAP_CLUSTER_MAX = COMPACT_CLUSTER_MAX */
const COMPACT_CLUSTER_MAX = 32;
const PAGEBLOCK_NR_PAGES = 1 << PAGEBLOCK_ORDER;

const pageblock_start_pfn = (pfn: Pfn): Pfn => pfn - (pfn % PAGEBLOCK_NR_PAGES);
const pageblock_end_pfn = (pfn: Pfn): Pfn => pageblock_start_pfn(pfn) + PAGEBLOCK_NR_PAGES;

/** struct compact_control, reduced to what compact_memory uses */
interface CompactControl {
  readonly zone: Zone;
  readonly ctx: MigrateCtx;
  migrate_pfn: Pfn;
  free_pfn: Pfn;
  nr_migratepages: number;
  nr_freepages: number;
  /** cc->migratepages, head first: isolate_migratepages_block list_add()s, so the last isolated leads */
  migratepages: Pfn[];
  /** cc->freepages[order], head first (6.1: one list, [0]) */
  readonly freepages: Pfn[][];
  finish_pageblock: boolean;
}

/**
 * compact_nodes() (6.12 mm/compaction.c:2926, inlined into sysctl_compaction_handler; 6.1 :2699):
 * lru_add_drain_all(), then compact_node() of every node: the model's one zone.
 */
export function compact_nodes(k: Kernel, ctx: MigrateCtx, nrCpus: number): void {
  called(k, 'ksys_write', () =>
    called(k, 'vfs_write', () =>
      called(k, 'proc_sys_call_handler', () =>
        called(k, 'sysctl_compaction_handler', () => {
          lru_add_drain_all(k, nrCpus);
          const zone = zoneOf(k);
          const cc: CompactControl = {
            zone,
            ctx,
            migrate_pfn: zone.start,
            free_pfn: zone.end,
            nr_migratepages: 0,
            nr_freepages: 0,
            migratepages: [],
            freepages: Array.from({ length: zone.maxOrder + 1 }, () => []),
            finish_pageblock: false,
          };
          called(k, 'compact_node', () => compact_zone(k, cc));
        }),
      ),
    ),
  );
}

/** compact_scanners_met(): the free scanner reached the migrate scanner's pageblock or a lower one */
function compact_scanners_met(cc: CompactControl): boolean {
  return cc.free_pfn >>> PAGEBLOCK_ORDER <= cc.migrate_pfn >>> PAGEBLOCK_ORDER;
}

/**
 * compact_zone() (6.12 :2509; 6.1 :2290) for the whole zone: lru_add_drain(), then until the
 * scanners meet (__compact_finished: COMPACT_COMPLETE; compact_memory never stops earlier): isolate,
 * migrate, put back what failed; -ENOMEM before the scanners met ends it (COMPACT_CONTENDED). A
 * pass that starts in the pageblock the last migration came from takes the rest of that block at
 * once (finish_pageblock, 6.1 cc->rescan), not COMPACT_CLUSTER_MAX. last_migrated_pfn is the block
 * of the last isolated pfn (6.12 :2637); 6.1's iteration_start_pfn (:2407) names the same block,
 * since compact_memory's isolate_migratepages() scans one pageblock per call.
 */
function compact_zone(k: Kernel, cc: CompactControl): void {
  called(k, 'compact_zone', () => {
    const zone = cc.zone;
    cc.migrate_pfn = zone.start;
    cc.free_pfn = pageblock_start_pfn(zone.end - 1);
    lru_add_drain(k);
    const target = compaction_target(cc);
    let last_migrated_pfn = 0;
    while (!compact_scanners_met(cc)) {
      cc.finish_pageblock = pageblock_start_pfn(last_migrated_pfn) === pageblock_start_pfn(cc.migrate_pfn);
      if (!isolate_migratepages(k, cc)) continue;
      last_migrated_pfn = Math.max(zone.start, pageblock_start_pfn(cc.migrate_pfn - 1));
      const { rc, left } = migrate_pages(k, cc.ctx, cc.migratepages, target);
      cc.migratepages = [];
      cc.nr_migratepages = 0;
      if (!rc) continue;
      putback_movable_pages(k, left);
      if (rc === -ENOMEM && !compact_scanners_met(cc)) break;
    }
    if (cc.nr_freepages > 0) release_free_pages(k, cc);
  });
}

/**
 * isolate_migratepages() (6.12 :2080): from cc->migrate_pfn, the first pageblock before the free
 * scanner (every block is suitable for compact_memory: no skip hints, MIGRATE_SYNC is not async
 * direct compaction) goes to isolate_migratepages_block(). True when something was isolated.
 */
function isolate_migratepages(k: Kernel, cc: CompactControl): boolean {
  const block_end_pfn = pageblock_end_pfn(cc.migrate_pfn);
  if (block_end_pfn <= cc.free_pfn) isolate_migratepages_block(k, cc, cc.migrate_pfn, block_end_pfn);
  return cc.nr_migratepages > 0;
}

/**
 * isolate_migratepages_block() (6.12 :870; 6.1 :786) over [low_pfn, end_pfn): free buddy blocks
 * are stepped over; compound pages per the profile (6.12 skip_isolation_on_order: order >=
 * pageblock_order for compact_memory; 6.1: every one); a page not on the LRU is skipped (the model
 * has no non-LRU movable pages: the real traces' isolate_movable_page false positives on slab
 * pages are outside it); then folio_get_nontail_page() / get_page_unless_zero() (mod_unless +1),
 * the pinned-anon test (6.12 :1120 folio_ref_count - 1 > folio_mapcount without a mapping; 6.1
 * :1001 with total_mapcount), PG_lru again, folio_test_clear_lru and lruvec_del_folio; a failed test
 * puts the reference back (isolate_fail_put, -1). Stops after COMPACT_CLUSTER_MAX unless finishing the pageblock.
 */
function isolate_migratepages_block(k: Kernel, cc: CompactControl, low_pfn: Pfn, end_pfn: Pfn): void {
  called(k, 'isolate_migratepages_block', () => {
    const f = mmcache(k).f;
    const skipAll = k.profile.facts.compaction.skipCompound === 'all';
    for (; low_pfn < end_pfn; low_pfn++) {
      if (PageBuddy(k, low_pfn)) {
        const order = buddy_order(k, low_pfn);
        if (order > 0 && order <= cc.zone.maxOrder) low_pfn += (1 << order) - 1;
        continue;
      }
      if (PageCompound(k, low_pfn)) {
        const order = PageHead(k, low_pfn) ? folio_order(k, low_pfn) : 0;
        if (skipAll || order >= PAGEBLOCK_ORDER) {
          low_pfn += (1 << order) - 1;
          continue;
        }
      }
      if (!f.folio_test_lru(low_pfn) || !get_page_unless_zero(k, low_pfn)) continue;
      const folio = low_pfn;
      const mapping = PageAnon(k, folio) ? 0 : k.mem.mapping[folio];
      const pinned = !mapping && folio_ref_count(k, folio) - 1 > folio_mapcount(k, folio);
      if (pinned || !f.folio_test_lru(folio) || !f.folio_test_clear_lru(folio)) {
        called(k, 'page_ref_dec_and_test', () => folio_put(k, folio));
        continue;
      }
      lruvec_del_folio(k, folio); // 6.12 :1236: off its list under the lru_lock (6.1 :1091 del_page_from_lru_list)
      if (folio_test_large(k, folio)) low_pfn += (1 << folio_order(k, folio)) - 1;
      cc.migratepages.unshift(folio);
      cc.nr_migratepages += 1 << folio_order(k, folio);
      if (cc.nr_migratepages >= COMPACT_CLUSTER_MAX && !cc.finish_pageblock) {
        low_pfn++;
        break;
      }
    }
    cc.migrate_pfn = Math.min(low_pfn, end_pfn);
  });
}

/**
 * suitable_migration_target() (6.12 :1415; 6.1 the same): not a block whose first page starts a
 * free block of pageblock order or more (cc->order <= 0), and a MOVABLE or CMA pageblock
 */
function suitable_migration_target(k: Kernel, page: Pfn): boolean {
  if (PageBuddy(k, page) && buddy_order(k, page) >= PAGEBLOCK_ORDER) return false;
  const mt = get_pageblock_migratetype(k, page);
  return mt === MIGRATE_MOVABLE || mt === MIGRATE_CMA;
}

/**
 * isolate_freepages() (6.12 :1713; 6.1 :1559): fast_isolate_freepages() returns at once for a
 * negative order; then pageblock by pageblock down from cc->free_pfn to the migrate scanner's
 * block, each suitable one through isolate_freepages_block() until cc->nr_freepages covers
 * cc->nr_migratepages. MIGRATE_SYNC starts with stride 1; a block that gave nothing doubles it
 * (up to COMPACT_CLUSTER_MAX), one that gave something resets it. Where it stopped is the next
 * start (the block below when this one was used up). 6.1 then split_map_pages().
 */
function isolate_freepages(k: Kernel, cc: CompactControl): void {
  const zone = cc.zone;
  let isolate_start_pfn = cc.free_pfn;
  let block_start_pfn = pageblock_start_pfn(isolate_start_pfn);
  let block_end_pfn = Math.min(block_start_pfn + PAGEBLOCK_NR_PAGES, zone.end);
  const low_pfn = pageblock_end_pfn(cc.migrate_pfn);
  let stride = 1;
  for (
    ;
    block_start_pfn >= low_pfn;
    block_end_pfn = block_start_pfn,
      block_start_pfn -= PAGEBLOCK_NR_PAGES,
      isolate_start_pfn = block_start_pfn
  ) {
    // pageblock_pfn_to_page(): a block reaching below the zone has no page for it
    if (block_start_pfn < zone.start || !suitable_migration_target(k, block_start_pfn)) continue;
    const [next, nr_isolated] = isolate_freepages_block(k, cc, isolate_start_pfn, block_end_pfn, stride);
    isolate_start_pfn = next;
    if (cc.nr_freepages >= cc.nr_migratepages) {
      if (isolate_start_pfn >= block_end_pfn) isolate_start_pfn = block_start_pfn - PAGEBLOCK_NR_PAGES;
      break;
    } else if (isolate_start_pfn < block_end_pfn) break;
    stride = nr_isolated ? 1 : Math.min(COMPACT_CLUSTER_MAX, stride << 1);
  }
  cc.free_pfn = isolate_start_pfn;
  if (k.profile.facts.compaction.freepages === 'split_at_isolation') split_map_pages(k, cc);
}

/**
 * isolate_freepages_block() (6.12 :589; 6.1 :541), not strict: every stride-th pfn; a compound
 * page is stepped over, a PageBuddy block taken off the buddy whole (__isolate_free_page), its
 * order kept in page_private, added at the tail of cc->freepages[order] (6.1: of the one list);
 * stops once cc->nr_freepages covers cc->nr_migratepages. Returns where it stopped and the
 * pages it isolated.
 */
function isolate_freepages_block(
  k: Kernel,
  cc: CompactControl,
  start_pfn: Pfn,
  end_pfn: Pfn,
  stride: number,
): [Pfn, number] {
  const perOrder = k.profile.facts.compaction.freepages === 'per_order_lists';
  let total = 0;
  let blockpfn = start_pfn;
  for (; blockpfn < end_pfn; blockpfn += stride) {
    if (PageCompound(k, blockpfn)) {
      const order = PageHead(k, blockpfn) ? folio_order(k, blockpfn) : 0;
      if (blockpfn + (1 << order) <= end_pfn) blockpfn += (1 << order) - 1;
      continue;
    }
    if (!PageBuddy(k, blockpfn)) continue;
    const order = buddy_order(k, blockpfn);
    const isolated = __isolate_free_page(k, blockpfn, order);
    k.mem.private_[blockpfn] = order;
    total += isolated;
    cc.nr_freepages += isolated;
    cc.freepages[perOrder ? order : 0].push(blockpfn);
    if (cc.nr_migratepages <= cc.nr_freepages) {
      blockpfn += isolated;
      break;
    }
    blockpfn += isolated - 1;
  }
  return [Math.min(blockpfn, end_pfn), total];
}

/**
 * split_map_pages() (6.1 mm/compaction.c:85): each isolated block post_alloc_hook()ed (page_ref_set
 * 1 on its first page) and split_page()d (page_ref_set 1 on each other page); every page list_add()ed
 * to a new list, so compaction_alloc() hands out the last page first.
 */
function split_map_pages(k: Kernel, cc: CompactControl): void {
  called(k, 'split_map_pages', () => {
    const pages: Pfn[] = [];
    for (const page of cc.freepages[0]) {
      const order = k.mem.private_[page];
      post_alloc_hook(k, page);
      set_page_refcounted(k, page);
      if (order) split_page(k, page, order);
      for (let i = 0; i < 1 << order; i++) pages.unshift(page + i);
    }
    cc.freepages[0] = pages;
  });
}

/** compaction_alloc / compaction_free as migrate_pages()' new_folio_t / free_folio_t */
function compaction_target(cc: CompactControl): MigrationTarget {
  return {
    get_new_folio: (k, src) => called(k, 'compaction_alloc', () => compaction_alloc(k, cc, src)),
    put_new_folio: (k, dst) => called(k, 'compaction_free', () => compaction_free(k, cc, dst)),
  };
}

/**
 * compaction_alloc(). 6.12 (:1833): the first non-empty cc->freepages[order..] (isolate_freepages()
 * once when all are empty, then NULL), split down to the source's order (the upper halves to the
 * lower lists' heads), post_alloc_hook + set_page_refcounted (page_ref_set 1), prep_compound_page and
 * page_rmappable_folio (:1878); cc->nr_freepages and cc->nr_migratepages go down; NULL (-1) makes
 * migrate_pages split a large source. 6.1 (:1676): the head of the one list of
 * refcounted order-0 pages, isolate_freepages() when it is empty, NULL if still empty.
 */
function compaction_alloc(k: Kernel, cc: CompactControl, src: Pfn): Pfn {
  if (k.profile.facts.compaction.freepages === 'split_at_isolation') {
    if (!cc.freepages[0].length) isolate_freepages(k, cc);
    const page = cc.freepages[0].shift();
    if (page === undefined) return -1;
    cc.nr_freepages--;
    return page;
  }
  const order = folio_order(k, src);
  for (let isolated = false; ; isolated = true) {
    let start_order = order;
    while (start_order <= cc.zone.maxOrder && !cc.freepages[start_order].length) start_order++;
    if (start_order > cc.zone.maxOrder) {
      if (isolated) return -1;
      isolate_freepages(k, cc);
      continue;
    }
    const page = cc.freepages[start_order].shift()!;
    while (start_order > order) {
      start_order--;
      cc.freepages[start_order].unshift(page + (1 << start_order));
      k.mem.private_[page + (1 << start_order)] = start_order;
    }
    post_alloc_hook(k, page);
    set_page_refcounted(k, page);
    if (order) {
      prep_compound_page(k, page, order);
      mmcache(k).f.folio_set_large_rmappable?.(page); // page_rmappable_folio()
    }
    cc.nr_freepages -= 1 << order;
    cc.nr_migratepages -= 1 << order;
    return page;
  }
}

/**
 * compaction_free(): a destination migration did not use. 6.12 (:1891): folio_put_testzero (-1, to
 * 0) and free_pages_prepare(), back at the head of cc->freepages[order]; cc->nr_migratepages goes
 * up again. 6.1 (:1701): back on the list as it is, still refcounted, no event.
 */
function compaction_free(k: Kernel, cc: CompactControl, dst: Pfn): void {
  const order = folio_order(k, dst);
  if (k.profile.facts.compaction.freepages === 'split_at_isolation') {
    cc.freepages[0].unshift(dst);
    cc.nr_freepages++;
    return;
  }
  if (called(k, 'page_ref_dec_and_test', () => put_page_testzero(k, dst))) {
    free_pages_prepare(k, dst, order);
    cc.freepages[order].unshift(dst);
    cc.nr_freepages += 1 << order;
  }
  cc.nr_migratepages += 1 << order;
}

/**
 * The free pages still isolated when compact_zone() ends go back to the buddy. 6.12
 * release_free_list() (:91): per order, mark_allocated() (page_ref_set 1) then __free_pages()
 * (-1, freed); 6.1 release_freepages() (:69): __free_page() of each refcounted page (-1, freed).
 */
function release_free_pages(k: Kernel, cc: CompactControl): void {
  const split = k.profile.facts.compaction.freepages === 'split_at_isolation';
  called(k, split ? 'release_freepages' : 'release_free_list', () => {
    cc.freepages.forEach((list, order) => {
      for (const page of list) {
        if (!split) {
          post_alloc_hook(k, page);
          set_page_refcounted(k, page);
        }
        __free_pages(k, page, order);
      }
      list.length = 0;
    });
    cc.nr_freepages = 0;
  });
}
