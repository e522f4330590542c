/**
 * Writeback state of a folio (mm/page-writeback.c __folio_start_writeback / __folio_end_writeback,
 * mm/filemap.c folio_end_writeback): PG_writeback holds no reference of its own; the end of
 * writeback takes one around the wake-up, and rotates a folio reclaim marked PG_reclaim to the
 * tail of the inactive list (folio_rotate_reclaimable).
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_get, folio_put } from '../kernel/mm_ref.js';
import { mmcache } from './mm_cache.js';
import { called } from './stack.js';
import { folio_rotate_reclaimable } from './swap.js';

/** folio_start_writeback() -> __folio_start_writeback(): PG_writeback set, no reference */
export function folio_start_writeback(k: Kernel, folio: Pfn): void {
  mmcache(k).f.folio_test_set_writeback(folio);
}

/**
 * folio_end_writeback() (6.12 mm/filemap.c:1602; 6.1 the same): PG_reclaim -> cleared and
 * folio_rotate_reclaimable(); folio_get (+1), __folio_end_writeback (PG_writeback cleared),
 * folio_wake_bit, folio_put (-1).
 */
export function folio_end_writeback(k: Kernel, folio: Pfn): void {
  called(k, 'folio_end_writeback', () => {
    const f = mmcache(k).f;
    if (!f.folio_test_writeback(folio))
      throw new Error(`folio_end_writeback: pfn 0x${folio.toString(16)} is not under writeback`);
    if (f.folio_test_reclaim(folio)) {
      f.folio_clear_reclaim(folio);
      folio_rotate_reclaimable(k, folio);
    }
    folio_get(k, folio);
    f.folio_test_clear_writeback(folio);
    folio_put(k, folio);
  });
}

/**
 * folio_mark_dirty() (6.12 mm/page-writeback.c:2891; 6.1 :2753) of a folio with a mapping (swap
 * cache, tmpfs, block device: the ones reclaim's page-table scans meet): PG_reclaim cleared, then
 * ->dirty_folio (noop_dirty_folio, block_dirty_folio) sets PG_dirty; no reference
 */
export function folio_mark_dirty(k: Kernel, folio: Pfn): void {
  const f = mmcache(k).f;
  f.folio_clear_reclaim(folio);
  f.folio_set_dirty(folio);
}
