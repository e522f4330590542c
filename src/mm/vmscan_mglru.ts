/**
 * Reclaim with the multi-gen LRU (mm/vmscan.c, CONFIG_LRU_GEN; lru_gen_enabled()): the eviction
 * takes folios from the oldest generation (evict_folios -> isolate_folios -> scan_folios:
 * sort_folio moves promoted and protected ones on, isolate_folio takes the rest with folio_try_get
 * (+1) and PG_lru cleared), shrink_folio_list() decides as on the classic path, the kept folios go
 * back with move_folios_to_lru() (-1 each; rejected ones marked active so they rejoin the youngest
 * generation) and clean ones get one retry; the aging (try_to_inc_max_seq: the page-table walk of
 * vmscan_mglru_walk.ts, then inc_max_seq) opens a new youngest generation. 6.12 enters from
 * shrink_node() (lru_gen_shrink_node -> shrink_many over the memcg LRU -> shrink_one ->
 * try_to_shrink_lruvec), 6.1 from shrink_lruvec() (lru_gen_shrink_lruvec): profile fact
 * mglru.entry.
 *
 * The model keeps no shadow entries, so no refault is ever counted: the PID controller's process
 * variable always has fewer than MIN_LRU_BATCH refaults (positive_ctrl_err), which makes
 * get_type_to_scan() pick file first and every tier evictable (tier_idx 3). The lruvec's minimum
 * TTL (lru_gen_min_ttl) and kswapd's aging (lru_gen_age_node) are not modelled; there is one memcg
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
  LRU_INACTIVE_ANON,
  LRU_INACTIVE_FILE,
  MIN_NR_GENS,
  MAX_NR_GENS,
  lru_gen_list,
  lru_list_add,
  lru_list_del,
  lru_to_folio,
  lruvec_of,
  lruvec_lru_size,
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
import { WMARK_LOW, zone_free_pages, zone_watermark } from './page_alloc.js';
import { called } from './stack.js';
import { lru_add_drain } from './swap.js';
import { swap_info } from './swapfile.js';
import {
  DEF_PRIORITY,
  MAX_SWAPPINESS,
  VM_SWAPPINESS,
  can_reclaim_anon_pages,
  shrink_folio_list,
  type ScanControl,
} from './vmscan.js';
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
function get_nr_gens(l: Lruvec, type: number): number {
  return l.maxSeq - l.minSeq[type] + 1;
}

/**
 * get_swappiness() (6.12 mm/vmscan.c:2665; 6.1 :3183): vm_swappiness of the root memcg, 0 when
 * fewer than MIN_LRU_BATCH swap slots are free (may_swap is set on every modelled path)
 */
function get_swappiness(k: Kernel): number {
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
function try_to_inc_max_seq(
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
function evict_folios(
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

/** the pages of the generations min_seq..max_seq of the types the eviction can scan, and of the youngest and the oldest but MIN_NR_GENS */
function gen_sizes(l: Lruvec, canSwap: boolean): { total: number; young: number; old: number } {
  let total = 0;
  let young = 0;
  let old = 0;
  for (let type = canSwap ? 0 : 1; type < 2; type++)
    for (let seq = l.minSeq[type]; seq <= l.maxSeq; seq++) {
      const size = Math.max(l.nrPages[lru_gen_from_seq(seq) * 2 + type], 0);
      total += size;
      if (seq === l.maxSeq) young += size;
      else if (seq + MIN_NR_GENS === l.maxSeq) old += size;
    }
  return { total, young, old };
}

/**
 * should_run_aging() (6.12 mm/vmscan.c:4661; 6.1 :4459): whether the lruvec needs a new
 * generation — out of cold folios (fewer than MIN_NR_GENS + 1 generations), or with exactly
 * that many and the youngest over 1/MIN_NR_GENS or the oldest under 1/(MIN_NR_GENS + 2) of the
 * pages — and the pages it holds (6.12 returns 0 for them when out of cold folios)
 */
function should_run_aging(
  l: Lruvec,
  canSwap: boolean,
): { aging: boolean; outOfCold: boolean; total: number } {
  const minSeq = l.minSeq[canSwap ? 0 : 1];
  const { total, young, old } = gen_sizes(l, canSwap);
  if (minSeq + MIN_NR_GENS > l.maxSeq) return { aging: true, outOfCold: true, total };
  if (minSeq + MIN_NR_GENS < l.maxSeq) return { aging: false, outOfCold: false, total };
  return { aging: young * MIN_NR_GENS > total || old * (MIN_NR_GENS + 2) < total, outOfCold: false, total };
}

/**
 * get_nr_to_scan() (6.12 mm/vmscan.c:4726; no memory.min in the model): without the need to age,
 * or at DEF_PRIORITY, the pages >> priority; else the aging, whose success ends the lruvec's turn
 * (-1)
 */
function get_nr_to_scan(k: Kernel, l: Lruvec, sc: ScanControl, canSwap: boolean): number {
  const r = should_run_aging(l, canSwap);
  const nrToScan = r.outOfCold ? 0 : r.total;
  if (!r.aging || sc.priority === DEF_PRIORITY) return nrToScan >> sc.priority;
  return try_to_inc_max_seq(k, l, sc.mms, l.maxSeq, canSwap) ? -1 : 0;
}

/**
 * should_abort_scan() (6.12 mm/vmscan.c:4750) for root reclaim outside kswapd: once
 * max(nr_to_reclaim, compact_gap(order)) pages are reclaimed (include/linux/compaction.h: 2 << order)
 */
function should_abort_scan(sc: ScanControl): boolean {
  return sc.nrReclaimed >= Math.max(sc.nrToReclaim, 2 << sc.order);
}

/**
 * try_to_shrink_lruvec() (6.12 mm/vmscan.c:4781): evict until the pages to scan are scanned, the
 * eviction makes no progress or enough is reclaimed; true when the aging ended it. (The flusher
 * wake-up for dirty file folios has nothing to wake in the model.)
 */
function try_to_shrink_lruvec(k: Kernel, l: Lruvec, sc: ScanControl): boolean {
  return called(k, 'try_to_shrink_lruvec', () => {
    const swappiness = get_swappiness(k);
    let nrToScan: number;
    let scanned = 0;
    for (;;) {
      nrToScan = get_nr_to_scan(k, l, sc, swappiness !== 0);
      if (nrToScan <= 0) break;
      const delta = evict_folios(k, l, sc, swappiness).scanned;
      if (!delta) break;
      scanned += delta;
      if (scanned >= nrToScan || should_abort_scan(sc)) break;
    }
    return nrToScan < 0;
  });
}

/** lruvec_is_sizable() (6.12 mm/vmscan.c:3969): its pages >> priority (the root memcg is online) */
function lruvec_is_sizable(k: Kernel, l: Lruvec, sc: ScanControl): boolean {
  return gen_sizes(l, get_swappiness(k) !== 0).total >> sc.priority > 0;
}

/** include/linux/mmzone.h MEMCG_NR_GENS, MEMCG_NR_BINS; the memcg LRU operations (mm/vmscan.c:4180) */
const MEMCG_NR_GENS = 3;
const MEMCG_NR_BINS = 8;
const MEMCG_LRU_HEAD = 1;
const MEMCG_LRU_TAIL = 2;
const MEMCG_LRU_OLD = 3;
const MEMCG_LRU_YOUNG = 4;

/**
 * pgdat->memcg_lru and the root memcg's place in it (lrugen->gen, seg and its bin): the model's
 * one memcg, onlined at boot (lru_gen_online_memcg: the tail of a random bin of the old
 * generation); get_random_u32_below() is a PRNG of the machine's own, seeded alike on every run
 */
interface MemcgLru {
  seq: number;
  readonly nrMemcgs: number[];
  gen: number;
  bin: number;
  seg: number;
  rng: number;
}

const memcgLrus = new WeakMap<Kernel, MemcgLru>();

function get_random_u32_below(m: MemcgLru, n: number): number {
  let x = m.rng;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  m.rng = x >>> 0;
  return m.rng % n;
}

function memcg_lru(k: Kernel): MemcgLru {
  let m = memcgLrus.get(k);
  if (!m) {
    m = { seq: 0, nrMemcgs: [1, 0, 0], gen: 0, bin: 0, seg: 0, rng: 1 };
    m.bin = get_random_u32_below(m, MEMCG_NR_BINS);
    memcgLrus.set(k, m);
  }
  return m;
}

/** lru_gen_rotate_memcg() (6.12 mm/vmscan.c:4187): the memcg to a random bin of its or the other generation */
function lru_gen_rotate_memcg(m: MemcgLru, op: number): void {
  const bin = get_random_u32_below(m, MEMCG_NR_BINS);
  const old = m.gen;
  let seg = 0;
  let gen = old;
  if (op === MEMCG_LRU_HEAD) seg = MEMCG_LRU_HEAD;
  else if (op === MEMCG_LRU_TAIL) seg = MEMCG_LRU_TAIL;
  else if (op === MEMCG_LRU_OLD) gen = m.seq % MEMCG_NR_GENS;
  else gen = (m.seq + 1) % MEMCG_NR_GENS;
  m.seg = seg;
  m.gen = gen;
  m.bin = bin;
  m.nrMemcgs[old]--;
  m.nrMemcgs[gen]++;
  if (!m.nrMemcgs[old] && old === m.seq % MEMCG_NR_GENS) m.seq++;
}

/**
 * shrink_one() (6.12 mm/vmscan.c:4834; no memory.min/low in the model): try_to_shrink_lruvec,
 * then where the memcg goes: young after an aging, nowhere while it is big enough, else the tail
 * once and young the next time. (shrink_slab and vmpressure have no pages of the model.)
 */
function shrink_one(k: Kernel, l: Lruvec, sc: ScanControl, m: MemcgLru): number {
  return called(k, 'shrink_one', () => {
    if (try_to_shrink_lruvec(k, l, sc)) return MEMCG_LRU_YOUNG;
    if (lruvec_is_sizable(k, l, sc)) return 0;
    return m.seg !== MEMCG_LRU_TAIL ? MEMCG_LRU_TAIL : MEMCG_LRU_YOUNG;
  });
}

/**
 * shrink_many() (6.12 mm/vmscan.c:4875): the bins of the old memcg generation from a random one;
 * the root memcg is shrunk where it is found (again, if a rotation to the tail put it in a bin
 * still ahead), until should_abort_scan()
 */
function shrink_many(k: Kernel, l: Lruvec, sc: ScanControl): void {
  called(k, 'shrink_many', () => {
    const m = memcg_lru(k);
    const gen = m.seq % MEMCG_NR_GENS;
    const first = get_random_u32_below(m, MEMCG_NR_BINS);
    let bin = first;
    do {
      if (m.gen === gen && m.bin === bin) {
        const op = shrink_one(k, l, sc, m);
        const abort = should_abort_scan(sc);
        if (op) lru_gen_rotate_memcg(m, op);
        if (abort) return;
      }
      bin = (bin + 1) % MEMCG_NR_BINS;
    } while (bin !== first);
  });
}

/** fls_long() */
function fls(x: number): number {
  return x ? 32 - Math.clz32(x) : 0;
}

/**
 * set_initial_priority() (6.12 mm/vmscan.c:3943): at DEF_PRIORITY and for MIN_LRU_BATCH pages or
 * more, the priority at which (inactive >> priority) covers nr_to_reclaim, within DEF_PRIORITY / 2
 * and DEF_PRIORITY
 */
function set_initial_priority(k: Kernel, sc: ScanControl): void {
  if (sc.priority !== DEF_PRIORITY || sc.nrToReclaim < MIN_LRU_BATCH) return;
  let reclaimable = lruvec_lru_size(k, LRU_INACTIVE_FILE);
  if (can_reclaim_anon_pages(k)) reclaimable += lruvec_lru_size(k, LRU_INACTIVE_ANON);
  const priority = fls(reclaimable) - 1 - fls(sc.nrToReclaim - 1);
  sc.priority = Math.min(Math.max(priority, DEF_PRIORITY / 2), DEF_PRIORITY);
}

/**
 * lru_gen_shrink_node() (6.12 mm/vmscan.c:4966) for direct reclaim and memory.reclaim (root
 * reclaim; may_writepage and may_unmap always set): lru_add_drain, a walk allocated at once for
 * proactive reclaim (memory.reclaim), set_initial_priority, shrink_many, the walk freed
 */
export function lru_gen_shrink_node(k: Kernel, sc: ScanControl): void {
  called(k, 'lru_gen_shrink_node', () => {
    lru_add_drain(k);
    set_mm_walk(k, sc.cgroup);
    set_initial_priority(k, sc);
    shrink_many(k, lruvec_of(k), sc);
    clear_mm_walk(k);
  });
}

/**
 * get_nr_to_scan() (6.1 mm/vmscan.c:5114; no memory.min/low in the model): the pages >> priority;
 * when aging is needed (not at DEF_PRIORITY) and succeeds, those; else those only if at least
 * MIN_NR_GENS generations of the swappable type were left
 */
function get_nr_to_scan_v6_1(k: Kernel, l: Lruvec, sc: ScanControl, canSwap: boolean): number {
  const maxSeq = l.maxSeq;
  const minSeq = l.minSeq[canSwap ? 0 : 1];
  const r = should_run_aging(l, canSwap);
  const nrToScan = r.total >> sc.priority;
  if (!r.aging) return nrToScan;
  if (sc.priority !== DEF_PRIORITY && try_to_inc_max_seq(k, l, sc.mms, maxSeq, canSwap)) return nrToScan;
  return minSeq + MIN_NR_GENS <= maxSeq ? nrToScan : 0;
}

/**
 * should_abort_scan() (6.1 mm/vmscan.c:5144) outside kswapd: after a second aging in this call;
 * after swapping once enough is reclaimed; for global reclaim below DEF_PRIORITY - 2 with the zone
 * above its low watermark, counting MIN_LRU_BATCH more pages as reclaimed
 */
function should_abort_scan_v6_1(
  k: Kernel,
  l: Lruvec,
  seq: number,
  sc: ScanControl,
  needSwapping: boolean,
): boolean {
  if (l.maxSeq - seq > 1) return true;
  if (sc.nrReclaimed >= sc.nrToReclaim && needSwapping) return true;
  if (sc.cgroup || sc.priority > DEF_PRIORITY - 2) return false;
  if (zone_watermark(k, WMARK_LOW) > zone_free_pages(k)) return false;
  sc.nrReclaimed += MIN_LRU_BATCH;
  return true;
}

/**
 * lru_gen_shrink_lruvec() (6.1 mm/vmscan.c:5197), from shrink_lruvec() for every reclaim:
 * lru_add_drain, then evict (aging first when needed) until the pages to scan are scanned, the
 * eviction stalls or should_abort_scan(); the walk an aging set is freed at the end. (Outside
 * kswapd set_mm_walk(pgdat) keeps the none the reclaimer has.)
 */
export function lru_gen_shrink_lruvec(k: Kernel, sc: ScanControl): void {
  called(k, 'lru_gen_shrink_lruvec', () => {
    const l = lruvec_of(k);
    const maxSeq = l.maxSeq;
    lru_add_drain(k);
    let needSwapping = false;
    let scanned = 0;
    for (;;) {
      const swappiness = get_swappiness(k);
      const nrToScan = get_nr_to_scan_v6_1(k, l, sc, swappiness !== 0);
      if (!nrToScan) break;
      const r = evict_folios(k, l, sc, swappiness);
      if (r.swapped) needSwapping = true;
      if (!r.scanned) break;
      scanned += r.scanned;
      if (scanned >= nrToScan || should_abort_scan_v6_1(k, l, maxSeq, sc, needSwapping)) break;
    }
    clear_mm_walk(k);
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
