/** Linux 6.12 (Debian linux-source-6.12, 6.12.117): facts outside page-flags.h. */
import type { ProfileFacts } from './types.js';
import { facts_v6_1 } from './v6_1.js';

export const facts_v6_12: ProfileFacts = {
  name: '6.12',
  release: '6.12.117',
  // include/trace/events/page_ref.h (6.12): __entry->mapcount = atomic_read(&page->_mapcount)
  traceMapcount: 'raw',
  // include/linux/pagevec.h (6.12): #define PAGEVEC_SIZE 31
  folioBatchSize: 31,
  // include/linux/mm.h (6.12): #define GUP_PIN_COUNTING_BIAS (1U << 10)
  gupPinCountingBias: 1024,
  // include/linux/page_ref.h (6.12): no page_ref_sub_return; folio_ref_try_add; fake-head check in add_unless
  pageRef: { pageRefSubReturn: false, tryAdd: 'folio_ref_try_add', addUnlessChecksFakeHead: true },
  // mm/memory.c (6.12) do_anonymous_page:4828 folio_ref_add(folio, nr_pages - 1)
  faultRefAddNrPagesMinusOne: true,
  shmemWriteReferencedFirst: false,
  blkdevMpageReadahead: 'CONFIG_BUFFER_HEAD',
  execOpensFileFirst: true,
  // mm/readahead.c (6.12):537/:611; mm/filemap.c:2894 filemap_splice_read; mm/memory.c:1497 tlb_delay_rmap
  readahead: 'sync_async',
  fileSpliceRead: 'filemap_splice_read',
  zapDelayRmap: 'CONFIG_SMP',
  // mm/memory.c:1518 (or :1687) then :1698, mm/rmap.c:2344 then :2347; mm/filemap.c:144 then :238 (6.12): see ProfileFacts.putShows
  putShows: { pte: 'rmap_removed', pageCache: 'mapping_cleared' },
  getPutIgnoreSlab: false,
  // include/linux/mm_types.h (6.12): struct folio _large_mapcount/_entire_mapcount/_nr_pages_mapped/_pincount
  folioLayout: 'folio_v6_12',
  dumpPageLayout: '6.12',
  // include/linux/mmzone.h (6.12): MAX_PAGE_ORDER 10 (inclusive)
  maxPageOrder: 10,
  // include/linux/page-flags.h (6.12): PAGE_MAPPING_ANON 0x1, PAGE_MAPPING_MOVABLE 0x2, PAGE_MAPPING_KSM 0x3
  mappingFlags: { anon: 1, movable: 2, ksm: 3 },
  // mm/internal.h (6.12): #define ENTIRELY_MAPPED 0x800000
  entirelyMapped: 0x800000,
  // page-flags.h (6.12):965 page_has_type = page_mapcount_is_type(page_type); :318 folio_flags
  // mm/memory.c (6.12):3596 wp_can_reuse_anon_folio rejects large folios; mm.h:1160 folio_get_nontail_page
  pageHasType: 'mapcount_is_type',
  folioFlagsTailCheck: 'page->compound_head & 1',
  wpReuseRejectsLarge: true,
  folioGetNontailPage: true,
  thp: {
    // include/linux/huge_mm.h (6.12):75 THP_ORDERS_ALL_ANON, orders 2..9 on x86_64
    anonOrders: [2, 3, 4, 5, 6, 7, 8, 9],
    // mm/memory.c (6.12):981 copy_present_ptes, :1535 zap_present_ptes (folio_pte_batch)
    pteBatch: true,
    // mm/rmap.c (6.12):1587 deferred_split_folio(folio, true); mm/huge_memory.c:1256 (new PMD THP), :3844 (scan)
    deferredSplit: 'partially_mapped',
    // mm/huge_memory.c (6.12):2716 __split_huge_pmd_locked: no folio_ref_add when freezing, :2931 put_page
    freezePmd: 'one_put',
    // mm/huge_memory.c (6.12):3353 remap_page(folio, nr, RMP_USE_SHARED_ZEROPAGE) for anon
    splitRemapsZeroPages: true,
    // mm/huge_memory.c (6.12):3189 __split_huge_page_tail: 6.1's list and PG_arch_3
    splitTailFlags: [...facts_v6_1.thp.splitTailFlags, 'arch_3'],
    // mm/huge_memory.c (6.12):3998 split_huge_pages_pid: folio_walk_start, folio_get before the split
    splitPagesLookup: 'folio_walk',
  },
  pageTypeNone: -1,
  // VM_BUG_ON sites read from the Debian tree (file:line)
  // include/linux/page-flags.h:1174 (6.12) PAGE_FLAGS_CHECK_AT_FREE (LRU_GEN_MASK bits are above PAGEFLAGS_MASK)
  pageFlagsCheckAtFree: [
    'lru',
    'locked',
    'private',
    'private_2',
    'writeback',
    'reserved',
    'active',
    'unevictable',
    'mlocked',
  ],
  // mm/swap_state.c:315 (6.12): lru_add_drain(), then folios_put_refs()
  mmuGatherFree: { put: 'folios_put_refs', drains: true },
  faultAroundRef: 'ref_inc_then_put',
  migrate: {
    movePagesFollowPageGet: false,
    passes: [3, 7],
    unmapEveryPass: false,
    precheck: true,
    drainAfterMappedMove: false,
    // mm/migrate.c (6.12): migrate_pages :2072, __folio_migrate_mapping :522, migrate_folio_move
    // :1400, migrate_pages_batch :1777, __add_folio_for_migration :2218
    batchEnd: 'reaching',
    unqueueDeferredSplit: true,
    splitPartiallyMapped: true,
    movePagesShared: 'folio_likely_mapped_shared',
  },
  // mm/swap.c:686 deactivate_file_folio: unevictable or !folio_test_lru
  deactivateFileNeedsLru: true,
  // mm/compaction.c (6.12): compaction_alloc :1833, release_free_list :91, skip_isolation_on_order :834
  compaction: { freepages: 'per_order_lists', skipCompound: 'pageblock_order' },
  // mm/swap.c:271 lru_note_cost(lruvec, file, nr_io, nr_rotated); mm/vmscan.c:1049 free_unref_folios,
  // :6340 memcg_full_walk; mm/memcontrol.c memory_reclaim batch_size = (nr_to_reclaim - nr_reclaimed) / 4
  reclaim: {
    lruNoteCost: 'io_and_rotated',
    freeFolios: 'free_unref_folios',
    memcgFullWalkRetry: true,
    memoryReclaimBatch: 'quarter',
    pageoutIgnoresReferences: true,
  },
  // mm/vmscan.c:5974 shrink_node -> lru_gen_shrink_node; include/linux/mm_inline.h:272; sort_folio :4312
  // and isolate_folio :4357 without the 6.1 cases; mm/rmap.c:896 + lru_gen_look_around :4065; walk_pmd_range
  // :3590; CONFIG_LRU_GEN_WALKS_MMU :2791; iterate_mm_list_nowalk :3048; try_to_inc_max_seq :3909
  mglru: {
    entry: 'lru_gen_shrink_node',
    addActiveClearsRefs: true,
    sortWaitingForWriteback: false,
    isolateClearsReclaim: false,
    lookAround: 'clears_own_pte',
    nonleafYoungOnlyWithoutForceScan: true,
    walkSkipsSmallMm: false,
    walkNeedsConfig: true,
    nowalkResetsTail: true,
    forceScanWalks: false,
  },
  // mm/page_io.c:412 swap_writepage_bdev_sync; mm/swap_state.c:770 swap_vma_readahead -> __read_swap_cache_async;
  // mm/swapfile.c:183 __try_to_reclaim_swap -> delete_from_swap_cache
  swap: {
    syncWrite: 'swap_writepage_bdev_sync',
    readaheadTarget: '__read_swap_cache_async',
    tryToReclaimSwap: 'delete_from_swap_cache',
  },
  /*
   * the frames this build shows (trace-stack.txt of ../shared/traces/6.12): static helpers of
   * mm/memory.c inlined into do_pte_missing()/do_wp_page(), the *_noprof allocator entry points
   * (include/linux/alloc_tag.h), folio_add_lru() as __folio_batch_add_and_move() and folios_put()
   * as folios_put_refs() (mm/swap.c), iter_to_pipe() and madvise_pageout() inlined (fs/splice.c,
   * mm/madvise.c), lru_add_drain() as lru_add_and_bh_lrus_drain() (the same code) over
   * lru_add_drain_cpu()
   */
  stackFrames: {
    migrate_folio: ['__migrate_folio'],
    folio_migrate_mapping: ['__folio_migrate_mapping'],
    __alloc_pages: ['__alloc_pages_noprof'],
    folio_add_lru: ['__folio_batch_add_and_move'],
    folios_put: ['folios_put_refs'],
    folio_batch_release: ['folios_put_refs'],
    do_anonymous_page: [],
    alloc_anon_folio: [],
    do_fault: [],
    do_read_fault: [],
    do_shared_fault: [],
    do_cow_fault: [],
    wp_page_copy: [],
    copy_present_ptes: [],
    madvise_pageout: [],
    iter_to_pipe: [],
    lru_add_drain: ['lru_add_and_bh_lrus_drain', 'lru_add_drain_cpu'],
    // mm/filemap.c, mm/readahead.c: inlined or tail calls (the file_mmap stack runs)
    filemap_update_page: [],
    filemap_readahead: [],
    page_cache_sync_ra: [],
    page_cache_async_ra: [],
    do_sync_mmap_readahead: [],
    do_async_mmap_readahead: [],
    // the swap paths (not in the traces; names from the 6.12 tree): the *_noprof allocators
    // (include/linux/gfp.h) and filemap_get_entry, which 6.1 called mapping_get_entry (static)
    vma_alloc_folio: ['vma_alloc_folio_noprof', 'folio_alloc_mpol_noprof', 'alloc_pages_mpol_noprof'],
    folio_alloc_mpol: ['folio_alloc_mpol_noprof', 'alloc_pages_mpol_noprof'],
    mapping_get_entry: ['filemap_get_entry'],
    folio_rotate_reclaimable: ['__folio_batch_add_and_move'],
  },
  bugSites: {
    page_ref_unfreeze: 'include/linux/page_ref.h:288',
    'page_ref_unfreeze:count': 'include/linux/page_ref.h:289',
    folio_ref_try_add_rcu: 'include/linux/page_ref.h',
    put_page_testzero: 'include/linux/mm.h:1140',
    folio_get: 'include/linux/mm.h:1444',
    'folio_add_lru:active_unevictable': 'mm/swap.c:505',
    'folio_add_lru:lru': 'mm/swap.c:507',
    folio_add_lru_vma: 'mm/swap.c:528',
    lru_add: 'mm/swap.c:154',
  },
};
