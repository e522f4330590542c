/**
 * The heart of reclaim (mm/vmscan.c): shrink_folio_list() deciding for each isolated folio whether
 * to activate, keep or free it — folio_check_references (rmap young bits), add_to_swap for anon
 * folios when a swap device exists, try_to_unmap (-1 per PTE), pageout of dirty folios (the swap
 * write; tmpfs without swap redirties and activates), __remove_mapping's freeze of 1 + nr (ret=1
 * frees the folio while frozen, no further event) — and MADV_PAGEOUT's reclaim_pages(), which
 * shrinks the folios madvise isolated with ignore_references and puts the rest back
 * (folio_putback_lru: +1, -1). The LRU scanning that feeds shrink_folio_list under memory pressure
 * is vmscan_lru.ts; the scan control and the entry points are vmscan_node.ts.
 */
import { PageAnon, folio_mapcount, folio_mapped, folio_test_large } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_maybe_dma_pinned } from '../kernel/mm_ref.js';
import { folio_ref_freeze, folio_ref_unfreeze } from '../kernel/page_ref.js';
import { VM_BUG_ON_FOLIO } from '../kernel/vm_bug.js';
import { __remove_mapping as __remove_mapping_file, folio_address_space } from './filemap.js';
import { folio_is_file_lru } from './lru.js';
import { mmcache } from './mm_cache.js';
import { Pte, type MmStruct, type Vma } from './mm_types.js';
import { swap_io_complete, swap_writepage } from './page_io.js';
import { folio_referenced, try_to_unmap } from './rmap.js';
import { called, enter, leave } from './stack.js';
import { folio_isolate_lru, folio_putback_lru, lru_add_drain } from './swap.js';
import { add_to_swap } from './swap_state.js';
import {
  __delete_from_swap_cache,
  folio_free_swap,
  folio_swap_offset,
  mem_cgroup_swap_full,
  put_swap_folio,
  swap_info,
} from './swapfile.js';
import { NotModelled } from './not_modelled.js';

/** include/linux/mmzone.h DEF_PRIORITY */
export const DEF_PRIORITY = 12;
/** vm_swappiness (mm/vmscan.c, the root memcg's), MAX_SWAPPINESS (include/linux/swap.h: 200) */
export const VM_SWAPPINESS = 60;
export const MAX_SWAPPINESS = 200;

/** get_nr_swap_pages() > 0 (can_reclaim_anon_pages, 6.12 mm/vmscan.c:338): free swap slots left */
export function can_reclaim_anon_pages(k: Kernel): boolean {
  const si = swap_info(k);
  return si !== undefined && si.nrSwapPages > 0;
}

/**
 * struct scan_control (mm/vmscan.c), the fields the model's paths read; may_unmap, may_swap and
 * may_writepage are 1 on every path modelled (direct reclaim, memory.reclaim, reclaim_pages)
 */
export interface ScanControl {
  /** the address spaces the rmap walks look at (the model's rmap is a walk over them) */
  readonly mms: readonly MmStruct[];
  readonly nrToReclaim: number;
  nrReclaimed: number;
  priority: number;
  /** sc->order: the allocation's order (compact_gap, MGLRU's should_abort_scan) */
  readonly order: number;
  /**
   * cgroup_reclaim(): sc->target_mem_cgroup is set (memory.reclaim, of the root cgroup: still
   * root_reclaim()), not global reclaim; memory.reclaim is also sc->proactive
   */
  readonly cgroup: boolean;
  /** DEACTIVATE_ANON | DEACTIVATE_FILE */
  mayDeactivate: number;
  forceDeactivate: boolean;
  skippedDeactivate: boolean;
  cacheTrimMode: boolean;
  fileIsTiny: boolean;
  anonCost: number;
  fileCost: number;
}

const enum Ref {
  RECLAIM,
  RECLAIM_CLEAN,
  KEEP,
  ACTIVATE,
}

/**
 * folio_check_references() (6.12 mm/vmscan.c:865; 6.1 :1457): young PTEs (folio_referenced)
 * mark the folio PG_referenced and keep it for another trip, or activate it when it was already
 * referenced or is mapped young more than once; an unreferenced file folio that was
 * PG_referenced is reclaimed only if clean.
 */
function folio_check_references(k: Kernel, sc: ScanControl, folio: Pfn): Ref {
  const f = mmcache(k).f;
  const referencedPtes = folio_referenced(k, sc.mms, folio);
  const referencedFolio = f.folio_test_clear_referenced(folio);
  if (referencedPtes) {
    f.folio_set_referenced(folio);
    if (referencedFolio || referencedPtes > 1) return Ref.ACTIVATE;
    return Ref.KEEP;
  }
  if (referencedFolio && folio_is_file_lru(k, folio)) return Ref.RECLAIM_CLEAN;
  return Ref.RECLAIM;
}

const enum Pageout {
  KEEP,
  ACTIVATE,
  SUCCESS,
  CLEAN,
}

/** is_page_cache_freeable() (6.12 mm/vmscan.c:462): only the isolation and the cache hold it */
function is_page_cache_freeable(k: Kernel, folio: Pfn): boolean {
  const priv = mmcache(k).f.folio_test_private(folio) ? 1 : 0;
  return k.mem.refcount[folio] - priv === 2;
}

/**
 * pageout() (6.12 mm/vmscan.c:638; 6.1 :1237) of a dirty folio: kept when someone else holds a
 * reference; folio_clear_dirty_for_io, PG_reclaim, ->writepage: swap_writepage for the swap cache;
 * tmpfs' shmem_writepage without a swap device redirties (AOP_WRITEPAGE_ACTIVATE -> activate).
 */
function pageout(k: Kernel, folio: Pfn): Pageout {
  return called(k, 'pageout', () => {
    const f = mmcache(k).f;
    if (!is_page_cache_freeable(k, folio)) return Pageout.KEEP;
    const swapcache = f.folio_test_swapcache(folio);
    const file = swapcache ? undefined : folio_address_space(k, folio);
    if (!swapcache && !file) return Pageout.KEEP;
    if (file && file.kind === 'shmem' && swap_info(k))
      throw new NotModelled(
        `pageout: swap-out of tmpfs pages (shmem_writepage) is not modelled (${file.name})`,
      );
    if (file && file.kind === 'file')
      throw new NotModelled(`pageout: writeback of dirty block-device pages is not modelled (${file.name})`);
    if (!f.folio_test_clear_dirty(folio)) return Pageout.CLEAN;
    f.folio_set_reclaim(folio);
    if (!swapcache) {
      // shmem_writepage(): !total_swap_pages -> redirty: folio_mark_dirty, AOP_WRITEPAGE_ACTIVATE
      f.folio_set_dirty(folio);
      f.folio_clear_reclaim(folio);
      return Pageout.ACTIVATE;
    }
    swap_writepage(k, folio);
    if (!f.folio_test_writeback(folio)) f.folio_clear_reclaim(folio);
    return Pageout.SUCCESS;
  });
}

/**
 * __remove_mapping() (6.12 mm/vmscan.c:720; 6.1 :1311) with reclaimed=true: folio_ref_freeze(1 +
 * nr); a folio dirtied meanwhile is unfrozen; a swap-cache folio leaves the swap cache
 * (__delete_from_swap_cache, put_swap_folio) at refcount 0, a page-cache folio its mapping.
 */
function __remove_mapping(k: Kernel, folio: Pfn): boolean {
  if (!mmcache(k).f.folio_test_swapcache(folio)) {
    const mapping = folio_address_space(k, folio);
    return mapping !== undefined && __remove_mapping_file(k, mapping, folio);
  }
  return called(k, '__remove_mapping', () => {
    if (!called(k, 'page_ref_freeze', () => folio_ref_freeze(k, folio, 2))) return false;
    if (mmcache(k).f.folio_test_dirty(folio)) {
      folio_ref_unfreeze(k, folio, 2);
      return false;
    }
    const off = folio_swap_offset(k, folio);
    __delete_from_swap_cache(k, folio, off);
    put_swap_folio(k, off);
    return true;
  });
}

export interface ShrinkResult {
  nrReclaimed: number;
  /** the folios that stay, isolated, in the order move_folios_to_lru() takes them */
  kept: Pfn[];
  /** stat->nr_pageout: folios written (what lru_note_cost charges) */
  nrPageout: number;
}

/**
 * shrink_folio_list() (6.12 mm/vmscan.c:1049; 6.1 :1640) for order-0 folios, one node: see the
 * module comment. Freed folios (refcount 0 after the freeze) go to free_unref_folios (6.1
 * free_unref_page_list) at the end. Large folios are not modelled.
 */
export function shrink_folio_list(
  k: Kernel,
  sc: ScanControl,
  folios: readonly Pfn[],
  ignoreReferences: boolean,
): ShrinkResult {
  return called(k, 'shrink_folio_list', () => {
    const f = mmcache(k).f;
    const stat = { nrPageout: 0 };
    const kept: Pfn[] = [];
    const free: Pfn[] = [];
    for (const folio of folios) {
      if (f.folio_test_locked(folio)) {
        kept.push(folio); // folio_trylock() failed: keep
        continue;
      }
      f.__folio_set_locked(folio);
      if (folio_test_large(k, folio))
        throw new NotModelled(
          `shrink_folio_list: reclaim of large folio 0x${folio.toString(16)} is not modelled`,
        );
      VM_BUG_ON_FOLIO(k, f.folio_test_active(folio), 'folio_test_active(folio)', folio, 'mm/vmscan.c');
      const verdict = shrink_one(k, sc, folio, ignoreReferences, stat);
      if (verdict === 'free') {
        free.push(folio);
        continue;
      }
      if (verdict === 'activate') {
        // activate_locked: give up the swap space of a folio not worth swapping, then PG_active
        if (f.folio_test_swapcache(folio) && mem_cgroup_swap_full(k)) folio_free_swap(k, folio);
        VM_BUG_ON_FOLIO(k, f.folio_test_active(folio), 'folio_test_active(folio)', folio, 'mm/vmscan.c');
        f.folio_set_active(folio);
      }
      if (verdict !== 'keep_unlocked') f.__folio_clear_locked(folio);
      kept.push(folio);
    }
    called(k, k.profile.facts.reclaim.freeFolios, () => {
      for (const folio of free) k.freeFolio(k, folio);
    });
    return { nrReclaimed: free.length, kept, nrPageout: stat.nrPageout };
  });
}

type Verdict = 'free' | 'activate' | 'keep' | 'keep_unlocked';

/** the body of shrink_folio_list()'s loop for one locked folio, up to its label */
function shrink_one(
  k: Kernel,
  sc: ScanControl,
  folio: Pfn,
  ignoreReferences: boolean,
  stat: { nrPageout: number },
): Verdict {
  const f = mmcache(k).f;
  if (mmcache(k).lruGen && !ignoreReferences && folio_mapped(k, folio) && f.folio_test_referenced(folio))
    return 'keep';
  // a folio under writeback (the three cases of 6.12 :1150) is never met: page_io.ts completes a
  // pass's swap writes before the folios can be scanned again
  if (f.folio_test_writeback(folio))
    throw new Error(`shrink_folio_list: pfn 0x${folio.toString(16)} is under writeback (not modelled)`);
  let references = Ref.RECLAIM;
  if (!ignoreReferences) references = folio_check_references(k, sc, folio);
  if (references === Ref.ACTIVATE) return 'activate';
  if (references === Ref.KEEP) return 'keep';
  if (PageAnon(k, folio) && f.folio_test_swapbacked(folio) && !f.folio_test_swapcache(folio)) {
    if (folio_maybe_dma_pinned(k, folio)) return 'keep';
    if (!add_to_swap(k, folio)) return 'activate';
  }
  if (folio_mapped(k, folio)) {
    try_to_unmap(k, sc.mms, folio);
    if (folio_mapped(k, folio)) return 'activate';
  }
  if (folio_maybe_dma_pinned(k, folio)) return 'activate';
  if (f.folio_test_dirty(folio)) {
    // direct reclaim and MADV_PAGEOUT never write file folios (only kswapd may): immediate reclaim
    if (folio_is_file_lru(k, folio)) {
      f.folio_set_reclaim(folio);
      return 'activate';
    }
    if (references === Ref.RECLAIM_CLEAN) return 'keep';
    switch (pageout(k, folio)) {
      case Pageout.KEEP:
        return 'keep';
      case Pageout.ACTIVATE:
        return 'activate';
      case Pageout.SUCCESS:
        stat.nrPageout++;
        if (f.folio_test_writeback(folio) || f.folio_test_dirty(folio)) return 'keep_unlocked';
        // a synchronous write: folio_trylock again and go on to free it
        if (f.folio_test_locked(folio)) return 'keep_unlocked';
        f.__folio_set_locked(folio);
        if (f.folio_test_dirty(folio) || f.folio_test_writeback(folio)) return 'keep';
        break;
      case Pageout.CLEAN:
        break;
    }
  }
  if (!__remove_mapping(k, folio)) return 'keep';
  f.__folio_clear_locked(folio);
  return 'free';
}

/** the live address spaces of a Kernel, for reclaim's rmap walks (registered by the Machine) */
const reclaimMms = new WeakMap<Kernel, () => readonly MmStruct[]>();

export function set_reclaim_mms(k: Kernel, mms: () => readonly MmStruct[]): void {
  reclaimMms.set(k, mms);
}

export function reclaim_mms(k: Kernel): readonly MmStruct[] {
  const fn = reclaimMms.get(k);
  if (!fn) throw new Error('reclaim: the Kernel has no Machine (set_reclaim_mms) to walk the rmap of');
  return fn();
}

/** A struct scan_control at `priority` for `nrToReclaim` pages; `cgroup`: a memcg target (memory.reclaim) */
export function scan_control(
  mms: readonly MmStruct[],
  nrToReclaim: number,
  priority: number,
  cgroup: boolean,
  order = 0,
): ScanControl {
  return {
    mms,
    nrToReclaim,
    nrReclaimed: 0,
    priority,
    order,
    cgroup,
    mayDeactivate: 0,
    forceDeactivate: false,
    skippedDeactivate: false,
    cacheTrimMode: false,
    fileIsTiny: false,
    anonCost: 0,
    fileCost: 0,
  };
}

/**
 * reclaim_pages() -> reclaim_folio_list() (6.12 mm/vmscan.c:2176/:2152; 6.1 :2707): PG_active
 * cleared (MGLRU's isolation sets it for the two youngest generations), shrink_folio_list (6.12
 * with ignore_references: profile fact reclaim.pageoutIgnoresReferences), folio_putback_lru for
 * what stayed.
 */
function reclaim_pages(k: Kernel, mms: readonly MmStruct[], folios: Pfn[]): void {
  if (!folios.length) return;
  called(k, 'reclaim_pages', () => {
    const f = mmcache(k).f;
    for (const folio of folios) f.folio_clear_active(folio);
    called(k, 'reclaim_folio_list', () => {
      // reclaim_folio_list()'s scan_control (6.12 mm/vmscan.c:2152): GFP_KERNEL, may write, unmap, swap
      const ignore = k.profile.facts.reclaim.pageoutIgnoresReferences;
      const { kept } = shrink_folio_list(k, scan_control(mms, 0, 0, false), folios, ignore);
      for (const folio of kept) folio_putback_lru(k, folio);
      swap_io_complete(k);
    });
  });
}

/**
 * madvise(MADV_PAGEOUT) over pages [from, to] of a VMA (6.12 mm/madvise.c madvise_pageout ->
 * walk_page_range -> madvise_cold_or_pageout_pte_range :343): lru_add_drain, then every present
 * PTE's folio that is on the LRU and mapped once: 6.1 makes the PTE old (mm/madvise.c:467),
 * PG_referenced and PG_young cleared, PG_workingset if it was active (never under MGLRU: folios on
 * its lists have no PG_active), folio_isolate_lru; then reclaim_pages. Without a swap device the
 * anon folios stay (add_to_swap fails: activated and put back), as on the real kernels of
 * ../shared/traces.
 */
export function madvise_pageout(
  k: Kernel,
  mms: readonly MmStruct[],
  vma: Vma,
  from: number,
  to: number,
): void {
  const d = enter(k, '__x64_sys_madvise');
  for (const fn of [
    'do_madvise',
    'madvise_pageout',
    'walk_page_range',
    '__walk_page_range',
    'walk_pgd_range',
  ])
    enter(k, fn);
  try {
    called(k, 'madvise_cold_or_pageout_pte_range', () => {
      lru_add_drain(k);
      const f = mmcache(k).f;
      const list: Pfn[] = [];
      for (let i = from; i <= to; i++) {
        if (!(vma.pte[i] & Pte.PRESENT)) continue;
        const folio = vma.pfn[i];
        if (!f.folio_test_lru(folio) || folio_mapcount(k, folio) !== 1) continue;
        if (folio_test_large(k, folio))
          throw new NotModelled(`${vma.name}: MADV_PAGEOUT of a large folio (split_folio) is not modelled`);
        if (!k.profile.facts.reclaim.pageoutIgnoresReferences) vma.pte[i] |= Pte.OLD;
        f.folio_clear_referenced(folio);
        if (f.folio_test_active(folio)) f.folio_set_workingset(folio);
        if (folio_isolate_lru(k, folio)) list.push(folio);
      }
      reclaim_pages(k, mms, list);
    });
  } finally {
    leave(k, d);
  }
}
