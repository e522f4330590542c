/**
 * Reclaim with the multi-gen LRU (mm/vmscan.c, CONFIG_LRU_GEN; lru_gen_enabled()): the eviction
 * takes folios from the oldest generation (evict_folios -> isolate_folios -> scan_folios:
 * sort_folio moves promoted and protected ones on, isolate_folio takes the rest with folio_try_get
 * (+1) and PG_lru cleared), shrink_folio_list() decides as on the classic path, the kept folios go
 * back with move_folios_to_lru() (-1 each; rejected ones marked active so they rejoin the youngest
 * generation) and clean ones get one retry; the aging (try_to_inc_max_seq: the page-table walk of
 * vmscan_mglru_walk.ts, then inc_max_seq) opens a new youngest generation; also the debugfs
 * aging. What drives them under memory pressure is vmscan_mglru_node.ts.
 *
 * The model keeps no shadow entries, so no refault is ever counted: the PID controller's process
 * variable always has fewer than MIN_LRU_BATCH refaults (positive_ctrl_err), which makes
 * get_type_to_scan() pick file first and every tier evictable (tier_idx 3). There is one memcg
 * (the root) and one zone (all eligible). No real trace has MGLRU reclaim (the traces' QEMU kernels
 * are built without CONFIG_LRU_GEN): every rule here is read off the 6.1 and 6.12 sources.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import type { MmStruct } from './mm_types.js';
import { folio_mapped, folio_nr_pages } from '../kernel/folio.js';
import { folio_put } from '../kernel/mm_ref.js';
import { folio_try_get } from '../kernel/page_ref.js';
import {
  MIN_NR_GENS,
  MAX_NR_GENS,
  lru_gen_list,
  lru_list_add,
  lru_list_del,
  lru_to_folio,
  lruvec_of,
  type Lruvec,
} from './lru.js';
import {
  LRU_GEN_ANON,
  LRU_GEN_FILE,
  MAX_LRU_BATCH,
  MAX_NR_TIERS,
  MIN_LRU_BATCH,
  folio_clear_lru_refs,
  folio_inc_gen,
  folio_lru_gen,
  folio_lru_refs,
  folio_lru_type,
  lru_gen_del_folio,
  lru_gen_from_seq,
  lru_refs_bits,
  lru_tier_from_refs,
  update_lru_size,
} from './lru_gen.js';
import { LRU_GEN_MM_WALK, mmcache } from './mm_cache.js';
import { swap_io_complete } from './page_io.js';
import { called } from './stack.js';
import { swap_info } from './swapfile.js';
import { MAX_SWAPPINESS, VM_SWAPPINESS, shrink_folio_list, type ScanControl } from './vmscan.js';
import { move_folios_to_lru } from './vmscan_lru.js';
import {
  clear_mm_walk,
  current_mm_walk,
  iterate_mm_list,
  iterate_mm_list_nowalk,
  lru_gen_has_mm_state,
  mm_state_seq,
  reset_batch_size,
  set_mm_walk,
} from './vmscan_mglru_walk.js';

/** get_nr_gens() */
export function get_nr_gens(l: Lruvec, type: number): number {
  return l.maxSeq - l.minSeq[type] + 1;
}

/**
 * get_swappiness() (6.12 mm/vmscan.c:2665; 6.1 :3183): vm_swappiness of the root memcg, 0 when
 * fewer than MIN_LRU_BATCH swap slots are free (may_swap is set on every modelled path)
 */
export function get_swappiness(k: Kernel): number {
  return (swap_info(k)?.nrSwapPages ?? 0) < MIN_LRU_BATCH ? 0 : VM_SWAPPINESS;
}

/** list_move() (to the head) / list_move_tail() of a folio onto generation list `gen` of its type */
function list_move(k: Kernel, l: Lruvec, folio: Pfn, gen: number, tail: boolean): void {
  lru_list_del(k, folio);
  lru_list_add(k, folio, lru_gen_list(gen, folio_lru_type(k, l, folio)), tail);
}

/**
 * inc_min_seq() (6.12 mm/vmscan.c:3738; 6.1 :4258): the oldest generation of `type` is emptied
 * into the next (folio_inc_gen, list_move_tail: taken from its tail, so the block ends up in
 * reverse order) and min_seq advances; anon is only counted up when the aging cannot swap.
 * The kernel's MAX_LRU_BATCH restarts only drop the lock.
 */
function inc_min_seq(k: Kernel, l: Lruvec, type: number, canSwap: boolean): void {
  if (type !== LRU_GEN_ANON || canSwap) {
    const list = lru_gen_list(lru_gen_from_seq(l.minSeq[type]), type);
    for (let folio = lru_to_folio(k, list); folio >= 0; folio = lru_to_folio(k, list))
      list_move(k, l, folio, folio_inc_gen(k, l, folio, false), true);
  }
  l.minSeq[type]++;
}

/**
 * try_to_inc_min_seq() (6.12 mm/vmscan.c:3774; 6.1 :4294): min_seq of each type the eviction can
 * scan moves past empty generation lists (keeping MIN_NR_GENS), anon no further than file and
 * file no lower than before. True when one moved.
 */
function try_to_inc_min_seq(k: Kernel, l: Lruvec, canSwap: boolean): boolean {
  const minSeq = [l.minSeq[0], l.minSeq[1]];
  for (let type = canSwap ? 0 : 1; type < 2; type++)
    while (minSeq[type] + MIN_NR_GENS <= l.maxSeq) {
      if (lruvec_of(k).head[lru_gen_list(lru_gen_from_seq(minSeq[type]), type)] >= 0) break;
      minSeq[type]++;
    }
  if (canSwap) {
    minSeq[LRU_GEN_ANON] = Math.min(minSeq[LRU_GEN_ANON], minSeq[LRU_GEN_FILE]);
    minSeq[LRU_GEN_FILE] = Math.max(minSeq[LRU_GEN_ANON], l.minSeq[LRU_GEN_FILE]);
  }
  let success = false;
  for (let type = canSwap ? 0 : 1; type < 2; type++) {
    if (minSeq[type] === l.minSeq[type]) continue;
    l.minSeq[type] = minSeq[type];
    success = true;
  }
  return success;
}

/**
 * inc_max_seq() (6.12 mm/vmscan.c:3817; 6.1 :4337): a type with MAX_NR_GENS generations first
 * gives up its oldest (file, then anon), the pages of max_seq - 1 become inactive in the classic
 * sizes as max_seq + 1 opens
 */
function inc_max_seq(k: Kernel, l: Lruvec, seq: number, canSwap: boolean): boolean {
  if (seq !== l.maxSeq) return false;
  for (let type = 1; type >= 0; type--)
    if (get_nr_gens(l, type) === MAX_NR_GENS) inc_min_seq(k, l, type, canSwap);
  const prev = lru_gen_from_seq(l.maxSeq - 1);
  const next = lru_gen_from_seq(l.maxSeq + 1);
  for (let type = 0; type < 2; type++) {
    const delta = l.nrPages[prev * 2 + type] - l.nrPages[next * 2 + type];
    if (!delta) continue;
    update_lru_size(l, type, false, delta);
    update_lru_size(l, type, true, -delta);
  }
  l.maxSeq++;
  return true;
}

/**
 * try_to_inc_max_seq() (6.12 mm/vmscan.c:3885; 6.1 :4395): without the walker (6.12
 * !CONFIG_LRU_GEN_WALKS_MMU) straight to inc_max_seq; a generation already walked is not aged
 * again; with LRU_GEN_MM_WALK (6.1: or force_scan, profile fact mglru.forceScanWalks) the mm list
 * is walked (the walk stays set for the rest of this reclaim: look-around then promotes into
 * it), else the iteration is only counted; then inc_max_seq. Reclaim passes force_scan false,
 * only the debugfs aging forces.
 */
export function try_to_inc_max_seq(
  k: Kernel,
  l: Lruvec,
  mms: readonly MmStruct[],
  seq: number,
  canSwap: boolean,
  forceScan = false,
): boolean {
  return called(k, 'try_to_inc_max_seq', () => {
    if (!lru_gen_has_mm_state(k)) return inc_max_seq(k, l, seq, canSwap);
    if (seq <= mm_state_seq(k)) return false;
    let success: boolean;
    const walks =
      (mmcache(k).lruGenCaps & LRU_GEN_MM_WALK) !== 0 || (forceScan && k.profile.facts.mglru.forceScanWalks);
    if (!walks) success = iterate_mm_list_nowalk(k, seq);
    else {
      const walk = set_mm_walk(k, true)!;
      walk.seq = seq;
      walk.canSwap = canSwap;
      walk.forceScan = forceScan;
      success = iterate_mm_list(k, l, mms, walk);
    }
    if (success) inc_max_seq(k, l, seq, canSwap);
    return success;
  });
}

/** the LRU_REFS_WIDTH-th access: refs == BIT(LRU_REFS_WIDTH) (sort_folio's protection) */
function refs_full(l: Lruvec, refs: number): boolean {
  return refs === 1 << l.refsWidth;
}

/**
 * sort_folio() (6.12 mm/vmscan.c:4312; 6.1 :4747): a folio whose generation the aging raised goes
 * to the head of that generation's list (promoted); one with a high tier or full refs to the tail
 * of the next generation (protected, folio_inc_gen); 6.1 also moves a locked, writeback or dirty
 * file folio to the next generation with PG_reclaim (profile fact mglru.sortWaitingForWriteback).
 * The folios on generation lists are evictable (no mlock in the model; lru_gen_add_folio leaves
 * unevictable ones out), of the model's one zone, and no anon folio lacks PG_swapbacked (no
 * MADV_FREE), so 6.1's dirty-lazyfree and both versions' ineligible cases do not arise.
 */
function sort_folio(k: Kernel, l: Lruvec, folio: Pfn, tierIdx: number): boolean {
  const gen = folio_lru_gen(k, l, folio);
  const type = folio_lru_type(k, l, folio);
  const refs = folio_lru_refs(k, l, folio);
  if (gen !== lru_gen_from_seq(l.minSeq[type])) {
    list_move(k, l, folio, gen, false);
    return true;
  }
  if (lru_tier_from_refs(refs) > tierIdx || refs_full(l, refs)) {
    list_move(k, l, folio, folio_inc_gen(k, l, folio, false), true);
    return true;
  }
  const f = mmcache(k).f;
  if (
    k.profile.facts.mglru.sortWaitingForWriteback &&
    (f.folio_test_locked(folio) ||
      f.folio_test_writeback(folio) ||
      (type === LRU_GEN_FILE && f.folio_test_dirty(folio)))
  ) {
    list_move(k, l, folio, folio_inc_gen(k, l, folio, true), false);
    return true;
  }
  return false;
}

/**
 * isolate_folio() (6.12 mm/vmscan.c:4357; 6.1 :4811): folio_try_get (page_ref_mod_unless +1),
 * folio_test_clear_lru; an unreferenced folio loses its refs and PG_workingset, every one
 * PG_referenced (6.1 also PG_reclaim); lru_gen_del_folio(reclaiming): no PG_active. The swap
 * constraints (!__GFP_IO, 6.1 !may_unmap/!may_writepage) never hold on the modelled paths.
 */
function isolate_folio(k: Kernel, l: Lruvec, folio: Pfn): boolean {
  return called(k, 'isolate_folio', () => {
    const f = mmcache(k).f;
    if (!called(k, 'folio_try_get', () => folio_try_get(k, folio))) return false;
    if (!f.folio_test_clear_lru(folio)) {
      folio_put(k, folio);
      return false;
    }
    if (!f.folio_test_referenced(folio)) folio_clear_lru_refs(k, l, folio);
    if (k.profile.facts.mglru.isolateClearsReclaim) f.folio_clear_reclaim(folio);
    f.folio_clear_referenced(folio);
    lru_gen_del_folio(k, l, folio, true);
    return true;
  });
}

/**
 * scan_folios() (6.12 mm/vmscan.c:4390; 6.1 :4849): from the tail of the oldest generation of
 * `type`, sort or isolate each folio until MIN_LRU_BATCH pages are isolated or MAX_LRU_BATCH
 * folios looked at; nothing while only MIN_NR_GENS generations exist. Returns the pages scanned
 * when it isolated any (or ran out of budget), else 0. Isolated folios are appended to `list` in
 * the order shrink_folio_list() takes them.
 */
function scan_folios(k: Kernel, l: Lruvec, type: number, tier: number, list: Pfn[]): number {
  return called(k, 'scan_folios', () => {
    if (get_nr_gens(l, type) === MIN_NR_GENS) return 0;
    const head = lru_gen_list(lru_gen_from_seq(l.minSeq[type]), type);
    let remaining = MAX_LRU_BATCH;
    let scanned = 0;
    let isolated = 0;
    for (let folio = lru_to_folio(k, head); folio >= 0; folio = lru_to_folio(k, head)) {
      const delta = folio_nr_pages(k, folio);
      scanned += delta;
      if (sort_folio(k, l, folio, tier)) {
        // sorted
      } else if (isolate_folio(k, l, folio)) {
        list.push(folio);
        isolated += delta;
      } else
        throw new Error(
          `scan_folios: pfn 0x${folio.toString(16)} on an LRU list without a reference or PG_lru`,
        );
      if (!--remaining || isolated >= MIN_LRU_BATCH) break;
    }
    return isolated || !remaining ? scanned : 0;
  });
}

/**
 * get_type_to_scan() (6.12 mm/vmscan.c:4492; 6.1 :4946) and get_tier_idx() (:4472; :4926) compare
 * the refaults of tiers (the PID controller). The model counts no refaults (no shadow entries),
 * so positive_ctrl_err() holds for every comparison (pv->refaulted < MIN_LRU_BATCH): file is the
 * type to scan and the last tier the last to evict.
 */
const TYPE_TO_SCAN = LRU_GEN_FILE;
const TIER_IDX = MAX_NR_TIERS - 1;

/**
 * isolate_folios() (6.12 mm/vmscan.c:4520; 6.1 :4974): anon when its oldest generation is older,
 * file without swappiness, else get_type_to_scan(); the other type when the first gives nothing.
 */
function isolate_folios(
  k: Kernel,
  l: Lruvec,
  swappiness: number,
  list: Pfn[],
): { scanned: number; type: number } {
  return called(k, 'isolate_folios', () => {
    let type: number;
    if (!swappiness) type = LRU_GEN_FILE;
    else if (l.minSeq[LRU_GEN_ANON] < l.minSeq[LRU_GEN_FILE]) type = LRU_GEN_ANON;
    else if (swappiness === 1) type = LRU_GEN_FILE;
    else if (swappiness === MAX_SWAPPINESS) type = LRU_GEN_ANON;
    else type = TYPE_TO_SCAN;
    let scanned = 0;
    for (let i = swappiness ? 0 : 1; i < 2; i++) {
      scanned = scan_folios(k, l, type, TIER_IDX, list);
      if (scanned) break;
      type = 1 - type;
    }
    return { scanned, type };
  });
}

/**
 * evict_folios() (6.12 mm/vmscan.c:4567; 6.1 :5016): isolate, try_to_inc_min_seq (counted as
 * scanned), nothing scanned once the swappable type is down to MIN_NR_GENS; shrink_folio_list;
 * of the kept folios those reclaim left dirty or under writeback stay as they are (PG_referenced
 * again if PG_workingset), those active, referenced, mapped, locked, dirty or under writeback
 * (or all, on the retry) get their refs cleared and PG_active (back to the youngest generation),
 * move_folios_to_lru() (-1 each) puts them back; the rest — clean, unmapped — get one more
 * shrink_folio_list(). The disk then completes the pass's swap writes (page_io.ts). `swapped`:
 * anon folios were isolated (6.1's need_swapping).
 */
export function evict_folios(
  k: Kernel,
  l: Lruvec,
  sc: ScanControl,
  swappiness: number,
): { scanned: number; swapped: boolean } {
  return called(k, 'evict_folios', () => {
    const f = mmcache(k).f;
    const list: Pfn[] = [];
    const r = isolate_folios(k, l, swappiness, list);
    let scanned = r.scanned;
    if (try_to_inc_min_seq(k, l, swappiness !== 0)) scanned++;
    if (get_nr_gens(l, swappiness ? LRU_GEN_ANON : LRU_GEN_FILE) === MIN_NR_GENS) scanned = 0;
    if (!list.length) return { scanned, swapped: false };
    let skipRetry = false;
    for (let folios = list; folios.length; skipRetry = true) {
      const { nrReclaimed, kept } = shrink_folio_list(k, sc, folios, false);
      sc.nrReclaimed += nrReclaimed;
      const back: Pfn[] = [];
      folios = [];
      for (const folio of kept) {
        if (f.folio_test_reclaim(folio) && (f.folio_test_dirty(folio) || f.folio_test_writeback(folio))) {
          if (f.folio_test_workingset(folio)) f.folio_set_referenced(folio);
          back.push(folio);
        } else if (
          skipRetry ||
          f.folio_test_active(folio) ||
          f.folio_test_referenced(folio) ||
          folio_mapped(k, folio) ||
          f.folio_test_locked(folio) ||
          f.folio_test_dirty(folio) ||
          f.folio_test_writeback(folio)
        ) {
          // set_mask_bits(&folio->flags, LRU_REFS_MASK | LRU_REFS_FLAGS, BIT(PG_active))
          k.mem.flagsLo[folio] = ((k.mem.flagsLo[folio] & ~lru_refs_bits(l)) | l.active) >>> 0;
          back.push(folio);
        } else folios.push(folio);
      }
      move_folios_to_lru(k, back);
      const walk = current_mm_walk(k);
      if (walk?.batched) reset_batch_size(l, walk);
      swap_io_complete(k);
    }
    return { scanned, swapped: r.type === LRU_GEN_ANON };
  });
}

/**
 * echo '+ <memcg> 0 <max_seq> [swappiness [force_scan]]' > /sys/kernel/debug/lru_gen for the root
 * memcg (6.12 mm/vmscan.c lru_gen_seq_write :5497 -> run_cmd :5449 -> run_aging :5401; 6.1
 * :5743/:5695/:5647): a walk allocated for the write; the swappiness given (0..MAX_SWAPPINESS) or
 * get_swappiness(); without force_scan -ERANGE once MAX_NR_GENS generations exist; else
 * try_to_inc_max_seq(). An omitted force_scan is -1: forced.
 */
export function lru_gen_debugfs_age(
  k: Kernel,
  mms: readonly MmStruct[],
  swappiness: number | undefined,
  forceScan: boolean,
): void {
  called(k, 'lru_gen_seq_write', () => {
    if (!mmcache(k).lruGen)
      throw new Error(
        '/sys/kernel/debug/lru_gen: MGLRU is off (lru_gen=n): the model has no generations to age',
      );
    if (swappiness !== undefined && swappiness > MAX_SWAPPINESS)
      throw new Error(`/sys/kernel/debug/lru_gen: swappiness ${swappiness} > ${MAX_SWAPPINESS}: -EINVAL`);
    const l = lruvec_of(k);
    set_mm_walk(k, true);
    try {
      const canSwap = (swappiness ?? get_swappiness(k)) !== 0;
      if (!forceScan && l.minSeq[canSwap ? 0 : 1] + MAX_NR_GENS - 1 <= l.maxSeq)
        throw new Error(`/sys/kernel/debug/lru_gen: ${MAX_NR_GENS} generations already, not forced: -ERANGE`);
      called(k, 'run_aging', () => try_to_inc_max_seq(k, l, mms, l.maxSeq, canSwap, forceScan));
    } finally {
      clear_mm_walk(k);
    }
  });
}
