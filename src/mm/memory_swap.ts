/**
 * The swap parts of mm/memory.c: the swap-in fault (do_swap_page), zapping a swap PTE
 * (zap_nonpresent_ptes -> free_swap_and_cache_nr) and copying one at fork (copy_nonpresent_pte ->
 * swap_duplicate). A swap PTE is Pte.SWAP with the slot in vma.pfn as -1 - offset.
 */
import { folio_test_anon } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_put } from '../kernel/mm_ref.js';
import { folio_ref_add, folio_ref_count } from '../kernel/page_ref.js';
import { Pte, anon_vma_prepare, type Vma } from './mm_types.js';
import { mmcache } from './mm_cache.js';
import { folio_alloc } from './page_alloc.js';
import { swap_io_complete, swap_read_folio, swap_read_pending } from './page_io.js';
import { folio_add_new_anon_rmap } from './rmap.js';
import { called } from './stack.js';
import { lru_add_drain, folio_add_lru } from './swap.js';
import { pte_swp_offset, swap_cache_get_folio, swapin_readahead } from './swap_state.js';
import {
  __swap_count,
  folio_free_swap,
  free_swap_and_cache,
  mem_cgroup_swap_full,
  swap_duplicate,
  swap_free,
  swap_info,
  swapcache_clear,
  swapcache_prepare,
} from './swapfile.js';

/** a swap PTE for slot `off` (swp_entry_to_pte, pte_swp_mkexclusive) */
export function set_swap_pte(vma: Vma, i: number, off: number, exclusive: boolean): void {
  vma.pte[i] = Pte.SWAP | (exclusive ? Pte.SWP_EXCLUSIVE : 0);
  vma.pfn[i] = -1 - off;
}

/**
 * should_try_to_free_swap() (6.12 mm/memory.c:4110; 6.1 the same test with refcount == 2): swap
 * more than half full, or a write fault that will be the only user once the swap cache's
 * reference is gone (refcount == 1 + nr).
 */
function should_try_to_free_swap(k: Kernel, folio: Pfn, write: boolean): boolean {
  if (!mmcache(k).f.folio_test_swapcache(folio)) return false;
  if (mem_cgroup_swap_full(k)) return true;
  return write && folio_ref_count(k, folio) === 2;
}

/** what do_swap_page tells its caller */
export type SwapFault = 'done' | 'retry' | 'cow';

/**
 * do_swap_page() (6.12 mm/memory.c:4201; 6.1 :3734) for an order-0 folio:
 *  - swap_cache_get_folio (try_get +1); else a SWP_SYNCHRONOUS_IO device with one PTE on the slot
 *    skips the swap cache: vma_alloc_folio (set 1), swapcache_prepare, folio_add_lru (+1), a
 *    synchronous read; else swapin_readahead, which returns the folio with a reference;
 *  - folio_lock_or_retry: a folio still locked by its read makes the first try wait for it and
 *    return VM_FAULT_RETRY after folio_put (-1) — the fault is then retried;
 *  - a write to a folio not on the LRU drains the local batches (lru_add_drain) first;
 *  - swap_free; should_try_to_free_swap -> folio_free_swap (-1);
 *  - exclusive (the swap PTE said so, or a fresh folio) or refcount 1: RMAP_EXCLUSIVE and a
 *    writable PTE (dirty on a write fault);
 *  - [6.12: folio_ref_add(nr_pages - 1): val=0]; the rmap; the lookup or allocation reference
 *    becomes the PTE's; folio_unlock; a write to a shared folio goes on to do_wp_page.
 * The disk completes the readahead reads the fault did not wait for before the fault returns.
 */
export function do_swap_page(k: Kernel, vma: Vma, i: number, write: boolean, tried: boolean): SwapFault {
  return called(k, 'do_swap_page', () => {
    const si = swap_info(k);
    if (!si) throw new Error(`${vma.name}: page ${i} has a swap entry but the machine has no swap device`);
    const f = mmcache(k).f;
    const off = pte_swp_offset(vma, i);
    const orig = vma.pte[i];
    let folio = swap_cache_get_folio(k, off, vma, vma.start + i);
    let swapcache = folio >= 0;
    let clearCache = false;
    if (folio < 0) {
      if (si.synchronous && __swap_count(k, off) === 1) {
        folio = called(k, 'vma_alloc_folio', () => folio_alloc(k, 0));
        f.__folio_set_locked(folio);
        f.__folio_set_swapbacked(folio);
        if (swapcache_prepare(k, off)) throw new Error(`do_swap_page: slot ${off} is busy`);
        clearCache = true;
        folio_add_lru(k, folio);
        k.mem.private_[folio] = off; // folio->swap for swap_read_folio, then NULL again
        swap_read_folio(k, folio);
        k.mem.private_[folio] = 0;
      } else {
        folio = swapin_readahead(k, vma, i, off);
        if (folio < 0) throw new Error(`do_swap_page: slot ${off} of ${vma.name} page ${i} is free`);
        swapcache = true;
      }
    }
    // folio_lock_or_retry(): the first try releases the fault lock and waits for the read
    if (f.folio_test_locked(folio)) {
      if (!swap_read_pending(k, folio) || tried)
        throw new Error(`do_swap_page: pfn 0x${folio.toString(16)} is locked by nothing that completes`);
      swap_io_complete(k);
      called(k, 'folio_put', () => folio_put(k, folio));
      return 'retry';
    }
    f.__folio_set_locked(folio);
    if (swapcache && write && !f.folio_test_lru(folio)) lru_add_drain(k);
    const exclusive = !swapcache || (orig & Pte.SWP_EXCLUSIVE) !== 0;
    swap_free(k, off);
    if (should_try_to_free_swap(k, folio, write)) folio_free_swap(k, folio);
    let pte = Pte.PRESENT;
    let cow = write;
    const exclusiveRmap = exclusive || folio_ref_count(k, folio) === 1;
    if (exclusiveRmap) {
      pte |= Pte.WRITE | (write ? Pte.DIRTY : 0);
      cow = false;
    }
    if (k.profile.facts.faultRefAddNrPagesMinusOne) folio_ref_add(k, folio, 0);
    if (!folio_test_anon(k, folio)) {
      folio_add_new_anon_rmap(k, folio, anon_vma_prepare(k, vma), vma.start + i, exclusiveRmap);
    } else {
      // folio_add_anon_rmap_ptes() (6.12 mm/rmap.c:1375; 6.1 page_add_anon_rmap)
      k.mem.mapcount[folio]++;
      if (exclusiveRmap) k.mem.flagsLo[folio] |= mmcache(k).anonExclusive;
    }
    vma.pfn[i] = folio;
    vma.pte[i] = pte;
    f.__folio_clear_locked(folio);
    if (clearCache) swapcache_clear(k, off);
    // the reads of the readahead folios complete before the task goes on
    swap_io_complete(k);
    return cow ? 'cow' : 'done';
  });
}

/**
 * zap_nonpresent_ptes() for a swap PTE (6.12 mm/memory.c; 6.1 zap_pte_range): free_swap_and_cache
 * drops the PTE's count and reclaims a slot only the swap cache still holds; the PTE is cleared.
 */
export function zap_swap_pte(k: Kernel, vma: Vma, i: number): void {
  free_swap_and_cache(k, pte_swp_offset(vma, i));
  vma.pte[i] = 0;
  vma.pfn[i] = -1;
}

/**
 * copy_nonpresent_pte() for a swap PTE (6.12 mm/memory.c:790; 6.1 the same): swap_duplicate, the
 * parent's entry loses its exclusive mark, the child gets the same entry. No reference changes.
 */
export function copy_swap_pte(k: Kernel, src: Vma, dst: Vma, i: number): void {
  const off = pte_swp_offset(src, i);
  if (!swap_duplicate(k, off)) throw new Error(`copy_nonpresent_pte: swap slot ${off} is free`);
  src.pte[i] &= ~Pte.SWP_EXCLUSIVE;
  dst.pte[i] = src.pte[i];
  dst.pfn[i] = src.pfn[i];
}
