/**
 * mm/huge_memory.c, the split half: split_huge_page_to_list_to_order() of a large anon folio into
 * order-0 folios (unmap_folio into migration entries, folio_ref_freeze with the expected count,
 * __split_huge_page giving every tail its flags and an unfrozen reference, remap_page) and the
 * deferred split queue (deferred_split_folio, folio_unqueue_deferred_split at free,
 * deferred_split_scan, the shrinker). 6.1 and 6.12 differ in what is queued, how a PMD is split
 * while freezing, and the zero-page remap: profile facts `thp`.
 */
import {
  clear_compound_head,
  clear_folio_second_page,
  folio_mapcount,
  folio_nr_pages,
  folio_order,
  folio_test_anon,
  folio_test_large,
  page_folio,
} from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_get, folio_maybe_dma_pinned, folio_put, get_page } from '../kernel/mm_ref.js';
import {
  folio_ref_add,
  folio_ref_count,
  folio_ref_freeze,
  folio_ref_inc,
  folio_try_get,
  page_ref_unfreeze,
} from '../kernel/page_ref.js';
import { VM_BUG_ON_PAGE } from '../kernel/vm_bug.js';
import { lru_add_page_tail, lruvec_of } from './lru.js';
import { mmcache } from './mm_cache.js';
import { Pte, pte_table_key, type MmStruct, type Vma } from './mm_types.js';
import { zoneOf } from './page_alloc.js';
import {
  PMD_ORDER,
  PageAnonExclusive,
  folio_remove_rmap_pmd,
  folio_remove_rmap_pte,
  remove_migration_ptes,
  split_pmd_rmap,
  try_to_migrate,
} from './rmap.js';
import { called, enter, leave } from './stack.js';
import { count_vm_event } from './vmstat.js';
import { NotModelled } from './not_modelled.js';

const EAGAIN = 11;
const EBUSY = 16;

const queues = new WeakMap<Kernel, Set<Pfn>>();

/** the deferred split queue (pgdat->deferred_split_queue.split_queue), in list order */
export function deferred_split_queue(k: Kernel): Set<Pfn> {
  let q = queues.get(k);
  if (!q) queues.set(k, (q = new Set()));
  return q;
}

function partiallyMappedBit(k: Kernel): number {
  const bit = k.profile.bits.get('partially_mapped');
  return bit === undefined ? 0 : 1 << bit;
}

/** folio_test_partially_mapped() (6.12, page[1]); false where the flag does not exist (6.1) */
export function folio_test_partially_mapped(k: Kernel, folio: Pfn): boolean {
  return (k.mem.flagsLo[folio + 1] & partiallyMappedBit(k)) !== 0;
}

function folio_clear_partially_mapped(k: Kernel, folio: Pfn): void {
  k.mem.flagsLo[folio + 1] &= ~partiallyMappedBit(k);
}

/**
 * deferred_split_folio(folio, partially_mapped) (6.12 mm/huge_memory.c:3750; 6.1
 * deferred_split_huge_page :2870): no reference. Not order-1 folios (6.12) nor swapcache ones; a
 * partially mapped folio gets PG_partially_mapped (6.12) and THP_DEFERRED_SPLIT_PAGE counts the first
 * queueing of a PMD-sized one; the folio joins the queue's tail unless it is on it already.
 */
export function deferred_split_folio(k: Kernel, folio: Pfn, partiallyMapped: boolean): void {
  const order = folio_order(k, folio);
  if (order <= 1 || mmcache(k).f.folio_test_swapcache(folio)) return;
  const q = deferred_split_queue(k);
  const bit = partiallyMappedBit(k);
  if (bit) {
    if (partiallyMapped && !folio_test_partially_mapped(k, folio)) {
      k.mem.flagsLo[folio + 1] |= bit;
      if (order === PMD_ORDER) count_vm_event(k, 'thp_deferred_split_page');
    }
  } else if (!q.has(folio)) count_vm_event(k, 'thp_deferred_split_page');
  q.add(folio);
}

/**
 * folio_unqueue_deferred_split() as __folio_put()/folios_put_refs() free a large folio (6.12
 * mm/swap.c:110, mm/huge_memory.c:3723; 6.1 free_transhuge_page :2856): off the queue, and
 * PG_partially_mapped cleared. Called by the page allocator's free hook.
 */
export function folio_unqueue_deferred_split(k: Kernel, folio: Pfn): void {
  const q = queues.get(k);
  if (!q?.delete(folio)) return;
  folio_clear_partially_mapped(k, folio);
}

/**
 * can_split_folio(folio, caller_pins) (6.12 :3392; 6.1 with caller_pins 1): anon folios have no
 * extra pins unless in swapcache (nr); every reference must be a mapping or the caller's.
 */
function can_split_folio(k: Kernel, folio: Pfn, callerPins: number): { ok: boolean; extraPins: number } {
  const extraPins = mmcache(k).f.folio_test_swapcache(folio) ? 1 << folio_order(k, folio) : 0;
  return { ok: folio_mapcount(k, folio) === folio_ref_count(k, folio) - extraPins - callerPins, extraPins };
}

/**
 * __split_huge_pmd_locked(vma, pmd, haddr, freeze=true) for an anon PMD (6.12 :2716; 6.1 :2077): the
 * head's PG_anon_exclusive moves into the 512 migration entries (folio_try_share_anon_rmap_pmd), the
 * deposited table becomes the PTE table, the PMD's dirty bit dirties the folio. 6.12 takes no
 * reference and puts the PMD's (folio_remove_rmap_pmd, put_page: -1); 6.1 adds HPAGE_PMD_NR - 1
 * (+511) and the PTE mapcounts as if not freezing, then removes and puts each subpage (512 x -1).
 * try_to_migrate's walk goes on (true).
 */
function split_huge_pmd_freeze(k: Kernel, mm: MmStruct, vma: Vma, base: number): boolean {
  const d = enter(k, 'split_huge_pmd_address');
  try {
    enter(k, '__split_huge_pmd');
    enter(k, '__split_huge_pmd_locked');
    count_vm_event(k, 'thp_split_pmd');
    const folio = vma.pfn[base];
    const nr = 1 << PMD_ORDER;
    const key = pte_table_key(vma.start + base);
    const table = mm.deposited.get(key);
    if (table === undefined) throw new Error(`split_huge_pmd: no deposited table at ${vma.name}+${base}`);
    const pmd = vma.pte[base];
    if (pmd & Pte.DIRTY) mmcache(k).f.folio_set_dirty(folio);
    const excl = PageAnonExclusive(k, folio);
    if (excl && folio_maybe_dma_pinned(k, folio))
      throw new NotModelled('split_huge_pmd: a maybe-pinned exclusive THP cannot be frozen (not modelled)');
    k.mem.flagsLo[folio] &= ~mmcache(k).anonExclusive; // folio_try_share_anon_rmap_pmd
    const perPte = k.profile.facts.thp.freezePmd === 'ref_per_pte';
    if (perPte) folio_ref_add(k, folio, nr - 1);
    mm.deposited.delete(key);
    mm.pteTables.set(key, table);
    const entry = Pte.MIGRATION | (pmd & (Pte.WRITE | Pte.DIRTY)) | (excl ? Pte.MIGRATION_EXCL : 0);
    for (let j = base; j < base + nr; j++) vma.pte[j] = entry;
    if (!perPte) {
      folio_remove_rmap_pmd(k, folio);
      put_ref(k, folio);
      return true;
    }
    split_pmd_rmap(k, folio); // the PTE mapcounts, PG_double_map, compound_mapcount--
    for (let j = 0; j < nr; j++) {
      folio_remove_rmap_pte(k, folio, folio + j);
      put_ref(k, folio);
    }
    return true;
  } finally {
    leave(k, d);
  }
}

/** put_page()/folio_put() of a mapping's reference under its own frame, as the stacks show it */
function put_ref(k: Kernel, folio: Pfn): void {
  called(k, 'folio_put', () => folio_put(k, folio));
}

/**
 * unmap_folio() -> try_to_migrate(folio, TTU_SPLIT_HUGE_PMD) (6.12 :3026; 6.1 :2407): a
 * PMD mapping is split with freeze, each PTE mapping becomes a migration entry (rmap.ts)
 */
function unmap_folio(k: Kernel, mms: readonly MmStruct[], folio: Pfn): void {
  called(k, 'unmap_folio', () => try_to_migrate(k, mms, folio, split_huge_pmd_freeze));
}

/**
 * remap_page() (6.12 :3114; 6.1 :2425): remove_migration_ptes() folio by folio over the nr pages:
 * once for a folio that stayed whole (a failed freeze), once per new folio after a split
 */
function remap_page(k: Kernel, mms: readonly MmStruct[], folio: Pfn, nr: number, useZeropage: boolean): void {
  called(k, 'remap_page', () => {
    for (let i = 0; i < nr; i += folio_nr_pages(k, folio + i))
      remove_migration_ptes(k, mms, folio + i, folio + i, { zeropage: useZeropage });
  });
}

/** the head's flags a tail inherits: the profile's list, and LRU_GEN_MASK | LRU_REFS_MASK (6.12 :3206, 6.1 :2500) */
function tailFlagsMask(k: Kernel): number {
  const l = lruvec_of(k);
  let mask = l.genMask | l.refsMask;
  for (const name of k.profile.facts.thp.splitTailFlags) {
    const bit = k.profile.bits.get(name);
    if (bit !== undefined) mask |= 1 << bit;
  }
  return mask >>> 0;
}

/**
 * __split_huge_page_tail() (6.12 :3161; 6.1 :2465) for tail i of an anon folio: the flags cleared
 * (PAGE_FLAGS_CHECK_AT_PREP) and the head's listed ones copied (not PG_anon_exclusive: the
 * migration entry keeps it), mapping and index = head's + i, compound_head cleared, then
 * page_ref_unfreeze(tail, 1 + swapcache) and lru_add_page_tail (6.12 :3130; 6.1 :2437): PG_lru,
 * beside the head on its LRU; or, for a caller's `list` (migration's split_folios, reclaim), a
 * reference for that list (get_page: +1) and onto its tail, off the LRU like the isolated head.
 */
function __split_huge_page_tail(k: Kernel, folio: Pfn, i: number, copy: number, list?: Pfn[]): void {
  const m = k.mem;
  const tail = folio + i;
  VM_BUG_ON_PAGE(
    k,
    m.mapcount[tail] !== -1,
    'atomic_read(&page_tail->_mapcount) != -1',
    tail,
    'mm/huge_memory.c',
  );
  m.flagsLo[tail] = ((m.flagsLo[tail] & zoneOf(k).clearAtPrep) | (m.flagsLo[folio] & copy)) >>> 0;
  m.mapping[tail] = m.mapping[folio];
  m.index[tail] = m.index[folio] + i;
  m.private_[tail] = 0;
  clear_compound_head(k, tail);
  const f = mmcache(k).f;
  page_ref_unfreeze(k, tail, 1 + (f.folio_test_swapcache(folio) ? 1 : 0));
  if (!list) {
    lru_add_page_tail(k, folio, tail); // head still on the LRU (frozen): the tail joins it
    return;
  }
  get_page(k, tail);
  list.push(tail);
}

/**
 * __split_huge_page() to order 0 (6.12 :3265; 6.1 :2548): tails from the last down to 1, the head's
 * compound state cleared and its reference raised (folio_ref_inc: the caller's pin, now on the
 * head alone), remap_page(), then every page but `page` unlocked and put
 * (free_page_and_swap_cache: -1, freeing the ones nothing maps).
 */
function __split_huge_page(
  k: Kernel,
  mms: readonly MmStruct[],
  folio: Pfn,
  page: Pfn,
  list: Pfn[] | undefined,
): void {
  const d = enter(k, '__split_huge_page');
  try {
    const nr = 1 << folio_order(k, folio);
    const copy = tailFlagsMask(k);
    for (let i = nr - 1; i >= 1; i--)
      called(k, '__split_huge_page_tail', () => __split_huge_page_tail(k, folio, i, copy, list));
    // ClearPageCompound(head); the folio fields of page[1] are plain page words again
    k.mem.flagsLo[folio] &= ~k.PG_head_mask;
    clear_folio_second_page(k, folio);
    const f = mmcache(k).f;
    if (f.folio_test_swapcache(folio)) folio_ref_add(k, folio, 2);
    else folio_ref_inc(k, folio);
    remap_page(k, mms, folio, nr, k.profile.facts.thp.splitRemapsZeroPages);
    for (let i = 0; i < nr; i++) {
      if (folio + i === page) continue;
      f.__folio_clear_locked(folio + i);
      called(k, 'free_page_and_swap_cache', () => folio_put(k, folio + i));
    }
  } finally {
    leave(k, d);
  }
}

/**
 * split_huge_page_to_list_to_order(page, list, 0) of an anon folio (6.12 :3455; 6.1
 * split_huge_page_to_list :2689). The caller holds the folio lock and one reference. -EAGAIN without
 * any event when a reference is not a mapping (can_split_folio), or after remapping when the freeze
 * (page_ref_freeze val=1 + extra pins) fails; on success the folio leaves the deferred split queue
 * and, with a `list`, the tails go onto it (the caller moves the head after them).
 */
export function split_huge_page_to_list_to_order(
  k: Kernel,
  mms: readonly MmStruct[],
  folio: Pfn,
  page: Pfn = folio,
  list?: Pfn[],
): number {
  const d = enter(k, 'split_huge_page_to_list_to_order');
  try {
    if (!folio_test_anon(k, folio))
      throw new NotModelled('split_huge_page: page-cache folios are not modelled');
    if (mmcache(k).f.folio_test_writeback(folio)) return -EBUSY;
    const pmd = folio_order(k, folio) === PMD_ORDER;
    const { ok, extraPins } = can_split_folio(k, folio, 1);
    let ret = -EAGAIN;
    if (ok) {
      unmap_folio(k, mms, folio);
      if (folio_ref_freeze(k, folio, 1 + extraPins)) {
        deferred_split_queue(k).delete(folio);
        folio_clear_partially_mapped(k, folio);
        __split_huge_page(k, mms, folio, page, list);
        ret = 0;
      } else remap_page(k, mms, folio, 1 << folio_order(k, folio), false);
    }
    if (pmd) count_vm_event(k, ret ? 'thp_split_page_failed' : 'thp_split_page');
    return ret;
  } finally {
    leave(k, d);
  }
}

/** split_folio_to_list(folio, list) (6.12 :3705; 6.1 include/linux/huge_mm.h:441, inline) */
export function split_folio_to_list(k: Kernel, mms: readonly MmStruct[], folio: Pfn, list?: Pfn[]): number {
  return called(k, 'split_folio_to_list', () => split_huge_page_to_list_to_order(k, mms, folio, folio, list));
}

/**
 * deferred_split_scan() (6.12 :3844; 6.1 :2923), as shrink_slab() runs it under memory pressure (or
 * `echo 2 > drop_caches`): a reference on every queued folio (folio_try_get / get_page_unless_zero:
 * mod_unless +1), then each is locked and split and its reference put (-1). 6.12 splits only
 * partially mapped folios: the others (new PMD THPs queued for the underused check) leave the queue
 * unsplit, since thp_underused() is false with the default khugepaged max_ptes_none of 511
 * (mm/huge_memory.c:3821, mm/khugepaged.c:395). A failed split stays queued. Returns the folios split.
 */
export function deferred_split_scan(k: Kernel, mms: readonly MmStruct[]): number {
  const d = enter(k, 'shrink_slab');
  try {
    enter(k, 'do_shrink_slab');
    enter(k, 'deferred_split_scan');
    const q = deferred_split_queue(k);
    const f = mmcache(k).f;
    const onlyPartial = k.profile.facts.thp.deferredSplit === 'partially_mapped';
    const list: Pfn[] = [];
    for (const folio of q) {
      if (folio_try_get(k, folio)) list.push(folio);
      else q.delete(folio); // lost the race with the last put
    }
    let split = 0;
    let prev: Pfn | undefined;
    for (const folio of list) {
      const partial = folio_test_partially_mapped(k, folio);
      let didSplit = false;
      if ((!onlyPartial || partial) && !f.folio_test_locked(folio)) {
        f.__folio_set_locked(folio);
        didSplit = split_folio_to_list(k, mms, folio) === 0;
        f.__folio_clear_locked(folio);
        if (didSplit) split++;
      }
      let put: Pfn | undefined = folio;
      if (!didSplit && onlyPartial && !partial) q.delete(folio);
      else if (!didSplit) {
        // 6.12 keeps one unsplit queued folio referenced until the next (swap(folio, prev))
        if (onlyPartial) [put, prev] = [prev, folio];
        q.delete(folio);
        q.add(folio); // list_splice_tail() back onto the queue
      }
      if (put !== undefined) folio_put(k, put);
    }
    if (prev !== undefined) folio_put(k, prev);
    return split;
  } finally {
    leave(k, d);
  }
}

/**
 * is_transparent_hugepage() (6.12 :1116: large and PG_large_rmappable; 6.1 :608: compound with
 * TRANSHUGE_PAGE_DTOR, which the model does not keep: every large anon folio of 6.1 is a THP)
 */
function is_transparent_hugepage(k: Kernel, folio: Pfn): boolean {
  if (!folio_test_large(k, folio)) return false;
  const f = mmcache(k).f;
  return f.folio_test_large_rmappable ? f.folio_test_large_rmappable(folio) : folio_test_anon(k, folio);
}

/**
 * split_huge_pages_pid() (6.12 :3998; 6.1 :3036): `echo <pid>,<start>,<end> >
 * /sys/kernel/debug/split_huge_pages` over pages [from, to) of one VMA, page by page. A mapped THP
 * whose references are all mappings (can_split_folio) is locked, referenced and split, then
 * unlocked and put. 6.1 looks each page up with follow_page(FOLL_GET) (+1, put at the end, on every
 * present page) and splits at the looked-up page; 6.12 walks without a reference and splits at
 * the head. Returns the folios split.
 */
export function split_huge_pages_pid(
  k: Kernel,
  mms: readonly MmStruct[],
  vma: Vma,
  from: number,
  to: number,
): number {
  return called(k, 'split_huge_pages_write', () =>
    called(k, 'split_huge_pages_pid', () => {
      const f = mmcache(k).f;
      const followPage = k.profile.facts.thp.splitPagesLookup === 'follow_page';
      let split = 0;
      for (let i = from; i < to; i++) {
        const pte = vma.pte[i];
        if (!(pte & Pte.PRESENT) || pte & Pte.ZERO) continue; // FOLL_DUMP: no zero page
        const page = vma.pfn[i];
        const folio = page_folio(k, page);
        if (followPage) called(k, 'follow_page', () => folio_get(k, folio));
        if (
          is_transparent_hugepage(k, folio) &&
          can_split_folio(k, folio, followPage ? 1 : 0).ok &&
          !f.folio_test_locked(folio)
        ) {
          f.__folio_set_locked(folio);
          if (!followPage) folio_get(k, folio);
          const at = followPage ? page : folio;
          if (split_huge_page_to_list_to_order(k, mms, folio, at) === 0) split++;
          f.__folio_clear_locked(at);
          folio_put(k, page_folio(k, at));
        } else if (followPage) folio_put(k, folio);
      }
      return split;
    }),
  );
}
