/**
 * The LRU lists of a lruvec (include/linux/mmzone.h enum lru_list, include/linux/mm_inline.h): the
 * model has one node and one memcg, so one lruvec with the five classic lists, linked through
 * page->lru (mem_map's lruNext/lruPrev: a folio on an LRU list is allocated, so the buddy and PCP
 * lists that share the words never hold it), their sizes in pages (NR_LRU_BASE + lru) and the
 * reclaim costs lru_note_cost() keeps. The lists hold no reference (kernel-mm-flows.md §0.7).
 *
 * The kernel unlinks a folio whenever it clears PG_lru under the lru_lock. Paths of the model that
 * clear PG_lru on their own (compaction's isolate_migratepages_block) leave the folio linked: such
 * a stale entry is unlinked when the folio is added again, freed, or met by the scanner.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_nr_pages } from '../kernel/folio.js';
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

export class Lruvec {
  /** first (most recently added) folio of each list, -1 = empty; the tail is lruPrev[head] */
  readonly head = new Int32Array(NR_LRU_LISTS).fill(-1);
  /** lruvec_page_state(NR_LRU_BASE + lru): pages on each list */
  readonly size = new Float64Array(NR_LRU_LISTS);
  /** 1 + the list a folio is linked on, 0 = not linked (per pfn) */
  readonly on: Uint8Array;
  /** lruvec->anon_cost / file_cost (mm/swap.c lru_note_cost) */
  anonCost = 0;
  fileCost = 0;
  /** the flag bits folio_lru_list() reads (every lru_add and free links or unlinks a folio) */
  readonly unevictable: number;
  readonly swapbacked: number;
  readonly active: number;
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
  }
}

const lruvecs = new WeakMap<Kernel, Lruvec>();
let lastK: Kernel | undefined;
let last: Lruvec | undefined;

/** the Kernel's lruvec (node 0, root memcg), created on first use; a last-kernel check (every free asks) */
export function lruvec_of(k: Kernel): Lruvec {
  if (k === lastK) return last!;
  let l = lruvecs.get(k);
  if (!l) lruvecs.set(k, (l = new Lruvec(k)));
  lastK = k;
  last = l;
  return l;
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

function link(k: Kernel, l: Lruvec, folio: Pfn, lru: number, tail: boolean): void {
  const next = k.mem.lruNext;
  const prev = k.mem.lruPrev;
  const h = l.head[lru];
  if (h < 0) {
    l.head[lru] = folio;
    next[folio] = prev[folio] = folio;
  } else {
    const last = prev[h];
    next[last] = folio;
    prev[folio] = last;
    next[folio] = h;
    prev[h] = folio;
    if (!tail) l.head[lru] = folio;
  }
  l.on[folio] = lru + 1;
  l.size[lru] += folio_nr_pages(k, folio);
}

/** Unlinks `folio` from the list it is on (no-op when it is on none). */
export function lruvec_unlink(k: Kernel, folio: Pfn): void {
  const l = lruvec_of(k);
  const lru = l.on[folio] - 1;
  if (lru < 0) return;
  const next = k.mem.lruNext;
  const prev = k.mem.lruPrev;
  if (next[folio] === folio) l.head[lru] = -1;
  else {
    next[prev[folio]] = next[folio];
    prev[next[folio]] = prev[folio];
    if (l.head[lru] === folio) l.head[lru] = next[folio];
  }
  next[folio] = prev[folio] = -1;
  l.on[folio] = 0;
  l.size[lru] -= folio_nr_pages(k, folio);
}

/** lruvec_add_folio() (include/linux/mm_inline.h): the head of folio_lru_list(folio) */
export function lruvec_add_folio(k: Kernel, folio: Pfn): void {
  const l = lruvec_of(k);
  if (l.on[folio]) lruvec_unlink(k, folio);
  link(k, l, folio, folio_lru_list(k, l, folio), false);
}

/** lruvec_add_folio_tail(): the tail, where the scanner looks first */
export function lruvec_add_folio_tail(k: Kernel, folio: Pfn): void {
  const l = lruvec_of(k);
  if (l.on[folio]) lruvec_unlink(k, folio);
  link(k, l, folio, folio_lru_list(k, l, folio), true);
}

/** lruvec_del_folio() */
export const lruvec_del_folio = lruvec_unlink;

/**
 * lru_to_folio(&lruvec->lists[lru]): the list's tail (the oldest folio), or -1 when the list is
 * empty; stale entries (PG_lru cleared elsewhere, see the module comment) are dropped on the way.
 */
export function lru_tail(k: Kernel, lru: number): Pfn {
  const l = lruvec_of(k);
  const f = mmcache(k).f;
  for (;;) {
    const h = l.head[lru];
    if (h < 0) return -1;
    const tail = k.mem.lruPrev[h];
    if (f.folio_test_lru(tail)) return tail;
    lruvec_unlink(k, tail);
  }
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
