/**
 * The swap cache (mm/swap_state.c): adding a folio (add_to_swap_cache: folio_ref_add(nr),
 * PG_swapcache, folio->swap), add_to_swap from reclaim, lookups (swap_cache_get_folio), the swap-in
 * allocation (__read_swap_cache_async: a new folio gets the cache's reference and an LRU-batch
 * reference, and is read), VMA-based readahead around a fault (swap_vma_readahead, the window of
 * swap_vma_ra_win / 6.1 swap_ra_info) and free_swap_cache at unmap.
 * Shadow entries (workingset_refault on swap-in) are not kept: a swapped-in folio starts inactive.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_mapped } from '../kernel/folio.js';
import { folio_put } from '../kernel/mm_ref.js';
import { folio_ref_add } from '../kernel/page_ref.js';
import { VM_BUG_ON_FOLIO } from '../kernel/vm_bug.js';
import { Pte, type Vma } from './mm_types.js';
import { mmcache } from './mm_cache.js';
import { folio_alloc } from './page_alloc.js';
import { swap_read_folio } from './page_io.js';
import { called } from './stack.js';
import { folio_add_lru, lru_add_drain } from './swap.js';
import {
  __swap_count,
  folio_alloc_swap,
  folio_free_swap,
  swap_cache_filemap_get_folio,
  swap_info,
  swapcache_prepare,
  type SwapInfo,
} from './swapfile.js';

/** the swap slot a swap PTE holds (mm_types.ts Pte.SWAP: pfn = -1 - offset) */
export function pte_swp_offset(vma: Vma, i: number): number {
  return -1 - vma.pfn[i];
}

function swapInfo(k: Kernel, fn: string): SwapInfo {
  const si = swap_info(k);
  if (!si) throw new Error(`${fn}: no swap device`);
  return si;
}

/**
 * add_to_swap_cache() (6.12 mm/swap_state.c:90; 6.1 :88): VM_BUG_ON unless locked, not yet in the
 * swap cache and swapbacked; folio_ref_add(nr) (page_ref_mod +1), PG_swapcache, folio->swap (6.1
 * set_page_private), the xarray slot.
 */
export function add_to_swap_cache(k: Kernel, folio: Pfn, off: number): void {
  called(k, 'add_to_swap_cache', () => {
    const f = mmcache(k).f;
    VM_BUG_ON_FOLIO(k, !f.folio_test_locked(folio), '!folio_test_locked(folio)', folio, 'mm/swap_state.c');
    VM_BUG_ON_FOLIO(
      k,
      f.folio_test_swapcache(folio),
      'folio_test_swapcache(folio)',
      folio,
      'mm/swap_state.c',
    );
    VM_BUG_ON_FOLIO(
      k,
      !f.folio_test_swapbacked(folio),
      '!folio_test_swapbacked(folio)',
      folio,
      'mm/swap_state.c',
    );
    folio_ref_add(k, folio, 1);
    f.folio_set_swapcache(folio);
    k.mem.private_[folio] = off;
    swapInfo(k, 'add_to_swap_cache').cache[off] = folio;
  });
}

/**
 * add_to_swap() (6.12 mm/swap_state.c:180; 6.1 :174): folio_alloc_swap (false when the device is
 * full or there is none), add_to_swap_cache (+1), folio_mark_dirty.
 */
export function add_to_swap(k: Kernel, folio: Pfn): boolean {
  return called(k, 'add_to_swap', () => {
    const off = folio_alloc_swap(k);
    if (!off) return false;
    add_to_swap_cache(k, folio, off);
    mmcache(k).f.folio_set_dirty(folio);
    return true;
  });
}

/** vma->swap_readahead_info: SWAP_RA_VAL(addr, win, hits) of the last swap fault in the VMA */
interface SwapRaInfo {
  addr: number;
  win: number;
  hits: number;
}

const raInfo = new WeakMap<Vma, SwapRaInfo>();
/** include/linux/mm.h SWAP_RA_HITS_MAX (PAGE_SHIFT / 2 bits); mm/swap.h page_cluster default 3 */
const SWAP_RA_HITS_MAX = 63;
const PAGE_CLUSTER = 3;
/** SWAP_RA_ORDER_CEILING (mm/swap_state.c, x86-64) */
const SWAP_RA_ORDER_CEILING = 5;
const PMD_PAGES = 512;

/** GET_SWAP_RA_VAL(vma): a VMA without swap faults yet reads as 4, i.e. hits 4 */
function get_swap_ra_val(vma: Vma): SwapRaInfo {
  return raInfo.get(vma) ?? { addr: 0, win: 0, hits: 4 };
}

/**
 * swap_cache_get_folio() (6.12 mm/swap_state.c:345; 6.1 :328): the swap cache's folio with a
 * reference (folio_try_get +1); a readahead folio found (PG_readahead, cleared) counts as a hit of
 * the VMA's readahead.
 */
export function swap_cache_get_folio(k: Kernel, off: number, vma: Vma, vpn: number): Pfn {
  return called(k, 'swap_cache_get_folio', () => {
    const folio = swap_cache_filemap_get_folio(k, swapInfo(k, 'swap_cache_get_folio'), off);
    if (folio < 0) return -1;
    const readahead = mmcache(k).f.folio_test_clear_readahead(folio);
    const ra = get_swap_ra_val(vma);
    raInfo.set(vma, {
      addr: vpn,
      win: ra.win,
      hits: readahead ? Math.min(ra.hits + 1, SWAP_RA_HITS_MAX) : ra.hits,
    });
    return folio;
  });
}

/**
 * __read_swap_cache_async() (6.12 mm/swap_state.c:432; 6.1 :412): the cached folio (try_get +1),
 * or, for a slot still in use, a new folio (folio_alloc_mpol / 6.1 vma_alloc_folio: set 1),
 * swapcache_prepare, PG_locked + PG_swapbacked, add_to_swap_cache (+1), folio_add_lru (+1).
 * Returns the folio and whether it is new (the caller then reads it); -1 for a free slot.
 */
function __read_swap_cache_async(k: Kernel, off: number): { folio: Pfn; allocated: boolean } {
  return called(k, '__read_swap_cache_async', () => {
    const si = swapInfo(k, '__read_swap_cache_async');
    const cached = swap_cache_filemap_get_folio(k, si, off);
    if (cached >= 0) return { folio: cached, allocated: false };
    // swap_slot_cache_enabled: an unused slot is not read ahead
    if (!__swap_count(k, off)) return { folio: -1, allocated: false };
    const folio = called(k, 'folio_alloc_mpol', () => folio_alloc(k, 0));
    const err = swapcache_prepare(k, off);
    if (err) {
      // -ENOENT: the slot was freed meanwhile (the model runs one task at a time: no -EEXIST race)
      if (err === 'EEXIST') throw new Error(`__read_swap_cache_async: slot ${off} already has a cache folio`);
      called(k, 'folio_put', () => folio_put(k, folio));
      return { folio: -1, allocated: false };
    }
    const f = mmcache(k).f;
    f.__folio_set_locked(folio);
    f.__folio_set_swapbacked(folio);
    add_to_swap_cache(k, folio, off);
    folio_add_lru(k, folio);
    return { folio, allocated: true };
  });
}

/**
 * __swapin_nr_pages() (6.12 mm/swap_state.c:528, 6.1 :531): hits + 2 rounded up to a power of two
 * (at least 4), or 1 without hits unless the fault is next to the previous one; at most max_pages;
 * not below half the previous window.
 */
function __swapin_nr_pages(
  prev: number,
  cur: number,
  hits: number,
  maxPages: number,
  prevWin: number,
): number {
  let pages = hits + 2;
  if (pages === 2) {
    if (cur !== prev + 1 && cur !== prev - 1) pages = 1;
  } else {
    let roundup = 4;
    while (roundup < pages) roundup <<= 1;
    pages = roundup;
  }
  if (pages > maxPages) pages = maxPages;
  const lastRa = prevWin >> 1;
  return pages < lastRa ? lastRa : pages;
}

/**
 * swap_vma_ra_win() (6.12 mm/swap_state.c:719; 6.1 swap_ra_info, the same window): the window
 * size from the VMA's readahead hits, stored back with hits 0; a sequential fault reads ahead, a
 * backward one behind, any other around the fault; clamped to the VMA and its PMD. VMA pages
 * [from, to).
 */
function swap_vma_ra_win(vma: Vma, i: number): { win: number; from: number; to: number } {
  const vpn = vma.start + i;
  const maxWin = 1 << Math.min(PAGE_CLUSTER, SWAP_RA_ORDER_CEILING);
  const ra = get_swap_ra_val(vma);
  const win = __swapin_nr_pages(ra.addr, vpn, ra.hits, maxWin, ra.win);
  raInfo.set(vma, { addr: vpn, win, hits: 0 });
  if (win === 1) return { win, from: i, to: i + 1 };
  let left: number;
  if (vpn === ra.addr + 1) left = vpn;
  else if (ra.addr === vpn + 1) left = vpn - win + 1;
  else left = vpn - ((win - 1) >> 1);
  const right = left + win;
  const pmd = vpn - (vpn % PMD_PAGES);
  const start = Math.max(left, 0, vma.start, pmd);
  const end = Math.min(right, vma.start + vma.nrPages, pmd + PMD_PAGES);
  return { win, from: start - vma.start, to: end - vma.start };
}

/**
 * swap_vma_readahead() (6.12 mm/swap_state.c:770; 6.1 :788): every swap PTE of the window gets
 * its folio (__read_swap_cache_async), new ones are read and the neighbours marked PG_readahead,
 * each is put (-1); lru_add_drain(); then the faulting entry again (6.1 read_swap_cache_async,
 * 6.12 __read_swap_cache_async: the folio read above, try_get +1), returned with that reference.
 */
function swap_vma_readahead(k: Kernel, vma: Vma, i: number, off: number): Pfn {
  return called(k, 'swap_vma_readahead', () => {
    const { win, from, to } = swap_vma_ra_win(vma, i);
    const f = mmcache(k).f;
    if (win > 1) {
      for (let j = from; j < to; j++) {
        if (!(vma.pte[j] & Pte.SWAP)) continue;
        const { folio, allocated } = __read_swap_cache_async(k, pte_swp_offset(vma, j));
        if (folio < 0) continue;
        if (allocated) {
          swap_read_folio(k, folio);
          if (j !== i) f.folio_set_readahead(folio);
        }
        called(k, 'folio_put', () => folio_put(k, folio));
      }
      lru_add_drain(k);
    }
    const target = () => {
      const { folio, allocated } = __read_swap_cache_async(k, off);
      if (allocated) swap_read_folio(k, folio);
      return folio;
    };
    const fn = k.profile.facts.swap.readaheadTarget;
    return fn === 'read_swap_cache_async' ? called(k, fn, target) : target();
  });
}

/**
 * swapin_readahead() (6.12 mm/swap_state.c:857; 6.1 :850): VMA-based readahead, as
 * swap_use_vma_readahead() chooses for solid-state devices (nr_rotate_swap == 0).
 */
export function swapin_readahead(k: Kernel, vma: Vma, i: number, off: number): Pfn {
  return called(k, 'swapin_readahead', () => swap_vma_readahead(k, vma, i, off));
}

/**
 * free_swap_cache() (6.12 mm/swap_state.c:269; 6.1 :280), for each folio the mmu_gather frees: a
 * swap-cache folio no longer mapped and not locked gives up its swap (folio_free_swap: -1).
 */
export function free_swap_cache(k: Kernel, folio: Pfn): void {
  const f = mmcache(k).f;
  if (!f.folio_test_swapcache(folio) || folio_mapped(k, folio) || f.folio_test_locked(folio)) return;
  called(k, 'free_swap_cache', () => {
    f.__folio_set_locked(folio);
    folio_free_swap(k, folio);
    f.__folio_clear_locked(folio);
  });
}
