/**
 * Page types in the page_type word that overlays _mapcount (include/linux/page-flags.h).
 *  - 6.1 "inverted-bits": PAGE_TYPE_BASE 0xf0000000; a type is a bit *cleared* from the base
 *    (PG_buddy 0x80 -> 0xffffff7f); PageType(page, flag) = (page_type & (BASE | flag)) == BASE.
 *  - 6.12+ "top-byte": page_type = PGTY_x << 24 (PGTY_buddy 0xf0 -> 0xf0000000), UINT_MAX = none.
 * The accessors themselves (PageBuddy, __SetPageBuddy ...) come from the profile's accessor table.
 */
import type { Kernel } from './kernel.js';
import type { Pfn } from './mem_map.js';
import type { Profile } from './profiles/index.js';

/** 6.1 page-flags.h: PAGE_TYPE_BASE and PAGE_MAPCOUNT_RESERVE */
export const PAGE_TYPE_BASE = 0xf0000000;
export const PAGE_MAPCOUNT_RESERVE = -128;
/** 6.12 page-flags.h: PGTY_mapcount_underflow */
export const PGTY_mapcount_underflow = 0xff;

/** The page_type value meaning "this type", for `value` from the profile's page type table. */
export function page_type_word(k: Kernel, value: number): number {
  return page_type_word_of(k.profile, value);
}

/** page_type_word() under profile `p` */
export function page_type_word_of(p: Profile, value: number): number {
  return p.header.pageTypeEncoding === 'top-byte' ? (value << 24) | 0 : (0xffffffff & ~value) | 0;
}

/** PageType(page, flag) for one type value of the profile */
export function page_type_is(k: Kernel, page: Pfn, value: number): boolean {
  const t = k.mem.mapcount[page] >>> 0;
  if (k.profile.header.pageTypeEncoding === 'top-byte') return t >>> 24 === value;
  return (t & ((PAGE_TYPE_BASE | value) >>> 0)) >>> 0 === PAGE_TYPE_BASE;
}

/** 6.12: page_type_has_type(t) = t < (PGTY_mapcount_underflow << 24) as a signed int */
function page_type_has_type(t: number): boolean {
  return (t | 0) < (PGTY_mapcount_underflow << 24) >> 0;
}

/** 6.12: page_mapcount_is_type(mapcount) = page_type_has_type(mapcount - 1) */
export function page_mapcount_is_type(mapcount: number): boolean {
  return page_type_has_type((mapcount - 1) | 0);
}

/**
 * page_has_type(): 6.1 `(int)page->page_type < PAGE_MAPCOUNT_RESERVE`; 6.12
 * `page_mapcount_is_type(page->page_type)`; mainline `page_type_has_type(page->page_type)`.
 */
export function page_has_type(k: Kernel, page: Pfn): boolean {
  return page_type_word_has_type(k.profile, k.mem.mapcount[page]);
}

/** page_has_type() on a page_type word `t` (signed or unsigned) under profile `p` */
export function page_type_word_has_type(p: Profile, t: number): boolean {
  if (p.facts.pageHasType === 'mapcount_reserve') return (t | 0) < PAGE_MAPCOUNT_RESERVE;
  return p.facts.pageHasType === 'mapcount_is_type' ? page_mapcount_is_type(t) : page_type_has_type(t);
}

/** The type id the page holds (6.12: top byte; 6.1: the single cleared bit), or undefined. */
export function page_type_value_of(k: Kernel, page: Pfn): number | undefined {
  if (!page_has_type(k, page)) return undefined;
  const t = k.mem.mapcount[page] >>> 0;
  if (k.profile.header.pageTypeEncoding === 'top-byte') return t >>> 24;
  return ~t & 0x0fffffff;
}

/** The lname of the type the page holds ('buddy'), or undefined. */
export function page_type_name(k: Kernel, page: Pfn): string | undefined {
  const v = page_type_value_of(k, page);
  if (v === undefined) return undefined;
  for (const [name, val] of k.profile.pageTypes) if (val === v) return name;
  return undefined;
}
