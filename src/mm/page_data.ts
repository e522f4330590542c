/**
 * What the model knows of page contents, which no struct page holds: the subpages of a large anon
 * folio that its fault zeroed (folio_zero_user) and nothing has written since. One byte per pfn,
 * made on the first large fault. The 6.12 split asks it (remap_page with RMP_USE_SHARED_ZEROPAGE
 * maps such subpages to the shared zero page); any page not known to be zero-filled counts as data.
 * The fault paths zero a large anon folio's pages first and migration copies them (folio_copy), so a
 * split never reads what a page's earlier life left behind.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { mmcache } from './mm_cache.js';

/** folio_zero_user(): every page of [folio, folio + nr) is zero-filled */
export function folio_zero_user(k: Kernel, folio: Pfn, nr: number): void {
  const c = mmcache(k);
  c.zeroed ??= new Uint8Array(k.mem.nrPages);
  c.zeroed.fill(1, folio, folio + nr);
}

/** a user write reached the page (a write fault, or a store through a writable PTE) */
export function page_written(k: Kernel, page: Pfn): void {
  const z = mmcache(k).zeroed;
  if (z) z[page] = 0;
}

/** pages_identical(page, ZERO_PAGE(0)) as far as the model knows */
export function page_zero_filled(k: Kernel, page: Pfn): boolean {
  return mmcache(k).zeroed?.[page] === 1;
}

/**
 * folio_mc_copy() (6.12 mm/util.c, from __migrate_folio) / folio_copy() (6.1 folio_migrate_copy):
 * the destination's nr pages hold what the source's held
 */
export function folio_copy(k: Kernel, dst: Pfn, src: Pfn, nr: number): void {
  const z = mmcache(k).zeroed;
  if (z) z.copyWithin(dst, src, src + nr);
}
