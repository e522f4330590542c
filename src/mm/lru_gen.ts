/**
 * The multi-gen LRU's folio state (include/linux/mm_inline.h, MGLRU half; CONFIG_LRU_GEN): a folio
 * on a generation list carries its generation + 1 in page->flags' LRU_GEN field, the accesses
 * through file descriptors beyond PG_referenced in LRU_REFS (+ PG_workingset), and PG_active only
 * while it is off the lists (lru_gen_add_folio clears it, lru_gen_del_folio sets it again for the
 * two youngest generations). The lrugen (lru.ts Lruvec) has max_seq, min_seq per type and the page
 * counts per generation; the classic NR_LRU sizes count the two youngest generations as active.
 * A folio's generation (flags) and the list it sits on may differ: the aging only rewrites the
 * flags (folio_update_gen), the eviction moves it later (sort_folio). None of this touches a
 * reference count.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_nr_pages } from '../kernel/folio.js';
import {
  ANON_AND_FILE,
  LRU_ACTIVE,
  LRU_INACTIVE_FILE,
  MAX_NR_GENS,
  MIN_NR_GENS,
  lru_gen_list,
  lru_list_add,
  lru_list_del,
  type Lruvec,
} from './lru.js';
import { mmcache } from './mm_cache.js';

/** enum { LRU_GEN_ANON, LRU_GEN_FILE } (include/linux/mmzone.h) = folio_is_file_lru() */
export const LRU_GEN_ANON = 0;
export const LRU_GEN_FILE = 1;
/** include/linux/mmzone.h: MAX_NR_TIERS, MIN_LRU_BATCH = BITS_PER_LONG, MAX_LRU_BATCH = 64 * it */
export const MAX_NR_TIERS = 4;
export const MIN_LRU_BATCH = 64;
export const MAX_LRU_BATCH = MIN_LRU_BATCH * 64;

/** lru_gen_from_seq() */
export function lru_gen_from_seq(seq: number): number {
  return seq % MAX_NR_GENS;
}

/** folio_lru_gen(): the generation in the flags, -1 when the folio is on no generation list */
export function folio_lru_gen(k: Kernel, l: Lruvec, folio: Pfn): number {
  return ((k.mem.flagsLo[folio] & l.genMask) >>> l.genShift) - 1;
}

/** the type of a folio: folio_is_file_lru() */
export function folio_lru_type(k: Kernel, l: Lruvec, folio: Pfn): number {
  return k.mem.flagsLo[folio] & l.swapbacked ? LRU_GEN_ANON : LRU_GEN_FILE;
}

/** folio_lru_refs(): the LRU_REFS field plus PG_workingset (accesses beyond the first) */
export function folio_lru_refs(k: Kernel, l: Lruvec, folio: Pfn): number {
  const flags = k.mem.flagsLo[folio];
  return ((flags & l.refsMask) >>> l.refsShift) + (flags & l.workingset ? 1 : 0);
}

/** lru_tier_from_refs(): order_base_2(refs + 1) */
export function lru_tier_from_refs(refs: number): number {
  return refs ? 32 - Math.clz32(refs) : 0;
}

/** set_mask_bits(&folio->flags, mask, bits) */
function set_mask_bits(k: Kernel, folio: Pfn, mask: number, bits: number): void {
  k.mem.flagsLo[folio] = ((k.mem.flagsLo[folio] & ~mask) | bits) >>> 0;
}

/** LRU_REFS_MASK | LRU_REFS_FLAGS (PG_referenced | PG_workingset) */
export function lru_refs_bits(l: Lruvec): number {
  return (l.refsMask | l.referenced | l.workingset) >>> 0;
}

/** folio_clear_lru_refs() (6.12 include/linux/mm_inline.h:158; 6.1 open-coded, mm/vmscan.c:4837) */
export function folio_clear_lru_refs(k: Kernel, l: Lruvec, folio: Pfn): void {
  set_mask_bits(k, folio, lru_refs_bits(l), 0);
}

/** lru_gen_is_active(): the two youngest generations count as active (see the comment on MIN_NR_GENS) */
export function lru_gen_is_active(l: Lruvec, gen: number): boolean {
  return gen === lru_gen_from_seq(l.maxSeq) || gen === lru_gen_from_seq(l.maxSeq - 1);
}

/** __update_lru_size() of the classic list of `type` (+ LRU_ACTIVE) */
export function update_lru_size(l: Lruvec, type: number, active: boolean, delta: number): void {
  l.size[type * LRU_INACTIVE_FILE + (active ? LRU_ACTIVE : 0)] += delta;
}

/**
 * lru_gen_update_size() (6.12 include/linux/mm_inline.h:180; 6.1 :174, the same): the generations' page counts and
 * the classic sizes for an addition (old -1), a deletion (new -1) or a promotion
 */
export function lru_gen_update_size(k: Kernel, l: Lruvec, folio: Pfn, oldGen: number, newGen: number): void {
  const type = folio_lru_type(k, l, folio);
  const delta = folio_nr_pages(k, folio);
  if (oldGen >= 0) l.nrPages[oldGen * ANON_AND_FILE + type] -= delta;
  if (newGen >= 0) l.nrPages[newGen * ANON_AND_FILE + type] += delta;
  if (oldGen < 0) update_lru_size(l, type, lru_gen_is_active(l, newGen), delta);
  else if (newGen < 0) update_lru_size(l, type, lru_gen_is_active(l, oldGen), -delta);
  else if (!lru_gen_is_active(l, oldGen) && lru_gen_is_active(l, newGen)) {
    update_lru_size(l, type, false, -delta);
    update_lru_size(l, type, true, delta);
  }
}

/**
 * lru_gen_add_folio() (6.12 include/linux/mm_inline.h:226; 6.1 :220): not for unevictable folios;
 * an active folio (faulted in) joins max_seq, an anon one outside the swap cache or one reclaim
 * left dirty or under writeback max_seq - 1, a rotated one (`reclaiming`) or any when only
 * MIN_NR_GENS + 1 generations exist min_seq, the rest min_seq + 1. The generation goes into the
 * flags and PG_active is cleared (6.12 also the refs and PG_referenced of an active folio: profile
 * fact mglru.addActiveClearsRefs); list_add, or list_add_tail when reclaiming.
 */
export function lru_gen_add_folio(k: Kernel, l: Lruvec, folio: Pfn, reclaiming: boolean): boolean {
  if (folio_lru_gen(k, l, folio) !== -1) throw hasGeneration(folio);
  const flags = k.mem.flagsLo[folio];
  if (flags & l.unevictable) return false;
  const type = folio_lru_type(k, l, folio);
  const f = mmcache(k).f;
  const active = (flags & l.active) !== 0;
  let seq: number;
  if (active) seq = l.maxSeq;
  else if (
    (type === LRU_GEN_ANON && !f.folio_test_swapcache(folio)) ||
    (flags & l.reclaim && (f.folio_test_dirty(folio) || f.folio_test_writeback(folio)))
  )
    seq = l.maxSeq - 1;
  else if (reclaiming || l.minSeq[type] + MIN_NR_GENS >= l.maxSeq) seq = l.minSeq[type];
  else seq = l.minSeq[type] + 1;
  const gen = lru_gen_from_seq(seq);
  let mask = l.genMask | l.active;
  if (active && k.profile.facts.mglru.addActiveClearsRefs) mask |= l.refsMask | l.referenced;
  set_mask_bits(k, folio, mask, ((gen + 1) << l.genShift) >>> 0);
  lru_gen_update_size(k, l, folio, -1, gen);
  lru_list_add(k, folio, lru_gen_list(gen, type), reclaiming);
  return true;
}

/** lru_gen_add_folio()'s error, built out of line (as lru.ts lruListError) */
function hasGeneration(folio: Pfn): Error {
  return new Error(`lru_gen_add_folio: pfn 0x${folio.toString(16)} already has a generation`);
}

/**
 * lru_gen_del_folio() (6.12 include/linux/mm_inline.h:285; 6.1 :271, the same): false for a folio without a
 * generation; the generation cleared, PG_active set when it was one of the two youngest (not
 * when reclaim isolates it), list_del.
 */
export function lru_gen_del_folio(k: Kernel, l: Lruvec, folio: Pfn, reclaiming: boolean): boolean {
  const gen = folio_lru_gen(k, l, folio);
  if (gen < 0) return false;
  set_mask_bits(k, folio, l.genMask, !reclaiming && lru_gen_is_active(l, gen) ? l.active : 0);
  lru_gen_update_size(k, l, folio, gen, -1);
  lru_list_del(k, folio);
  return true;
}

/**
 * folio_inc_gen() (6.12 mm/vmscan.c:3180; 6.1 :3697): a folio of the oldest generation moves to the
 * next one, its refs and LRU_REFS_FLAGS cleared (PG_reclaim set when `reclaiming`); a folio the
 * aging already promoted keeps its generation. Returns the new generation (the caller moves it).
 */
export function folio_inc_gen(k: Kernel, l: Lruvec, folio: Pfn, reclaiming: boolean): number {
  const type = folio_lru_type(k, l, folio);
  const oldGen = lru_gen_from_seq(l.minSeq[type]);
  let newGen = folio_lru_gen(k, l, folio);
  if (newGen < 0) throw new Error(`folio_inc_gen: pfn 0x${folio.toString(16)} has no generation`);
  if (newGen !== oldGen) return newGen;
  newGen = (oldGen + 1) % MAX_NR_GENS;
  set_mask_bits(
    k,
    folio,
    l.genMask | lru_refs_bits(l),
    (((newGen + 1) << l.genShift) | (reclaiming ? l.reclaim : 0)) >>> 0,
  );
  lru_gen_update_size(k, l, folio, oldGen, newGen);
  return newGen;
}

/**
 * folio_update_gen() (6.12 mm/vmscan.c:3157; 6.1 :3674): the aging's promotion of a folio used
 * through page tables: the new generation with refs and LRU_REFS_FLAGS cleared; a folio reclaim
 * has isolated (no generation) gets PG_referenced for shrink_folio_list instead. Returns the old
 * generation; the page counts are the caller's (update_batch_size / lru_gen_update_size).
 */
export function folio_update_gen(k: Kernel, l: Lruvec, folio: Pfn, gen: number): number {
  const old = folio_lru_gen(k, l, folio);
  if (old < 0) set_mask_bits(k, folio, 0, l.referenced);
  else set_mask_bits(k, folio, l.genMask | lru_refs_bits(l), ((gen + 1) << l.genShift) >>> 0);
  return old;
}

/**
 * folio_inc_refs() (6.12 mm/swap.c:414; 6.1 :424), MGLRU's folio_mark_accessed(): not for
 * unevictable folios; the first access sets PG_referenced, the second PG_workingset, the later
 * ones count up in LRU_REFS until it is full.
 */
export function folio_inc_refs(k: Kernel, l: Lruvec, folio: Pfn): void {
  const flags = k.mem.flagsLo[folio];
  if (flags & l.unevictable) return;
  if (!(flags & l.referenced)) set_mask_bits(k, folio, 0, l.referenced);
  else if (!(flags & l.workingset)) set_mask_bits(k, folio, 0, l.workingset);
  else if ((flags & l.refsMask) !== l.refsMask) k.mem.flagsLo[folio] = (flags + (1 << l.refsShift)) >>> 0;
}
