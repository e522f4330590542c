/**
 * Reverse-map accounting (mm/rmap.c, include/linux/rmap.h): the _mapcount changes that page_ref never
 * traces, for small folios, PTE-mapped large folios (6.12 _large_mapcount / _nr_pages_mapped, 6.1 the
 * per-page counts) and PMD mappings; a large anon folio left partly mapped is queued for deferred
 * split here (huge_split.ts). Also the rmap walks of reclaim and migration (try_to_unmap with swap
 * entries, try_to_migrate, remove_migration_ptes, folio_referenced).
 */
import {
  PageAnon,
  folio_entire_mapcount,
  folio_mapcount,
  folio_nr_pages,
  folio_order,
  folio_test_anon,
  folio_test_large,
} from '../kernel/folio.js';
import { folio_get, folio_maybe_dma_pinned, folio_put } from '../kernel/mm_ref.js';
import { Pte, PMD_ORDER, type MmStruct, type Vma } from './mm_types.js';
import { swap_duplicate, swap_free } from './swapfile.js';
import { called, enter, leave } from './stack.js';
import { deferred_split_folio, folio_test_partially_mapped } from './huge_split.js';
import { page_zero_filled } from './page_data.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { mmcache } from './mm_cache.js';
import { NotModelled } from './not_modelled.js';
import { lruvec_of } from './lru.js';
import { lru_gen_look_around, lru_gen_look_around_v6_1 } from './vmscan_mglru_walk.js';

export function PageAnonExclusive(k: Kernel, page: Pfn): boolean {
  return (k.mem.flagsLo[page] & mmcache(k).anonExclusive) !== 0;
}

/**
 * folio_add_new_anon_rmap(folio, vma, address, RMAP_EXCLUSIVE) (6.12 mm/rmap.c:1422;
 * 6.1 page_add_new_anon_rmap): __folio_set_swapbacked, mapping = anon_vma + PAGE_MAPPING_ANON,
 * index, then a small folio's _mapcount = 0 and PG_anon_exclusive (not for RMAP_NONE: a swapped-in
 * folio do_swap_page maps shared); a PTE-mapped large folio (6.12
 * mTHP, :1456) the same on every page, _large_mapcount = nr - 1, _nr_pages_mapped = nr. PMD-mappable
 * folios: folio_add_new_anon_rmap_pmd.
 */
export function folio_add_new_anon_rmap(
  k: Kernel,
  folio: Pfn,
  anonVma: number,
  index: number,
  exclusive = true,
): void {
  const m = k.mem;
  mmcache(k).f.__folio_set_swapbacked(folio);
  m.mapping[folio] = anonVma | k.profile.facts.mappingFlags.anon;
  m.index[folio] = index;
  const nr = 1 << folio_order(k, folio);
  for (let i = 0; i < nr; i++) {
    m.mapcount[folio + i] = 0;
    if (exclusive) m.flagsLo[folio + i] |= mmcache(k).anonExclusive;
  }
  if (nr === 1) return;
  if (k.profile.facts.folioLayout !== 'folio_v6_12')
    throw new Error(
      `folio_add_new_anon_rmap: no PTE-mapped new large folios in Linux ${k.profile.facts.release}`,
    );
  m.largeMapcount[folio + 1] = nr - 1;
  m.nrPagesMapped[folio + 1] = nr;
}

/**
 * folio_try_dup_anon_rmap_ptes(folio, page, nr) at fork (6.12 include/linux/rmap.h
 * __folio_try_dup_anon_rmap; 6.1 page_try_dup_anon_rmap per page): -EBUSY (false) when the folio
 * may be DMA-pinned and any of the pages is exclusive; otherwise each page loses PG_anon_exclusive
 * and gets _mapcount++, and a 6.12 large folio _large_mapcount += nr.
 */
export function folio_try_dup_anon_rmap_ptes(
  k: Kernel,
  folio: Pfn,
  page: Pfn,
  nr: number,
  maybePinned: boolean,
): boolean {
  if (maybePinned) for (let i = 0; i < nr; i++) if (PageAnonExclusive(k, page + i)) return false;
  folio_dup_rmap_ptes(k, folio, page, nr);
  for (let i = 0; i < nr; i++) k.mem.flagsLo[page + i] &= ~mmcache(k).anonExclusive;
  return true;
}

/**
 * folio_dup_file_rmap_ptes() (6.12 include/linux/rmap.h __folio_dup_file_rmap) and the count half
 * of the anon dup: each page's _mapcount++, a 6.12 large folio's _large_mapcount += nr.
 */
export function folio_dup_rmap_ptes(k: Kernel, folio: Pfn, page: Pfn, nr: number): void {
  for (let i = 0; i < nr; i++) k.mem.mapcount[page + i]++;
  if (folio_test_large(k, folio) && k.profile.facts.folioLayout === 'folio_v6_12')
    k.mem.largeMapcount[folio + 1] += nr;
}

/**
 * __folio_add_rmap(RMAP_LEVEL_PTE) (6.12 mm/rmap.c:1161): each page's _mapcount++; a 6.12 large
 * folio's _large_mapcount += nr and _nr_pages_mapped += the pages that became mapped. 6.1
 * page_add_anon_rmap / page_add_file_rmap of a subpage: its _mapcount only.
 */
function __folio_add_rmap_ptes(k: Kernel, folio: Pfn, page: Pfn, nr: number): void {
  const m = k.mem;
  let first = 0;
  for (let i = 0; i < nr; i++) if (++m.mapcount[page + i] === 0) first++;
  if (!folio_test_large(k, folio) || k.profile.facts.folioLayout !== 'folio_v6_12') return;
  m.largeMapcount[folio + 1] += nr;
  m.nrPagesMapped[folio + 1] += first;
}

/**
 * folio_add_anon_rmap_ptes(folio, page, nr, flags) (6.12 mm/rmap.c __folio_add_anon_rmap; 6.1
 * page_add_anon_rmap per page): the PTE rmap of nr pages, PG_anon_exclusive on each for
 * RMAP_EXCLUSIVE. No reference changes.
 */
export function folio_add_anon_rmap_ptes(
  k: Kernel,
  folio: Pfn,
  page: Pfn,
  nr: number,
  exclusive: boolean,
): void {
  __folio_add_rmap_ptes(k, folio, page, nr);
  if (exclusive) for (let i = 0; i < nr; i++) k.mem.flagsLo[page + i] |= mmcache(k).anonExclusive;
}

/**
 * folio_add_anon_rmap_pmd(folio, page, flags) (6.12 mm/rmap.c __folio_add_rmap RMAP_LEVEL_PMD:
 * _entire_mapcount++, _large_mapcount++, the first mapping adds ENTIRELY_MAPPED to
 * _nr_pages_mapped; 6.1 page_add_anon_rmap(RMAP_COMPOUND): compound_mapcount++), PG_anon_exclusive
 * on the head for RMAP_EXCLUSIVE
 */
export function folio_add_anon_rmap_pmd(k: Kernel, folio: Pfn, exclusive: boolean): void {
  const m = k.mem;
  const first = ++m.entireMapcount[folio + 1] === 0;
  if (k.profile.facts.folioLayout === 'folio_v6_12') {
    m.largeMapcount[folio + 1]++;
    if (first) m.nrPagesMapped[folio + 1] += entirelyMapped(k);
  }
  if (exclusive) m.flagsLo[folio] |= mmcache(k).anonExclusive;
}

/**
 * folio_remove_rmap_ptes(folio, page, nr) (6.12 mm/rmap.c:1613 __folio_remove_rmap; 6.1
 * page_remove_rmap per page): each page's _mapcount--. A 6.12 large folio: _large_mapcount -= nr,
 * the pages that went unmapped come off _nr_pages_mapped, and an anon folio with some pages unmapped
 * and some still mapped is queued as partially mapped (deferred_split_folio(folio, true)). 6.1
 * queues an anon THP whenever one of its pages goes unmapped. No reference changes.
 */
export function folio_remove_rmap_ptes(k: Kernel, folio: Pfn, page: Pfn, nr: number): void {
  const m = k.mem;
  let last = 0;
  for (let i = 0; i < nr; i++) if (--m.mapcount[page + i] === -1) last++;
  if (!folio_test_large(k, folio)) return;
  if (k.profile.facts.folioLayout === 'folio_v6_12') {
    m.largeMapcount[folio + 1] -= nr;
    m.nrPagesMapped[folio + 1] -= last;
  }
  if (!last || !folio_test_anon(k, folio)) return;
  if (k.profile.facts.thp.deferredSplit === 'subpage_unmapped') {
    deferred_split_folio(k, folio, true);
    return;
  }
  // partially_mapped: pages went unmapped (none count while a PMD maps the folio) and some remain
  const mapped = m.nrPagesMapped[folio + 1];
  if (mapped < entirelyMapped(k) && mapped !== 0 && !folio_test_partially_mapped(k, folio))
    deferred_split_folio(k, folio, true);
}

/** folio_remove_rmap_pte(folio, page): folio_remove_rmap_ptes() of one page */
export function folio_remove_rmap_pte(k: Kernel, folio: Pfn, page: Pfn = folio): void {
  folio_remove_rmap_ptes(k, folio, page, 1);
}

function entirelyMapped(k: Kernel): number {
  const v = k.profile.facts.entirelyMapped;
  if (v === undefined) throw new Error(`profile ${k.profile.name} has no ENTIRELY_MAPPED`);
  return v;
}

/**
 * folio_add_new_anon_rmap() of a PMD-mappable folio (6.12 mm/rmap.c:1422: _entire_mapcount 0,
 * _large_mapcount 0, _nr_pages_mapped ENTIRELY_MAPPED; 6.1 page_add_new_anon_rmap: compound_mapcount
 * 0): PG_anon_exclusive on the head only, every page's own _mapcount stays -1.
 */
export function folio_add_new_anon_rmap_pmd(k: Kernel, folio: Pfn, anonVma: number, index: number): void {
  const m = k.mem;
  mmcache(k).f.__folio_set_swapbacked(folio);
  m.mapping[folio] = anonVma | k.profile.facts.mappingFlags.anon;
  m.index[folio] = index;
  m.entireMapcount[folio + 1] = 0;
  if (k.profile.facts.folioLayout === 'folio_v6_12') {
    m.largeMapcount[folio + 1] = 0;
    m.nrPagesMapped[folio + 1] = entirelyMapped(k);
  }
  m.flagsLo[folio] |= mmcache(k).anonExclusive;
}

/**
 * folio_try_dup_anon_rmap_pmd() at fork (6.12 include/linux/rmap.h; 6.1 page_try_dup_anon_rmap
 * compound): -EBUSY for a maybe-pinned exclusive folio; else clear the head's PG_anon_exclusive,
 * _entire_mapcount++ (and 6.12 _large_mapcount++).
 */
export function folio_try_dup_anon_rmap_pmd(k: Kernel, folio: Pfn, maybePinned: boolean): boolean {
  if (maybePinned && PageAnonExclusive(k, folio)) return false;
  k.mem.flagsLo[folio] &= ~mmcache(k).anonExclusive;
  k.mem.entireMapcount[folio + 1]++;
  if (k.profile.facts.folioLayout === 'folio_v6_12') k.mem.largeMapcount[folio + 1]++;
  return true;
}

/** 6.1 PG_double_map (page[1], PF_SECOND) */
function doubleMapBit(k: Kernel): number {
  const bit = k.profile.bits.get('double_map');
  if (bit === undefined) throw new Error(`profile ${k.profile.name} has no PG_double_map`);
  return 1 << bit;
}

/**
 * folio_remove_rmap_pmd() (6.12 mm/rmap.c __folio_remove_rmap RMAP_LEVEL_PMD: _entire_mapcount--,
 * _large_mapcount--, the last one takes ENTIRELY_MAPPED off _nr_pages_mapped; 6.1
 * page_remove_anon_compound_rmap: compound_mapcount--, the last one clears PG_double_map and drops
 * every page's extra _mapcount). Either way, an anon folio whose PTE mappings still cover some but
 * not all of its pages is queued for deferred split.
 */
export function folio_remove_rmap_pmd(k: Kernel, folio: Pfn): void {
  const m = k.mem;
  const nr = 1 << PMD_ORDER;
  const last = --m.entireMapcount[folio + 1] === -1;
  let unmapped = 0;
  if (k.profile.facts.folioLayout === 'folio_v6_12') {
    m.largeMapcount[folio + 1]--;
    if (!last) return;
    m.nrPagesMapped[folio + 1] -= entirelyMapped(k);
    unmapped = nr - m.nrPagesMapped[folio + 1];
  } else {
    const dm = doubleMapBit(k);
    if (!last || !(m.flagsLo[folio + 1] & dm)) return;
    m.flagsLo[folio + 1] &= ~dm;
    for (let i = 0; i < nr; i++) if (--m.mapcount[folio + i] === -1) unmapped++;
  }
  if (unmapped && unmapped < nr && folio_test_anon(k, folio) && !folio_test_partially_mapped(k, folio))
    deferred_split_folio(k, folio, true);
}

export { PMD_ORDER } from './mm_types.js';

/**
 * The rmap half of __split_huge_pmd_locked() for an anon PMD, without freeze: every page gets a PTE
 * (_mapcount++, PG_anon_exclusive if the head had it), then the PMD's mapping is removed.
 * 6.12 (mm/huge_memory.c:2716): folio_add_anon_rmap_ptes(512) + folio_remove_rmap_pmd.
 * 6.1 (mm/huge_memory.c:2077): atomic_inc per page, PG_double_map (+1 per page) while another PMD
 * still maps it, then compound_mapcount--.
 */
export function split_pmd_rmap(k: Kernel, folio: Pfn): void {
  const m = k.mem;
  const nr = 1 << PMD_ORDER;
  folio_add_anon_rmap_ptes(k, folio, folio, nr, PageAnonExclusive(k, folio));
  if (
    k.profile.facts.folioLayout !== 'folio_v6_12' &&
    folio_entire_mapcount(k, folio) > 1 &&
    !(m.flagsLo[folio + 1] & doubleMapBit(k))
  ) {
    m.flagsLo[folio + 1] |= doubleMapBit(k);
    for (let i = 0; i < nr; i++) m.mapcount[folio + i]++;
  }
  folio_remove_rmap_pmd(k, folio);
}

/** folio_move_anon_rmap() + SetPageAnonExclusive on COW reuse */
export function folio_move_anon_rmap(k: Kernel, folio: Pfn, anonVma: number): void {
  if (!PageAnon(k, folio)) throw new Error(`folio_move_anon_rmap: pfn 0x${folio.toString(16)} is not anon`);
  k.mem.mapping[folio] = anonVma | k.profile.facts.mappingFlags.anon;
  k.mem.flagsLo[folio] |= mmcache(k).anonExclusive;
}

/**
 * rmap_walk() (mm/rmap.c): rmap_walk_anon() or rmap_walk_file() over every PTE of these address
 * spaces that holds a page of `folio` (present, or as a migration entry), calling `one`
 * (try_to_unmap_one, try_to_migrate_one, remove_migration_pte) under its own frame; `fn` returning
 * false stops the walk (rmap_one's abort).
 */
function rmap_walk(
  k: Kernel,
  mms: readonly MmStruct[],
  folio: Pfn,
  one: string,
  fn: (vma: Vma, i: number, mm: MmStruct) => boolean | void,
): void {
  const nr = folio_nr_pages(k, folio);
  const d = enter(k, PageAnon(k, folio) ? 'rmap_walk_anon' : 'rmap_walk_file');
  try {
    for (const mm of mms)
      for (const vma of mm.vmas)
        for (let i = 0; i < vma.nrPages; i++) {
          const page = vma.pfn[i];
          if (page < folio || page >= folio + nr || !vma.pte[i]) continue;
          const d1 = enter(k, one);
          try {
            if (fn(vma, i, mm) === false) return;
          } finally {
            leave(k, d1);
          }
        }
  } finally {
    leave(k, d);
  }
}

/** folio_put() of a PTE's reference, under its own frame as the real stacks show it */
function put_pte_ref(k: Kernel, folio: Pfn): void {
  const d = enter(k, 'folio_put');
  folio_put(k, folio);
  leave(k, d);
}

/**
 * try_to_unmap() (6.12 mm/rmap.c:2010, try_to_unmap_one :1642; 6.1 the same steps): each PTE is
 * cleared (a dirty one dirties the folio); an anon folio's PTE becomes a swap entry of its swap
 * cache slot (swap_duplicate; exclusive if PG_anon_exclusive, which
 * folio_try_share_anon_rmap_pte clears — a possibly pinned folio aborts the walk and keeps its
 * PTE); then folio_remove_rmap_pte and folio_put (-1).
 */
export function try_to_unmap(k: Kernel, mms: readonly MmStruct[], folio: Pfn): void {
  called(k, 'try_to_unmap', () =>
    rmap_walk(k, mms, folio, 'try_to_unmap_one', (vma, i) => {
      const pte = vma.pte[i];
      if (!(pte & Pte.PRESENT)) return true;
      const f = mmcache(k).f;
      if (PageAnon(k, folio)) {
        if (!f.folio_test_swapcache(folio))
          throw new NotModelled(
            'try_to_unmap: an anon folio outside the swap cache (MADV_FREE) is not modelled',
          );
        const off = k.mem.private_[folio];
        if (!swap_duplicate(k, off)) return false;
        const excl = PageAnonExclusive(k, folio);
        if (excl && folio_maybe_dma_pinned(k, folio)) {
          swap_free(k, off); // folio_try_share_anon_rmap_pte() -EBUSY: the PTE is put back
          return false;
        }
        if (excl) k.mem.flagsLo[folio] &= ~mmcache(k).anonExclusive;
        if (pte & Pte.DIRTY) f.folio_set_dirty(folio);
        vma.pte[i] = Pte.SWAP | (excl ? Pte.SWP_EXCLUSIVE : 0);
        vma.pfn[i] = -1 - off;
      } else {
        if (pte & Pte.DIRTY) f.folio_set_dirty(folio);
        vma.pte[i] = 0;
        vma.pfn[i] = -1;
      }
      folio_remove_rmap_pte(k, folio);
      put_pte_ref(k, folio);
      return true;
    }),
  );
}

/**
 * folio_referenced() (6.12 mm/rmap.c:1000, folio_referenced_one; 6.1 the same): the number of VMAs
 * whose PTE of the folio was young, clearing the accessed bits (ptep_clear_flush_young_notify).
 * With MGLRU a young PTE goes through lru_gen_look_around() (6.12 mm/rmap.c:896, which clears it
 * first; 6.1 :832, then ptep_clear_flush_young), whose neighbours may be activated (+1 each into
 * the activate batch). VM_LOCKED and VM_EXEC mappings are not modelled.
 */
export function folio_referenced(k: Kernel, mms: readonly MmStruct[], folio: Pfn): number {
  if (folio_mapcount(k, folio) === 0 || k.mem.mapping[folio] === 0) return 0;
  let referenced = 0;
  const lruGen = mmcache(k).lruGen;
  called(k, 'folio_referenced', () =>
    rmap_walk(k, mms, folio, 'folio_referenced_one', (vma, i, mm) => {
      const pte = vma.pte[i];
      if (!(pte & Pte.PRESENT)) return true;
      if (lruGen && !(pte & Pte.PMD) && k.profile.facts.mglru.lookAround === 'clears_own_pte') {
        if (lru_gen_look_around(k, lruvec_of(k), mm, vma, i, folio)) referenced++;
        return true;
      }
      if (!(pte & Pte.OLD)) {
        if (lruGen && !(pte & Pte.PMD)) lru_gen_look_around_v6_1(k, lruvec_of(k), mm, vma, i);
        referenced++;
      }
      vma.pte[i] |= Pte.OLD;
      return true;
    }),
  );
  return referenced;
}

/**
 * What try_to_migrate() does with a PMD mapping page i of the VMA: set_pmd_migration_entry() for
 * migration (false: the walk stops), or, with TTU_SPLIT_HUGE_PMD (a split's unmap_folio),
 * split_huge_pmd_address(freeze) into PTE migration entries. Passed in: both live in
 * huge_memory.c, which this module must not import (rmap is below it).
 */
export type MigratePmd = (k: Kernel, mm: MmStruct, vma: Vma, i: number) => boolean;

/**
 * try_to_migrate() (6.12 mm/rmap.c:2034 try_to_migrate_one; 6.1 :1862): every mapping of the folio
 * becomes a migration entry, in rmap-walk order: a PMD through `pmd` (6.12 :2096, 6.1 :1901); a
 * PTE takes the page's PG_anon_exclusive into the entry, except that a maybe-DMA-pinned exclusive
 * page keeps its PTE and stops the walk (folio_try_share_anon_rmap_pte, 6.12 :2298; 6.1
 * page_try_share_anon_rmap :2078), leaving the folio mapped; a dirty PTE dirties the folio (6.12
 * :2203, 6.1 :1992); then folio_remove_rmap_pte and folio_put (-1, on the head).
 */
export function try_to_migrate(k: Kernel, mms: readonly MmStruct[], folio: Pfn, pmd: MigratePmd): void {
  called(k, 'try_to_migrate', () =>
    rmap_walk(k, mms, folio, 'try_to_migrate_one', (vma, i, mm) => {
      const pte = vma.pte[i];
      if (!(pte & Pte.PRESENT)) return true;
      if (pte & Pte.PMD) return pmd(k, mm, vma, i);
      const page = vma.pfn[i];
      const excl = PageAnon(k, folio) && PageAnonExclusive(k, page);
      if (excl && folio_maybe_dma_pinned(k, folio)) return false;
      if (excl) k.mem.flagsLo[page] &= ~mmcache(k).anonExclusive;
      if (pte & Pte.DIRTY) mmcache(k).f.folio_set_dirty(folio);
      vma.pte[i] = Pte.MIGRATION | (pte & (Pte.WRITE | Pte.DIRTY)) | (excl ? Pte.MIGRATION_EXCL : 0);
      folio_remove_rmap_pte(k, folio, page);
      put_pte_ref(k, folio);
      return true;
    }),
  );
}

/** remove_migration_pmd() (huge_memory.ts) for the PMD migration entry of page i: maps `folio` */
export type RemoveMigrationPmd = (k: Kernel, vma: Vma, i: number, folio: Pfn) => void;

/**
 * remove_migration_ptes(src, dst, flags) (6.12 mm/migrate.c:401 remove_migration_pte :288; 6.1
 * the same): each migration entry of a page of src maps the page at the same index of dst: a PMD
 * entry through `pmd` (remove_migration_pmd), a PTE with folio_get(dst) (+1, on the head), then the
 * rmap, with RMAP_EXCLUSIVE from an exclusive entry. With RMP_USE_SHARED_ZEROPAGE (`zeropage`,
 * 6.12 split of an anon THP) a zero-filled page is mapped to the shared zero page instead, without
 * a reference (try_to_map_unused_to_zeropage).
 */
export function remove_migration_ptes(
  k: Kernel,
  mms: readonly MmStruct[],
  src: Pfn,
  dst: Pfn,
  flags: { readonly zeropage?: boolean; readonly pmd?: RemoveMigrationPmd } = {},
): void {
  called(k, 'remove_migration_ptes', () =>
    rmap_walk(k, mms, src, 'remove_migration_pte', (vma, i) => {
      const pte = vma.pte[i];
      if (!(pte & Pte.MIGRATION)) return;
      if (pte & Pte.PMD) {
        if (!flags.pmd) throw new Error(`remove_migration_ptes: PMD migration entry at ${vma.name}+${i}`);
        return flags.pmd(k, vma, i, dst);
      }
      const page = dst + vma.pfn[i] - src;
      if (flags.zeropage && page_zero_filled(k, page)) {
        vma.pfn[i] = -1;
        vma.pte[i] = Pte.PRESENT | Pte.ZERO;
        return;
      }
      folio_get(k, dst);
      if (PageAnon(k, dst)) folio_add_anon_rmap_ptes(k, dst, page, 1, (pte & Pte.MIGRATION_EXCL) !== 0);
      else __folio_add_rmap_ptes(k, dst, page, 1); // folio_add_file_rmap_pte
      vma.pfn[i] = page;
      vma.pte[i] = Pte.PRESENT | (pte & (Pte.WRITE | Pte.DIRTY));
    }),
  );
}
