/**
 * mm/huge_memory.c for anonymous THPs: which orders a fault may use (thp_vma_allowable_orders,
 * from the sysfs knobs of thp_sysfs.ts, and thp_vma_suitable_order), the PMD fault
 * (do_huge_pmd_anonymous_page), fork (copy_huge_pmd), the write fault on a shared PMD
 * (do_huge_pmd_wp_page: split the PMD and fall back to a PTE-level COW), PTE-mapping a PMD
 * (__split_huge_pmd_locked, without freeze), the PMD zap (zap_huge_pmd) and PMD migration entries
 * (set_pmd_migration_entry, remove_migration_pmd). 6.1 and 6.12 take the same references; their
 * rmap counters differ (rmap.ts). PTE-mapped mTHP faults are in memory.ts,
 * splitting a folio and the deferred split queue in huge_split.ts. Not modelled: the huge zero page.
 */
import { folio_test_anon, page_folio } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_get, folio_maybe_dma_pinned, folio_put } from '../kernel/mm_ref.js';
import { folio_ref_add, folio_ref_count } from '../kernel/page_ref.js';
import { pte_alloc_one, pte_free } from './memory.js';
import { Pte, pte_table_key, PMD_ORDER, anon_vma_prepare, vpn_offset } from './mm_types.js';
import type { MmStruct, Vma } from './mm_types.js';
import { __tlb_remove_folio_pages, type MmuGather } from './mmu_gather.js';
import { folio_alloc } from './page_alloc.js';
import { folio_zero_user } from './page_data.js';
import {
  PageAnonExclusive,
  folio_add_anon_rmap_pmd,
  folio_add_new_anon_rmap_pmd,
  folio_remove_rmap_pmd,
  folio_try_dup_anon_rmap_pmd,
  split_pmd_rmap,
} from './rmap.js';
import { called, enter, leave } from './stack.js';
import { folio_add_lru_vma } from './swap.js';
import { mmcache } from './mm_cache.js';
import { deferred_split_folio } from './huge_split.js';
import { thp_sysfs } from './thp_sysfs.js';
import { count_vm_event } from './vmstat.js';
import { NotModelled } from './not_modelled.js';

export const HPAGE_PMD_NR = 1 << PMD_ORDER;

/** first page index (in the VMA) of the PMD block holding page i */
function pmdBase(vma: Vma, i: number): number {
  return i - vpn_offset(vma.start + i, HPAGE_PMD_NR);
}

/**
 * thp_vma_allowable_orders(vma, vm_flags, TVA_IN_PF | TVA_ENFORCE_SYSFS, orders) for an anonymous
 * VMA (6.12 include/linux/huge_mm.h:294): the orders enabled `always`, those enabled `madvise` in a
 * VM_HUGEPAGE VMA, and those that `inherit` the global knob when it is `always`, or `madvise` in a
 * VM_HUGEPAGE VMA. 6.1's hugepage_vma_check() is the PMD order inheriting the global knob, which is
 * what its knobs are here. File VMAs: none (no file THPs in the model).
 */
export function thp_vma_allowable_orders(k: Kernel, vma: Vma, orders: number): number {
  if (vma.file) return 0;
  const s = thp_sysfs(k);
  let mask = s.always;
  if (vma.hugepage) mask |= s.madvise;
  if (s.enabled === 'always' || (vma.hugepage && s.enabled === 'madvise')) mask |= s.inherit;
  return orders & mask;
}

/**
 * thp_vma_suitable_order() (6.12 include/linux/huge_mm.h:209): the naturally aligned block of
 * `order` around page i lies inside the VMA (anon: no pgoff check)
 */
export function thp_vma_suitable_order(vma: Vma, i: number, order: number): boolean {
  const nr = 2 ** order;
  const base = i - vpn_offset(vma.start + i, nr);
  return base >= 0 && base + nr <= vma.nrPages;
}

/**
 * __handle_mm_fault()'s PMD test (6.12 mm/memory.c:5901): a missing PMD (no PTE table yet), the PMD
 * order allowed, then do_huge_pmd_anonymous_page()'s thp_vma_suitable_order (else VM_FAULT_FALLBACK).
 */
export function thp_pmd_suitable(k: Kernel, mm: MmStruct, vma: Vma, i: number): boolean {
  if (!thp_vma_allowable_orders(k, vma, 1 << PMD_ORDER) || !thp_vma_suitable_order(vma, i, PMD_ORDER))
    return false;
  return !mm.pteTables.has(pte_table_key(vma.start + pmdBase(vma, i)));
}

/**
 * vma_alloc_folio(order) of an anon THP (6.12 mm/mempolicy.c folio_alloc_mpol_noprof ->
 * page_rmappable_folio: PG_large_rmappable on page[1], where the flag exists), then folio_zero_user
 */
export function vma_alloc_anon_folio(k: Kernel, order: number): Pfn {
  const d = enter(k, 'vma_alloc_folio');
  try {
    const folio = folio_alloc(k, order);
    mmcache(k).f.folio_set_large_rmappable?.(folio);
    folio_zero_user(k, folio, 1 << order);
    return folio;
  } finally {
    leave(k, d);
  }
}

/**
 * do_huge_pmd_anonymous_page() (6.12 mm/huge_memory.c:1324 -> __do_huge_pmd_anonymous_page
 * :1192; 6.1 :799): vma_alloc_folio(order 9) (page_ref_set 1 before prep_compound_page, so
 * flags=none), pte_alloc_one() for the deposit, uptodate, folio_add_new_anon_rmap, folio_add_lru_vma
 * (+1, drained at once: large), set_pmd_at, THP_FAULT_ALLOC. 6.12 also queues it for the
 * underused-THP shrinker (deferred_split_folio(folio, false), no reference).
 */
export function do_huge_pmd_anonymous_page(k: Kernel, mm: MmStruct, vma: Vma, i: number): void {
  const d = enter(k, 'do_huge_pmd_anonymous_page');
  try {
    const base = pmdBase(vma, i);
    const anonVma = anon_vma_prepare(k, vma);
    const folio = vma_alloc_anon_folio(k, PMD_ORDER);
    mm.deposited.set(pte_table_key(vma.start + base), pte_alloc_one(k));
    mmcache(k).f.__folio_mark_uptodate(folio);
    folio_add_new_anon_rmap_pmd(k, folio, anonVma, vma.start + base);
    folio_add_lru_vma(k, folio);
    for (let j = 0; j < HPAGE_PMD_NR; j++) {
      vma.pfn[base + j] = folio + j;
      vma.pte[base + j] = Pte.PRESENT | Pte.WRITE | Pte.DIRTY | Pte.PMD;
    }
    count_vm_event(k, 'thp_fault_alloc');
    if (k.profile.facts.thp.deferredSplit === 'partially_mapped') deferred_split_folio(k, folio, false);
  } finally {
    leave(k, d);
  }
}

/**
 * copy_huge_pmd() (6.12 mm/huge_memory.c:1618; 6.1 :1075): pte_alloc_one() for the child's
 * deposit, folio_get (+1), folio_try_dup_anon_rmap_pmd, both PMDs write-protected. A maybe-pinned
 * exclusive THP would be split and copied by PTE instead (not modelled).
 */
export function copy_huge_pmd(
  k: Kernel,
  src: MmStruct,
  dst: MmStruct,
  vma: Vma,
  child: Vma,
  i: number,
): void {
  const d = enter(k, 'copy_huge_pmd');
  try {
    const folio = vma.pfn[i];
    dst.deposited.set(pte_table_key(child.start + i), pte_alloc_one(k));
    folio_get(k, folio);
    if (!folio_try_dup_anon_rmap_pmd(k, folio, src.hasPinned && folio_maybe_dma_pinned(k, folio)))
      throw new NotModelled('copy_huge_pmd: a maybe-pinned exclusive THP at fork is not modelled');
    for (let j = i; j < i + HPAGE_PMD_NR; j++) {
      vma.pte[j] &= ~Pte.WRITE;
      child.pte[j] = vma.pte[j];
      child.pfn[j] = vma.pfn[j];
    }
  } finally {
    leave(k, d);
  }
}

/**
 * __split_huge_pmd_locked() for an anon PMD without freeze (6.12 mm/huge_memory.c:2716; 6.1
 * :2077): folio_ref_add(HPAGE_PMD_NR - 1) (one reference per PTE), the deposited table becomes the
 * PTE table (a dirty PMD dirties the folio first), 512 PTEs keep the PMD's write bit, then the rmap moves from the PMD to the PTEs.
 */
export function __split_huge_pmd(k: Kernel, mm: MmStruct, vma: Vma, i: number): void {
  const d = enter(k, '__split_huge_pmd');
  try {
    const base = pmdBase(vma, i);
    const folio = vma.pfn[base];
    const key = pte_table_key(vma.start + base);
    const table = mm.deposited.get(key);
    if (table === undefined) throw new Error(`__split_huge_pmd: no deposited table at ${vma.name}+${base}`);
    enter(k, '__split_huge_pmd_locked');
    count_vm_event(k, 'thp_split_pmd');
    if (vma.pte[base] & Pte.DIRTY) mmcache(k).f.folio_set_dirty(folio); // pmd_dirty(old_pmd)
    folio_ref_add(k, folio, HPAGE_PMD_NR - 1);
    mm.deposited.delete(key);
    mm.pteTables.set(key, table);
    for (let j = base; j < base + HPAGE_PMD_NR; j++) vma.pte[j] &= ~Pte.PMD;
    split_pmd_rmap(k, folio);
  } finally {
    leave(k, d);
  }
}

/**
 * do_huge_pmd_wp_page() (6.12 mm/huge_memory.c:1818; 6.1 :1323, the same logic): an exclusive
 * head, or refcount 1, is reused in place (true); otherwise the PMD is split and the fault falls
 * back to the PTE level (false), where do_wp_page copies one 4 KiB page.
 */
export function do_huge_pmd_wp_page(k: Kernel, mm: MmStruct, vma: Vma, i: number): boolean {
  const d = enter(k, 'do_huge_pmd_wp_page');
  try {
    const base = pmdBase(vma, i);
    const folio = vma.pfn[base];
    const swapcache = mmcache(k).f.folio_test_swapcache(folio) ? HPAGE_PMD_NR : 0;
    const reuse = PageAnonExclusive(k, folio) || folio_ref_count(k, folio) <= 1 + swapcache;
    if (reuse && folio_ref_count(k, folio) === 1) k.mem.flagsLo[folio] |= mmcache(k).anonExclusive;
    if (reuse) {
      for (let j = base; j < base + HPAGE_PMD_NR; j++) vma.pte[j] |= Pte.WRITE | Pte.DIRTY;
      return true;
    }
    __split_huge_pmd(k, mm, vma, i);
    return false;
  } finally {
    leave(k, d);
  }
}

/**
 * zap_huge_pmd() (6.12 mm/huge_memory.c; 6.1 the same): folio_remove_rmap_pmd, the reference queued
 * in the mmu_gather as one entry (tlb_remove_page_size: put -1 at the flush), and the deposited
 * table freed at once (zap_deposited_table -> pte_free).
 */
export function zap_huge_pmd(k: Kernel, tlb: MmuGather, mm: MmStruct, vma: Vma, base: number): void {
  const d = enter(k, 'zap_huge_pmd');
  try {
    const folio: Pfn = vma.pfn[base];
    for (let j = base; j < base + HPAGE_PMD_NR; j++) {
      vma.pte[j] = 0;
      vma.pfn[j] = -1;
    }
    folio_remove_rmap_pmd(k, folio);
    __tlb_remove_folio_pages(k, tlb, folio, 1);
    const key = pte_table_key(vma.start + base);
    const table = mm.deposited.get(key);
    if (table === undefined) return;
    mm.deposited.delete(key);
    pte_free(k, table);
  } finally {
    leave(k, d);
  }
}

/**
 * set_pmd_migration_entry() (6.12 mm/huge_memory.c:4264; 6.1 :3267), from try_to_migrate_one for
 * the PMD mapping page i: an exclusive anon THP that may be DMA-pinned gets its PMD back
 * (folio_try_share_anon_rmap_pmd, 6.1 page_try_share_anon_rmap: -EBUSY) and the rmap walk stops
 * (false); otherwise the head's PG_anon_exclusive goes into the entry, a dirty PMD dirties the
 * folio, the PMD becomes a migration entry, folio_remove_rmap_pmd, folio_put (-1).
 */
export function set_pmd_migration_entry(k: Kernel, vma: Vma, i: number): boolean {
  return called(k, 'set_pmd_migration_entry', () => {
    const base = pmdBase(vma, i);
    const page = vma.pfn[base];
    const folio = page_folio(k, page);
    const pmd = vma.pte[base];
    const excl = folio_test_anon(k, folio) && PageAnonExclusive(k, page);
    if (excl && folio_maybe_dma_pinned(k, folio)) return false;
    k.mem.flagsLo[page] &= ~mmcache(k).anonExclusive;
    if (pmd & Pte.DIRTY) mmcache(k).f.folio_set_dirty(folio); // folio_mark_dirty
    const entry = Pte.MIGRATION | Pte.PMD | (pmd & (Pte.WRITE | Pte.DIRTY)) | (excl ? Pte.MIGRATION_EXCL : 0);
    vma.pte.fill(entry, base, base + HPAGE_PMD_NR);
    folio_remove_rmap_pmd(k, folio);
    called(k, 'folio_put', () => folio_put(k, folio));
    return true;
  });
}

/**
 * remove_migration_pmd() (6.12 mm/huge_memory.c:4314; 6.1 :3316), from remove_migration_pte: the
 * PMD migration entry maps `folio` (the destination, or the source itself on undo): folio_get
 * (+1), folio_add_anon_rmap_pmd (6.1 page_add_anon_rmap(RMAP_COMPOUND)) with RMAP_EXCLUSIVE from
 * an exclusive entry, the PMD present again with the entry's write and dirty bits.
 */
export function remove_migration_pmd(k: Kernel, vma: Vma, i: number, folio: Pfn): void {
  called(k, 'remove_migration_pmd', () => {
    const base = pmdBase(vma, i);
    const entry = vma.pte[base];
    folio_get(k, folio);
    folio_add_anon_rmap_pmd(k, folio, (entry & Pte.MIGRATION_EXCL) !== 0);
    vma.pte.fill(Pte.PRESENT | Pte.PMD | (entry & (Pte.WRITE | Pte.DIRTY)), base, base + HPAGE_PMD_NR);
    for (let j = 0; j < HPAGE_PMD_NR; j++) vma.pfn[base + j] = folio + j;
  });
}
