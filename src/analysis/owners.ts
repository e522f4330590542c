/**
 * Who a page reference belongs to, from the stack of the event that took or dropped it. Gets and
 * puts of one owner happen in different functions (the page cache's reference is taken in
 * __filemap_add_folio and dropped by __remove_mapping's freeze or filemap_free_folio), so each
 * rule names the kernel function whose frame identifies the owner, the direction it applies to,
 * and where the kernel does it (reference: kernel-mm-flows.md §3, §8-§11, §14; 6.1 and 6.12).
 *
 * Matching: frames are scanned innermost first, skipping the generic helpers (folio_put,
 * folios_put_refs, folio_try_get ... say nothing about the owner); the first frame with a rule
 * of the event's direction wins. `within` restricts a rule to stacks that also contain one of
 * those functions further out (vmsplice's GUP reference is the pipe's, a lookup under a fault
 * handler becomes the PTE's). `profiles` restricts a rule to the kernels where it holds.
 */
import type { ProfileName } from '../kernel/profiles/types.js';

export const OWNERS = {
  allocation: 'allocation',
  'page-cache': 'page cache',
  mapping: 'page-table mapping',
  'lru-batch': 'per-CPU LRU batch',
  isolation: 'LRU isolation',
  gup: 'GUP get/pin',
  pipe: 'pipe buffer',
  'swap-cache': 'swap cache',
  private: 'private data (PG_private)',
  migration: 'migration',
  lookup: 'speculative lookup',
  'before-trace': 'taken before the trace started',
  unknown: 'unknown',
} as const;
export type Owner = keyof typeof OWNERS;

export type Direction = 'get' | 'put';

export interface OwnerRule {
  fn: string;
  dir: Direction | 'both';
  owner: Owner;
  /** only when one of these functions is further out in the stack */
  within?: readonly string[];
  profiles?: readonly ProfileName[];
  /** the kernel function and file that takes or drops the reference */
  cite: string;
}

const FAULT = ['filemap_fault', 'shmem_fault', '__do_fault'];
const PIPE_GUP = ['iter_to_pipe', 'vmsplice_to_pipe', '__do_sys_vmsplice'];
const SPLICE_READ = ['generic_file_splice_read', 'splice_direct_to_actor'];

/** Order matters only between rules of the same fn (the first whose `within` holds wins). */
export const OWNER_RULES: readonly OwnerRule[] = [
  // allocation: set_page_refcounted (page_ref_set val=1) is classified by event type
  {
    fn: 'read_pages',
    dir: 'put',
    owner: 'allocation',
    cite: 'readahead_folio() drops the allocation ref, include/linux/pagemap.h',
  },
  {
    fn: 'iomap_readahead',
    dir: 'put',
    owner: 'allocation',
    cite: 'readahead_folio(), fs/iomap/buffered-io.c',
  },
  { fn: 'mpage_readahead', dir: 'put', owner: 'allocation', cite: 'readahead_folio(), fs/mpage.c' },
  { fn: '__free_pages', dir: 'put', owner: 'allocation', cite: '__free_pages(), mm/page_alloc.c' },
  { fn: 'free_large_kmalloc', dir: 'put', owner: 'allocation', cite: 'free_large_kmalloc(), mm/slub.c' },
  {
    fn: 'compaction_free',
    dir: 'put',
    owner: 'allocation',
    cite: 'compaction_free() of an unused target, mm/compaction.c',
  },
  { fn: 'split_map_pages', dir: 'both', owner: 'allocation', cite: '6.1 split_map_pages(), mm/compaction.c' },
  { fn: 'split_page', dir: 'both', owner: 'allocation', cite: 'split_page(), mm/page_alloc.c' },
  { fn: 'prep_new_page', dir: 'both', owner: 'allocation', cite: 'prep_new_page(), mm/page_alloc.c' },
  // page cache: the cache's nr references
  {
    fn: '__filemap_add_folio',
    dir: 'get',
    owner: 'page-cache',
    cite: '__filemap_add_folio() folio_ref_add(nr), mm/filemap.c',
  },
  {
    fn: 'shmem_add_to_page_cache',
    dir: 'get',
    owner: 'page-cache',
    cite: 'shmem_add_to_page_cache() folio_ref_add(nr), mm/shmem.c',
  },
  {
    fn: '__folio_migrate_mapping',
    dir: 'get',
    owner: 'page-cache',
    cite: '6.12 __folio_migrate_mapping() folio_ref_add(dst, nr), mm/migrate.c',
  },
  {
    fn: 'folio_migrate_mapping',
    dir: 'get',
    owner: 'page-cache',
    cite: '6.1 folio_migrate_mapping() folio_ref_add(newfolio, nr), mm/migrate.c',
  },
  {
    fn: 'delete_from_page_cache_batch',
    dir: 'put',
    owner: 'page-cache',
    cite: 'filemap_free_folio() folio_put_refs(nr), mm/filemap.c',
  },
  { fn: 'filemap_free_folio', dir: 'put', owner: 'page-cache', cite: 'filemap_free_folio(), mm/filemap.c' },
  {
    fn: 'filemap_remove_folio',
    dir: 'put',
    owner: 'page-cache',
    cite: 'filemap_remove_folio(), mm/filemap.c',
  },
  {
    fn: 'truncate_inode_folio',
    dir: 'put',
    owner: 'page-cache',
    cite: 'truncate_inode_folio() -> filemap_remove_folio(), mm/truncate.c',
  },
  { fn: 'shmem_delete_from_page_cache', dir: 'put', owner: 'page-cache', cite: 'mm/shmem.c' },
  // per-CPU LRU batches (§14)
  {
    fn: 'folio_batch_move_lru',
    dir: 'both',
    owner: 'lru-batch',
    cite: 'folio_batch_move_lru() -> folios_put(), mm/swap.c',
  },
  {
    fn: '__folio_batch_add_and_move',
    dir: 'get',
    owner: 'lru-batch',
    cite: '6.12 __folio_batch_add_and_move() folio_get, mm/swap.c',
  },
  { fn: 'folio_add_lru', dir: 'get', owner: 'lru-batch', cite: 'folio_add_lru() folio_get, mm/swap.c' },
  { fn: 'folio_add_lru_vma', dir: 'get', owner: 'lru-batch', cite: 'folio_add_lru_vma(), mm/swap.c' },
  {
    fn: 'folio_activate',
    dir: 'get',
    owner: 'lru-batch',
    cite: 'folio_activate() lru_activate batch, mm/swap.c',
  },
  { fn: 'deactivate_file_folio', dir: 'get', owner: 'lru-batch', cite: 'deactivate_file_folio(), mm/swap.c' },
  { fn: 'folio_deactivate', dir: 'get', owner: 'lru-batch', cite: 'folio_deactivate(), mm/swap.c' },
  { fn: 'folio_mark_lazyfree', dir: 'get', owner: 'lru-batch', cite: 'folio_mark_lazyfree(), mm/swap.c' },
  {
    fn: 'folio_rotate_reclaimable',
    dir: 'get',
    owner: 'lru-batch',
    cite: 'folio_rotate_reclaimable(), mm/swap.c',
  },
  { fn: 'mlock_folio', dir: 'get', owner: 'lru-batch', cite: 'mlock_folio() mlock batch, mm/mlock.c' },
  { fn: 'munlock_folio', dir: 'get', owner: 'lru-batch', cite: 'munlock_folio(), mm/mlock.c' },
  { fn: 'mlock_folio_batch', dir: 'put', owner: 'lru-batch', cite: 'mlock_folio_batch(), mm/mlock.c' },
  // LRU isolation (§9.1, §10.1)
  {
    fn: 'folio_isolate_lru',
    dir: 'get',
    owner: 'isolation',
    cite: 'folio_isolate_lru() folio_get, mm/vmscan.c',
  },
  {
    fn: 'isolate_lru_page',
    dir: 'get',
    owner: 'isolation',
    cite: '6.1 isolate_lru_page(), mm/folio-compat.c',
  },
  {
    fn: 'isolate_lru_folios',
    dir: 'both',
    owner: 'isolation',
    cite: 'isolate_lru_folios() folio_try_get, mm/vmscan.c',
  },
  // MGLRU (CONFIG_LRU_GEN): no real trace shows which of these static functions stay out of line,
  // so each frame of the isolation's path is a rule (an inner rule of evict_folios' other gets,
  // the swap cache's or the activate batch's, wins)
  {
    fn: 'isolate_folio',
    dir: 'both',
    owner: 'isolation',
    cite: 'MGLRU isolate_folio() folio_try_get / folio_put, mm/vmscan.c',
  },
  {
    fn: 'scan_folios',
    dir: 'get',
    owner: 'isolation',
    cite: 'MGLRU scan_folios() -> isolate_folio(), mm/vmscan.c',
  },
  {
    fn: 'isolate_folios',
    dir: 'get',
    owner: 'isolation',
    cite: 'MGLRU isolate_folios() -> scan_folios(), mm/vmscan.c',
  },
  {
    fn: 'evict_folios',
    dir: 'get',
    owner: 'isolation',
    cite: 'MGLRU evict_folios() -> isolate_folios(), mm/vmscan.c',
  },
  {
    fn: 'isolate_migratepages_block',
    dir: 'both',
    owner: 'isolation',
    cite: 'isolate_migratepages_block() get_page_unless_zero / isolate_fail_put, mm/compaction.c',
  },
  {
    fn: 'isolate_movable_page',
    dir: 'both',
    owner: 'isolation',
    cite: 'isolate_movable_page(), mm/migrate.c',
  },
  {
    fn: 'folio_putback_lru',
    dir: 'put',
    owner: 'isolation',
    cite: 'folio_putback_lru() folio_put, mm/vmscan.c',
  },
  { fn: 'putback_lru_page', dir: 'put', owner: 'isolation', cite: '6.1 putback_lru_page(), mm/vmscan.c' },
  { fn: 'move_folios_to_lru', dir: 'put', owner: 'isolation', cite: 'move_folios_to_lru(), mm/vmscan.c' },
  {
    fn: 'migrate_pages_batch',
    dir: 'put',
    owner: 'isolation',
    cite: 'migrate_folio_done() drops the isolation ref of src, mm/migrate.c',
  },
  { fn: 'migrate_folio_done', dir: 'put', owner: 'isolation', cite: 'migrate_folio_done(), mm/migrate.c' },
  // GUP (§11); vmsplice's are the pipe's (below)
  {
    fn: 'try_get_folio',
    dir: 'get',
    owner: 'pipe',
    within: PIPE_GUP,
    cite: 'iter_to_pipe() -> iov_iter_get_pages2(), fs/splice.c',
  },
  { fn: 'try_grab_folio', dir: 'get', owner: 'pipe', within: PIPE_GUP, cite: 'iter_to_pipe(), fs/splice.c' },
  { fn: 'try_grab_page', dir: 'get', owner: 'pipe', within: PIPE_GUP, cite: 'iter_to_pipe(), fs/splice.c' },
  { fn: 'try_get_folio', dir: 'get', owner: 'gup', cite: 'try_get_folio(), mm/gup.c' },
  { fn: 'try_grab_folio', dir: 'get', owner: 'gup', cite: 'try_grab_folio(), mm/gup.c' },
  { fn: 'try_grab_folio_fast', dir: 'get', owner: 'gup', cite: '6.12 try_grab_folio_fast(), mm/gup.c' },
  { fn: 'try_grab_page', dir: 'get', owner: 'gup', cite: '6.1 try_grab_page(), mm/gup.c' },
  { fn: 'follow_page_pte', dir: 'get', owner: 'gup', cite: 'follow_page_pte(), mm/gup.c' },
  { fn: 'gup_put_folio', dir: 'put', owner: 'gup', cite: 'gup_put_folio(), mm/gup.c' },
  { fn: 'unpin_user_page', dir: 'put', owner: 'gup', cite: 'unpin_user_page(), mm/gup.c' },
  { fn: 'unpin_user_pages', dir: 'put', owner: 'gup', cite: 'unpin_user_pages(), mm/gup.c' },
  { fn: 'unpin_user_pages_dirty_lock', dir: 'put', owner: 'gup', cite: 'mm/gup.c' },
  {
    fn: 'copy_strings',
    dir: 'put',
    owner: 'gup',
    cite: 'put_arg_page() after get_user_pages_remote(), fs/exec.c',
  },
  { fn: 'copy_string_kernel', dir: 'put', owner: 'gup', cite: 'put_arg_page(), fs/exec.c' },
  {
    fn: 'add_page_for_migration',
    dir: 'put',
    owner: 'gup',
    cite: '6.1 add_page_for_migration() put_page after follow_page(FOLL_GET), mm/migrate.c',
  },
  {
    fn: '__x64_sys_move_pages',
    dir: 'put',
    owner: 'gup',
    cite: '6.1 add_page_for_migration() (inlined), mm/migrate.c',
  },
  {
    fn: 'do_pages_stat',
    dir: 'put',
    owner: 'gup',
    cite: '6.1 do_pages_stat_array() follow_page + put_page, mm/migrate.c',
  },
  // pipe buffers: vmsplice (above), splice from the page cache
  {
    fn: 'splice_folio_into_pipe',
    dir: 'get',
    owner: 'pipe',
    cite: '6.12 splice_folio_into_pipe() folio_get, fs/splice.c',
  },
  { fn: 'add_to_pipe', dir: 'get', owner: 'pipe', cite: 'add_to_pipe(), fs/splice.c' },
  {
    fn: 'copy_page_to_iter_pipe',
    dir: 'get',
    owner: 'pipe',
    cite: '6.1 copy_page_to_iter_pipe() get_page, lib/iov_iter.c',
  },
  {
    fn: 'copy_page_to_iter',
    dir: 'get',
    owner: 'pipe',
    within: SPLICE_READ,
    cite: '6.1 generic_file_splice_read() ITER_PIPE -> copy_page_to_iter_pipe(), lib/iov_iter.c',
  },
  {
    fn: 'page_cache_pipe_buf_release',
    dir: 'put',
    owner: 'pipe',
    cite: 'page_cache_pipe_buf_release() put_page, fs/splice.c',
  },
  { fn: 'anon_pipe_buf_release', dir: 'put', owner: 'pipe', cite: 'anon_pipe_buf_release(), fs/pipe.c' },
  {
    fn: 'generic_pipe_buf_release',
    dir: 'put',
    owner: 'pipe',
    cite: 'generic_pipe_buf_release(), fs/pipe.c',
  },
  // swap cache (§13) and private data (§8.1)
  {
    fn: 'add_to_swap_cache',
    dir: 'get',
    owner: 'swap-cache',
    cite: 'add_to_swap_cache() folio_ref_add(nr), mm/swap_state.c',
  },
  {
    fn: 'delete_from_swap_cache',
    dir: 'put',
    owner: 'swap-cache',
    cite: 'delete_from_swap_cache() folio_ref_sub(nr), mm/swap_state.c',
  },
  { fn: '__delete_from_swap_cache', dir: 'put', owner: 'swap-cache', cite: 'mm/swap_state.c' },
  { fn: 'free_swap_cache', dir: 'put', owner: 'swap-cache', cite: 'free_swap_cache(), mm/swap_state.c' },
  {
    fn: 'folio_attach_private',
    dir: 'get',
    owner: 'private',
    cite: 'folio_attach_private() folio_get, include/linux/pagemap.h',
  },
  { fn: 'attach_page_private', dir: 'get', owner: 'private', cite: 'include/linux/pagemap.h' },
  { fn: 'folio_create_empty_buffers', dir: 'get', owner: 'private', cite: 'fs/buffer.c' },
  { fn: 'create_empty_buffers', dir: 'get', owner: 'private', cite: 'fs/buffer.c' },
  {
    fn: 'folio_detach_private',
    dir: 'put',
    owner: 'private',
    cite: 'folio_detach_private() folio_put, include/linux/pagemap.h',
  },
  { fn: 'detach_page_private', dir: 'put', owner: 'private', cite: 'include/linux/pagemap.h' },
  { fn: 'try_to_free_buffers', dir: 'put', owner: 'private', cite: 'fs/buffer.c' },
  { fn: 'drop_buffers', dir: 'put', owner: 'private', cite: 'fs/buffer.c' },
  // page-table mappings: fault, fork, COW, remap (gets); zap, unmap (puts) (§4-§7, §10.4, §12)
  {
    fn: '__filemap_get_folio',
    dir: 'get',
    owner: 'mapping',
    within: FAULT,
    cite: 'filemap_fault()/shmem_fault(): the fault ref becomes the PTE ref in finish_fault(), mm/memory.c',
  },
  {
    fn: 'filemap_get_entry',
    dir: 'get',
    owner: 'mapping',
    within: FAULT,
    cite: 'shmem_get_folio_gfp() under shmem_fault(), mm/shmem.c',
  },
  {
    fn: 'filemap_get_entry',
    dir: 'get',
    owner: 'mapping',
    within: ['swap_cache_get_folio'],
    cite: '6.12 do_swap_page(): the swap cache lookup ref becomes the PTE ref, mm/memory.c',
  },
  {
    fn: '__filemap_get_folio',
    dir: 'get',
    owner: 'mapping',
    within: ['swap_cache_get_folio'],
    cite: '6.1 do_swap_page(): the swap cache lookup ref becomes the PTE ref, mm/memory.c',
  },
  {
    fn: 'next_uptodate_page',
    dir: 'both',
    owner: 'mapping',
    profiles: ['6.1'],
    cite: '6.1 filemap_map_pages(): the try_get ref is handed to the PTE, mm/filemap.c',
  },
  {
    fn: 'filemap_map_pages',
    dir: 'put',
    owner: 'mapping',
    profiles: ['6.1'],
    cite: '6.1 filemap_map_pages() put_page when not mapped, mm/filemap.c',
  },
  {
    fn: 'filemap_map_pages',
    dir: 'get',
    owner: 'mapping',
    cite: '6.12 filemap_map_order0_folio() folio_ref_inc after set_pte_range, mm/filemap.c',
  },
  { fn: 'filemap_map_folio_range', dir: 'get', owner: 'mapping', cite: 'mm/filemap.c' },
  { fn: 'filemap_map_order0_folio', dir: 'get', owner: 'mapping', cite: 'mm/filemap.c' },
  {
    fn: 'filemap_fault',
    dir: 'put',
    owner: 'mapping',
    cite: 'filemap_fault() drops the fault ref on retry, mm/filemap.c',
  },
  { fn: 'finish_fault', dir: 'get', owner: 'mapping', cite: 'finish_fault(), mm/memory.c' },
  {
    fn: 'do_fault',
    dir: 'put',
    owner: 'mapping',
    cite: 'do_read_fault()/do_cow_fault() put of the fault page, mm/memory.c',
  },
  {
    fn: 'do_pte_missing',
    dir: 'both',
    owner: 'mapping',
    cite: 'do_pte_missing() -> do_fault(), mm/memory.c',
  },
  {
    fn: 'vdso_fault',
    dir: 'get',
    owner: 'mapping',
    cite: 'vdso_fault() get_page, arch/x86/entry/vdso/vma.c',
  },
  {
    fn: 'copy_page_range',
    dir: 'get',
    owner: 'mapping',
    cite: 'copy_present_pte() folio_get at fork, mm/memory.c',
  },
  { fn: 'copy_present_ptes', dir: 'get', owner: 'mapping', cite: 'mm/memory.c' },
  { fn: 'copy_huge_pmd', dir: 'get', owner: 'mapping', cite: 'copy_huge_pmd(), mm/huge_memory.c' },
  {
    fn: 'do_wp_page',
    dir: 'both',
    owner: 'mapping',
    cite: 'do_wp_page() COW: folio_get before wp_page_copy, mm/memory.c',
  },
  {
    fn: 'wp_page_copy',
    dir: 'both',
    owner: 'mapping',
    cite: 'wp_page_copy() drops the old PTE ref, mm/memory.c',
  },
  {
    fn: 'remove_migration_pte',
    dir: 'get',
    owner: 'mapping',
    cite: 'remove_migration_pte() folio_get for the restored PTE, mm/migrate.c',
  },
  {
    fn: 'try_to_migrate_one',
    dir: 'put',
    owner: 'mapping',
    cite: 'try_to_migrate_one() PTE -> migration entry, mm/rmap.c',
  },
  { fn: 'try_to_unmap_one', dir: 'put', owner: 'mapping', cite: 'try_to_unmap_one() folio_put, mm/rmap.c' },
  {
    fn: '__split_huge_pmd',
    dir: 'get',
    owner: 'mapping',
    cite: '__split_huge_pmd_locked() one ref per PTE, mm/huge_memory.c',
  },
  { fn: 'split_huge_pmd_locked', dir: 'get', owner: 'mapping', cite: 'mm/huge_memory.c' },
  {
    fn: '__split_huge_page_tail',
    dir: 'get',
    owner: 'isolation',
    cite: "lru_add_page_tail() get_page(tail) for the caller's list (migrate_pages' split_folios), mm/huge_memory.c",
  },
  {
    fn: 'free_pages_and_swap_cache',
    dir: 'put',
    owner: 'mapping',
    cite: 'tlb_batch_pages_flush() -> free_pages_and_swap_cache(), mm/swap_state.c',
  },
  { fn: 'tlb_flush_mmu', dir: 'put', owner: 'mapping', cite: 'mmu_gather, mm/mmu_gather.c' },
  { fn: 'tlb_finish_mmu', dir: 'put', owner: 'mapping', cite: 'mm/mmu_gather.c' },
  { fn: 'zap_pte_range', dir: 'put', owner: 'mapping', cite: 'mm/memory.c' },
  { fn: 'zap_huge_pmd', dir: 'put', owner: 'mapping', cite: 'mm/huge_memory.c' },
  // speculative lookups: get + put pairs (§8.2, §8.5)
  {
    fn: 'filemap_get_entry',
    dir: 'get',
    owner: 'lookup',
    cite: 'filemap_get_entry() folio_try_get, mm/filemap.c',
  },
  { fn: '__filemap_get_folio', dir: 'get', owner: 'lookup', cite: 'mm/filemap.c' },
  { fn: 'find_get_entry', dir: 'get', owner: 'lookup', cite: 'find_get_entry(), mm/filemap.c' },
  { fn: 'filemap_get_read_batch', dir: 'get', owner: 'lookup', cite: 'mm/filemap.c' },
  {
    fn: 'next_uptodate_folio',
    dir: 'both',
    owner: 'lookup',
    cite: '6.12 next_uptodate_folio(), mm/filemap.c',
  },
  {
    fn: 'filemap_map_pages',
    dir: 'put',
    owner: 'lookup',
    cite: '6.12 filemap_map_pages() folio_put after mapping, mm/filemap.c',
  },
  {
    fn: 'filemap_read',
    dir: 'put',
    owner: 'lookup',
    cite: 'filemap_read() folio_put after copy, mm/filemap.c',
  },
  {
    fn: 'filemap_splice_read',
    dir: 'put',
    owner: 'lookup',
    cite: 'filemap_splice_read() folio_batch_release, mm/filemap.c',
  },
  { fn: 'folio_wait_bit_common', dir: 'put', owner: 'lookup', cite: 'folio_put_wait_locked(), mm/filemap.c' },
  {
    fn: 'folio_end_writeback',
    dir: 'both',
    owner: 'lookup',
    cite: 'folio_end_writeback() folio_get/folio_put around the wake-up, mm/filemap.c',
  },
  {
    fn: 'swap_vma_readahead',
    dir: 'put',
    owner: 'lookup',
    cite: 'swap_vma_readahead() folio_put of each folio read ahead, mm/swap_state.c',
  },
  {
    fn: 'do_swap_page',
    dir: 'put',
    owner: 'lookup',
    cite: 'do_swap_page() out_release: folio_put after VM_FAULT_RETRY, mm/memory.c',
  },
  {
    fn: '__try_to_reclaim_swap',
    dir: 'put',
    owner: 'lookup',
    cite: '__try_to_reclaim_swap() folio_put after filemap_get_folio, mm/swapfile.c',
  },
  { fn: 'shmem_file_read_iter', dir: 'put', owner: 'lookup', cite: 'mm/shmem.c' },
  { fn: 'shmem_write_end', dir: 'put', owner: 'lookup', cite: 'mm/shmem.c' },
  {
    fn: 'shmem_undo_range',
    dir: 'put',
    owner: 'lookup',
    cite: 'folio_batch_release after find_lock_entries, mm/shmem.c',
  },
  {
    fn: '__pagevec_release',
    dir: 'put',
    owner: 'lookup',
    cite: '6.1 __pagevec_release after find_lock_entries, mm/swap.c',
  },
  { fn: '__folio_batch_release', dir: 'put', owner: 'lookup', cite: '6.12 __folio_batch_release, mm/swap.c' },
  { fn: 'mapping_try_invalidate', dir: 'put', owner: 'lookup', cite: 'mm/truncate.c' },
  { fn: 'truncate_inode_pages_range', dir: 'put', owner: 'lookup', cite: 'mm/truncate.c' },
];

export interface OwnerMatch {
  owner: Owner;
  /** the frame that decided, or undefined when no rule matched */
  frame: string | undefined;
  rule: OwnerRule | undefined;
}

/** `sym+0x1f/0x80` -> `sym`; `.isra.0` / `.constprop.0` clones -> the function. */
export function frameFunction(frame: string): string {
  const plus = frame.indexOf('+');
  const name = plus < 0 ? frame : frame.slice(0, plus);
  const dot = name.indexOf('.');
  return dot < 0 ? name : name.slice(0, dot);
}

export class OwnerClassifier {
  private readonly byFn = new Map<string, OwnerRule[]>();

  constructor(profile: ProfileName | undefined, rules: readonly OwnerRule[] = OWNER_RULES) {
    for (const r of rules) {
      if (r.profiles && (profile === undefined || !r.profiles.includes(profile))) continue;
      const list = this.byFn.get(r.fn);
      if (list) list.push(r);
      else this.byFn.set(r.fn, [r]);
    }
  }

  /** frames innermost first */
  classify(frames: readonly string[], dir: Direction): OwnerMatch {
    const fns = frames.map(frameFunction);
    for (let k = 0; k < fns.length; k++) {
      const rules = this.byFn.get(fns[k]);
      if (!rules) continue;
      for (const r of rules) {
        if (r.dir !== dir && r.dir !== 'both') continue;
        if (r.within && !fns.slice(k + 1).some((f) => r.within!.includes(f))) continue;
        return { owner: r.owner, frame: frames[k], rule: r };
      }
    }
    return { owner: 'unknown', frame: undefined, rule: undefined };
  }
}
