/**
 * LRU scanning (mm/vmscan.c): isolate_lru_folios() takes folios off the tail of a list with
 * folio_try_get (page_ref_mod_unless +1) and PG_lru cleared, shrink_inactive_list() hands them to
 * shrink_folio_list() and puts the survivors back with move_folios_to_lru() (PG_lru set, then
 * folio_put_testzero -1), shrink_active_list() deactivates (PG_active cleared, PG_workingset set)
 * whatever is not mapped young by a VM_EXEC file mapping. Both start with lru_add_drain().
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_put_testzero } from '../kernel/mm_ref.js';
import { folio_try_get } from '../kernel/page_ref.js';
import { VM_BUG_ON_FOLIO } from '../kernel/vm_bug.js';
import {
  LRU_ACTIVE,
  is_active_lru,
  is_file_lru,
  lru_note_cost,
  lru_to_folio,
  lruvec_add_folio,
  lruvec_del_folio,
  lruvec_lru_size,
} from './lru.js';
import { mmcache } from './mm_cache.js';
import { swap_io_complete } from './page_io.js';
import { folio_referenced } from './rmap.js';
import { called } from './stack.js';
import { __folio_clear_lru_flags, lru_add_drain } from './swap.js';
import { shrink_folio_list, type ScanControl } from './vmscan.js';

/**
 * isolate_lru_folios() (6.12 mm/vmscan.c:1672; 6.1 :2203) for up to nr_to_scan pages from the tail
 * of `lru`: folio_try_get (+1), folio_test_clear_lru, off the list. Returns the isolated folios in
 * the order shrink_folio_list takes them. (The kernel's skips — not PG_lru, !may_unmap, a failed
 * try_get or clear — cannot happen here: the model's LRU folios hold references and have PG_lru.)
 */
function isolate_lru_folios(k: Kernel, nrToScan: number, lru: number): Pfn[] {
  return called(k, 'isolate_lru_folios', () => {
    const f = mmcache(k).f;
    const folios: Pfn[] = [];
    while (folios.length < nrToScan) {
      const folio = lru_to_folio(k, lru);
      if (folio < 0) break;
      if (!called(k, 'folio_try_get', () => folio_try_get(k, folio)) || !f.folio_test_clear_lru(folio))
        throw new Error(`isolate_lru_folios: pfn 0x${folio.toString(16)} on the LRU without a reference`);
      lruvec_del_folio(k, folio);
      folios.push(folio);
    }
    return folios;
  });
}

/**
 * move_folios_to_lru() (6.12 mm/vmscan.c:1855; 6.1 :2388): for each folio PG_lru set, then
 * folio_put_testzero (-1); a folio that reached 0 has its LRU flags cleared and is freed
 * (free_unref_folios / 6.1 the caller's free_unref_page_list), the others go to the head of their
 * list. Returns the pages moved.
 */
export function move_folios_to_lru(k: Kernel, folios: readonly Pfn[]): number {
  return called(k, 'move_folios_to_lru', () => {
    const f = mmcache(k).f;
    const free: Pfn[] = [];
    let moved = 0;
    for (const folio of folios) {
      VM_BUG_ON_FOLIO(k, f.folio_test_lru(folio), 'folio_test_lru(folio)', folio, 'mm/vmscan.c');
      f.folio_set_lru(folio);
      if (folio_put_testzero(k, folio)) {
        __folio_clear_lru_flags(k, folio);
        free.push(folio);
        continue;
      }
      lruvec_add_folio(k, folio);
      moved++;
    }
    called(k, k.profile.facts.reclaim.freeFolios, () => {
      for (const folio of free) k.freeFolio(k, folio);
    });
    return moved;
  });
}

/**
 * shrink_inactive_list() (6.12 mm/vmscan.c:1937; 6.1 :2466): lru_add_drain, isolate up to
 * nr_to_scan, shrink_folio_list, move_folios_to_lru, lru_note_cost (6.12: pageouts and the folios
 * kept; 6.1: pageouts). The disk then completes the pass's swap writes.
 */
function shrink_inactive_list(k: Kernel, sc: ScanControl, nrToScan: number, lru: number): number {
  return called(k, 'shrink_inactive_list', () => {
    lru_add_drain(k);
    const folios = isolate_lru_folios(k, nrToScan, lru);
    if (!folios.length) return 0;
    const r = shrink_folio_list(k, sc, folios, false);
    move_folios_to_lru(k, r.kept);
    lru_note_cost(k, is_file_lru(lru), r.nrPageout, folios.length - r.nrReclaimed);
    swap_io_complete(k);
    return r.nrReclaimed;
  });
}

/**
 * shrink_active_list() (6.12 mm/vmscan.c:2057; 6.1 :2586): lru_add_drain, isolate, then every
 * folio loses its young bits (folio_referenced) and is deactivated — PG_active cleared,
 * PG_workingset set — unless a VM_EXEC file mapping used it (none in the model); both lists go
 * back with move_folios_to_lru (-1 each).
 */
export function shrink_active_list(k: Kernel, sc: ScanControl, nrToScan: number, lru: number): void {
  called(k, 'shrink_active_list', () => {
    lru_add_drain(k);
    const f = mmcache(k).f;
    const folios = isolate_lru_folios(k, nrToScan, lru);
    for (const folio of folios) {
      folio_referenced(k, sc.mms, folio);
      f.folio_clear_active(folio);
      f.folio_set_workingset(folio);
    }
    // l_inactive is built with list_add and taken from its tail: the isolation order again
    move_folios_to_lru(k, folios);
  });
}

/** shrink_list() (6.12 mm/vmscan.c:2209): active lists only when may_deactivate allows it */
export function shrink_list(k: Kernel, sc: ScanControl, lru: number, nrToScan: number): number {
  if (is_active_lru(lru)) {
    if (sc.mayDeactivate & (1 << (is_file_lru(lru) ? 1 : 0))) shrink_active_list(k, sc, nrToScan, lru);
    else sc.skippedDeactivate = true;
    return 0;
  }
  return shrink_inactive_list(k, sc, nrToScan, lru);
}

/**
 * inactive_is_low() (6.12 mm/vmscan.c:2251; 6.1 :2782): inactive * ratio < active, the ratio
 * int_sqrt(10 * GiB) of the pair's size (1 below 1 GiB).
 */
export function inactive_is_low(k: Kernel, inactiveLru: number): boolean {
  const inactive = lruvec_lru_size(k, inactiveLru);
  const active = lruvec_lru_size(k, inactiveLru + LRU_ACTIVE);
  const gb = Math.floor((inactive + active) / 262144);
  const ratio = gb ? Math.floor(Math.sqrt(10 * gb)) : 1;
  return inactive * ratio < active;
}
