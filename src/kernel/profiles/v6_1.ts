/** Linux 6.1 (Debian linux-source-6.1, 6.1.192): facts outside page-flags.h. */
import type { ProfileFacts } from './types.js';

export const facts_v6_1: ProfileFacts = {
  name: '6.1',
  release: '6.1.192',
  // include/trace/events/page_ref.h (6.1): __entry->mapcount = page_mapcount(page)
  traceMapcount: 'page_mapcount',
  // include/linux/pagevec.h (6.1): #define PAGEVEC_SIZE 15
  folioBatchSize: 15,
  // include/linux/mm.h (6.1): #define GUP_PIN_COUNTING_BIAS (1U << 10)
  gupPinCountingBias: 1024,
  // include/linux/page_ref.h (6.1): page_ref_sub_return, folio_ref_try_add_rcu, plain atomic_add_unless
  pageRef: { pageRefSubReturn: true, tryAdd: 'folio_ref_try_add_rcu', addUnlessChecksFakeHead: false },
  // include/linux/mm.h (6.1): get_page() = folio_get(page_folio(page)), no slab special case
  // mm/memory.c (6.1) do_anonymous_page: no folio_ref_add after the allocation
  faultRefAddNrPagesMinusOne: false,
  shmemWriteReferencedFirst: true,
  blkdevMpageReadahead: 'always',
  execOpensFileFirst: false,
  // mm/readahead.c (6.1):557 ondemand_readahead; fs/splice.c:297 generic_file_splice_read -> filemap_read; mm/memory.c:1399 zap_pte_range, no delayed rmap
  readahead: 'ondemand_readahead',
  fileSpliceRead: 'filemap_read',
  zapDelayRmap: false,
  // mm/memory.c:1451 then :1521, mm/rmap.c:2130 then :2133; mm/filemap.c:143 then :237 (6.1): see ProfileFacts.putShows
  putShows: { pte: 'rmap_removed', pageCache: 'mapping_cleared' },
  getPutIgnoreSlab: false,
  // include/linux/mm_types.h (6.1): page[1] compound_dtor/compound_order/compound_mapcount/compound_pincount
  folioLayout: 'compound_page_v6_1',
  dumpPageLayout: '6.1',
  // include/linux/mmzone.h (6.1): MAX_ORDER 11 is exclusive, so the largest order is 10
  maxPageOrder: 10,
  // include/linux/page-flags.h (6.1): PAGE_MAPPING_ANON 0x1, PAGE_MAPPING_MOVABLE 0x2, PAGE_MAPPING_KSM 0x3
  mappingFlags: { anon: 1, movable: 2, ksm: 3 },
  entirelyMapped: undefined,
  // mm/page_alloc.c (6.1) __init_single_page: page_mapcount_reset() -> _mapcount = -1
  // page-flags.h (6.1): page_has_type = page_type < PAGE_MAPCOUNT_RESERVE; folio_flags checks PageTail(page)
  // mm/memory.c (6.1) do_wp_page: no large-folio test; mm.h (6.1): no folio_get_nontail_page
  pageHasType: 'mapcount_reserve',
  folioFlagsTailCheck: 'PageTail(page)',
  wpReuseRejectsLarge: false,
  folioGetNontailPage: false,
  thp: {
    // no hugepages-<size>kB knobs before 6.8: the global enabled decides PMD THPs only
    anonOrders: [],
    // mm/memory.c (6.1) copy_present_pte / zap_pte_range: one PTE at a time
    pteBatch: false,
    // mm/rmap.c (6.1):1454 page_remove_rmap -> deferred_split_huge_page; mm/huge_memory.c:2923 (scan)
    deferredSplit: 'subpage_unmapped',
    // mm/huge_memory.c (6.1):2077 __split_huge_pmd_locked: page_ref_add(HPAGE_PMD_NR - 1), :2304 put per subpage
    freezePmd: 'ref_per_pte',
    // mm/huge_memory.c (6.1):2619 remap_page(folio, nr): no zero-page remap
    splitRemapsZeroPages: false,
    // mm/huge_memory.c (6.1):2486 __split_huge_page_tail (PG_arch_2 under CONFIG_64BIT)
    splitTailFlags: [
      'referenced',
      'swapbacked',
      'swapcache',
      'mlocked',
      'uptodate',
      'active',
      'workingset',
      'locked',
      'unevictable',
      'arch_2',
      'dirty',
    ],
    // mm/huge_memory.c (6.1):3036 split_huge_pages_pid: follow_page(vma, addr, FOLL_GET | FOLL_DUMP)
    splitPagesLookup: 'follow_page',
  },
  pageTypeNone: -1,
  // VM_BUG_ON sites read from the Debian tree (file:line)
  // include/linux/page-flags.h:1062 (6.1) PAGE_FLAGS_CHECK_AT_FREE (LRU_GEN_MASK bits are above PAGEFLAGS_MASK)
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
    'slab',
  ],
  // mm/swap_state.c:307 (6.1): lru_add_drain(), then release_pages()
  mmuGatherFree: { put: 'release_pages', drains: true },
  faultAroundRef: 'handed_to_pte',
  migrate: {
    movePagesFollowPageGet: true,
    passes: [10],
    unmapEveryPass: true,
    precheck: false,
    drainAfterMappedMove: true,
    // mm/migrate.c (6.1): migrate_pages :1833 `nr_pages > NR_MAX_BATCHED_MIGRATION`, no deferred
    // split handling in migrate_pages_batch/migrate_folio_move, add_page_for_migration :1990
    batchEnd: 'exceeding',
    unqueueDeferredSplit: false,
    splitPartiallyMapped: false,
    movePagesShared: 'page_mapcount',
  },
  // mm/swap.c:699 deactivate_file_folio: unevictable folios only
  deactivateFileNeedsLru: false,
  // mm/compaction.c (6.1): split_map_pages :85, release_freepages :69, isolate_migratepages_block :1003
  compaction: { freepages: 'split_at_isolation', skipCompound: 'all' },
  // mm/swap.c:290 lru_note_cost(lruvec, file, nr_pages); mm/vmscan.c:2466 free_unref_page_list, :6460
  // no memcg_full_walk; mm/memcontrol.c memory_reclaim asks for nr_to_reclaim - nr_reclaimed
  reclaim: {
    lruNoteCost: 'pageout',
    freeFolios: 'free_unref_page_list',
    memcgFullWalkRetry: false,
    memoryReclaimBatch: 'remaining',
    pageoutIgnoresReferences: false,
  },
  // mm/vmscan.c:5922 shrink_lruvec -> lru_gen_shrink_lruvec; include/linux/mm_inline.h:259; sort_folio
  // :4800 waiting for writeback; isolate_folio :4840; mm/rmap.c:832 + lru_gen_look_around :4617;
  // walk_pmd_range :4115; should_skip_mm :3446; iterate_mm_list_nowalk :3552; try_to_inc_max_seq :4417
  mglru: {
    entry: 'lru_gen_shrink_lruvec',
    addActiveClearsRefs: false,
    sortWaitingForWriteback: true,
    isolateClearsReclaim: true,
    lookAround: 'after_pte_young',
    nonleafYoungOnlyWithoutForceScan: false,
    walkSkipsSmallMm: true,
    walkNeedsConfig: false,
    nowalkResetsTail: false,
    forceScanWalks: true,
  },
  // mm/page_io.c __swap_writepage -> bdev_write_page (block/bdev.c:377, zram_rw_page); mm/swap_state.c:788
  // swap_vma_readahead -> read_swap_cache_async; mm/swapfile.c __try_to_reclaim_swap -> folio_free_swap
  swap: {
    syncWrite: 'bdev_write_page',
    readaheadTarget: 'read_swap_cache_async',
    tryToReclaimSwap: 'folio_free_swap',
  },
  /*
   * the frames this build shows (trace-stack.txt of ../shared/traces/6.1): no do_pte_missing()
   * (handle_pte_fault() calls do_anonymous_page()/do_fault(), all inlined into __handle_mm_fault()),
   * release_pages() + page_ref_dec_and_test() for folios_put() (mm/swap.c), free_pages_and_swap_cache()
   * inlined (mm/swap_state.c), folio_try_get_rcu() and next_uptodate_page() (mm/filemap.c),
   * generic_file_splice_read() -> filemap_read() -> copy_page_to_iter() for splice (fs/splice.c,
   * lib/iov_iter.c), internal_get_user_pages_fast() (mm/gup.c)
   */
  stackFrames: {
    migrate_folio: ['migrate_folio_extra'],
    migrate_folio_undo_src: [],
    do_pte_missing: [],
    do_anonymous_page: [],
    alloc_anon_folio: [],
    do_read_fault: [],
    do_shared_fault: [],
    do_cow_fault: [],
    copy_present_ptes: [],
    folios_put: ['release_pages', 'page_ref_dec_and_test'],
    release_pages: ['release_pages', 'page_ref_dec_and_test'],
    free_pages_and_swap_cache: [],
    folio_batch_release: ['__pagevec_release'],
    folio_try_get: ['folio_try_get_rcu'],
    next_uptodate_folio: ['next_uptodate_page'],
    filemap_splice_read: ['generic_file_splice_read', 'blkdev_read_iter', 'filemap_read'],
    splice_folio_into_pipe: ['copy_page_to_iter'],
    gup_fast_fallback: ['internal_get_user_pages_fast'],
    iter_to_pipe: [],
    put_page: ['folio_put'],
    lru_add_drain: ['lru_add_drain', 'lru_add_drain_cpu'],
    // drop_caches (the soak stack run): invalidate_mapping_pages() tail-calls the per-batch loop,
    // which 6.1 calls invalidate_mapping_pagevec (mm/truncate.c:526, 6.12 mapping_try_invalidate)
    invalidate_mapping_pages: [],
    mapping_try_invalidate: ['invalidate_mapping_pagevec'],
    // split_huge_page() -> split_huge_page_to_list() (include/linux/huge_mm.h, mm/huge_memory.c:2689)
    split_folio_to_list: [],
    split_huge_page_to_list_to_order: ['split_huge_page_to_list'],
    // mm/filemap.c, mm/readahead.c: inlined or tail calls (the file_mmap stack runs)
    filemap_update_page: [],
    filemap_readahead: [],
    page_cache_sync_ra: [],
    page_cache_async_ra: [],
    do_sync_mmap_readahead: [],
    do_async_mmap_readahead: [],
    // the swap paths (not in the traces; names from the 6.1 tree): vma_alloc_folio -> __folio_alloc
    // (mm/mempolicy.c), __read_swap_cache_async's vma_alloc_folio, mapping_get_entry inlined
    vma_alloc_folio: ['vma_alloc_folio', '__folio_alloc'],
    folio_alloc_mpol: ['vma_alloc_folio', '__folio_alloc'],
    mapping_get_entry: [],
    // 6.1 mm/swapfile.c:1630 free_swap_and_cache(entry), one entry; 6.12 has free_swap_and_cache_nr()
    free_swap_and_cache_nr: ['free_swap_and_cache'],
  },
  bugSites: {
    page_ref_unfreeze: 'include/linux/page_ref.h:332',
    'page_ref_unfreeze:count': 'include/linux/page_ref.h:333',
    folio_ref_try_add_rcu: 'include/linux/page_ref.h:277',
    put_page_testzero: 'include/linux/mm.h:780',
    folio_get: 'include/linux/mm.h:1146',
    'folio_add_lru:active_unevictable': 'mm/swap.c:514',
    'folio_add_lru:lru': 'mm/swap.c:516',
    folio_add_lru_vma: 'mm/swap.c:541',
    lru_add: 'mm/swap.c:189',
  },
};
