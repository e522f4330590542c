/**
 * What the VM_BUG_ON conditions that dump_page() reports most often mean: the text is what
 * __stringify(cond) prints (include/linux/mmdebug.h), so macro conditions appear expanded.
 * Each entry names the kernel function the check sits in.
 */
interface KnownCondition {
  readonly match: RegExp;
  readonly meaning: string;
}

const KNOWN: readonly KnownCondition[] = [
  {
    // folio_ref_zero_or_close_to_overflow() expanded; 5.x page_ref_zero_or_close_to_overflow()
    match: /^\(?\(unsigned int\) (folio_ref_count\(folio\)|page_ref_count\(page\)) \+ 127u <= 127u\)?$/,
    meaning:
      'folio_get()/get_page() (include/linux/mm.h) on a page whose refcount is 0 — it was already freed, so someone took a reference without holding one (use-after-free, or a put too many earlier) — or whose count is about to overflow',
  },
  {
    match: /^page_ref_count\(page\) == 0$/,
    meaning:
      'put_page_testzero() (include/linux/mm.h): a put on a page whose refcount is already 0 — one put too many (refcount underflow)',
  },
  {
    match: /^page_count\(page\) != 0$/,
    meaning:
      'page_ref_unfreeze() (include/linux/page_ref.h) on a page that is not frozen (a double unfreeze, or no freeze)',
  },
  {
    match: /^folio_test_lru\(folio\)$/,
    meaning:
      'folio_add_lru()/folio_add_lru_vma()/lru_add() (mm/swap.c): the folio is already on an LRU list — added twice',
  },
  {
    match: /^folio_test_active\(folio\) && folio_test_unevictable\(folio\)$/,
    meaning: 'folio_add_lru() (mm/swap.c): a folio cannot be both active and unevictable',
  },
  {
    match: /^1 && PageTail\(page\)$/,
    meaning:
      'a PF_NO_TAIL page flag (include/linux/page-flags.h) modified through a tail page; modify it on the head/folio',
  },
  {
    match: /^1 && PageCompound\(page\)$/,
    meaning: 'a PF_NO_COMPOUND page flag (include/linux/page-flags.h) modified on a page of a compound page',
  },
  {
    match: /^!PageHead\(page\)$/,
    meaning: 'a PF_SECOND flag (kept in page[1]) accessed through a page that is not a compound head',
  },
  {
    match: /^(PageTail\(page\)|page->compound_head & 1)$/,
    meaning:
      'folio_flags()/PF_ONLY_HEAD (include/linux/page-flags.h): a struct folio pointer that points at a tail page',
  },
  {
    match: /^!PageType\(page, 0\)$/,
    meaning:
      '6.1 __SetPage<Type>() (include/linux/page-flags.h) on a page whose _mapcount is in use (mapped), not a page_type word',
  },
  {
    match: /page_type\) != UINT_MAX$/,
    meaning:
      '6.12+ __SetPage<Type>()/__folio_set_<type>() on a page that is mapped or already has another type',
  },
];

/** What a VM_BUG_ON condition means, when it is one of the well-known ones. */
export function explainVmBugCondition(condition: string): string | undefined {
  const c = condition.trim();
  return KNOWN.find((k) => k.match.test(c))?.meaning;
}
