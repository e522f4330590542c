/**
 * get_user_pages and pinning (mm/gup.c): GUP-fast takes folio_try_get-style references
 * (page_ref_mod_unless +1; a FOLL_PIN of a small folio then adds GUP_PIN_COUNTING_BIAS - 1), the
 * slow path (after faulting the page in) adds +1 (FOLL_GET) or +GUP_PIN_COUNTING_BIAS (FOLL_PIN);
 * unpin_user_page drops the bias; both mark the folio referenced. A large folio takes its references on the head and counts pins
 * in _pincount instead of the bias (6.12 mm/gup.c try_grab_folio / gup_put_folio; 6.1 the same).
 */
import { folio_test_large, page_folio } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_put_refs } from '../kernel/mm_ref.js';
import { folio_ref_add, folio_ref_try_add, folio_ref_try_add_rcu } from '../kernel/page_ref.js';
import { handle_mm_fault } from './memory.js';
import { mmcache } from './mm_cache.js';
import { Pte, type MmStruct, type Vma } from './mm_types.js';
import { called } from './stack.js';
import { folio_mark_accessed } from './swap.js';

/** try_get_folio() (6.12 mm/gup.c:531 folio_ref_try_add; 6.1 try_grab_folio: folio_ref_try_add_rcu) */
function try_get_folio(k: Kernel, folio: Pfn, refs: number): boolean {
  return k.profile.facts.pageRef.tryAdd === 'folio_ref_try_add'
    ? folio_ref_try_add(k, folio, refs)
    : folio_ref_try_add_rcu(k, folio, refs);
}

/**
 * try_grab_folio_fast() (6.12 mm/gup.c; 6.1 try_grab_folio): FOLL_GET -> +1 (mod_unless);
 * FOLL_PIN of a small folio -> +1 (mod_unless) then folio_ref_add(GUP_PIN_COUNTING_BIAS - 1), of a
 * large one -> +1 and _pincount + 1. Then GUP-fast marks the folio referenced, without an LRU
 * move (6.12 mm/gup.c gup_fast_pte_range, 6.1 gup_pte_range: folio_set_referenced).
 */
function try_grab_folio_fast(k: Kernel, folio: Pfn, pin: boolean): boolean {
  if (!called(k, 'try_get_folio', () => try_get_folio(k, folio, 1))) return false;
  if (pin && folio_test_large(k, folio)) k.mem.pincount[folio + 1]++;
  else if (pin) folio_ref_add(k, folio, k.profile.facts.gupPinCountingBias - 1);
  mmcache(k).f.folio_set_referenced(folio);
  return true;
}

/** try_grab_folio() of the slow path (6.12 mm/gup.c:146; 6.1 try_grab_page): +1, or +bias for a small pin */
function try_grab_folio(k: Kernel, folio: Pfn, pin: boolean): void {
  const large = folio_test_large(k, folio);
  folio_ref_add(k, folio, pin && !large ? k.profile.facts.gupPinCountingBias : 1);
  if (pin && large) k.mem.pincount[folio + 1]++;
}

/**
 * get_user_pages_fast() / pin_user_pages_fast() for pages [from, to] of a VMA: present PTEs (and
 * writable ones for a write) go through GUP-fast; the others fault in (handle_mm_fault) and are
 * grabbed by the slow path. The zero page is never pinned or referenced. Returns the folios.
 */
export function get_user_pages_fast(
  k: Kernel,
  mm: MmStruct,
  vma: Vma,
  from: number,
  to: number,
  opts: { pin: boolean; write: boolean },
): Pfn[] {
  return called(k, opts.pin ? 'pin_user_pages_fast' : 'get_user_pages_fast', () => {
    if (opts.pin) mm.hasPinned = true;
    const out: Pfn[] = [];
    for (let i = from; i <= to; i++) {
      const pte = vma.pte[i];
      const fastOk = pte & Pte.PRESENT && !(pte & Pte.ZERO) && (!opts.write || pte & Pte.WRITE);
      if (
        fastOk &&
        called(k, 'gup_fast_fallback', () => try_grab_folio_fast(k, page_folio(k, vma.pfn[i]), opts.pin))
      ) {
        out.push(vma.pfn[i]);
        continue;
      }
      called(k, '__get_user_pages', () => {
        handle_mm_fault(k, mm, vma, i, opts.write);
        if (vma.pte[i] & Pte.ZERO) return;
        called(k, 'follow_page_pte', () => {
          const folio = page_folio(k, vma.pfn[i]);
          try_grab_folio(k, folio, opts.pin);
          // the slow path runs with FOLL_TOUCH (6.12 gup_fast_fallback, 6.1
          // get_user_pages_unlocked): follow_page_pte's mark_page_accessed
          called(k, 'mark_page_accessed', () => folio_mark_accessed(k, folio));
        });
        out.push(vma.pfn[i]);
      });
    }
    return out;
  });
}

/**
 * get_user_pages_remote(mm, addr, 1, FOLL_WRITE) for one page, as exec's get_arg_page() calls it on
 * the new mm (6.12 mm/gup.c:2698, 6.1 :2280): no GUP-fast, __get_user_pages always: a missing page
 * faults in (handle_mm_fault), then follow_page_pte's try_grab_folio (+1, FOLL_GET) and, with the
 * FOLL_TOUCH every slow walk adds, mark_page_accessed. Returns the page; the caller puts it.
 */
export function get_user_pages_remote(k: Kernel, mm: MmStruct, vma: Vma, i: number, write: boolean): Pfn {
  return called(k, 'get_user_pages_remote', () =>
    called(k, '__get_user_pages', () => {
      const pte = vma.pte[i];
      if (!(pte & Pte.PRESENT) || (write && !(pte & Pte.WRITE))) handle_mm_fault(k, mm, vma, i, write);
      return called(k, 'follow_page_pte', () => {
        const folio = page_folio(k, vma.pfn[i]);
        try_grab_folio(k, folio, false);
        called(k, 'mark_page_accessed', () => folio_mark_accessed(k, folio));
        return vma.pfn[i];
      });
    }),
  );
}

/**
 * unpin_user_page() -> gup_put_folio(folio, 1, FOLL_PIN) (6.12 mm/gup.c:107): -bias for a small
 * folio; a large one's _pincount - 1 and -1
 */
export function unpin_user_page(k: Kernel, page: Pfn): void {
  const folio = page_folio(k, page);
  const large = folio_test_large(k, folio);
  if (large) k.mem.pincount[folio + 1]--;
  called(k, 'unpin_user_page', () =>
    called(k, 'gup_put_folio', () =>
      folio_put_refs(k, folio, large ? 1 : k.profile.facts.gupPinCountingBias),
    ),
  );
}
