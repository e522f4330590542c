/**
 * Mainline (torvalds/linux at 53fbef56e07d, the 6.18 merge window): facts outside page-flags.h.
 * Files read at that commit: include/linux/mm.h, include/linux/mm_types.h, include/linux/page-flags.h;
 * mm/swap_state.c at cb9f145f. Everything not listed here is as in 6.12 (no mainline trace or tree
 * could be checked beyond those files, so the rest is carried forward, not verified).
 */
import type { ProfileFacts } from './types.js';
import { facts_v6_12 } from './v6_12.js';

export const facts_mainline: ProfileFacts = {
  ...facts_v6_12,
  name: 'mainline',
  release: '6.18-rc (53fbef56e07d)',
  // include/linux/mm.h (mainline): get_page()/put_page() return early for slab and large-kmalloc folios
  getPutIgnoreSlab: true,
  // include/linux/page-flags.h (mainline): FOLIO_MAPPING_ANON 0x1, FOLIO_MAPPING_ANON_KSM 0x2,
  // FOLIO_MAPPING_KSM 0x3; the movable bit is gone (PG_movable_ops replaces it)
  mappingFlags: { anon: 1, movable: undefined, ksm: 3 },
  // page-flags.h (mainline): page_has_type = page_type_has_type(page_type)
  pageHasType: 'type_has_type',
  // mm/swap_state.c @cb9f145f: no lru_add_drain(), folios_put_refs()
  mmuGatherFree: { put: 'folios_put_refs', drains: false },
  // line numbers not pinned for mainline: file only
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
