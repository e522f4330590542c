/**
 * What drives MGLRU's eviction and aging in reclaim (mm/vmscan.c, CONFIG_LRU_GEN): 6.12 enters
 * from shrink_node() for root reclaim (lru_gen_shrink_node -> shrink_many over the memcg LRU ->
 * shrink_one -> try_to_shrink_lruvec: evict until enough is scanned, an aging ends the lruvec's
 * turn), 6.1 from shrink_lruvec() for every reclaim (lru_gen_shrink_lruvec: aging, then eviction
 * in one loop) — profile fact mglru.entry. The lruvec's minimum TTL (lru_gen_min_ttl), kswapd's
 * aging (lru_gen_age_node) and memory.min/low protection are not modelled; the one memcg is the
 * root.
 */
import type { Kernel } from '../kernel/kernel.js';
import { Xorshift32 } from '../kernel/random.js';
import {
  LRU_INACTIVE_ANON,
  LRU_INACTIVE_FILE,
  MIN_NR_GENS,
  lruvec_of,
  lruvec_lru_size,
  type Lruvec,
} from './lru.js';
import { MIN_LRU_BATCH, lru_gen_from_seq } from './lru_gen.js';
import { WMARK_LOW, zone_free_pages, zone_watermark } from './page_alloc.js';
import { called } from './stack.js';
import { lru_add_drain } from './swap.js';
import { DEF_PRIORITY, can_reclaim_anon_pages, type ScanControl } from './vmscan.js';
import { evict_folios, get_swappiness, try_to_inc_max_seq } from './vmscan_mglru.js';
import { clear_mm_walk, set_mm_walk } from './vmscan_mglru_walk.js';

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
  readonly rng: Xorshift32;
}

const memcgLrus = new WeakMap<Kernel, MemcgLru>();

function get_random_u32_below(m: MemcgLru, n: number): number {
  return m.rng.below(n);
}

function memcg_lru(k: Kernel): MemcgLru {
  let m = memcgLrus.get(k);
  if (!m) {
    m = { seq: 0, nrMemcgs: [1, 0, 0], gen: 0, bin: 0, seg: 0, rng: new Xorshift32(1) };
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
