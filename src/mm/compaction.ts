/**
 * Manual compaction (mm/compaction.c, /proc/sys/vm/compact_memory -> compact_nodes): drain every
 * CPU's batches, then the migrate scanner walks the zone by pfn, isolating LRU folios
 * (get_page_unless_zero / folio_get_nontail_page: mod_unless +1; an anon folio without mapping
 * whose refcount - 1 exceeds its mapcount is pinned: put back at once, -1) in batches of
 * COMPACT_CLUSTER_MAX for migrate_pages. The free scanner is not modelled: targets come from the
 * page allocator (no isolate_freepages / release_free_list events).
 */
import { PageAnon, folio_mapcount } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_put, get_page_unless_zero } from '../kernel/mm_ref.js';
import { folio_ref_count } from '../kernel/page_ref.js';
import { migrate_pages, putback_movable_pages, type MigrateCtx } from './migrate.js';
import { mmcache } from './mm_cache.js';
import { called } from './stack.js';
import { lru_add_drain, lru_add_drain_all } from './swap.js';

/** include/linux/swap.h SWAP_CLUSTER_MAX = COMPACT_CLUSTER_MAX */
const COMPACT_CLUSTER_MAX = 32;

/**
 * isolate_migratepages_block() (6.12 :870; 6.1 :833) for one pfn: the reference first, then the
 * pinned-anon test (6.12 :1120 folio_ref_count - 1 > folio_mapcount; 6.1 :1001 with
 * total_mapcount), then folio_test_clear_lru.
 */
function isolate_migratepage(k: Kernel, pfn: Pfn): boolean {
  const f = mmcache(k).f;
  if (!f.folio_test_lru(pfn) || !get_page_unless_zero(k, pfn)) return false;
  const pinned = PageAnon(k, pfn) && folio_ref_count(k, pfn) - 1 > folio_mapcount(k, pfn);
  if (pinned || !f.folio_test_clear_lru(pfn)) {
    folio_put(k, pfn);
    return false;
  }
  return true;
}

/** compact_zone() for the whole zone, pfns [start, end) */
export function compact_nodes(k: Kernel, ctx: MigrateCtx, nrCpus: number, start: Pfn, end: Pfn): void {
  called(k, 'sysctl_compaction_handler', () =>
    called(k, 'compact_node', () => compact_zone(k, ctx, nrCpus, start, end)),
  );
}

/** compact_zone() (mm/compaction.c): drain, isolate LRU folios in batches, migrate, put back */
function compact_zone(k: Kernel, ctx: MigrateCtx, nrCpus: number, start: Pfn, end: Pfn): void {
  called(k, 'compact_zone', () => {
    lru_add_drain_all(k, nrCpus);
    lru_add_drain(k);
    let batch: Pfn[] = [];
    const flush = () => {
      putback_movable_pages(k, migrate_pages(k, ctx, batch));
      batch = [];
    };
    // the folios on the LRU when the scan starts: migration targets are not scanned again
    const lru = 1 << k.profile.bits.get('lru')!;
    const candidates: Pfn[] = [];
    for (let pfn = start; pfn < end; pfn++) if (k.mem.flagsLo[pfn] & lru) candidates.push(pfn);
    for (const pfn of candidates) {
      if (!called(k, 'isolate_migratepages_block', () => isolate_migratepage(k, pfn))) continue;
      batch.push(pfn);
      if (batch.length === COMPACT_CLUSTER_MAX) flush();
    }
    if (batch.length) flush();
  });
}
