/**
 * Reverse-map accounting of anonymous small folios (mm/rmap.c, include/linux/rmap.h): the
 * _mapcount changes that page_ref never traces. Large folios are the simulator's to add.
 */
import { PageAnon } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { mmcache } from './mm_cache.js';

export function PageAnonExclusive(k: Kernel, page: Pfn): boolean {
  return (k.mem.flagsLo[page] & mmcache(k).anonExclusive) !== 0;
}

/**
 * folio_add_new_anon_rmap(folio, vma, address, RMAP_EXCLUSIVE) (6.12 mm/rmap.c:1422;
 * 6.1 page_add_new_anon_rmap): __folio_set_swapbacked, mapping = anon_vma + PAGE_MAPPING_ANON,
 * index, _mapcount = 0, SetPageAnonExclusive.
 */
export function folio_add_new_anon_rmap(k: Kernel, folio: Pfn, anonVma: number, index: number): void {
  mmcache(k).f.__folio_set_swapbacked(folio);
  k.mem.mapping[folio] = anonVma | k.profile.facts.mappingFlags.anon;
  k.mem.index[folio] = index;
  k.mem.mapcount[folio] = 0;
  k.mem.flagsLo[folio] |= mmcache(k).anonExclusive;
}

/**
 * folio_try_dup_anon_rmap_pte() at fork (include/linux/rmap.h; 6.1 page_try_dup_anon_rmap):
 * a possibly DMA-pinned exclusive page makes fork copy instead (-EBUSY); otherwise clear
 * PG_anon_exclusive and _mapcount++.
 */
export function folio_try_dup_anon_rmap_pte(k: Kernel, folio: Pfn, maybePinned: boolean): boolean {
  if (maybePinned && PageAnonExclusive(k, folio)) return false;
  k.mem.flagsLo[folio] &= ~mmcache(k).anonExclusive;
  k.mem.mapcount[folio]++;
  return true;
}

/** folio_remove_rmap_pte(): _mapcount--; the folio is unmapped when it goes back to -1 */
export function folio_remove_rmap_pte(k: Kernel, folio: Pfn): void {
  k.mem.mapcount[folio]--;
}

/** folio_move_anon_rmap() + SetPageAnonExclusive on COW reuse */
export function folio_move_anon_rmap(k: Kernel, folio: Pfn, anonVma: number): void {
  if (!PageAnon(k, folio)) throw new Error(`folio_move_anon_rmap: pfn 0x${folio.toString(16)} is not anon`);
  k.mem.mapping[folio] = anonVma | k.profile.facts.mappingFlags.anon;
  k.mem.flagsLo[folio] |= mmcache(k).anonExclusive;
}
