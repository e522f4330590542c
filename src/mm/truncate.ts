/**
 * Truncation of a whole file's page cache (mm/truncate.c truncate_inode_pages_range; shmem's
 * shmem_undo_range does the same per folio): what a tmpfs file's eviction after its last unlink
 * and close (shmem_evict_inode) and a block device's last close (kill_bdev) run. Per
 * find_lock_entries batch (PAGEVEC_SIZE folios: try_get +1, lock), per folio
 * truncate_inode_folio -> filemap_remove_folio (mapping NULL, PG_dirty and PG_mappedtodisk
 * cleared) -> filemap_free_folio: folio_put_refs(nr) (-nr), unlock; then folio_batch_release:
 * lru_add_drain + folios_put (-1, ret=1 frees it). Unmapped folios only.
 */
import { folio_mapped } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_put_refs } from '../kernel/mm_ref.js';
import { find_lock_entries } from './filemap.js';
import { mmcache } from './mm_cache.js';
import { NotModelled } from './not_modelled.js';
import type { AddressSpace } from './mm_types.js';
import { called } from './stack.js';
import { folio_batch_release } from './swap.js';

export function truncate_inode_pages(k: Kernel, mapping: AddressSpace): void {
  called(k, 'truncate_inode_pages_range', () => {
    const f = mmcache(k).f;
    for (let index = 0; index < mapping.pages.length;) {
      const batch: Pfn[] = [];
      index = find_lock_entries(k, mapping, index, batch);
      for (const folio of batch) {
        if (folio_mapped(k, folio))
          throw new NotModelled(`${mapping.name}: truncating a mapped page is not modelled (munmap first)`);
        called(k, 'truncate_inode_folio', () => {
          f.folio_clear_dirty(folio);
          k.mem.flagsLo[folio] &= ~mmcache(k).anonExclusive; // truncate_cleanup_folio: PG_mappedtodisk
          mapping.pages[k.mem.index[folio]] = -1;
          k.mem.mapping[folio] = 0;
          called(k, 'filemap_free_folio', () => folio_put_refs(k, folio, 1));
        });
        f.__folio_clear_locked(folio);
      }
      folio_batch_release(k, batch);
    }
  });
}
