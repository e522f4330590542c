/**
 * The refcount helpers of include/linux/mm.h built on page_ref.h: folio_get/get_page,
 * folio_put/put_page and friends, folio_maybe_dma_pinned. The last put hands the folio to
 * __folio_put(), i.e. to the Kernel's freeFolio hook (the page allocator).
 */
import type { Kernel } from './kernel.js';
import type { Pfn } from './mem_map.js';
import { compound_head, folio_test_large, page_folio } from './folio.js';
import {
  folio_ref_sub_and_test,
  page_ref_add_unless,
  page_ref_count,
  page_ref_dec_and_test,
  page_ref_inc,
} from './page_ref.js';
import { page_type_is } from './page_type.js';
import { VM_BUG_ON_FOLIO, VM_BUG_ON_PAGE } from './vm_bug.js';

/** folio_ref_zero_or_close_to_overflow(): (unsigned)count + 127u <= 127u */
export function folio_ref_zero_or_close_to_overflow(k: Kernel, folio: Pfn): boolean {
  return (k.mem.refcount[folio] + 127) >>> 0 <= 127;
}

/** folio_get(): VM_BUG_ON_FOLIO(zero or close to overflow), folio_ref_inc */
export function folio_get(k: Kernel, folio: Pfn): void {
  k.mem.check('folio_get', folio);
  if (k.debugVm)
    VM_BUG_ON_FOLIO(
      k,
      folio_ref_zero_or_close_to_overflow(k, folio),
      // __stringify() expands the folio_ref_zero_or_close_to_overflow() macro (include/linux/mmdebug.h)
      '((unsigned int) folio_ref_count(folio) + 127u <= 127u)',
      folio,
      k.profile.facts.bugSites.folio_get,
    );
  page_ref_inc(k, folio);
}

/** mainline get_page()/put_page() ignore slab and large-kmalloc folios (WARN_ON_ONCE in get_page) */
function ignoredByGetPut(k: Kernel, folio: Pfn): boolean {
  if (!k.profile.facts.getPutIgnoreSlab) return false;
  for (const t of ['slab', 'large_kmalloc']) {
    const v = k.profile.pageTypes.get(t);
    if (v !== undefined && page_type_is(k, folio, v)) return true;
  }
  return false;
}

/** get_page(): folio_get(page_folio(page)) — the event carries the head pfn */
export function get_page(k: Kernel, page: Pfn): void {
  k.mem.check('get_page', page);
  const folio = page_folio(k, page);
  if (ignoredByGetPut(k, folio)) return;
  folio_get(k, folio);
}

/** try_get_page(): WARN_ON_ONCE(page_ref_count(head) <= 0) -> false; else page_ref_inc(head) */
export function try_get_page(k: Kernel, page: Pfn): boolean {
  k.mem.check('try_get_page', page);
  const head = compound_head(k, page);
  if (page_ref_count(k, head) <= 0) return false;
  page_ref_inc(k, head);
  return true;
}

/** put_page_testzero(): VM_BUG_ON_PAGE(page_ref_count(page) == 0), page_ref_dec_and_test */
export function put_page_testzero(k: Kernel, page: Pfn): boolean {
  k.mem.check('put_page_testzero', page);
  if (k.debugVm)
    VM_BUG_ON_PAGE(
      k,
      k.mem.refcount[page] === 0,
      'page_ref_count(page) == 0',
      page,
      k.profile.facts.bugSites.put_page_testzero,
    );
  return page_ref_dec_and_test(k, page);
}

export const folio_put_testzero = put_page_testzero;

/** get_page_unless_zero(): page_ref_add_unless(page, 1, 0) */
export function get_page_unless_zero(k: Kernel, page: Pfn): boolean {
  return page_ref_add_unless(k, page, 1, 0);
}

/**
 * folio_get_nontail_page() (6.12+ mm.h:1160): get_page_unless_zero(page) and the page as a folio,
 * or undefined (NULL). Used by PFN walkers (compaction, memory-failure) that may meet tail pages.
 */
export function folio_get_nontail_page(k: Kernel, page: Pfn): Pfn | undefined {
  if (!k.profile.facts.folioGetNontailPage) {
    throw new Error(`folio_get_nontail_page() does not exist in Linux ${k.profile.facts.release}`);
  }
  return get_page_unless_zero(k, page) ? page : undefined;
}

/** __folio_put(): the folio's last reference is gone; hand it to the page allocator */
export function __folio_put(k: Kernel, folio: Pfn): void {
  k.freeFolio(k, folio);
}

/** folio_put(): if (folio_put_testzero(folio)) __folio_put(folio) */
export function folio_put(k: Kernel, folio: Pfn): void {
  if (put_page_testzero(k, folio)) __folio_put(k, folio);
}

/** folio_put_refs(): if (folio_ref_sub_and_test(folio, refs)) __folio_put(folio) */
export function folio_put_refs(k: Kernel, folio: Pfn, refs: number): void {
  if (folio_ref_sub_and_test(k, folio, refs)) __folio_put(k, folio);
}

/** put_page(): folio_put(page_folio(page)) (no ZONE_DEVICE pages in the model) */
export function put_page(k: Kernel, page: Pfn): void {
  k.mem.check('put_page', page);
  const folio = page_folio(k, page);
  if (ignoredByGetPut(k, folio)) return;
  folio_put(k, folio);
}

/**
 * folio_maybe_dma_pinned(): large folios -> _pincount > 0 (exact); small folios ->
 * refcount >= GUP_PIN_COUNTING_BIAS (false positives possible) (include/linux/mm.h, 6.1 = 6.12).
 */
export function folio_maybe_dma_pinned(k: Kernel, folio: Pfn): boolean {
  if (folio_test_large(k, folio)) return k.mem.pincount[folio + 1] > 0;
  return k.mem.refcount[folio] >>> 0 >= k.profile.facts.gupPinCountingBias;
}
