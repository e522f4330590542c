/**
 * Kernel profiles: what one kernel version's page-descriptor layer looks like, as data.
 *
 * A profile is split in two parts:
 *  - `PageFlagsHeader`: what include/linux/page-flags.h and include/trace/events/mmflags.h declare
 *    (enum pageflags, aliases, the flag/type accessor macro invocations, enum pagetype, the
 *    show_page_flags name table). It is generated from a kernel tree by `folioscope profile
 *    --from-kernel-src` (src/explain/kernelsrc) and checked in under profiles/generated/.
 *  - `ProfileFacts`: hand-written facts from other files (page_ref.h, mm.h, debug.c, swap.c ...),
 *    each with the file it came from.
 * Conditional members carry the preprocessor conditions they sit under; a `KernelConfig` resolves
 * them (bit numbers depend on the config, e.g. PG_hwpoison exists only with CONFIG_MEMORY_FAILURE).
 */

export type ProfileName = '6.1' | '6.12' | 'mainline';

/**
 * Preprocessor conditions an item sits under, outermost first; all must hold. Each is a C
 * preprocessor expression as written in the header, normalised: `#ifdef X` -> `defined(X)`,
 * `#ifndef X` -> `!defined(X)`, an `#else` branch -> `!(<expr of the #if>)`, `#elif E` ->
 * `!(<previous>) && (E)` expressed as two entries. Empty array = unconditional.
 */
export type Conditions = readonly string[];

/** One member of `enum pageflags` before `__NR_PAGEFLAGS`, in declaration order. */
export interface PageflagMember {
  /** lname without the PG_ prefix: 'locked', 'owner_priv_1' */
  readonly name: string;
  readonly line: number;
  readonly cond: Conditions;
}

/** `PG_x = PG_y` after `__NR_PAGEFLAGS`. */
export interface PageflagAlias {
  readonly name: string; // 'anon_exclusive'
  readonly of: string; // 'owner_2'
  readonly line: number;
  readonly cond: Conditions;
}

/** One entry of `__def_pageflag_names` (mmflags.h), in table (= print) order. */
export interface FlagNameEntry {
  /** the PG_ lname whose bit this entry tests */
  readonly flag: string;
  /** the printed name (equal to flag in 6.1/6.12) */
  readonly name: string;
  readonly cond: Conditions;
}

/** What a generated accessor does to the flags word or page_type. */
export type AccessorOp =
  | 'test' // test_bit
  | 'set' // set_bit
  | 'clear' // clear_bit
  | '__set' // __set_bit
  | '__clear' // __clear_bit
  | 'test_set' // test_and_set_bit
  | 'test_clear' // test_and_clear_bit
  | 'false' // *_FALSE stubs: always 0 / false
  | 'noop' // *_NOOP stubs: do nothing
  | 'type_test' // page_type test (PageBuddy, folio_test_slab ...)
  | 'type_set' // __SetPageBuddy, __folio_set_slab
  | 'type_clear'; // __ClearPageBuddy, __folio_clear_slab

/**
 * Which struct page the operation reaches and which debug check it carries.
 * Page-side policies are the PF_* macros; folio-side the page index in the folio
 * (FOLIO_PF_* / FOLIO_HEAD_PAGE / FOLIO_SECOND_PAGE evaluate to 0 or 1).
 */
export type PagePolicy =
  'PF_ANY' | 'PF_HEAD' | 'PF_ONLY_HEAD' | 'PF_NO_TAIL' | 'PF_NO_COMPOUND' | 'PF_SECOND';

/** One function the header generates (or a FALSE/NOOP stub). */
export interface Accessor {
  /** 'folio_test_active', 'PageActive', '__SetPageBuddy' */
  readonly name: string;
  /** 'folio' (takes a struct folio *) or 'page' */
  readonly takes: 'folio' | 'page';
  readonly op: AccessorOp;
  /** PG_ lname the op tests/sets ('active'); for page types the PGTY/PG_ type lname ('buddy') */
  readonly flag: string;
  /** page side: the PF_* policy; folio side: undefined */
  readonly policy?: PagePolicy;
  /** folio side: index of the page whose flags word is used (0 head, 1 second page) */
  readonly folioPage?: number;
  /** `enforce` argument passed to the policy (0 for tests, 1 for modifications) */
  readonly enforce?: 0 | 1;
  /** the top-level invocation in page-flags.h this name comes from */
  readonly invocation: {
    readonly macro: string; // 'PAGEFLAG'
    readonly args: readonly string[]; // ['Active', 'active', 'PF_HEAD']
    readonly line: number;
    readonly text: string; // 'PAGEFLAG(Active, active, PF_HEAD)'
  };
  /** macro chain from the invocation down to the macro that defines the function */
  readonly chain: readonly string[]; // ['PAGEFLAG', 'TESTPAGEFLAG', 'FOLIO_TEST_FLAG']
  /** the name template in the defining macro: 'folio_test_##name' */
  readonly template: string;
  readonly cond: Conditions;
}

/** A function written out by hand in page-flags.h (PageHead, folio_test_uptodate, PageAnon ...). */
export interface HandWritten {
  readonly name: string;
  readonly line: number;
  readonly cond: Conditions;
  /** a `static inline` function, or a function-like `#define` (PageHighMem in 6.1/6.12) */
  readonly kind?: 'function' | 'macro';
}

/** `enum pagetype` (6.12+) or the 6.1 `#define PG_buddy 0x00000080` list. */
export interface PageTypeDef {
  /** lname: 'buddy', 'table', 'slab' */
  readonly name: string;
  /** 6.12+: the PGTY_ id (0xf0 ...); 6.1: the bit cleared in page_type (0x80 ...) */
  readonly value: number;
  readonly line: number;
  readonly cond: Conditions;
}

export interface PageFlagsHeader {
  /** where it was generated from, e.g. 'linux-source-6.12 6.12.117' */
  readonly source: string;
  readonly pageflags: readonly PageflagMember[];
  readonly aliases: readonly PageflagAlias[];
  readonly flagNames: readonly FlagNameEntry[];
  readonly accessors: readonly Accessor[];
  readonly handWritten: readonly HandWritten[];
  readonly pageTypeEncoding: 'inverted-bits' | 'top-byte';
  readonly pageTypes: readonly PageTypeDef[];
}

/** Facts from outside page-flags.h, written by hand with the file each comes from. */
export interface ProfileFacts {
  readonly name: ProfileName;
  /** the kernel release the facts were read from */
  readonly release: string;
  /** include/trace/events/page_ref.h TP_fast_assign of `mapcount` */
  readonly traceMapcount: 'page_mapcount' | 'raw';
  /** include/linux/pagevec.h PAGEVEC_SIZE: entries of a per-CPU folio batch */
  readonly folioBatchSize: number;
  /** include/linux/mm.h GUP_PIN_COUNTING_BIAS */
  readonly gupPinCountingBias: number;
  /** include/linux/page_ref.h: which try-add helpers exist */
  readonly pageRef: {
    /** page_ref_sub_return() exists (6.1 only) */
    readonly pageRefSubReturn: boolean;
    /** folio_ref_try_add_rcu()/folio_try_get_rcu() (6.1) vs folio_ref_try_add() (6.12+) */
    readonly tryAdd: 'folio_ref_try_add_rcu' | 'folio_ref_try_add';
    /** page_ref_add_unless() refuses a fake head (HVO) before the atomic (6.12+) */
    readonly addUnlessChecksFakeHead: boolean;
  };
  /**
   * mm/memory.c do_anonymous_page()/finish_fault(): folio_ref_add(folio, nr_pages - 1), traced even
   * for order 0 as `page_ref_mod val=0` (6.12+; 6.1 has no such call)
   */
  readonly faultRefAddNrPagesMinusOne: boolean;
  /** shmem_get_folio_gfp() SGP_WRITE sets PG_referenced before shmem_add_to_page_cache (6.1 mm/shmem.c:1977) rather than after folio_add_lru (6.12 :2446) */
  readonly shmemWriteReferencedFirst: boolean;
  /**
   * def_blk_aops readahead through mpage_readahead, which sets PG_mappedtodisk on a fully mapped
   * folio (fs/mpage.c): always on 6.1 (block/fops.c:399); on 6.12 only with CONFIG_BUFFER_HEAD,
   * iomap_readahead otherwise (block/fops.c:445/:486)
   */
  readonly blkdevMpageReadahead: 'always' | 'CONFIG_BUFFER_HEAD';
  /**
   * execve() opens the file before it builds the new mm (6.12 fs/exec.c:1559 alloc_bprm ->
   * do_open_execat first), so a path that does not exist costs no pages; 6.1 builds the mm and
   * copies the strings first (alloc_bprm -> bprm_mm_init, :1572) and opens it in bprm_execve (:1862)
   */
  readonly execOpensFileFirst: boolean;
  /**
   * mm/readahead.c: 6.1 ondemand_readahead() serves both the synchronous miss and the PG_readahead
   * hit (:557); 6.12 page_cache_sync_ra() (:537, initial async_size = size / 2 when the read covers
   * the window, page_cache_prev_miss history) and page_cache_async_ra() (:611)
   */
  readonly readahead: 'ondemand_readahead' | 'sync_async';
  /**
   * splice(2) from a file: 6.12 filemap_splice_read() (mm/filemap.c) gets batches with
   * filemap_get_pages, marks every folio accessed and ends each batch with folio_batch_release
   * (lru_add_drain + folios_put); 6.1 generic_file_splice_read() (fs/splice.c) runs filemap_read()
   * into the pipe (its accessed rule, folio_put per folio)
   */
  readonly fileSpliceRead: 'filemap_splice_read' | 'filemap_read';
  /**
   * zap_present_folio_ptes() (6.12 mm/memory.c:1497): a dirty PTE of a file folio delays the rmap
   * removal to tlb_flush_rmaps() at the end of zap_pte_range where tlb_delay_rmap() is true, i.e.
   * with CONFIG_SMP (include/asm-generic/tlb.h:280); 6.1 zap_pte_range (:1399) removes it at once.
   * Both flush the gather at the end of that zap_pte_range.
   */
  readonly zapDelayRmap: false | 'CONFIG_SMP';
  /**
   * What a page's event already shows when a reference of these owners is put.
   * `pte` 'rmap_removed': every path that drops a PTE's reference removes the PTE's rmap first, so
   * the traced mapcount counts one mapping less: zap (6.1 mm/memory.c:1451 zap_pte_range
   * page_remove_rmap, then :1521 tlb_flush_mmu -> mm/mmu_gather.c:60 free_pages_and_swap_cache ->
   * release_pages; 6.12 :1518 zap_present_folio_ptes folio_remove_rmap_ptes, or the delayed rmap
   * at :1687 tlb_flush_rmaps, before :1698 tlb_flush_mmu -> mm/mmu_gather.c:137
   * free_pages_and_swap_cache -> folios_put_refs), migration and reclaim (mm/rmap.c
   * try_to_migrate_one 6.1 :2130 then folio_put :2133, 6.12 :2344/:2347; try_to_unmap_one 6.1
   * :1791/:1794, 6.12 :1975/:1978), COW (mm/memory.c wp_page_copy: the old page's rmap 6.1 :3254,
   * 6.12 :3449, then its PTE's put 6.1 :3265, 6.12 :3464).
   * `pageCache` 'mapping_cleared': the page cache's references are put once folio->mapping is NULL
   * (mm/filemap.c page_cache_delete 6.1 :143 / 6.12 :144, page_cache_delete_batch :308 / :309,
   * then filemap_free_folio's folio_put_refs 6.1 :237 / 6.12 :238; __filemap_add_folio's error path
   * :948 / :945; mm/shmem.c shmem_delete_from_page_cache 6.1 :775 / 6.12 :861), and
   * __remove_mapping drops them by freezing, not by a put
   */
  readonly putShows: { readonly pte: 'rmap_removed'; readonly pageCache: 'mapping_cleared' };
  /** include/linux/mm.h: get_page()/put_page() ignore slab and large-kmalloc folios (mainline) */
  readonly getPutIgnoreSlab: boolean;
  /** how a large folio records its order and mapcounts (include/linux/mm_types.h) */
  readonly folioLayout: 'compound_page_v6_1' | 'folio_v6_12';
  /** mm/debug.c __dump_page() text layout */
  readonly dumpPageLayout: '6.1' | '6.12';
  /** include/linux/mm.h MAX_ORDER (6.1, exclusive) / MAX_PAGE_ORDER (6.12, inclusive): largest order */
  readonly maxPageOrder: number;
  /** include/linux/page-flags.h PAGE_MAPPING_* (6.1/6.12) or FOLIO_MAPPING_* (mainline) tag bits */
  readonly mappingFlags: {
    readonly anon: number;
    readonly movable: number | undefined;
    readonly ksm: number;
  };
  /** mm/internal.h ENTIRELY_MAPPED (6.12+), undefined in 6.1 */
  readonly entirelyMapped: number | undefined;
  /**
   * page_has_type() (page-flags.h): 6.1 `(int)page_type < PAGE_MAPCOUNT_RESERVE`; 6.12
   * `page_mapcount_is_type(page_type)`; mainline `page_type_has_type(page_type)`
   */
  readonly pageHasType: 'mapcount_reserve' | 'mapcount_is_type' | 'type_has_type';
  /** folio_flags()'s tail check as written: 6.1 `PageTail(page)`, 6.12+ `page->compound_head & 1` */
  readonly folioFlagsTailCheck: string;
  /** wp_can_reuse_anon_folio() refuses large folios (6.12 mm/memory.c:3596; 6.1 has no such test) */
  readonly wpReuseRejectsLarge: boolean;
  /** transparent hugepages beyond the PMD fault: mTHP, the deferred split queue, split_huge_page */
  readonly thp: ThpFacts;
  /** include/linux/mm.h folio_get_nontail_page() exists (6.12+) */
  readonly folioGetNontailPage: boolean;
  /** the page_type value meaning "no type" / the initial _mapcount */
  readonly pageTypeNone: number;
  /**
   * include/linux/page-flags.h PAGE_FLAGS_CHECK_AT_FREE: the PG_ lnames free_pages_prepare() reports
   * as bad_page() "PAGE_FLAGS_CHECK_AT_FREE flag(s) set" (names missing from a config are skipped)
   */
  readonly pageFlagsCheckAtFree: readonly string[];
  /**
   * mm/swap_state.c free_pages_and_swap_cache(), the mmu_gather flush: 'release_pages' puts each
   * entry with folio_put_testzero (val -1, 6.1); 'folios_put_refs' puts nr refs per entry (6.12+);
   * `drains`: it starts with lru_add_drain() (6.1, 6.12; mainline dropped it)
   */
  readonly mmuGatherFree: { readonly put: 'release_pages' | 'folios_put_refs'; readonly drains: boolean };
  /**
   * mm/filemap.c filemap_map_pages() for an order-0 folio: 6.1 (:3513) hands the next_uptodate_page()
   * folio_try_get reference to the PTE (mod_unless +1 only); 6.12 filemap_map_order0_folio() (:3629)
   * takes folio_ref_inc for the PTE and folio_put()s the lookup reference (+1, +1, -1)
   */
  readonly faultAroundRef: 'handed_to_pte' | 'ref_inc_then_put';
  /** mm/migrate.c: the migration retry structure and the expected-refcount check */
  readonly migrate: {
    /**
     * 6.1 add_page_for_migration() (:1972): follow_page(FOLL_GET) +1, isolate_lru_page +1, put_page -1;
     * 6.12 (:2224): folio_walk without a reference, folio_isolate_lru +1. do_pages_stat_array()
     * (nodes == NULL) the same: 6.1 (:2186) follow_page(FOLL_GET) +1, put_page -1; 6.12 (:2424)
     * folio_walk_start only
     */
    readonly movePagesFollowPageGet: boolean;
    /**
     * passes per round: 6.1 migrate_pages() NR_MAX_MIGRATE_PAGES_RETRY (:1490) = [10], each pass
     * unmapping and remapping again (unmap_and_move), the pieces of a large folio split for want
     * of a destination then migrated in the same batch (:1761); 6.12 migrate_pages_sync() (:1978,
     * :2005): an ASYNC batch of NR_MAX_MIGRATE_ASYNC_RETRY 3 then SYNC of 7, each unmapping once,
     * split pieces migrated after it in one ASYNC pass (migrate_pages :2100)
     */
    readonly passes: readonly number[];
    readonly unmapEveryPass: boolean;
    /**
     * 6.12 __migrate_folio() (:793): folio_ref_count(src) != folio_expected_ref_count(src) + 1 ->
     * -EAGAIN before any freeze; 6.1 folio_migrate_mapping() (:411) freezes mapping-backed folios
     * directly (ret=0 on an extra reference) and only compares for anon without mapping (:395)
     */
    readonly precheck: boolean;
    /**
     * migrate_folio_move() drains this CPU's LRU batches right after folio_add_lru(dst) when src
     * was mapped (6.1 mm/migrate.c:1212 `if (page_was_mapped) lru_add_drain()`); 6.12 (:1388)
     * only for an mlocked src
     */
    readonly drainAfterMappedMove: boolean;
    /**
     * migrate_pages() cuts its list into batches of NR_MAX_BATCHED_MIGRATION (HPAGE_PMD_NR) pages:
     * 6.12 (:2072) ends a batch with the folio whose pages reach it ('reaching', `>=`, cut after
     * it); 6.1 (:1833) before the folio that would exceed it ('exceeding', `>`, cut before it)
     */
    readonly batchEnd: 'reaching' | 'exceeding';
    /**
     * 6.12 __folio_migrate_mapping() (:522) takes a large rmappable anon folio off the deferred split
     * queue between folio_ref_freeze(expected) and folio_ref_unfreeze(expected), and
     * migrate_folio_move() (:1369, :1400) queues dst if src was queued (partially mapped or not);
     * 6.1 does neither (src leaves the queue when it is freed)
     */
    readonly unqueueDeferredSplit: boolean;
    /**
     * 6.12 migrate_pages_batch() (:1777) splits a partially mapped folio on the deferred split queue
     * (try_split_folio) before trying to migrate it; 6.1 has no such step
     */
    readonly splitPartiallyMapped: boolean;
    /**
     * move_pages' "mapped by another process" test (-EACCES without MPOL_MF_MOVE_ALL): 6.1
     * add_page_for_migration() (:1990) page_mapcount(page) > 1; 6.12 __add_folio_for_migration()
     * (:2218) folio_likely_mapped_shared(folio)
     */
    readonly movePagesShared: 'page_mapcount' | 'folio_likely_mapped_shared';
  };
  /** mm/compaction.c */
  readonly compaction: {
    /**
     * how the free scanner's pages are held: 6.1 'split_at_isolation' (isolate_freepages ->
     * split_map_pages: split to order 0 and refcounted at once, one list, compaction_free keeps
     * the reference, release_freepages puts it); 6.12 'per_order_lists' (cc->freepages[order],
     * refcounted by compaction_alloc, compaction_free puts it to 0, release_free_list refcounts
     * and frees)
     */
    readonly freepages: 'split_at_isolation' | 'per_order_lists';
    /**
     * compound pages isolate_migratepages_block() steps over: 6.1 every one (:1003); 6.12 those
     * of pageblock order or more when compacting for compact_memory (skip_isolation_on_order :834)
     */
    readonly skipCompound: 'all' | 'pageblock_order';
  };
  /**
   * deactivate_file_folio() (invalidate_mapping_pages' hint for a folio it could not drop) leaves a
   * folio not on the LRU (in an lru_add batch, isolated) alone (6.12 mm/swap.c:689); 6.1 (:699)
   * queues every evictable folio (+1), and the batch's drain skips one still off the LRU
   */
  readonly deactivateFileNeedsLru: boolean;
  /** mm/vmscan.c, mm/swap.c, mm/memcontrol.c: how reclaim differs between versions */
  readonly reclaim: {
    /**
     * lru_note_cost(): 6.1 (mm/swap.c:290) charges the folios written (stat.nr_pageout); 6.12 (:271)
     * nr_io * SWAP_CLUSTER_MAX + nr_rotated, shrink_inactive_list passing the folios it kept
     */
    readonly lruNoteCost: 'pageout' | 'io_and_rotated';
    /** where shrink_folio_list/move_folios_to_lru free: 6.1 free_unref_page_list, 6.12 free_unref_folios */
    readonly freeFolios: 'free_unref_page_list' | 'free_unref_folios';
    /**
     * do_try_to_free_pages() retries from DEF_PRIORITY with memcg_full_walk when nothing was
     * reclaimed (6.12 mm/vmscan.c:6340; 6.1 has no such retry)
     */
    readonly memcgFullWalkRetry: boolean;
    /**
     * memory_reclaim() (mm/memcontrol.c) asks try_to_free_mem_cgroup_pages for: 6.1 everything left,
     * 6.12 a quarter of what is left (at least SWAP_CLUSTER_MAX)
     */
    readonly memoryReclaimBatch: 'remaining' | 'quarter';
    /**
     * MADV_PAGEOUT: reclaim_folio_list() passes ignore_references and madvise leaves the PTEs young
     * (6.12 mm/vmscan.c:2166); 6.1 madvise makes them old (mm/madvise.c:467) and reclaim_folio_list
     * (mm/vmscan.c:2697) checks references
     */
    readonly pageoutIgnoresReferences: boolean;
  };
  /** mm/vmscan.c, include/linux/mm_inline.h: how the multi-gen LRU (CONFIG_LRU_GEN) differs */
  readonly mglru: MglruFacts;
  /** mm/page_io.c, mm/swap_state.c, mm/swapfile.c: swap I/O and readahead */
  readonly swap: {
    /**
     * a SWP_SYNCHRONOUS_IO device's write: 6.1 __swap_writepage -> bdev_write_page -> ->rw_page
     * (zram_rw_page -> page_endio -> end_page_writeback, before the folio is unlocked); 6.12
     * swap_writepage_bdev_sync (folio_unlock, submit_bio_wait, __end_swap_bio_write)
     */
    readonly syncWrite: 'bdev_write_page' | 'swap_writepage_bdev_sync';
    /** swap_vma_readahead()'s last lookup of the faulting entry: 6.1 read_swap_cache_async, 6.12 __read_swap_cache_async */
    readonly readaheadTarget: 'read_swap_cache_async' | '__read_swap_cache_async';
    /**
     * __try_to_reclaim_swap() frees the cache of a slot: 6.1 (mm/swapfile.c:131) through
     * folio_free_swap, 6.12 (:183) with delete_from_swap_cache after swap_is_has_cache
     */
    readonly tryToReclaimSwap: 'folio_free_swap' | 'delete_from_swap_cache';
  };
  /**
   * How this build's stacks show the simulator's functions (read off the real traces'
   * `<stack trace>` blocks, ../shared/traces/<v>/<workload>/trace-stack.txt): a function missing here
   * appears under its own name; an entry lists the frames shown instead, outermost first, [] when
   * the compiler inlined it into its caller (static helpers of mm/memory.c, mm/filemap.c, ...) or
   * the release has other names (6.12 *_noprof allocator entry points, 6.1 release_pages).
   */
  readonly stackFrames: Readonly<Record<string, readonly string[]>>;
  /** where each modelled VM_BUG_ON sits ('include/linux/page_ref.h:288'), keyed by function[:check] */
  readonly bugSites: Readonly<Record<BugSite, string>>;
}

/** MGLRU's reclaim and aging per release (mm/vmscan.c, include/linux/mm_inline.h, mm/rmap.c) */
export interface MglruFacts {
  /**
   * where reclaim enters MGLRU: 6.1 shrink_lruvec() -> lru_gen_shrink_lruvec() for every reclaim
   * (mm/vmscan.c:5922), aging and evicting in one loop; 6.12 shrink_node() -> lru_gen_shrink_node()
   * for root reclaim (mm/vmscan.c:5974) over the memcg LRU (shrink_many), an aging ending the
   * lruvec's turn (get_nr_to_scan returns -1)
   */
  readonly entry: 'lru_gen_shrink_lruvec' | 'lru_gen_shrink_node';
  /**
   * lru_gen_add_folio() of an active folio also clears LRU_REFS_MASK and PG_referenced (6.12
   * include/linux/mm_inline.h:272); 6.1 (:259) clears PG_active only
   */
  readonly addActiveClearsRefs: boolean;
  /**
   * 6.1 sort_folio() (mm/vmscan.c:4800) moves locked, writeback and dirty file folios to the next
   * generation with PG_reclaim (folio_inc_gen reclaiming); 6.12 isolates them for shrink_folio_list
   */
  readonly sortWaitingForWriteback: boolean;
  /** 6.1 isolate_folio() clears PG_reclaim (mm/vmscan.c:4840); 6.12 leaves it */
  readonly isolateClearsReclaim: boolean;
  /**
   * the rmap walk's use of lru_gen_look_around(): 6.1 folio_referenced_one() (mm/rmap.c:832) calls
   * it for a young PTE (which its loop clears, giving the isolated folio PG_referenced), then
   * ptep_clear_flush_young; neighbours it promotes go through folio_activate() when fewer than
   * PAGEVEC_SIZE and no walk is set, else folio_update_gen under the lru_lock (mm/vmscan.c:4617).
   * 6.12 (mm/rmap.c:896, mm/vmscan.c:4065) clears the folio's own PTE first, returns whether it
   * was young, and activates each promoted neighbour (folio_activate) unless a walk is set.
   */
  readonly lookAround: 'after_pte_young' | 'clears_own_pte';
  /**
   * walk_pmd_range() skips PTE tables whose PMD is not young only without force_scan (6.12
   * mm/vmscan.c:3590); 6.1 (:4115) whatever force_scan says
   */
  readonly nonleafYoungOnlyWithoutForceScan: boolean;
  /** 6.1 should_skip_mm() (mm/vmscan.c:3446): an mm mapping fewer than MIN_LRU_BATCH pages is not walked */
  readonly walkSkipsSmallMm: boolean;
  /**
   * the page-table walk is built only with CONFIG_LRU_GEN_WALKS_MMU (6.12 mm/vmscan.c:2791, no
   * mm_state without it: the aging only bumps max_seq); 6.1 always builds it
   */
  readonly walkNeedsConfig: boolean;
  /** 6.12 iterate_mm_list_nowalk() (mm/vmscan.c:3048) resets head and tail, so the next walk forces every mm */
  readonly nowalkResetsTail: boolean;
  /**
   * 6.1 try_to_inc_max_seq() walks the page tables for force_scan (debugfs aging) even without
   * LRU_GEN_MM_WALK (mm/vmscan.c:4417); 6.12 only with it (should_walk_mmu, :3909)
   */
  readonly forceScanWalks: boolean;
}

/** mm/huge_memory.c, mm/rmap.c, mm/memory.c facts about large anonymous folios */
export interface ThpFacts {
  /**
   * orders with a /sys/kernel/mm/transparent_hugepage/hugepages-<size>kB/enabled knob: anon mTHP
   * came in 6.8; 6.12 include/linux/huge_mm.h THP_ORDERS_ALL_ANON = orders 2..PMD_ORDER.
   * Empty: only the global `enabled` knob, for PMD THPs (6.1)
   */
  readonly anonOrders: readonly number[];
  /**
   * a run of PTEs mapping consecutive pages of one large folio is handled at once (folio_pte_batch):
   * fork's copy_present_ptes takes one folio_ref_add(nr) and zap_present_ptes removes nr pages' rmap
   * and queues one mmu_gather entry of nr references (6.12 mm/memory.c:981, :1535); 6.1 copies and
   * zaps one PTE at a time (copy_present_pte, zap_pte_range: +1 / -1 per page)
   */
  readonly pteBatch: boolean;
  /**
   * 'partially_mapped' (6.12 mm/rmap.c __folio_remove_rmap): a PTE unmap queues an anon large folio
   * when some page went unmapped and some is still mapped, setting PG_partially_mapped; a new PMD THP
   * is queued too (__do_huge_pmd_anonymous_page, split_underused_thp) and deferred_split_scan()
   * splits only partially mapped (or underused) folios. 'subpage_unmapped' (6.1 page_remove_rmap):
   * any subpage whose _mapcount goes negative queues the THP, and the scan splits every queued one
   */
  readonly deferredSplit: 'partially_mapped' | 'subpage_unmapped';
  /**
   * __split_huge_pmd_locked() with freeze, from unmap_folio(): 'ref_per_pte' (6.1) takes
   * page_ref_add(HPAGE_PMD_NR - 1) and _mapcount per PTE, then page_remove_rmap + put_page per
   * subpage (+511, 512 x -1); 'one_put' (6.12) takes nothing, folio_remove_rmap_pmd, one put_page (-1)
   */
  readonly freezePmd: 'ref_per_pte' | 'one_put';
  /** remap_page(RMP_USE_SHARED_ZEROPAGE) after an anon split maps zero-filled subpages to the zero page (6.12) */
  readonly splitRemapsZeroPages: boolean;
  /** __split_huge_page_tail(): the head flags each tail gets (names this config lacks are skipped) */
  readonly splitTailFlags: readonly string[];
  /**
   * debugfs split_huge_pages_pid(): 'follow_page' (6.1) takes follow_page(FOLL_GET) +1 on every
   * page of the range (put again after), and splits at the page of the address; 'folio_walk' (6.12)
   * takes nothing to look, folio_get only on a THP it splits, at the folio's head
   */
  readonly splitPagesLookup: 'follow_page' | 'folio_walk';
}

export type BugSite =
  | 'page_ref_unfreeze'
  | 'page_ref_unfreeze:count'
  | 'folio_ref_try_add_rcu'
  | 'put_page_testzero'
  | 'folio_get'
  | 'folio_add_lru:active_unevictable'
  | 'folio_add_lru:lru'
  | 'folio_add_lru_vma'
  | 'lru_add';
