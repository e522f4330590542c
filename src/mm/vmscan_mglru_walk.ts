/**
 * MGLRU's page-table side (mm/vmscan.c, CONFIG_LRU_GEN_WALKS_MMU): the aging's walk of every
 * address space on the mm list (walk_mm: young PTEs and PMDs lose their accessed bit, their folios
 * are promoted to max_seq by folio_update_gen, the page counts batched in the lru_gen_mm_walk), the
 * mm list state (which mms were added since the last walk: force_scan), the two Bloom filters of
 * PTE tables worth walking, and the eviction's rmap feedback, lru_gen_look_around(). None of it
 * takes a reference except look-around's folio_activate() (the activate batch).
 *
 * Model choices: the Bloom filters are exact sets (the kernel hashes PMD-entry addresses into 2^15
 * bits, k=2: with a few tables, false positives are negligible); the deferred PMD-level batches of
 * walk_pmd_range_locked() are applied at once (their order does not change the outcome); the
 * walker's trylocks always succeed (the model never reclaims while an mmap_lock is held for
 * write). A task is taken to have been switched in (context_switch -> lru_gen_use_mm) at each of
 * its statements: the model has no scheduler.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { PageAnon, folio_nr_pages, page_folio } from '../kernel/folio.js';
import { ANON_AND_FILE, MAX_NR_GENS, type Lruvec, folio_is_file_lru } from './lru.js';
import {
  MIN_LRU_BATCH,
  folio_clear_lru_refs,
  folio_lru_gen,
  folio_lru_type,
  folio_update_gen,
  lru_gen_from_seq,
  lru_gen_is_active,
  lru_gen_update_size,
  update_lru_size,
} from './lru_gen.js';
import { LRU_GEN_NONLEAF_YOUNG, mmcache } from './mm_cache.js';
import { Pte, pte_table_key, PTRS_PER_PTE, type MmStruct, type Vma } from './mm_types.js';
import { folio_mark_dirty } from './page_writeback.js';
import { called } from './stack.js';
import { folio_activate } from './swap.js';

/** struct lru_gen_mm_walk: the aging's walk, current->reclaim_state->mm_walk while it is set */
export interface MmWalk {
  /** max_seq when the walk started */
  seq: number;
  canSwap: boolean;
  forceScan: boolean;
  /** folios promoted whose page counts wait in nrPages (reset_batch_size) */
  batched: number;
  /** nr_pages[gen][type] deltas, index gen * ANON_AND_FILE + type */
  readonly nrPages: Float64Array;
}

/** struct lru_gen_mm_state (6.12 include/linux/mmzone.h:472; 6.1 in the lruvec) */
interface MmState {
  seq: number;
  /** the mms on the list when the last iteration ended; null = mm_state->tail NULL (force every mm) */
  seen: Set<MmStruct> | null;
  /** filters[NR_BLOOM_FILTERS]: PTE tables (bloomKey) worth walking, null = not allocated */
  readonly filters: (Set<number> | null)[];
}

interface WalkState {
  readonly mmState: MmState;
  walk: MmWalk | null;
  /** mm->lru_gen.bitmap (bit 0, node 0): used since the walker last cleared it */
  readonly used: WeakSet<MmStruct>;
}

const states = new WeakMap<Kernel, WalkState>();

function state(k: Kernel): WalkState {
  let s = states.get(k);
  if (!s) {
    // lru_gen_init_lruvec(): mm_state->seq = MIN_NR_GENS
    s = { mmState: { seq: 2, seen: null, filters: [null, null] }, walk: null, used: new WeakSet() };
    states.set(k, s);
  }
  return s;
}

/** lru_gen_use_mm() (include/linux/mm_types.h), from context_switch(): the mm is worth walking again */
export function lru_gen_use_mm(k: Kernel, mm: MmStruct): void {
  if (mmcache(k).lruGen) state(k).used.add(mm);
}

/** the walker exists: 6.12 only with CONFIG_LRU_GEN_WALKS_MMU (get_mm_state() is NULL without it) */
export function lru_gen_has_mm_state(k: Kernel): boolean {
  return !k.profile.facts.mglru.walkNeedsConfig || k.profile.config.isEnabled('CONFIG_LRU_GEN_WALKS_MMU');
}

/** mm_state->seq */
export function mm_state_seq(k: Kernel): number {
  return state(k).mmState.seq;
}

/** current->reclaim_state->mm_walk */
export function current_mm_walk(k: Kernel): MmWalk | null {
  return state(k).walk;
}

/**
 * set_mm_walk() (6.12 mm/vmscan.c:3706; 6.1 :4226) outside kswapd: the current walk, or a new one
 * when `alloc` (6.12 force_alloc; 6.1 !pgdat)
 */
export function set_mm_walk(k: Kernel, alloc: boolean): MmWalk | null {
  const s = state(k);
  if (!s.walk && alloc)
    s.walk = { seq: 0, canSwap: false, forceScan: false, batched: 0, nrPages: new Float64Array(8) };
  return s.walk;
}

/** clear_mm_walk(): the reclaimer's walk is freed */
export function clear_mm_walk(k: Kernel): void {
  state(k).walk = null;
}

/** update_batch_size() (6.12 mm/vmscan.c:3209; 6.1 :3726) */
function update_batch_size(
  k: Kernel,
  l: Lruvec,
  walk: MmWalk,
  folio: Pfn,
  oldGen: number,
  newGen: number,
): void {
  const type = folio_lru_type(k, l, folio);
  const delta = folio_nr_pages(k, folio);
  walk.batched++;
  walk.nrPages[oldGen * ANON_AND_FILE + type] -= delta;
  walk.nrPages[newGen * ANON_AND_FILE + type] += delta;
}

/** reset_batch_size() (6.12 mm/vmscan.c:3225; 6.1 :3742): the batched counts into the lrugen and the classic sizes */
export function reset_batch_size(l: Lruvec, walk: MmWalk): void {
  walk.batched = 0;
  for (let gen = 0; gen < MAX_NR_GENS; gen++)
    for (let type = 0; type < ANON_AND_FILE; type++) {
      const i = gen * ANON_AND_FILE + type;
      const delta = walk.nrPages[i];
      if (!delta) continue;
      walk.nrPages[i] = 0;
      l.nrPages[i] += delta;
      update_lru_size(l, type, lru_gen_is_active(l, gen), delta);
    }
}

/** the Bloom filter item of a PMD entry (the kernel hashes its address): the mm and the PTE table */
function bloomKey(mm: MmStruct, table: number): number {
  return mm.id * 2 ** 36 + table;
}

/** reset_bloom_filter() / update_bloom_filter() / test_bloom_filter() (6.12 mm/vmscan.c:2736-2789) */
function reset_bloom_filter(s: MmState, seq: number): void {
  s.filters[seq % 2] = new Set();
}

function update_bloom_filter(s: MmState, seq: number, key: number): void {
  s.filters[seq % 2]?.add(key);
}

function test_bloom_filter(s: MmState, seq: number, key: number): boolean {
  const filter = s.filters[seq % 2];
  return !filter || filter.has(key);
}

/** suitable_to_scan(): at least one young PTE per cache line (64 / sizeof(pte_t) = 8) */
function suitable_to_scan(total: number, young: number): boolean {
  return young * 8 >= total;
}

/** get_pfn_folio(): the folio, unless it is anon (swapbacked) and the walk cannot swap */
function get_pfn_folio(k: Kernel, pfn: Pfn, canSwap: boolean): Pfn {
  const folio = page_folio(k, pfn);
  return !folio_is_file_lru(k, folio) && !canSwap ? -1 : folio;
}

/** walk_pte_range()'s and lru_gen_look_around()'s dirty test: a dirty PTE dirties a folio with a mapping */
function pte_dirty_folio(k: Kernel, pte: number, folio: Pfn): void {
  const f = mmcache(k).f;
  if (
    pte & Pte.DIRTY &&
    !f.folio_test_dirty(folio) &&
    !(PageAnon(k, folio) && f.folio_test_swapbacked(folio) && !f.folio_test_swapcache(folio))
  )
    folio_mark_dirty(k, folio);
}

/** a present, non-zero, young PTE (get_pte_pfn() with its young test) */
function pte_young(pte: number): boolean {
  return (pte & (Pte.PRESENT | Pte.ZERO | Pte.OLD)) === Pte.PRESENT;
}

/**
 * should_skip_vma() (6.12 mm/vmscan.c:3250; 6.1 :3766): anonymous and tmpfs VMAs only when the
 * walk can swap; the model has no VM_LOCKED, VM_SPECIAL, hugetlb or sequential-read VMAs
 */
function should_skip_vma(vma: Vma, walk: MmWalk): boolean {
  if (!vma.file || vma.file.kind === 'shmem') return !walk.canSwap;
  return false;
}

/** one VMA's part of a PTE table: page offsets [from, to) in the VMA */
interface TablePart {
  readonly vma: Vma;
  readonly from: number;
  readonly to: number;
}

/**
 * The PMD entries walk_page_range() meets, in address order: each PTE table (or PMD mapping) with
 * the parts of the VMAs should_skip_vma() lets through (walk_pte_range's get_next_vma finishes a
 * table across VMAs, so each is walked once)
 */
function pmd_entries(mm: MmStruct, walk: MmWalk): Map<number, TablePart[]> {
  const tables = new Map<number, TablePart[]>();
  for (const vma of [...mm.vmas].sort((a, b) => a.start - b.start)) {
    if (should_skip_vma(vma, walk)) continue;
    const end = vma.start + vma.nrPages;
    for (let base = vma.start - (vma.start % PTRS_PER_PTE); base < end; base += PTRS_PER_PTE) {
      const from = Math.max(vma.start, base) - vma.start;
      const to = Math.min(end, base + PTRS_PER_PTE) - vma.start;
      const t = pte_table_key(base);
      const parts = tables.get(t);
      if (parts) parts.push({ vma, from, to });
      else tables.set(t, [{ vma, from, to }]);
    }
  }
  return tables;
}

/** the young test and clear of a PMD mapping (the model keeps the accessed bits on its 512 entries) */
function pmd_test_and_clear_young(vma: Vma, from: number): boolean {
  let young = false;
  for (let j = from; j < from + PTRS_PER_PTE; j++) {
    if (!(vma.pte[j] & Pte.OLD)) young = true;
    vma.pte[j] |= Pte.OLD;
  }
  return young;
}

/** folio_update_gen() of a young folio and, when it moved, its counts in the walk's batch */
function promote(k: Kernel, l: Lruvec, walk: MmWalk, folio: Pfn, newGen: number): void {
  const oldGen = folio_update_gen(k, l, folio, newGen);
  if (oldGen >= 0 && oldGen !== newGen) update_batch_size(k, l, walk, folio, oldGen, newGen);
}

/**
 * walk_pmd_range() for one PMD entry (6.12 mm/vmscan.c:3545, walk_pmd_range_locked :3462,
 * walk_pte_range :3396; 6.1 :4056/:3973/:3901): a PMD-mapped THP that is young is promoted; a PTE
 * table is skipped when its PMD is not young (the walk clears the PMD's accessed bit; 6.12 only
 * without force_scan) or, without force_scan, when the Bloom filter of this generation does not
 * hold it; otherwise its young PTEs are cleared and their folios promoted, and a table with enough
 * young PTEs goes into the next generation's filter.
 */
function walk_pmd_entry(
  k: Kernel,
  l: Lruvec,
  mm: MmStruct,
  walk: MmWalk,
  table: number,
  parts: TablePart[],
): void {
  const s = state(k).mmState;
  const newGen = lru_gen_from_seq(walk.seq);
  const head = parts[0];
  if (head.vma.pte[head.from] & Pte.PMD) {
    const pte = head.vma.pte[head.from];
    if (pte & Pte.ZERO) return; // is_huge_zero_pmd
    const folio = get_pfn_folio(k, head.vma.pfn[head.from], walk.canSwap);
    if (folio < 0 || !pmd_test_and_clear_young(head.vma, head.from)) return;
    pte_dirty_folio(k, pte, folio);
    promote(k, l, walk, folio, newGen);
    return;
  }
  if (!mm.pteTables.has(table)) return; // pmd_none
  const nonleaf = (mmcache(k).lruGenCaps & LRU_GEN_NONLEAF_YOUNG) !== 0;
  if (nonleaf && (!walk.forceScan || !k.profile.facts.mglru.nonleafYoungOnlyWithoutForceScan)) {
    if (mm.pmdOld.has(table)) return;
    mm.pmdOld.add(table);
  }
  const key = bloomKey(mm, table);
  if (!walk.forceScan && !test_bloom_filter(s, walk.seq, key)) return;
  let total = 0;
  let young = 0;
  for (const { vma, from, to } of parts)
    for (let j = from; j < to; j++) {
      total++;
      const pte = vma.pte[j];
      if (!pte_young(pte)) continue;
      const folio = get_pfn_folio(k, vma.pfn[j], walk.canSwap);
      if (folio < 0) continue;
      vma.pte[j] |= Pte.OLD; // ptep_clear_young_notify
      young++;
      pte_dirty_folio(k, pte, folio);
      promote(k, l, walk, folio, newGen);
    }
  if (suitable_to_scan(total, young)) update_bloom_filter(s, walk.seq + 1, key);
}

/**
 * walk_mm() (6.12 mm/vmscan.c:3660; 6.1 :4188): walk_page_range() over the mm's VMAs, then the
 * batched page counts into the lrugen (reset_batch_size under the lru_lock)
 */
function walk_mm(k: Kernel, l: Lruvec, mm: MmStruct, walk: MmWalk): void {
  called(k, 'walk_mm', () => {
    for (const [table, parts] of pmd_entries(mm, walk)) walk_pmd_entry(k, l, mm, walk, table, parts);
    if (walk.batched) reset_batch_size(l, walk);
  });
}

/** get_mm_counter() of MM_ANONPAGES (+ MM_SHMEMPAGES when `canSwap`) and MM_FILEPAGES: the mm's mapped pages */
function mm_rss(k: Kernel, mm: MmStruct, canSwap: boolean): number {
  let n = 0;
  for (const vma of mm.vmas)
    for (let j = 0; j < vma.nrPages; j++) {
      if ((vma.pte[j] & (Pte.PRESENT | Pte.ZERO)) !== Pte.PRESENT) continue;
      const folio = page_folio(k, vma.pfn[j]);
      if (canSwap || folio_is_file_lru(k, folio)) n++;
    }
  return n;
}

/**
 * get_next_mm() (6.12 mm/vmscan.c:2814) / should_skip_mm() (6.1 :3446): an mm not used since the
 * walker last looked is skipped unless force_scan; its bit is cleared; 6.1 also skips an mm
 * mapping fewer than MIN_LRU_BATCH pages of the types the walk scans
 */
function get_next_mm(k: Kernel, mm: MmStruct, walk: MmWalk): boolean {
  const used = state(k).used;
  if (!walk.forceScan && !used.has(mm)) return false;
  used.delete(mm);
  return !k.profile.facts.mglru.walkSkipsSmallMm || mm_rss(k, mm, walk.canSwap) >= MIN_LRU_BATCH;
}

/**
 * The aging's loop over the mm list (try_to_inc_max_seq: iterate_mm_list + walk_mm, 6.12
 * mm/vmscan.c:2972; 6.1 :3470), one full iteration: force_scan from the first mm added since the
 * last iteration ended (mm_state->tail) on, the next generation's Bloom filter reset at the first
 * mm walked, mm_state->seq + 1 at the end. False when this generation was already walked.
 */
export function iterate_mm_list(k: Kernel, l: Lruvec, mms: readonly MmStruct[], walk: MmWalk): boolean {
  const s = state(k).mmState;
  if (walk.seq <= s.seq) return false;
  let first = true;
  for (const mm of mms) {
    if (!walk.forceScan && !s.seen?.has(mm)) walk.forceScan = true;
    if (!get_next_mm(k, mm, walk)) continue;
    if (first) reset_bloom_filter(s, walk.seq + 1);
    first = false;
    walk_mm(k, l, mm, walk);
  }
  s.seq++;
  s.seen = new Set(mms);
  return true;
}

/**
 * iterate_mm_list_nowalk() (6.12 mm/vmscan.c:3036; 6.1 :3552): the generation counts as walked;
 * 6.12 forgets where the last walk ended
 */
export function iterate_mm_list_nowalk(k: Kernel, seq: number): boolean {
  const s = state(k).mmState;
  if (seq <= s.seq) return false;
  s.seq++;
  if (k.profile.facts.mglru.nowalkResetsTail) s.seen = null;
  return true;
}

/** the range lru_gen_look_around() scans around page `i` of `vma`: its PTE table, at most MIN_LRU_BATCH pages */
function look_around_range(vma: Vma, i: number): [number, number] {
  const addr = vma.start + i;
  const table = addr - (addr % PTRS_PER_PTE);
  let start = Math.max(table, vma.start);
  let end = Math.min(table + PTRS_PER_PTE - 1, vma.start + vma.nrPages - 1) + 1;
  if (end - start > MIN_LRU_BATCH) {
    if (addr - start < MIN_LRU_BATCH / 2) end = start + MIN_LRU_BATCH;
    else if (end - addr < MIN_LRU_BATCH / 2) start = end - MIN_LRU_BATCH;
    else {
      start = addr - MIN_LRU_BATCH / 2;
      end = addr + MIN_LRU_BATCH / 2;
    }
  }
  return [start - vma.start, end - vma.start];
}

/**
 * lru_gen_look_around() as 6.12 calls it from folio_referenced_one() (mm/rmap.c:896, mm/vmscan.c:4065):
 * false when the PTE (page `i` of `vma`, mapping the isolated `folio`) was not young; else the
 * young neighbours in its PTE table (within the VMA, at most MIN_LRU_BATCH) lose their accessed
 * bit: with a walk set they are promoted into its batch, without one a folio off the LRU gets
 * PG_referenced and one in an older generation its refs cleared and folio_activate() (+1 into the
 * activate batch). A cache-line-efficient table goes into the current Bloom filter.
 */
export function lru_gen_look_around(
  k: Kernel,
  l: Lruvec,
  mm: MmStruct,
  vma: Vma,
  i: number,
  folio: Pfn,
): boolean {
  if (!pte_young(vma.pte[i])) return false;
  vma.pte[i] |= Pte.OLD;
  const [from, to] = look_around_range(vma, i);
  if (to - from === 1) return true;
  called(k, 'lru_gen_look_around', () => {
    const walk = current_mm_walk(k);
    const canSwap = !folio_is_file_lru(k, folio);
    const newGen = lru_gen_from_seq(l.maxSeq);
    let young = 1;
    for (let j = from; j < to; j++) {
      const pte = vma.pte[j];
      if (!pte_young(pte)) continue;
      const other = get_pfn_folio(k, vma.pfn[j], canSwap);
      if (other < 0) continue;
      vma.pte[j] |= Pte.OLD;
      young++;
      pte_dirty_folio(k, pte, other);
      if (walk) {
        promote(k, l, walk, other, newGen);
        continue;
      }
      const oldGen = folio_lru_gen(k, l, other);
      if (oldGen < 0) mmcache(k).f.folio_set_referenced(other);
      else if (oldGen !== newGen) {
        folio_clear_lru_refs(k, l, other);
        folio_activate(k, other);
      }
    }
    if (lru_gen_has_mm_state(k) && suitable_to_scan(to - from, young))
      update_bloom_filter(state(k).mmState, l.maxSeq, bloomKey(mm, pte_table_key(vma.start + i)));
  });
  return true;
}

/**
 * lru_gen_look_around() as 6.1 calls it (mm/rmap.c:832 for a young PTE, mm/vmscan.c:4617): every
 * young PTE of the range loses its accessed bit (the rmap's own too: the isolated folio, with no
 * generation, gets PG_referenced); the neighbours in older generations are activated through
 * folio_activate() when fewer than PAGEVEC_SIZE and no walk is set, else promoted with
 * folio_update_gen() (counted in the walk's batch or at once under the lru_lock).
 */
export function lru_gen_look_around_v6_1(k: Kernel, l: Lruvec, mm: MmStruct, vma: Vma, i: number): void {
  called(k, 'lru_gen_look_around', () => {
    const walk = current_mm_walk(k);
    const [from, to] = look_around_range(vma, i);
    const newGen = lru_gen_from_seq(l.maxSeq);
    const promoted: Pfn[] = [];
    let young = 0;
    for (let j = from; j < to; j++) {
      const pte = vma.pte[j];
      if (!pte_young(pte)) continue;
      const folio = get_pfn_folio(k, vma.pfn[j], !walk || walk.canSwap);
      if (folio < 0) continue;
      vma.pte[j] |= Pte.OLD;
      young++;
      pte_dirty_folio(k, pte, folio);
      const oldGen = folio_lru_gen(k, l, folio);
      if (oldGen < 0) mmcache(k).f.folio_set_referenced(folio);
      else if (oldGen !== newGen) promoted.push(folio);
    }
    if (suitable_to_scan(to - from, young))
      update_bloom_filter(state(k).mmState, l.maxSeq, bloomKey(mm, pte_table_key(vma.start + i)));
    if (!walk && promoted.length < k.profile.facts.folioBatchSize) {
      for (const folio of promoted) folio_activate(k, folio);
      return;
    }
    for (const folio of promoted) {
      const oldGen = folio_update_gen(k, l, folio, newGen);
      if (oldGen < 0 || oldGen === newGen) continue;
      if (walk) update_batch_size(k, l, walk, folio, oldGen, newGen);
      else lru_gen_update_size(k, l, folio, oldGen, newGen);
    }
  });
}
