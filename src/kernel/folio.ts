/**
 * Compound pages and folios: head/tail encoding, order, construction and the mapcount accessors
 * (include/linux/page-flags.h, include/linux/mm.h, mm/page_alloc.c, mm/util.c). Where 6.1 and 6.12
 * differ, the profile's folioLayout / traceMapcount decides.
 */
import type { Kernel } from './kernel.js';
import type { Pfn } from './mem_map.js';
import { page_type_value_of, page_mapcount_is_type } from './page_type.js';

/** include/linux/mm.h (6.1) enum compound_dtor_id */
export const COMPOUND_PAGE_DTOR = 1;
export const HUGETLB_PAGE_DTOR = 2;

/** PageTail(): compound_head bit 0 (the model has no HugeTLB vmemmap fake heads) */
export function PageTail(k: Kernel, page: Pfn): boolean {
  return (k.mem.compoundHead[page] & 1) !== 0;
}

/** PageCompound(): PG_head set or a tail */
export function PageCompound(k: Kernel, page: Pfn): boolean {
  return (k.mem.flagsLo[page] & k.PG_head_mask) !== 0 || (k.mem.compoundHead[page] & 1) !== 0;
}

/** PageHead(): PG_head set (and not a fake head) */
export function PageHead(k: Kernel, page: Pfn): boolean {
  return (k.mem.flagsLo[page] & k.PG_head_mask) !== 0;
}

/** compound_head(): head = compound_head - 1 on tails, the page itself otherwise */
export function compound_head(k: Kernel, page: Pfn): Pfn {
  const h = k.mem.compoundHead[page];
  return (h & 1) !== 0 ? h >>> 1 : page;
}

/** page_folio(): the folio a page belongs to (its head pfn) */
export const page_folio = compound_head;

/** folio_test_large() = folio_test_head() */
export function folio_test_large(k: Kernel, folio: Pfn): boolean {
  return (k.mem.flagsLo[folio] & k.PG_head_mask) !== 0;
}

/** set_compound_head(): WRITE_ONCE(page->compound_head, (unsigned long)head + 1) */
export function set_compound_head(k: Kernel, page: Pfn, head: Pfn): void {
  k.mem.compoundHead[page] = ((head << 1) | 1) >>> 0;
}

export function clear_compound_head(k: Kernel, page: Pfn): void {
  k.mem.compoundHead[page] = 0;
}

/**
 * folio_order(): 6.12 reads `_flags_1 & 0xff` (page[1].flags low byte, mm.h); 6.1 reads
 * page[1].compound_order (compound_order(), mm.h). 0 for small folios.
 */
export function folio_order(k: Kernel, folio: Pfn): number {
  if (!folio_test_large(k, folio)) return 0;
  return k.profile.facts.folioLayout === 'folio_v6_12'
    ? k.mem.flagsLo[folio + 1] & 0xff
    : k.mem.order[folio + 1];
}

export function folio_nr_pages(k: Kernel, folio: Pfn): number {
  return 1 << folio_order(k, folio);
}

/**
 * prep_compound_page(page, order): __SetPageHead, prep_compound_tail() for every tail
 * (mapping = TAIL_MAPPING, compound_head, private = 0), then prep_compound_head()
 * (6.1 mm/page_alloc.c:807-834; 6.12 mm/page_alloc.c:593 and mm/internal.h:672-729).
 */
export function prep_compound_page(k: Kernel, page: Pfn, order: number): void {
  const m = k.mem;
  if (!Number.isInteger(order) || order < 1 || order > k.profile.facts.maxPageOrder) {
    throw new RangeError(
      `prep_compound_page: order ${order} of pfn 0x${page.toString(16)} is outside [1, ${k.profile.facts.maxPageOrder}]`,
    );
  }
  const nr = 1 << order;
  m.check('prep_compound_page', page);
  m.check('prep_compound_page', page + nr - 1);
  m.flagsLo[page] |= k.PG_head_mask;
  for (let i = 1; i < nr; i++) {
    m.mapping[page + i] = TAIL_MAPPING_ID;
    set_compound_head(k, page + i, page);
    m.private_[page + i] = 0;
  }
  prep_compound_head(k, page, order);
}

/** The model's mapping id for TAIL_MAPPING ((void *)0x400 + POISON_POINTER_DELTA): reserved, never a real mapping */
export const TAIL_MAPPING_ID = 0xfffffc00;

export function prep_compound_head(k: Kernel, page: Pfn, order: number): void {
  const m = k.mem;
  if (k.profile.facts.folioLayout === 'folio_v6_12') {
    // folio_set_order(): _flags_1 = (_flags_1 & ~0xffUL) | order
    m.flagsLo[page + 1] = ((m.flagsLo[page + 1] & ~0xff) | order) >>> 0;
    m.largeMapcount[page + 1] = -1;
    m.entireMapcount[page + 1] = -1;
    m.nrPagesMapped[page + 1] = 0;
    m.pincount[page + 1] = 0;
  } else {
    // set_compound_page_dtor(COMPOUND_PAGE_DTOR), set_compound_order(),
    // compound_mapcount = -1, compound_pincount = 0
    m.dtor[page + 1] = COMPOUND_PAGE_DTOR;
    m.order[page + 1] = order;
    m.entireMapcount[page + 1] = -1;
    m.pincount[page + 1] = 0;
  }
}

/**
 * The page[1] words a large folio keeps its order and mapcounts in (6.1 compound_dtor/order/
 * mapcount/pincount, 6.12 _large_mapcount/_entire_mapcount/_nr_pages_mapped/_pincount), back to
 * what they hold in a page that heads nothing: when the folio is freed or split.
 */
export function clear_folio_second_page(k: Kernel, folio: Pfn): void {
  const m = k.mem;
  m.order[folio + 1] = 0;
  m.dtor[folio + 1] = 0;
  m.largeMapcount[folio + 1] = -1;
  m.entireMapcount[folio + 1] = -1;
  m.nrPagesMapped[folio + 1] = 0;
  m.pincount[folio + 1] = 0;
}

/** folio_entire_mapcount(): _entire_mapcount + 1 (6.1: compound_mapcount + 1) */
export function folio_entire_mapcount(k: Kernel, folio: Pfn): number {
  return k.mem.entireMapcount[folio + 1] + 1;
}

/** folio_large_mapcount() (6.12): _large_mapcount + 1 */
export function folio_large_mapcount(k: Kernel, folio: Pfn): number {
  return k.mem.largeMapcount[folio + 1] + 1;
}

/** folio_test_anon(): mapping & PAGE_MAPPING_ANON */
export function folio_test_anon(k: Kernel, folio: Pfn): boolean {
  return (k.mem.mapping[folio] & k.profile.facts.mappingFlags.anon) !== 0;
}

export function PageAnon(k: Kernel, page: Pfn): boolean {
  return folio_test_anon(k, page_folio(k, page));
}

/** folio_test_hugetlb(): 6.1 compound_dtor == HUGETLB_PAGE_DTOR; 6.12 page type PGTY_hugetlb */
export function folio_test_hugetlb(k: Kernel, folio: Pfn): boolean {
  if (!folio_test_large(k, folio)) return false;
  if (k.profile.facts.folioLayout === 'compound_page_v6_1')
    return k.mem.dtor[folio + 1] === HUGETLB_PAGE_DTOR;
  const t = k.profile.pageTypes.get('hugetlb');
  return t !== undefined && page_type_value_of(k, folio) === t;
}

/** 6.1 PageDoubleMap(): PG_double_map in page[1] (PF_SECOND) */
function folio_test_double_map(k: Kernel, folio: Pfn): boolean {
  const bit = k.profile.bits.get('double_map');
  return bit !== undefined && (k.mem.flagsLo[folio + 1] & (1 << bit)) !== 0;
}

/**
 * page_mapcount() (6.1 include/linux/mm.h:882, mm/util.c:787 __page_mapcount): own _mapcount + 1;
 * for anon/hugetlb compound pages plus the compound mapcount, minus one with PG_double_map.
 * 6.12 removed it; the model still answers with own _mapcount + 1 there.
 */
export function page_mapcount(k: Kernel, page: Pfn): number {
  let ret = k.mem.mapcount[page] + 1;
  if (k.profile.facts.folioLayout !== 'compound_page_v6_1' || !PageCompound(k, page)) return ret;
  if (!PageAnon(k, page) && !folio_test_hugetlb(k, page_folio(k, page))) return ret;
  const head = compound_head(k, page);
  ret += k.mem.entireMapcount[head + 1] + 1;
  if (folio_test_double_map(k, head)) ret--;
  return ret;
}

/**
 * folio_mapcount(): 6.12 (mm.h) small: _mapcount + 1, 0 if typed; large: folio_large_mapcount().
 * 6.1 (mm/util.c:817) large: entire + sum of page mapcounts, hugetlb: entire only, file: minus
 * entire * nr, double_map: minus nr.
 */
export function folio_mapcount(k: Kernel, folio: Pfn): number {
  const m = k.mem;
  if (!folio_test_large(k, folio)) {
    const mc = m.mapcount[folio] + 1;
    return k.profile.header.pageTypeEncoding === 'top-byte' && page_mapcount_is_type(mc) ? 0 : mc;
  }
  if (k.profile.facts.folioLayout === 'folio_v6_12') return folio_large_mapcount(k, folio);
  const compound = folio_entire_mapcount(k, folio);
  if (folio_test_hugetlb(k, folio)) return compound;
  const nr = folio_nr_pages(k, folio);
  let ret = compound;
  for (let i = 0; i < nr; i++) ret += m.mapcount[folio + i] + 1;
  if (!folio_test_anon(k, folio)) return ret - compound * nr;
  if (folio_test_double_map(k, folio)) ret -= nr;
  return ret;
}

/**
 * folio_mapped(): 6.12 folio_mapcount() >= 1; 6.1 (mm/util.c) small: _mapcount >= 0, large:
 * entire >= 0 or any page's _mapcount >= 0 (hugetlb: entire only).
 */
export function folio_mapped(k: Kernel, folio: Pfn): boolean {
  if (k.profile.facts.folioLayout === 'folio_v6_12') return folio_mapcount(k, folio) >= 1;
  const m = k.mem;
  if (!folio_test_large(k, folio)) return m.mapcount[folio] >= 0;
  if (m.entireMapcount[folio + 1] >= 0) return true;
  if (folio_test_hugetlb(k, folio)) return false;
  const nr = folio_nr_pages(k, folio);
  for (let i = 0; i < nr; i++) if (m.mapcount[folio + i] >= 0) return true;
  return false;
}

export function page_mapped(k: Kernel, page: Pfn): boolean {
  return folio_mapped(k, page_folio(k, page));
}

/**
 * folio_likely_mapped_shared() (6.12 include/linux/mm.h:2185): small (and hugetlb) folios mapped
 * more than once; a large folio mapped more than once with an entire mapping, more mappings than
 * pages, or its first page mapped twice
 */
export function folio_likely_mapped_shared(k: Kernel, folio: Pfn): boolean {
  const mapcount = folio_mapcount(k, folio);
  if (!folio_test_large(k, folio) || folio_test_hugetlb(k, folio)) return mapcount > 1;
  if (mapcount <= 1) return false;
  if (folio_entire_mapcount(k, folio) || mapcount > folio_nr_pages(k, folio)) return true;
  return k.mem.mapcount[folio] > 0;
}
