/**
 * Anonymous memory paths of mm/memory.c for order-0 folios: the write fault
 * (do_anonymous_page), fork (copy_present_pte[s]), the write fault on a page shared after fork
 * (do_wp_page -> wp_can_reuse_anon_folio / wp_page_copy) and unmapping at exit (zap_pte_range +
 * the mmu_gather flush). Each step takes and drops references in the kernel's order, so the
 * page_ref events come out as a real kernel prints them.
 */
import { folio_test_large, page_folio } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_get, folio_maybe_dma_pinned, folio_put, folio_put_refs } from '../kernel/mm_ref.js';
import { pageflags } from '../kernel/page_flags.js';
import { folio_ref_add, folio_ref_count } from '../kernel/page_ref.js';
import { alloc_page } from './page_alloc.js';
import {
  PageAnonExclusive,
  folio_add_new_anon_rmap,
  folio_move_anon_rmap,
  folio_remove_rmap_pte,
  folio_try_dup_anon_rmap_pte,
} from './rmap.js';
import { called } from './stack.js';
import { folio_add_lru_vma, lru_add_drain } from './swap.js';

/** A process's anonymous memory: the anon_vma id and its PTEs (page index -> pfn). */
export interface MmStruct {
  readonly anonVma: number;
  readonly ptes: Map<number, { pfn: Pfn; writable: boolean }>;
}

export function mm_alloc(k: Kernel): MmStruct {
  return { anonVma: k.allocMappingId(), ptes: new Map() };
}

/**
 * do_anonymous_page() write fault (6.12 mm/memory.c:4736): folio_prealloc -> page_ref_set 1,
 * __folio_mark_uptodate, [6.12: folio_ref_add(nr_pages - 1) -> page_ref_mod val=0],
 * folio_add_new_anon_rmap(RMAP_EXCLUSIVE), folio_add_lru_vma (+1 for the lru_add batch).
 */
export function do_anonymous_page(k: Kernel, mm: MmStruct, index: number): Pfn {
  return called(k, 'do_anonymous_page', () => {
    const folio = called(k, 'vma_alloc_folio', () => alloc_page(k));
    pageflags(k).__folio_mark_uptodate(folio);
    // under the PTE lock, after the pte_none recheck (6.12 mm/memory.c:4828)
    if (k.profile.facts.faultRefAddNrPagesMinusOne) folio_ref_add(k, folio, 0);
    folio_add_new_anon_rmap(k, folio, mm.anonVma, index);
    folio_add_lru_vma(k, folio);
    mm.ptes.set(index, { pfn: folio, writable: true });
    return folio;
  });
}

/**
 * fork: copy_present_pte[s] (6.12 mm/memory.c:981; 6.1 copy_present_pte) for a private anon
 * page: folio_get (+1, before the mapcount changes), folio_try_dup_anon_rmap_pte (mapcount +1,
 * PG_anon_exclusive cleared), both PTEs write-protected.
 */
export function copy_present_pte(k: Kernel, src: MmStruct, dst: MmStruct, index: number): void {
  called(k, 'copy_present_pte', () => {
    const pte = src.ptes.get(index);
    if (!pte) return;
    const folio = page_folio(k, pte.pfn);
    folio_get(k, folio);
    if (!folio_try_dup_anon_rmap_pte(k, folio, folio_maybe_dma_pinned(k, folio))) {
      throw new Error(
        'copy_present_pte: pinned pages are copied at fork (copy_present_page): not modelled yet',
      );
    }
    pte.writable = false;
    dst.ptes.set(index, { pfn: pte.pfn, writable: false });
  });
}

/**
 * wp_can_reuse_anon_folio() (6.12 mm/memory.c:3586; inline in 6.1 do_wp_page): no for large
 * folios (6.12), KSM or refcount > 3; drain this CPU's lru_add batch if the folio is not on the
 * LRU; no if refcount > 1 + swapcache; then refcount must be exactly 1. Decided by the
 * refcount, not the mapcount.
 */
function wp_can_reuse_anon_folio(k: Kernel, folio: Pfn): boolean {
  return called(k, 'wp_can_reuse_anon_folio', () => {
    const f = pageflags(k);
    if (k.profile.facts.wpReuseRejectsLarge && folio_test_large(k, folio)) return false;
    if (folio_ref_count(k, folio) > 3) return false;
    if (!f.folio_test_lru(folio)) lru_add_drain(k);
    const swapcache = f.folio_test_swapcache(folio) ? 1 : 0;
    if (folio_ref_count(k, folio) > 1 + swapcache) return false;
    return folio_ref_count(k, folio) === 1;
  });
}

/**
 * do_wp_page() on a private anon page (6.12 mm/memory.c:3656): PG_anon_exclusive -> reuse;
 * else wp_can_reuse_anon_folio() -> reuse; else folio_get(old) and wp_page_copy().
 * Returns the pfn now mapped at `index`.
 */
export function do_wp_page(k: Kernel, mm: MmStruct, index: number): Pfn {
  return called(k, 'do_wp_page', () => {
    const pte = mm.ptes.get(index);
    if (!pte) throw new Error(`do_wp_page: no page at index ${index}`);
    const old = page_folio(k, pte.pfn);
    if (PageAnonExclusive(k, pte.pfn) || wp_can_reuse_anon_folio(k, old)) {
      if (!PageAnonExclusive(k, pte.pfn)) folio_move_anon_rmap(k, old, mm.anonVma);
      pte.writable = true; // wp_page_reuse(): no reference changes
      return old;
    }
    folio_get(k, old);
    return wp_page_copy(k, mm, index, old);
  });
}

/**
 * wp_page_copy() (6.12 mm/memory.c:3332): new folio (page_ref_set 1), copy, uptodate,
 * folio_add_new_anon_rmap + folio_add_lru_vma on the new one, folio_remove_rmap_pte(old) after
 * the PTE switch, then two folio_put(old): the old PTE's reference and do_wp_page's.
 */
function wp_page_copy(k: Kernel, mm: MmStruct, index: number, old: Pfn): Pfn {
  return called(k, 'wp_page_copy', () => {
    const folio = called(k, 'folio_prealloc', () => alloc_page(k));
    pageflags(k).__folio_mark_uptodate(folio);
    folio_add_new_anon_rmap(k, folio, mm.anonVma, index);
    folio_add_lru_vma(k, folio);
    mm.ptes.set(index, { pfn: folio, writable: true });
    folio_remove_rmap_pte(k, old);
    folio_put(k, old);
    folio_put(k, old);
    return folio;
  });
}

/**
 * exit_mmap() (6.12 mm/mmap.c): lru_add_drain(), then unmap_vmas -> zap_pte_range (rmap removed
 * per PTE, no ref events) and tlb_finish_mmu -> free_pages_and_swap_cache -> folios_put_refs:
 * one page_ref_mod_and_test val=-1 per PTE.
 */
export function exit_mmap(k: Kernel, mm: MmStruct): void {
  called(k, 'exit_mmap', () => {
    lru_add_drain(k);
    const gathered: Pfn[] = [];
    called(k, 'zap_pte_range', () => {
      for (const pte of mm.ptes.values()) {
        const folio = page_folio(k, pte.pfn);
        folio_remove_rmap_pte(k, folio);
        gathered.push(folio);
      }
    });
    mm.ptes.clear();
    called(k, 'tlb_finish_mmu', () => {
      for (const folio of gathered) {
        folio_put_refs(k, folio, 1);
      }
    });
  });
}
