/**
 * mm/memory.c for PTE-mapped memory: page faults (do_anonymous_page with alloc_anon_folio's mTHP
 * orders, the shared zero page, do_wp_page -> wp_can_reuse_anon_folio / wp_page_copy), PTE-table
 * allocation (__pte_alloc), fork (copy_pte_range -> copy_present_ptes, batched over a large folio's
 * PTEs where the profile says so, copy_present_page for pinned pages), and unmapping (zap_pte_range
 * into the mmu_gather, free_pgtables). References are taken and dropped in the kernel's order, so
 * the page_ref events come out as a real kernel prints them.
 */
import { folio_nr_pages, folio_test_anon, folio_test_large, page_folio } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_get, folio_maybe_dma_pinned, folio_put } from '../kernel/mm_ref.js';
import { folio_ref_add, folio_ref_count, folio_ref_sub } from '../kernel/page_ref.js';
import { page_type_word } from '../kernel/page_type.js';
import {
  Pte,
  pte_table_key,
  PTRS_PER_PTE,
  anon_vma_prepare,
  vpn_offset,
  type MmStruct,
  type Vma,
} from './mm_types.js';
import { __do_fault, do_file_fault } from './filemap.js';
import { do_special_fault } from './vdso.js';
import {
  HPAGE_PMD_NR,
  __split_huge_pmd,
  copy_huge_pmd,
  do_huge_pmd_anonymous_page,
  do_huge_pmd_wp_page,
  thp_pmd_suitable,
  thp_vma_allowable_orders,
  thp_vma_suitable_order,
  vma_alloc_anon_folio,
  zap_huge_pmd,
} from './huge_memory.js';
import { copy_swap_pte, do_swap_page, zap_swap_pte } from './memory_swap.js';
import { __tlb_remove_folio_pages, tlb_flush_mmu, tlb_flush_rmaps, type MmuGather } from './mmu_gather.js';
import { MIGRATE_UNMOVABLE, __free_pages, alloc_pages, folio_alloc } from './page_alloc.js';
import {
  PMD_ORDER,
  PageAnonExclusive,
  folio_add_new_anon_rmap,
  folio_dup_rmap_ptes,
  folio_move_anon_rmap,
  folio_remove_rmap_pte,
  folio_remove_rmap_ptes,
  folio_try_dup_anon_rmap_ptes,
} from './rmap.js';
import { called, enter, leave } from './stack.js';
import { folio_add_lru_vma, folio_mark_accessed, lru_add_drain } from './swap.js';
import { mmcache } from './mm_cache.js';
import { page_written } from './page_data.js';
import { NotModelled } from './not_modelled.js';

/**
 * __pte_alloc() -> pte_alloc_one(): an UNMOVABLE order-0 page (page_ref_set val=1 shows no type),
 * then pagetable_pte_ctor() -> __folio_set_pgtable (6.12) / __SetPageTable (6.1).
 */
function __pte_alloc(k: Kernel, mm: MmStruct, vpn: number): void {
  const key = pte_table_key(vpn);
  if (mm.pteTables.has(key)) return;
  const d = enter(k, '__pte_alloc');
  try {
    mm.pteTables.set(key, pte_alloc_one(k));
  } finally {
    leave(k, d);
  }
}

/** pte_alloc_one(): an UNMOVABLE order-0 page typed PageTable (also a THP's deposited table) */
export function pte_alloc_one(k: Kernel): Pfn {
  const d = enter(k, 'pte_alloc_one');
  try {
    const page = alloc_pages(k, 0, PTE_ALLOC_OPTIONS);
    k.mem.mapcount[page] = page_type_word(k, pgtableType(k));
    return page;
  } finally {
    leave(k, d);
  }
}

/** pte_free(): pagetable_pte_dtor, then __free_pages (page_ref_mod_and_test -1 ret=1) */
export function pte_free(k: Kernel, page: Pfn): void {
  const d = enter(k, 'pte_free');
  k.mem.mapcount[page] = k.profile.facts.pageTypeNone;
  __free_pages(k, page, 0);
  leave(k, d);
}

const PTE_ALLOC_OPTIONS = { migratetype: MIGRATE_UNMOVABLE };

/** an order-0 folio allocated under `fn` (vma_alloc_folio, folio_prealloc) */
function folio_alloc_in(k: Kernel, fn: string): Pfn {
  const d = enter(k, fn);
  try {
    return folio_alloc(k, 0);
  } finally {
    leave(k, d);
  }
}

function pgtableType(k: Kernel): number {
  const t = k.profile.pageTypes.get('table');
  if (t === undefined) throw new Error(`profile ${k.profile.name} has no PageTable type`);
  return t;
}

/** pte_range_none(): no PTE at all (not even a swap or migration entry) over [base, base + nr) */
function pte_range_none(vma: Vma, base: number, nr: number): boolean {
  for (let j = base; j < base + nr; j++) if (vma.pte[j]) return false;
  return true;
}

/**
 * alloc_anon_folio() (6.12 mm/memory.c:4654): the mTHP orders below PMD_ORDER the sysfs knobs allow
 * for this VMA whose aligned block around the fault fits the VMA (thp_vma_suitable_orders), then
 * the highest of them whose block has no PTE yet; none: an order-0 folio. 6.1 has no such orders.
 * (The next-order fallback when an allocation fails is not modelled: the allocator throws instead.)
 */
function alloc_anon_folio(k: Kernel, vma: Vma, i: number): Pfn {
  const d = enter(k, 'alloc_anon_folio');
  try {
    let orders = thp_vma_allowable_orders(k, vma, (1 << PMD_ORDER) - 1);
    for (let order = 31 - Math.clz32(orders); orders; order = 31 - Math.clz32(orders)) {
      const nr = 2 ** order;
      if (thp_vma_suitable_order(vma, i, order) && pte_range_none(vma, i - vpn_offset(vma.start + i, nr), nr))
        return vma_alloc_anon_folio(k, order);
      orders &= ~(1 << order);
    }
    return folio_alloc_in(k, 'vma_alloc_folio');
  } finally {
    leave(k, d);
  }
}

/**
 * do_anonymous_page() (6.12 mm/memory.c:4736): a read maps the shared zero page (no reference);
 * a write allocates a folio of 1 or 2^order pages (alloc_anon_folio: page_ref_set 1),
 * __folio_mark_uptodate, [6.12: folio_ref_add(nr_pages - 1): page_ref_mod val=nr-1, val=0 for order
 * 0, flags=uptodate], folio_add_new_anon_rmap(RMAP_EXCLUSIVE), folio_add_lru_vma (+1; a large folio
 * drains the batch at once), set_ptes over the aligned block.
 */
function do_anonymous_page(k: Kernel, vma: Vma, i: number, write: boolean): void {
  const d = enter(k, 'do_anonymous_page');
  try {
    if (!write) {
      vma.pte[i] = Pte.PRESENT | Pte.ZERO;
      return;
    }
    const anonVma = anon_vma_prepare(k, vma);
    const folio = alloc_anon_folio(k, vma, i);
    const nr = folio_nr_pages(k, folio);
    const base = i - vpn_offset(vma.start + i, nr);
    mmcache(k).f.__folio_mark_uptodate(folio);
    if (k.profile.facts.faultRefAddNrPagesMinusOne) folio_ref_add(k, folio, nr - 1);
    folio_add_new_anon_rmap(k, folio, anonVma, vma.start + base);
    folio_add_lru_vma(k, folio);
    for (let j = 0; j < nr; j++) {
      vma.pfn[base + j] = folio + j;
      vma.pte[base + j] = Pte.PRESENT | Pte.WRITE | Pte.DIRTY;
    }
  } finally {
    leave(k, d);
  }
}

/**
 * handle_mm_fault() for one page of an anonymous VMA: missing PTE -> do_anonymous_page; a write to
 * a write-protected PTE -> do_wp_page. A write to a writable PTE needs no fault. Every write ends
 * with the user's store in the page (page_data.ts).
 */
export function handle_mm_fault(k: Kernel, mm: MmStruct, vma: Vma, i: number, write: boolean): void {
  if (i < 0 || i >= vma.nrPages)
    throw new RangeError(`${vma.name}: page ${i} is outside the ${vma.nrPages}-page mapping`);
  __handle_mm_fault(k, mm, vma, i, write);
  if (write && vma.pfn[i] >= 0) page_written(k, vma.pfn[i]);
}

function __handle_mm_fault(k: Kernel, mm: MmStruct, vma: Vma, i: number, write: boolean): void {
  const pte = vma.pte[i];
  // the access sets the accessed bit the PTE has when it is present, and its PMD's
  if (pte & Pte.PRESENT) vma.pte[i] &= ~Pte.OLD;
  if (mm.pmdOld.size) mm.pmdOld.delete(pte_table_key(vma.start + i));
  if (pte & Pte.PRESENT && (!write || pte & Pte.WRITE)) return;
  // the stacks show the x86 entry (arch/x86/mm/fault.c) and __handle_mm_fault's callees
  const d = enter(k, 'asm_exc_page_fault');
  // lru_gen_enter_fault() (6.12 mm/memory.c:6101): vma_has_recency(), which no modelled VMA lacks
  const c = mmcache(k);
  c.inLruFault = true;
  try {
    enter(k, 'exc_page_fault');
    enter(k, 'handle_mm_fault');
    enter(k, '__handle_mm_fault');
    if (pte & Pte.SWAP) {
      // handle_pte_fault() -> do_swap_page(); VM_FAULT_RETRY: the arch handler faults again
      let r = do_swap_page(k, vma, i, write, false);
      if (r === 'retry') r = do_swap_page(k, vma, i, write, true);
      if (r === 'cow') do_wp_page(k, vma, i);
      return;
    }
    if (pte & Pte.PRESENT) {
      if (pte & Pte.PMD && do_huge_pmd_wp_page(k, mm, vma, i)) return;
      do_wp_page(k, vma, i);
      return;
    }
    if (thp_pmd_suitable(k, mm, vma, i)) {
      do_huge_pmd_anonymous_page(k, mm, vma, i);
      return;
    }
    __pte_alloc(k, mm, vma.start + i);
    enter(k, 'do_pte_missing');
    if (vma.special) {
      if (write) throw new NotModelled(`${vma.name}: a write to a special mapping is not modelled`);
      enter(k, 'do_fault');
      do_special_fault(k, vma, i);
    } else if (!vma.file) do_anonymous_page(k, vma, i, write);
    else {
      enter(k, 'do_fault');
      if (write && !vma.shared) do_cow_fault(k, vma, i);
      else do_file_fault(k, vma, i, write);
    }
  } finally {
    c.inLruFault = false; // lru_gen_exit_fault()
    leave(k, d);
  }
}

/**
 * wp_can_reuse_anon_folio() (6.12 mm/memory.c:3586; inline in 6.1 do_wp_page): no for KSM or
 * refcount > 3; drain this CPU's lru_add batch if the folio is not on the LRU; no if refcount >
 * 1 + swapcache; then refcount must be exactly 1. Decided by the refcount, not the mapcount.
 */
function wp_can_reuse_anon_folio(k: Kernel, folio: Pfn): boolean {
  const d = enter(k, 'wp_can_reuse_anon_folio');
  try {
    const f = mmcache(k).f;
    if (k.profile.facts.wpReuseRejectsLarge && folio_test_large(k, folio)) return false;
    if (folio_ref_count(k, folio) > 3) return false;
    if (!f.folio_test_lru(folio)) lru_add_drain(k);
    const swapcache = f.folio_test_swapcache(folio) ? 1 : 0;
    if (folio_ref_count(k, folio) > 1 + swapcache) return false;
    return folio_ref_count(k, folio) === 1;
  } finally {
    leave(k, d);
  }
}

/**
 * do_wp_page() on a private anon PTE (6.12 mm/memory.c:3656): the zero page is copied without a
 * reference on it; PG_anon_exclusive or wp_can_reuse_anon_folio() -> reuse (no events); otherwise
 * folio_get(old) and wp_page_copy().
 */
export function do_wp_page(k: Kernel, vma: Vma, i: number): void {
  const d = enter(k, 'do_wp_page');
  try {
    if (vma.pte[i] & Pte.ZERO) {
      wp_page_copy(k, vma, i, -1);
      return;
    }
    const old = page_folio(k, vma.pfn[i]);
    if (!folio_test_anon(k, old)) {
      // a page-cache folio: wp_page_shared() reuses it in a shared mapping (shmem has no
      // ->page_mkwrite: no reference changes); a private mapping copies it
      if (vma.shared) {
        vma.pte[i] |= Pte.WRITE | Pte.DIRTY;
        mmcache(k).f.folio_set_dirty(old);
        return;
      }
      folio_get(k, old);
      wp_page_copy(k, vma, i, old);
      return;
    }
    if (PageAnonExclusive(k, vma.pfn[i]) || wp_can_reuse_anon_folio(k, old)) {
      if (!PageAnonExclusive(k, vma.pfn[i])) folio_move_anon_rmap(k, old, anon_vma_prepare(k, vma));
      vma.pte[i] |= Pte.WRITE | Pte.DIRTY; // wp_page_reuse(): no reference changes
      return;
    }
    folio_get(k, old);
    wp_page_copy(k, vma, i, old);
  } finally {
    leave(k, d);
  }
}

/**
 * wp_page_copy() (6.12 mm/memory.c:3332): new folio (page_ref_set 1), copy, uptodate,
 * folio_add_new_anon_rmap + folio_add_lru_vma on it, folio_remove_rmap_pte(old) after the PTE
 * switch, then two folio_put(old): the old PTE's reference and do_wp_page()'s. `old` < 0: the
 * zero page, which holds no reference.
 */
function wp_page_copy(k: Kernel, vma: Vma, i: number, old: Pfn): void {
  const d = enter(k, 'wp_page_copy');
  try {
    const anonVma = anon_vma_prepare(k, vma);
    const folio = folio_alloc_in(k, 'folio_prealloc');
    mmcache(k).f.__folio_mark_uptodate(folio);
    folio_add_new_anon_rmap(k, folio, anonVma, vma.start + i);
    folio_add_lru_vma(k, folio);
    const page = vma.pfn[i];
    vma.pfn[i] = folio;
    vma.pte[i] = Pte.PRESENT | Pte.WRITE | Pte.DIRTY;
    if (old < 0) return;
    folio_remove_rmap_pte(k, old, page);
    folio_put(k, old);
    folio_put(k, old);
  } finally {
    leave(k, d);
  }
}

/**
 * do_cow_fault() (6.12 mm/memory.c:5333): a write to a private file mapping with no PTE. New anon
 * folio N (set 1), __do_fault gets the page-cache folio F (+1), copy, finish_fault on N [6.12
 * val=0] with folio_add_new_anon_rmap + folio_add_lru_vma (+1), then unlock and put F (-1).
 */
function do_cow_fault(k: Kernel, vma: Vma, i: number): void {
  called(k, 'do_cow_fault', () => {
    const anonVma = anon_vma_prepare(k, vma);
    const folio = folio_alloc_in(k, 'folio_prealloc');
    const cached = __do_fault(k, vma, i);
    mmcache(k).f.__folio_mark_uptodate(folio);
    called(k, 'finish_fault', () => {
      if (k.profile.facts.faultRefAddNrPagesMinusOne) folio_ref_add(k, folio, 0);
      folio_add_new_anon_rmap(k, folio, anonVma, vma.start + i);
      folio_add_lru_vma(k, folio);
    });
    vma.pfn[i] = folio;
    vma.pte[i] = Pte.PRESENT | Pte.WRITE | Pte.DIRTY;
    mmcache(k).f.__folio_clear_locked(cached);
    folio_put(k, cached);
  });
}

/**
 * __copy_present_ptes() (6.12 mm/memory.c:950): in a COW (private) mapping, writable PTEs are
 * write-protected in the parent and the child; a shared mapping's child PTEs are made clean.
 */
function __copy_present_ptes(vma: Vma, dst: Vma, i: number, nr: number): void {
  const src = vma.pte;
  for (let j = i; j < i + nr; j++) {
    const pte = vma.shared ? src[j] & ~Pte.DIRTY : (src[j] &= ~Pte.WRITE);
    // pte_mkold(): the child's PTEs start old
    dst.pte[j] = pte | Pte.OLD;
    dst.pfn[j] = vma.pfn[j];
  }
}

/**
 * folio_pte_batch() (6.12 mm/internal.h:204): the PTEs from i, at most maxNr, that map the
 * following pages of the same folio; write and young bits are ignored, dirty only in a shared
 * mapping (FPB_IGNORE_DIRTY).
 */
function folio_pte_batch(k: Kernel, folio: Pfn, vma: Vma, i: number, maxNr: number): number {
  const page = vma.pfn[i];
  const max = Math.min(maxNr, folio + folio_nr_pages(k, folio) - page);
  const same = Pte.PRESENT | Pte.ZERO | Pte.PMD | (vma.shared ? 0 : Pte.DIRTY);
  let nr = 1;
  while (nr < max && vma.pfn[i + nr] === page + nr && (vma.pte[i + nr] & same) === (vma.pte[i] & same)) nr++;
  return nr;
}

/**
 * copy_present_ptes() (6.12 mm/memory.c:981; 6.1 copy_present_pte, one PTE at a time). Where the
 * profile batches, PTEs mapping consecutive pages of one large folio take a single folio_ref_add(nr)
 * (page_ref_mod val=nr) and folio_try_dup_anon_rmap_ptes(nr) / folio_dup_file_rmap_ptes. Otherwise
 * folio_get (+1, before the mapcount changes) and the one-page dup. A possibly pinned exclusive small
 * page (MMF_HAS_PINNED + folio_maybe_dma_pinned) gets -EBUSY: folio_put, and the child gets its own
 * copy through copy_present_page() with a preallocated folio (the first try returns -EAGAIN).
 * Returns the PTEs copied.
 */
function copy_present_ptes(k: Kernel, src: MmStruct, vma: Vma, dst: Vma, i: number, maxNr: number): number {
  const d = enter(k, 'copy_present_ptes');
  try {
    if (vma.pte[i] & Pte.ZERO) {
      __copy_present_ptes(vma, dst, i, 1); // vm_normal_page() is NULL for the zero pfn
      return 1;
    }
    const page = vma.pfn[i];
    const folio = page_folio(k, page);
    const pinned = src.hasPinned && folio_maybe_dma_pinned(k, folio);
    if (folio_test_large(k, folio) && maxNr !== 1 && k.profile.facts.thp.pteBatch) {
      const nr = folio_pte_batch(k, folio, vma, i, maxNr);
      folio_ref_add(k, folio, nr);
      if (!folio_test_anon(k, folio)) folio_dup_rmap_ptes(k, folio, page, nr);
      else if (!folio_try_dup_anon_rmap_ptes(k, folio, page, nr, pinned)) {
        folio_ref_sub(k, folio, nr);
        throw new NotModelled(
          'copy_present_ptes: a maybe-pinned exclusive large folio at fork is not modelled',
        );
      }
      __copy_present_ptes(vma, dst, i, nr);
      return nr;
    }
    if (try_dup_rmap(k, folio, page, pinned)) {
      __copy_present_ptes(vma, dst, i, 1);
      return 1;
    }
    // copy_pte_range(): -EAGAIN, folio_prealloc() outside the locks, retry
    const prealloc = folio_alloc_in(k, 'folio_prealloc');
    if (try_dup_rmap(k, folio, page, pinned))
      throw new NotModelled('copy_present_pte: pin dropped between the two tries (not modelled)');
    called(k, 'copy_present_page', () => {
      mmcache(k).f.__folio_mark_uptodate(prealloc);
      folio_add_new_anon_rmap(k, prealloc, anon_vma_prepare(k, dst), dst.start + i);
      folio_add_lru_vma(k, prealloc);
      dst.pfn[i] = prealloc;
      dst.pte[i] = Pte.PRESENT | Pte.WRITE | Pte.DIRTY;
    });
    return 1;
  } finally {
    leave(k, d);
  }
}

/** folio_get, then the one-page rmap duplicate; false (and the reference dropped) for a maybe-pinned page */
function try_dup_rmap(k: Kernel, folio: Pfn, page: Pfn, pinned: boolean): boolean {
  folio_get(k, folio);
  if (!folio_test_anon(k, folio)) {
    folio_dup_rmap_ptes(k, folio, page, 1); // folio_dup_file_rmap_pte()
    return true;
  }
  if (folio_try_dup_anon_rmap_ptes(k, folio, page, 1, pinned)) return true;
  folio_put(k, folio);
  return false;
}

/**
 * copy_page_range() for one VMA at fork: per page table (copy_pmd_range), a PMD mapping by
 * copy_huge_pmd, otherwise copy_pte_range
 */
export function copy_page_range(k: Kernel, src: MmStruct, dst: MmStruct, vma: Vma, child: Vma): void {
  const d = enter(k, 'copy_page_range');
  try {
    for (let a = 0; a < vma.nrPages;) {
      const next = pmd_addr_end(vma, a, vma.nrPages);
      // a PMD mapping covers its whole block, which lies inside the VMA
      if (vma.pte[a] & Pte.PMD) copy_huge_pmd(k, src, dst, vma, child, a);
      else copy_pte_range(k, src, dst, vma, child, a, next);
      a = next;
    }
  } finally {
    leave(k, d);
  }
}

/**
 * copy_pte_range() over one page table [from, to): the child's table (__pte_alloc, at the first
 * entry to copy), then every swap entry and present PTE; a batch never crosses the table's end.
 * Inlined in both builds (the real stacks show copy_page_range), so it pushes no frame.
 */
function copy_pte_range(
  k: Kernel,
  src: MmStruct,
  dst: MmStruct,
  vma: Vma,
  child: Vma,
  from: number,
  to: number,
): void {
  let table = false;
  for (let i = from; i < to;) {
    const pte = vma.pte[i];
    if (!(pte & (Pte.SWAP | Pte.PRESENT))) {
      i++;
      continue;
    }
    if (!table) __pte_alloc(k, dst, child.start + i);
    table = true;
    if (pte & Pte.SWAP) copy_swap_pte(k, vma, child, i++);
    else i += copy_present_ptes(k, src, vma, child, i, to - i);
  }
}

/** pmd_addr_end(): the end of the page table (PMD block) holding page a, or `end` if sooner */
function pmd_addr_end(vma: Vma, a: number, end: number): number {
  return Math.min(end, a + PTRS_PER_PTE - vpn_offset(vma.start + a, PTRS_PER_PTE));
}

/** unmap_page_range() -> zap_pmd_range() for [from, to) */
export function unmap_page_range(
  k: Kernel,
  tlb: MmuGather,
  mm: MmStruct,
  vma: Vma,
  from: number,
  to: number,
): void {
  const d = enter(k, 'unmap_page_range');
  try {
    zap_pmd_range(k, tlb, mm, vma, from, to);
  } finally {
    leave(k, d);
  }
}

/**
 * zap_pmd_range() (mm/memory.c) per page table [from, to) touches: a PMD block inside the range is
 * zapped whole (zap_huge_pmd); one the range only cuts is PTE-mapped first (__split_huge_pmd), then
 * its PTEs are zapped like those of the other tables (zap_pte_range).
 */
function zap_pmd_range(k: Kernel, tlb: MmuGather, mm: MmStruct, vma: Vma, from: number, to: number): void {
  for (let a = from; a < to;) {
    const next = pmd_addr_end(vma, a, to);
    // a PMD mapping marks all the PTEs of its block
    if (vma.pte[a] & Pte.PMD) {
      if (next - a === HPAGE_PMD_NR) {
        zap_huge_pmd(k, tlb, mm, vma, a);
        a = next;
        continue;
      }
      __split_huge_pmd(k, mm, vma, a);
    }
    zap_pte_range(k, tlb, vma, a, next);
    a = next;
  }
}

/**
 * zap_pte_range() -> zap_present_folio_ptes() (6.12 mm/memory.c:1483) over one page table: rmap
 * removed now (no event; folio_remove_rmap_ptes may queue a partly unmapped folio for deferred
 * split), the reference queued in the mmu_gather; the zero page is skipped. Where the profile
 * batches, a run of PTEs of one large folio is one entry of nr references (6.12 folio_pte_batch +
 * __tlb_remove_folio_pages: folios_put_refs -nr); 6.1 queues each page (release_pages -1 each).
 * A dirty PTE of a file folio forces a flush at the end of the table (6.12 :1685, 6.1 :1475): the
 * TLB, then 6.12's delayed rmaps (profile zapDelayRmap: that PTE's rmap is removed only then),
 * then the gather's puts.
 */
function zap_pte_range(k: Kernel, tlb: MmuGather, vma: Vma, from: number, to: number): void {
  if (from >= to) return;
  const d = enter(k, 'zap_pte_range');
  try {
    const batch = k.profile.facts.thp.pteBatch;
    const delay = k.profile.facts.zapDelayRmap;
    const delayDirty = delay !== false && k.profile.config.isEnabled(delay);
    let forceFlush = false;
    // the VMA's arrays in locals: the loop's calls would have them loaded again at every PTE
    const ptes = vma.pte;
    const pfns = vma.pfn;
    for (let i = from; i < to; i++) {
      const pte = ptes[i];
      if (pte & Pte.SWAP) {
        zap_swap_pte(k, vma, i);
        continue;
      }
      if (!(pte & Pte.PRESENT) || pte & Pte.ZERO) {
        ptes[i] = 0;
        continue;
      }
      const page = pfns[i];
      const folio = page_folio(k, page);
      const end = folio + folio_nr_pages(k, folio);
      let nr = 1;
      if (batch)
        while (i + nr < to && ptes[i + nr] & Pte.PRESENT && pfns[i + nr] === page + nr && page + nr < end)
          nr++;
      let delayRmap = false;
      if (!folio_test_anon(k, folio)) {
        if (pte & Pte.DIRTY) {
          mmcache(k).f.folio_set_dirty(folio);
          delayRmap = delayDirty;
          forceFlush = true;
        }
        // a young PTE of the batch marks the file folio accessed (6.12 :1502; 6.1 :1447 per page)
        let young = false;
        for (let j = i; j < i + nr; j++) if (!(ptes[j] & Pte.OLD)) young = true;
        if (young) folio_mark_accessed(k, folio);
      }
      // a loop, not TypedArray.fill: fill is a runtime call, and nr is 1 for every small folio
      for (let j = i; j < i + nr; j++) {
        ptes[j] = 0;
        pfns[j] = -1;
      }
      if (!delayRmap) folio_remove_rmap_ptes(k, folio, page, nr);
      i += nr - 1;
      if (__tlb_remove_folio_pages(k, tlb, folio, nr, delayRmap ? page : -1)) {
        // force_break: the gather may not grow while rmaps are delayed; flush, then go on
        tlb_flush_rmaps(k, tlb);
        tlb_flush_mmu(k, tlb);
      }
    }
    if (forceFlush) {
      tlb_flush_rmaps(k, tlb);
      tlb_flush_mmu(k, tlb);
    }
  } finally {
    leave(k, d);
  }
}

/**
 * free_pgtables() -> free_pte_range() -> pte_free_tlb(): pagetable_pte_dtor() clears the PageTable
 * type, then tlb_remove_table() queues the page in the mmu_gather like a data page, so the flush's
 * put (val=-1 ret=1) shows no type (6.1 and 6.12 traces). Only tables no other VMA still uses.
 */
export function free_pgtables(k: Kernel, tlb: MmuGather, mm: MmStruct, gone: readonly Vma[]): void {
  called(k, 'free_pgtables', () => {
    const live = new Set<number>();
    for (const v of mm.vmas) {
      if (gone.includes(v)) continue;
      for (let key = pte_table_key(v.start); key <= pte_table_key(v.start + v.nrPages - 1); key++)
        live.add(key);
    }
    for (const [key, page] of mm.pteTables) {
      if (live.has(key)) continue;
      mm.pteTables.delete(key);
      k.mem.mapcount[page] = k.profile.facts.pageTypeNone;
      __tlb_remove_folio_pages(k, tlb, page, 1);
    }
  });
}
