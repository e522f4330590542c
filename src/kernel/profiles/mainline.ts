/**
 * Mainline (torvalds/linux at 53fbef56e07d, the 6.18 merge window): facts outside page-flags.h.
 * Files read at that commit: include/linux/mm.h, include/linux/mm_types.h, include/linux/page-flags.h.
 */
import type { ProfileFacts } from './types.js';

export const facts_mainline: ProfileFacts = {
  name: 'mainline',
  release: '6.18-rc (53fbef56e07d)',
  // include/trace/events/page_ref.h (mainline): raw _mapcount, as since 6.10
  traceMapcount: 'raw',
  folioBatchSize: 31,
  gupPinCountingBias: 1024,
  // include/linux/page_ref.h (mainline): page_count_writable() guard before atomic_add_unless
  pageRef: { pageRefSubReturn: false, tryAdd: 'folio_ref_try_add', addUnlessChecksFakeHead: true },
  // include/linux/mm.h (mainline): get_page()/put_page() return early for slab and large-kmalloc folios
  faultRefAddNrPagesMinusOne: true,
  shmemWriteReferencedFirst: false,
  blkdevMpageReadahead: 'CONFIG_BUFFER_HEAD',
  getPutIgnoreSlab: true,
  folioLayout: 'folio_v6_12',
  dumpPageLayout: '6.12',
  maxPageOrder: 10,
  // include/linux/page-flags.h (mainline): FOLIO_MAPPING_ANON 0x1, FOLIO_MAPPING_ANON_KSM 0x2,
  // FOLIO_MAPPING_KSM 0x3; the movable bit is gone (PG_movable_ops replaces it)
  mappingFlags: { anon: 1, movable: undefined, ksm: 3 },
  entirelyMapped: 0x800000,
  // page-flags.h (mainline): page_has_type = page_type_has_type(page_type)
  pageHasType: 'type_has_type',
  folioFlagsTailCheck: 'page->compound_head & 1',
  wpReuseRejectsLarge: true,
  folioGetNontailPage: true,
  pageTypeNone: -1,
  // line numbers not pinned for mainline: file only
  // include/linux/page-flags.h (mainline, same list as 6.12) PAGE_FLAGS_CHECK_AT_FREE (LRU_GEN_MASK bits are above PAGEFLAGS_MASK)
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
  // mm/swap_state.c @cb9f145f: no lru_add_drain(), folios_put_refs()
  mmuGatherFree: { put: 'folios_put_refs', drains: false },
  faultAroundRef: 'ref_inc_then_put',
  migrate: { movePagesFollowPageGet: false, passes: [3, 7], unmapEveryPass: false, precheck: true },
  /*
   * the frames this build shows (trace-stack.txt of ../shared/traces/6.12; mainline assumed alike): static helpers of
   * mm/memory.c inlined into do_pte_missing()/do_wp_page(), the *_noprof allocator entry points
   * (include/linux/alloc_tag.h), folio_add_lru() as __folio_batch_add_and_move() and folios_put()
   * as folios_put_refs() (mm/swap.c), iter_to_pipe() and madvise_pageout() inlined (fs/splice.c,
   * mm/madvise.c)
   */
  stackFrames: {
    migrate_folio: ['__migrate_folio'],
    folio_migrate_mapping: ['__folio_migrate_mapping'],
    __alloc_pages: ['__alloc_pages_noprof'],
    folio_add_lru: ['__folio_batch_add_and_move'],
    folios_put: ['folios_put_refs'],
    folio_batch_release: ['folios_put_refs'],
    do_anonymous_page: [],
    do_fault: [],
    do_read_fault: [],
    do_shared_fault: [],
    do_cow_fault: [],
    wp_page_copy: [],
    copy_present_ptes: [],
    madvise_pageout: [],
    iter_to_pipe: [],
  },
  bugSites: {
    page_ref_unfreeze: 'include/linux/page_ref.h',
    'page_ref_unfreeze:count': 'include/linux/page_ref.h',
    folio_ref_try_add_rcu: 'include/linux/page_ref.h',
    put_page_testzero: 'include/linux/mm.h',
    folio_get: 'include/linux/mm.h',
    'folio_add_lru:active_unevictable': 'mm/swap.c',
    'folio_add_lru:lru': 'mm/swap.c',
    folio_add_lru_vma: 'mm/swap.c',
    lru_add: 'mm/swap.c',
  },
};
