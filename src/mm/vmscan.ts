/**
 * Reclaim of isolated folios (mm/vmscan.c) as MADV_PAGEOUT drives it (mm/madvise.c
 * madvise_cold_or_pageout_pte_range -> reclaim_pages -> shrink_folio_list): isolation
 * (folio_isolate_lru: PG_lru cleared, +1), try_to_unmap (-1 per PTE), __remove_mapping (freeze
 * 1 + nr: ret=1 frees the folio while frozen, no further event; ret=0 keeps it), putback of the kept
 * (folio_putback_lru: +1, -1). Page-cache folios only: anon pageout needs swap.
 */
import { PageAnon } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { __remove_mapping } from './filemap.js';
import { mmcache } from './mm_cache.js';
import { PTE_PRESENT, type AddressSpace, type MmStruct, type Vma } from './mm_types.js';
import { try_to_unmap } from './rmap.js';
import { called, enter, leave } from './stack.js';
import { folio_isolate_lru, folio_putback_lru, lru_add_drain } from './swap.js';

/**
 * shrink_folio_list() (6.12 mm/vmscan.c:1049) with ignore_references (reclaim_pages): lock,
 * unmap, skip dirty (no writeback modelled), __remove_mapping; freed folios go to
 * free_unref_folios with refcount 0. Returns the folios kept.
 */
function shrink_folio_list(k: Kernel, mms: readonly MmStruct[], mapping: AddressSpace, folios: Pfn[]): Pfn[] {
  return called(k, 'shrink_folio_list', () => {
    const f = mmcache(k).f;
    const kept: Pfn[] = [];
    for (const folio of folios) {
      f.__folio_set_locked(folio);
      try_to_unmap(k, mms, folio);
      if (!f.folio_test_dirty(folio) && __remove_mapping(k, mapping, folio)) {
        f.__folio_clear_locked(folio);
        called(k, 'free_unref_folios', () => k.freeFolio(k, folio));
        continue;
      }
      f.__folio_clear_locked(folio);
      kept.push(folio);
    }
    return kept;
  });
}

/** reclaim_pages() -> reclaim_folio_list() (6.12 mm/vmscan.c): shrink, then put back what stayed */
function reclaim_pages(k: Kernel, mms: readonly MmStruct[], mapping: AddressSpace, folios: Pfn[]): void {
  called(k, 'reclaim_pages', () =>
    called(k, 'reclaim_folio_list', () => {
      const kept = shrink_folio_list(k, mms, mapping, folios);
      for (const folio of kept) folio_putback_lru(k, folio);
    }),
  );
}

/**
 * madvise(MADV_PAGEOUT) over pages [from, to] of a file VMA (mm/madvise.c madvise_pageout ->
 * walk_page_range -> madvise_cold_or_pageout_pte_range): lru_add_drain, isolate every mapped
 * folio on the LRU, reclaim them.
 */
export function madvise_pageout(
  k: Kernel,
  mms: readonly MmStruct[],
  vma: Vma,
  from: number,
  to: number,
): void {
  const mapping = vma.file;
  if (!mapping) throw new Error(`${vma.name}: MADV_PAGEOUT of anonymous memory needs swap (not modelled)`);
  const d = enter(k, '__x64_sys_madvise');
  for (const fn of [
    'do_madvise',
    'madvise_pageout',
    'walk_page_range',
    '__walk_page_range',
    'walk_pgd_range',
  ])
    enter(k, fn);
  try {
    called(k, 'madvise_cold_or_pageout_pte_range', () => {
      lru_add_drain(k);
      const list: Pfn[] = [];
      for (let i = from; i <= to; i++) {
        if (!(vma.pte[i] & PTE_PRESENT)) continue;
        const folio = vma.pfn[i];
        if (PageAnon(k, folio) || k.mem.mapcount[folio] > 0) continue; // shared: left alone
        if (folio_isolate_lru(k, folio)) list.push(folio);
      }
      reclaim_pages(k, mms, mapping, list);
    });
  } finally {
    leave(k, d);
  }
}
