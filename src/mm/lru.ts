/**
 * The LRU lists of a lruvec (include/linux/mmzone.h enum lru_list, include/linux/mm_inline.h): the
 * model has one node, one zone and one memcg, so one lruvec with the five classic lists and, for
 * MGLRU (CONFIG_LRU_GEN), the lrugen's MAX_NR_GENS x ANON_AND_FILE generation lists (lru_gen.ts),
 * all linked through page->lru (mem_map's lruNext/lruPrev: a folio on an LRU list is allocated, so
 * the buddy and PCP lists that share the words never hold it), their sizes in pages (NR_LRU_BASE +
 * lru, which MGLRU keeps too) and the reclaim costs lru_note_cost() keeps. The lists hold no
 * reference (kernel-mm-flows.md §0.7). Every path that clears PG_lru under the lru_lock takes the
 * folio off its list (lruvec_del_folio), as the kernel does.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_nr_pages } from '../kernel/folio.js';
import { lru_gen_add_folio, lru_gen_del_folio } from './lru_gen.js';
import { mmcache } from './mm_cache.js';

/** enum lru_list (include/linux/mmzone.h, 6.1 = 6.12) */
export const LRU_INACTIVE_ANON = 0;
export const LRU_ACTIVE_ANON = 1;
export const LRU_INACTIVE_FILE = 2;
export const LRU_ACTIVE_FILE = 3;
export const LRU_UNEVICTABLE = 4;
export const NR_LRU_LISTS = 5;
/** LRU_ACTIVE / LRU_FILE offsets of enum lru_list */
export const LRU_ACTIVE = 1;
export const LRU_FILE = 2;

/** include/linux/mmzone.h: the generations of MGLRU's sliding window, and its two LRU types */
export const MIN_NR_GENS = 2;
export const MAX_NR_GENS = 4;
export const ANON_AND_FILE = 2;
/** the list id of lrugen->folios[gen][type] (after the classic lists; the model has one zone) */
export function lru_gen_list(gen: number, type: number): number {
  return NR_LRU_LISTS + gen * ANON_AND_FILE + type;
}

export class Lruvec {
  /** first (most recently added) folio of each list, -1 = empty; the tail is lruPrev[head] */
  readonly head = new Int32Array(NR_LRU_LISTS + MAX_NR_GENS * ANON_AND_FILE).fill(-1);
  /** lruvec_page_state(NR_LRU_BASE + lru): pages on each classic list (MGLRU's pages included) */
  readonly size = new Float64Array(NR_LRU_LISTS);
  /** 1 + the list a folio is linked on, 0 = not linked (per pfn) */
  readonly on: Uint8Array;
  /** lruvec->anon_cost / file_cost (mm/swap.c lru_note_cost) */
  anonCost = 0;
  fileCost = 0;
  /** struct lru_gen_folio (6.12 include/linux/mmzone.h:431; 6.1 lru_gen_struct): lru_gen_init_lruvec() */
  maxSeq = MIN_NR_GENS + 1;
  readonly minSeq = [0, 0];
  /** lrugen->nr_pages[gen][type], index gen * ANON_AND_FILE + type (one zone) */
  readonly nrPages = new Float64Array(MAX_NR_GENS * ANON_AND_FILE);
  /** the flag bits folio_lru_list() reads (every lru_add and free links or unlinks a folio) */
  readonly unevictable: number;
  readonly swapbacked: number;
  readonly active: number;
  /** the bits MGLRU sets and clears with set_mask_bits() (LRU_REFS_FLAGS = referenced | workingset) */
  readonly referenced: number;
  readonly workingset: number;
  readonly reclaim: number;
  /** page->flags' LRU_GEN field (gen + 1, 0 = not on a multi-gen list) and LRU_REFS field (0 width without CONFIG_LRU_GEN) */
  readonly genShift: number;
  readonly genMask: number;
  readonly refsShift: number;
  readonly refsMask: number;
  /** LRU_REFS_WIDTH (include/linux/page-flags-layout.h) */
  readonly refsWidth: number;
  constructor(k: Kernel) {
    this.on = new Uint8Array(k.mem.nrPages);
    const bit = (name: string) => {
      const b = k.profile.bits.get(name);
      if (b === undefined) throw new Error(`profile ${k.profile.name} has no PG_${name}`);
      return (1 << b) >>> 0;
    };
    this.unevictable = bit('unevictable');
    this.swapbacked = bit('swapbacked');
    this.active = bit('active');
    this.referenced = bit('referenced');
    this.workingset = bit('workingset');
    this.reclaim = bit('reclaim');
    const field = (name: 'lru_gen' | 'lru_refs') => {
      const f = k.profile.layout.fields.find((x) => x.name === name);
      if (f && f.shift + f.width > 32) throw new Error(`profile ${k.profile.name}: ${name} above bit 31`);
      return f ? { shift: f.shift, width: f.width } : { shift: 0, width: 0 };
    };
    const gen = field('lru_gen');
    const refs = field('lru_refs');
    this.genShift = gen.shift;
    this.genMask = ((2 ** gen.width - 1) * 2 ** gen.shift) >>> 0;
    this.refsShift = refs.shift;
    this.refsMask = ((2 ** refs.width - 1) * 2 ** refs.shift) >>> 0;
    this.refsWidth = refs.width;
  }
}

/** the Kernel's lruvec (node 0, root memcg; its MmCache holds it) */
export function lruvec_of(k: Kernel): Lruvec {
  return mmcache(k).lruvec;
}

/** folio_is_file_lru() (include/linux/mm_inline.h): !PG_swapbacked */
export function folio_is_file_lru(k: Kernel, folio: Pfn): boolean {
  return !mmcache(k).f.folio_test_swapbacked(folio);
}

/** is_file_lru() / is_active_lru() (include/linux/mmzone.h) */
export function is_file_lru(lru: number): boolean {
  return lru === LRU_INACTIVE_FILE || lru === LRU_ACTIVE_FILE;
}

export function is_active_lru(lru: number): boolean {
  return lru === LRU_ACTIVE_ANON || lru === LRU_ACTIVE_FILE;
}

/** folio_lru_list() (include/linux/mm_inline.h): unevictable, else (in)active anon/file */
function folio_lru_list(k: Kernel, l: Lruvec, folio: Pfn): number {
  const flags = k.mem.flagsLo[folio];
  if (flags & l.unevictable) return LRU_UNEVICTABLE;
  const lru = flags & l.swapbacked ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;
  return flags & l.active ? lru + LRU_ACTIVE : lru;
}

/**
 * list_add() (at the head: the newest) or list_add_tail() (the oldest end, where reclaim looks
 * first) of `folio` on list `list`; no size changes. One sequence of stores for every case: a
 * fresh machine's lists start empty, and a store made only then had no type feedback in code the
 * JIT optimized on an earlier machine.
 */
export function lru_list_add(k: Kernel, folio: Pfn, list: number, tail: boolean): void {
  const l = lruvec_of(k);
  if (l.on[folio]) throw lruListError(folio, l.on[folio] - 1);
  const next = k.mem.lruNext;
  const prev = k.mem.lruPrev;
  const h = l.head[list];
  // circular: the folio goes between the last entry and the first; on an empty list it is both
  const first = h < 0 ? folio : h;
  const last = h < 0 ? folio : prev[h];
  next[last] = folio;
  prev[folio] = last;
  next[folio] = first;
  prev[first] = folio;
  if (h < 0 || !tail) l.head[list] = folio;
  l.on[folio] = list + 1;
}

/** list_del() of `folio` from the list it is on; no size changes (the head written in one place, as in lru_list_add) */
export function lru_list_del(k: Kernel, folio: Pfn): void {
  const l = lruvec_of(k);
  const list = l.on[folio] - 1;
  if (list < 0) throw lruListError(folio, list);
  const next = k.mem.lruNext;
  const prev = k.mem.lruPrev;
  const after = next[folio];
  if (after !== folio) {
    next[prev[folio]] = after;
    prev[after] = prev[folio];
  }
  // the list's first entry moves on to the next one; the last one leaves the list empty
  if (l.head[list] === folio) l.head[list] = after === folio ? -1 : after;
  next[folio] = prev[folio] = -1;
  l.on[folio] = 0;
}

/**
 * The error of a list operation on a folio in the wrong state (`list` the one it is on, -1 none),
 * built out of line: the list functions are inlined into every LRU path, and the message's
 * bytecode counts against the JIT's inlining budget there.
 */
function lruListError(folio: Pfn, list: number): Error {
  const where = list < 0 ? 'is on no LRU list' : `is already on LRU list ${list}`;
  return new Error(`lru: pfn 0x${folio.toString(16)} ${where}`);
}

/** lru_to_folio(&list): its tail, the oldest folio, or -1 when it is empty */
export function lru_to_folio(k: Kernel, list: number): Pfn {
  const h = lruvec_of(k).head[list];
  return h < 0 ? -1 : k.mem.lruPrev[h];
}

/**
 * lruvec_add_folio() / lruvec_add_folio_tail() (include/linux/mm_inline.h): lru_gen_add_folio()
 * when MGLRU is on, else the head (or tail) of folio_lru_list(folio) and its size
 */
function lruvec_add(k: Kernel, folio: Pfn, tail: boolean): void {
  const l = lruvec_of(k);
  if (mmcache(k).lruGen && lru_gen_add_folio(k, l, folio, tail)) return;
  const lru = folio_lru_list(k, l, folio);
  l.size[lru] += folio_nr_pages(k, folio);
  lru_list_add(k, folio, lru, tail);
}

export function lruvec_add_folio(k: Kernel, folio: Pfn): void {
  lruvec_add(k, folio, false);
}

export function lruvec_add_folio_tail(k: Kernel, folio: Pfn): void {
  lruvec_add(k, folio, true);
}

/** lruvec_del_folio(): lru_gen_del_folio() for a folio on a generation list, else its classic list */
export function lruvec_del_folio(k: Kernel, folio: Pfn): void {
  const l = lruvec_of(k);
  if (lru_gen_del_folio(k, l, folio, false)) return;
  l.size[folio_lru_list(k, l, folio)] -= folio_nr_pages(k, folio);
  lru_list_del(k, folio);
}

/**
 * lru_add_page_tail() (6.12 mm/huge_memory.c:3130; 6.1 :2425) for a split folio still on the LRU:
 * the tail goes right before the head (list_add_tail(&tail->lru, &folio->lru): on its newer side)
 * and gets PG_lru; the list sizes already count it (they count pages).
 */
export function lru_add_page_tail(k: Kernel, folio: Pfn, tail: Pfn): void {
  const l = lruvec_of(k);
  const list = l.on[folio] - 1;
  if (list < 0) throw new Error(`lru_add_page_tail: the head 0x${folio.toString(16)} is on no LRU list`);
  const next = k.mem.lruNext;
  const prev = k.mem.lruPrev;
  const newer = prev[folio];
  next[newer] = tail;
  prev[tail] = newer;
  next[tail] = folio;
  prev[folio] = tail;
  if (l.head[list] === folio) l.head[list] = tail;
  l.on[tail] = list + 1;
  mmcache(k).f.folio_set_lru(tail);
}

/** lruvec_page_state(lruvec, NR_LRU_BASE + lru) */
export function lruvec_lru_size(k: Kernel, lru: number): number {
  return lruvec_of(k).size[lru];
}

/**
 * lru_note_cost() (6.12 mm/swap.c:271: cost = nr_io * SWAP_CLUSTER_MAX + nr_rotated; 6.1 :295:
 * cost = nr_pages of I/O only), halved when the costs pass a quarter of the LRU pages.
 */
export function lru_note_cost(k: Kernel, file: boolean, nrIo: number, nrRotated: number): void {
  const l = lruvec_of(k);
  const cost =
    k.profile.facts.reclaim.lruNoteCost === 'io_and_rotated' ? nrIo * SWAP_CLUSTER_MAX + nrRotated : nrIo;
  if (file) l.fileCost += cost;
  else l.anonCost += cost;
  const lrusize =
    l.size[LRU_INACTIVE_ANON] + l.size[LRU_ACTIVE_ANON] + l.size[LRU_INACTIVE_FILE] + l.size[LRU_ACTIVE_FILE];
  if (l.fileCost + l.anonCost > Math.floor(lrusize / 4)) {
    l.fileCost = Math.floor(l.fileCost / 2);
    l.anonCost = Math.floor(l.anonCost / 2);
  }
}

/** include/linux/swap.h SWAP_CLUSTER_MAX */
export const SWAP_CLUSTER_MAX = 32;
