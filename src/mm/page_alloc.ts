/**
 * The buddy allocator of mm/page_alloc.c for one zone: free lists per order and migratetype,
 * split on allocation (expand), merge on free (__free_one_page), PageBuddy + private = order on
 * the head of every free block only, pageblock migratetypes with fallback stealing, and per-CPU
 * free lists (PCP) for orders <= PAGE_ALLOC_COSTLY_ORDER whose pages carry no buddy type.
 * Allocation ends in prep_new_page() -> set_page_refcounted() (page_ref_set val=1, before
 * prep_compound_page); freeing goes through free_pages_prepare() with the bad_page() checks.
 * Lists are linked through mem_map's lru words (page->buddy_list shares page->lru in the kernel).
 */
import {
  clear_folio_second_page,
  folio_order,
  folio_test_large,
  PageCompound,
  PageTail,
  prep_compound_page,
  TAIL_MAPPING_ID,
} from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import { memmap_init_range } from '../kernel/mm_init.js';
import { PAGEBLOCK_ORDER, type Pfn } from '../kernel/mem_map.js';
import { put_page_testzero } from '../kernel/mm_ref.js';
import { init_page_count, page_ref_count, set_page_count } from '../kernel/page_ref.js';
import { page_type_word } from '../kernel/page_type.js';
import { VM_BUG_ON_PAGE } from '../kernel/vm_bug.js';
import { called, enter, leave } from './stack.js';
import { pageflagsMask } from '../kernel/flag_names.js';
import { pageflags } from '../kernel/page_flags.js';
import { __page_cache_release } from './swap.js';
import { folio_unqueue_deferred_split } from './huge_split.js';
import { NotModelled } from './not_modelled.js';
import { mmcache } from './mm_cache.js';

/** include/linux/mmzone.h enum migratetype (6.1 = 6.12, CONFIG_CMA on) */
export const MIGRATE_UNMOVABLE = 0;
export const MIGRATE_MOVABLE = 1;
export const MIGRATE_RECLAIMABLE = 2;
export const MIGRATE_HIGHATOMIC = 3;
export const MIGRATE_CMA = 4;
export const MIGRATE_ISOLATE = 5;
const NR_MT = 6;
/** MIGRATE_PCPTYPES: the types with their own PCP lists */
const MIGRATE_PCPTYPES = 3;
/** include/linux/mmzone.h PAGE_ALLOC_COSTLY_ORDER: PCP keeps orders 0..3 (THP's order 9 is left to the buddy here) */
const PAGE_ALLOC_COSTLY_ORDER = 3;

/** mm/page_alloc.c fallbacks[] (6.12; 6.1 has the same rows) */
const FALLBACKS: readonly (readonly number[])[] = [
  [MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE],
  [MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE],
  [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE],
];

/** bad_page() (mm/page_alloc.c): "BUG: Bad page state in process <comm>  pfn:<pfn>" + dump_page */
export class BadPage extends Error {
  override readonly name = 'BadPage';
  constructor(
    readonly pfn: Pfn,
    readonly reason: string,
    comm: string,
    dump: string,
  ) {
    super(`BUG: Bad page state in process ${comm}  pfn:${pfn.toString(16).padStart(5, '0')}\n${dump}`);
  }
}

/** struct per_cpu_pages: one list per (order, pcp migratetype) */
class PerCpuPages {
  readonly head: Int32Array = new Int32Array((PAGE_ALLOC_COSTLY_ORDER + 1) * MIGRATE_PCPTYPES).fill(-1);
  count = 0;
  constructor(
    readonly high: number,
    readonly batch: number,
  ) {}
}

/** struct zone, reduced to what the struct pages see */
export class Zone {
  readonly maxOrder: number;
  /** free_area[order].free_list[mt] heads, index order * NR_MT + mt */
  readonly freeHead: Int32Array;
  readonly nrFree: Int32Array;
  readonly pcp: PerCpuPages[] = [];
  /** the page_type word of PageBuddy and "no type" for this profile */
  readonly buddyWord: number;
  readonly noType: number;
  /** PAGE_FLAGS_CHECK_AT_FREE as a mask over page->flags (low word) */
  readonly checkAtFree: number;
  /** ~PAGE_FLAGS_CHECK_AT_PREP: the bits free_pages_prepare() keeps (hwpoison, node/zone/lastcpupid) */
  readonly clearAtPrep: number;
  managed = 0;
  /** NR_FREE_PAGES: pages in the buddy free lists (PCP pages are not counted, as in the kernel) */
  nrFreePages = 0;
  /** _watermark[WMARK_MIN / LOW / HIGH] (__setup_per_zone_wmarks) */
  readonly watermark = new Float64Array(3);
  /** the direct reclaim the slowpath runs (vmscan_node.ts), if the machine installed it */
  directReclaim: DirectReclaim | undefined;
  /** PF_MEMALLOC: an allocation from inside reclaim ignores the watermarks and does not recurse */
  inReclaim = false;

  /**
   * [start, end): zone_start_pfn and zone_end_pfn(). `pcpHigh`: pcp->high, zone_highsize() (6.12
   * mm/page_alloc.c:5677, 6.1 the same): the low watermark split over the node's CPUs
   */
  constructor(
    k: Kernel,
    nrCpus: number,
    readonly start: Pfn,
    readonly end: Pfn,
    pcpHigh?: number,
  ) {
    this.maxOrder = k.profile.facts.maxPageOrder;
    this.freeHead = new Int32Array((this.maxOrder + 1) * NR_MT).fill(-1);
    this.nrFree = new Int32Array((this.maxOrder + 1) * NR_MT);
    const buddy = k.profile.pageTypes.get('buddy');
    if (buddy === undefined) throw new Error(`profile ${k.profile.name} has no PageBuddy type`);
    this.buddyWord = page_type_word(k, buddy);
    this.noType = k.profile.facts.pageTypeNone;
    let m = 0;
    for (const f of k.profile.facts.pageFlagsCheckAtFree) {
      const b = k.profile.bits.get(f);
      if (b !== undefined) m |= 1 << b;
    }
    this.checkAtFree = m >>> 0;
    // PAGE_FLAGS_CHECK_AT_PREP = (PAGEFLAGS_MASK & ~__PG_HWPOISON) | LRU_GEN_MASK | LRU_REFS_MASK
    // (include/linux/page-flags.h, 6.1 = 6.12): free_pages_prepare() clears exactly these bits
    const hw = k.profile.bits.get('hwpoison');
    let prep = pageflagsMask(k.profile) & ~(hw === undefined ? 0 : 1 << hw);
    for (const f of k.profile.layout.fields) {
      if ((f.name === 'lru_gen' || f.name === 'lru_refs') && f.shift + f.width <= 32) {
        prep |= (2 ** f.width - 1) * 2 ** f.shift;
      }
    }
    this.clearAtPrep = ~prep >>> 0;
    // zone_batchsize() gives 63 on a multi-GiB zone; the default high is 6 * batch. The high mark
    // decides whether freed pages stay on the PCP lists, unseen by compaction's free scanner, or go
    // back to the buddy; the model keeps it fixed (6.12's nr_pcp_high() auto-tuning is not modelled)
    for (let c = 0; c < nrCpus; c++) this.pcp.push(new PerCpuPages(pcpHigh ?? 6 * 63, 63));
  }
}

/** the Kernel's zone (its MmCache holds it) */
export function zoneOf(k: Kernel): Zone {
  return mmcache(k).zone ?? noZone();
}

function noZone(): never {
  throw new Error('page allocator: memblock_free_all() was not called on this Kernel');
}

function list_add(k: Kernel, heads: Int32Array, i: number, p: Pfn, tail: boolean): void {
  const next = k.mem.lruNext;
  const prev = k.mem.lruPrev;
  const h = heads[i];
  if (h < 0) {
    heads[i] = p;
    next[p] = prev[p] = p;
    return;
  }
  // circular list: heads[i] is the first entry, prev[first] the last
  const last = prev[h];
  next[last] = p;
  prev[p] = last;
  next[p] = h;
  prev[h] = p;
  if (!tail) heads[i] = p;
}

function list_del(k: Kernel, heads: Int32Array, i: number, p: Pfn): void {
  const next = k.mem.lruNext;
  const prev = k.mem.lruPrev;
  if (next[p] === p) heads[i] = -1;
  else {
    next[prev[p]] = next[p];
    prev[next[p]] = prev[p];
    if (heads[i] === p) heads[i] = next[p];
  }
  next[p] = prev[p] = -1;
}

export function get_pageblock_migratetype(k: Kernel, pfn: Pfn): number {
  return k.mem.pageblockMt[pfn >>> PAGEBLOCK_ORDER];
}

export function set_pageblock_migratetype(k: Kernel, pfn: Pfn, mt: number): void {
  k.mem.pageblockMt[pfn >>> PAGEBLOCK_ORDER] = mt;
}

/** set_buddy_order(): private = order, __SetPageBuddy (6.12 expects page_type == UINT_MAX) */
function set_buddy_order(k: Kernel, z: Zone, page: Pfn, order: number): void {
  VM_BUG_ON_PAGE(
    k,
    k.mem.mapcount[page] !== z.noType,
    'data_race(page->page_type) != UINT_MAX',
    page,
    'include/linux/page-flags.h',
  );
  k.mem.private_[page] = order;
  k.mem.mapcount[page] = z.buddyWord;
}

export function PageBuddy(k: Kernel, page: Pfn): boolean {
  return k.mem.mapcount[page] === zoneOf(k).buddyWord;
}

/** buddy_order(): page_private of a PageBuddy head */
export function buddy_order(k: Kernel, page: Pfn): number {
  return k.mem.private_[page];
}

function add_to_free_list(k: Kernel, z: Zone, page: Pfn, order: number, mt: number, tail: boolean): void {
  list_add(k, z.freeHead, order * NR_MT + mt, page, tail);
  z.nrFree[order * NR_MT + mt]++;
  z.nrFreePages += 1 << order;
}

/** del_page_from_free_list(): off the list, __ClearPageBuddy, private = 0 */
function del_page_from_free_list(k: Kernel, z: Zone, page: Pfn, order: number, mt: number): void {
  list_del(k, z.freeHead, order * NR_MT + mt, page);
  z.nrFree[order * NR_MT + mt]--;
  z.nrFreePages -= 1 << order;
  k.mem.mapcount[page] = z.noType;
  k.mem.private_[page] = 0;
}

/** migratetype_is_mergeable(): not ISOLATE, CMA or HIGHATOMIC (6.12 include/linux/mmzone.h) */
function migratetype_is_mergeable(mt: number): boolean {
  return mt < MIGRATE_HIGHATOMIC;
}

/**
 * __free_one_page() (6.12 mm/page_alloc.c:810): merge with the buddy at pfn ^ (1 << order) while
 * it is a free PageBuddy block of the same order; at order >= pageblock_order only mergeable types
 * merge, and the buddy's block takes our migratetype. The merged head gets PageBuddy + order.
 */
function __free_one_page(k: Kernel, z: Zone, pfn: Pfn, order: number, mt: number, tail: boolean): void {
  const m = k.mem;
  while (order < z.maxOrder) {
    const buddy = pfn ^ (1 << order);
    if (buddy >= m.nrPages || m.mapcount[buddy] !== z.buddyWord || m.private_[buddy] !== order) break;
    const buddyMt = get_pageblock_migratetype(k, buddy);
    if (
      order >= PAGEBLOCK_ORDER &&
      buddyMt !== mt &&
      !(migratetype_is_mergeable(mt) && migratetype_is_mergeable(buddyMt))
    )
      break;
    del_page_from_free_list(k, z, buddy, order, buddyMt);
    if (buddyMt !== mt) set_pageblock_migratetype(k, buddy, mt);
    pfn &= buddy;
    order++;
  }
  set_buddy_order(k, z, pfn, order);
  add_to_free_list(k, z, pfn, order, mt, tail);
}

/** expand() (6.12 mm/page_alloc.c:1420): keep the low half, free the upper halves at high-1 ... low */
function expand(k: Kernel, z: Zone, page: Pfn, low: number, high: number, mt: number): void {
  while (high > low) {
    high--;
    const half = page + (1 << high);
    set_buddy_order(k, z, half, high);
    add_to_free_list(k, z, half, high, mt, false);
  }
}

/** __rmqueue_smallest(): the smallest free block of this migratetype, split down to order */
function __rmqueue_smallest(k: Kernel, z: Zone, order: number, mt: number): Pfn {
  for (let cur = order; cur <= z.maxOrder; cur++) {
    const page = z.freeHead[cur * NR_MT + mt];
    if (page < 0) continue;
    del_page_from_free_list(k, z, page, cur, mt);
    expand(k, z, page, order, cur, mt);
    return page;
  }
  return -1;
}

/**
 * __move_freepages_block() (6.12 mm/page_alloc.c): the free buddy blocks inside the pageblock of
 * `pfn` move from the `from` lists to the `to` lists, so every free page stays on the list of its
 * pageblock's type (del_page_from_free_list() takes the pageblock's type to find the list).
 */
function __move_freepages_block(k: Kernel, z: Zone, pfn: Pfn, from: number, to: number): void {
  const start = pfn - (pfn % (1 << PAGEBLOCK_ORDER));
  const end = Math.min(start + (1 << PAGEBLOCK_ORDER), k.mem.nrPages);
  for (let p = start; p < end;) {
    if (k.mem.mapcount[p] !== z.buddyWord) {
      p++;
      continue;
    }
    const order = k.mem.private_[p];
    list_del(k, z.freeHead, order * NR_MT + from, p);
    z.nrFree[order * NR_MT + from]--;
    list_add(k, z.freeHead, order * NR_MT + to, p, false);
    z.nrFree[order * NR_MT + to]++;
    p += 1 << order;
  }
}

/**
 * __rmqueue_fallback() (6.12 mm/page_alloc.c): steal the largest block of a fallback type; a block
 * of at least pageblock_order / 2 claims its pageblock(s) for the requested type, with the other
 * free pages inside them (steal_suitable_fallback -> __move_freepages_block).
 */
function __rmqueue_fallback(k: Kernel, z: Zone, order: number, mt: number): Pfn {
  for (let cur = z.maxOrder; cur >= order; cur--) {
    for (const fb of FALLBACKS[mt]) {
      const page = z.freeHead[cur * NR_MT + fb];
      if (page < 0) continue;
      del_page_from_free_list(k, z, page, cur, fb);
      const claim = cur >= PAGEBLOCK_ORDER >> 1;
      if (claim)
        for (let p = page; p < page + (1 << cur); p += 1 << PAGEBLOCK_ORDER) {
          __move_freepages_block(k, z, p, fb, mt);
          set_pageblock_migratetype(k, p, mt);
        }
      expand(k, z, page, order, cur, claim ? mt : fb);
      return page;
    }
  }
  return -1;
}

function __rmqueue(k: Kernel, z: Zone, order: number, mt: number): Pfn {
  const page = __rmqueue_smallest(k, z, order, mt);
  return page >= 0 || mt >= MIGRATE_PCPTYPES ? page : __rmqueue_fallback(k, z, order, mt);
}

function pcpIndex(order: number, mt: number): number {
  return order * MIGRATE_PCPTYPES + mt;
}

/** rmqueue(): PCP for small orders (refilled by rmqueue_bulk), the buddy otherwise */
function rmqueue(k: Kernel, z: Zone, order: number, mt: number): Pfn {
  if (order > PAGE_ALLOC_COSTLY_ORDER || mt >= MIGRATE_PCPTYPES) return __rmqueue(k, z, order, mt);
  const pcp = z.pcp[k.tracer.ctx.cpu];
  const i = pcpIndex(order, mt);
  if (pcp.head[i] < 0) {
    // rmqueue_bulk(): batch >> order blocks, each from __rmqueue, at the list tail
    const n = Math.max(1, pcp.batch >> order);
    for (let j = 0; j < n; j++) {
      const p = __rmqueue(k, z, order, mt);
      if (p < 0) break;
      k.mem.private_[p] = order;
      list_add(k, pcp.head, i, p, true);
      pcp.count += 1 << order;
    }
  }
  const page = pcp.head[i];
  if (page < 0) return -1;
  list_del(k, pcp.head, i, page);
  pcp.count -= 1 << order;
  return page;
}

/** check_new_page() / free_page_is_bad(): the reason bad_page() would print, or undefined */
function page_bad_reason(
  k: Kernel,
  z: Zone,
  page: Pfn,
  flagsMask: number,
  flagsWhat: string,
): string | undefined {
  const m = k.mem;
  if (m.mapcount[page] !== z.noType) return 'nonzero mapcount';
  if (m.mapping[page] !== 0) return 'non-NULL mapping';
  if (m.refcount[page] !== 0) return 'nonzero _refcount';
  if ((m.flagsLo[page] & flagsMask) !== 0) return `${flagsWhat} flag(s) set`;
  return undefined;
}

function bad_page(k: Kernel, page: Pfn, reason: string): never {
  throw new BadPage(page, reason, k.tracer.ctx.comm, k.dumpPage(page, reason));
}

/** post_alloc_hook() (6.12 mm/page_alloc.c:1540): set_page_private(page, 0) */
export function post_alloc_hook(k: Kernel, page: Pfn): void {
  k.mem.private_[page] = 0;
}

/** set_page_refcounted() (mm/internal.h): VM_BUG_ON tail or count != 0, then page_ref_set val=1 */
export function set_page_refcounted(k: Kernel, page: Pfn): void {
  if (k.debugVm) {
    VM_BUG_ON_PAGE(k, PageTail(k, page), 'PageTail(page)', page, 'mm/internal.h');
    VM_BUG_ON_PAGE(k, page_ref_count(k, page) !== 0, 'page_ref_count(page)', page, 'mm/internal.h');
  }
  set_page_count(k, page, 1);
}

/**
 * prep_new_page() (6.12 mm/page_alloc.c:1605): post_alloc_hook(), set_page_refcounted() (6.1
 * does it inside post_alloc_hook, same event), then prep_compound_page() for __GFP_COMP.
 */
export function prep_new_page(k: Kernel, page: Pfn, order: number, comp: boolean): void {
  const d = enter(k, 'prep_new_page');
  try {
    post_alloc_hook(k, page);
    set_page_refcounted(k, page);
    if (order > 0 && comp) prep_compound_page(k, page, order);
  } finally {
    leave(k, d);
  }
}

export interface AllocOptions {
  /** gfp_migratetype(): MOVABLE for user pages (GFP_HIGHUSER_MOVABLE), UNMOVABLE for page tables */
  migratetype?: number;
  /** __GFP_COMP */
  comp?: boolean;
  /** return -1 (NULL) instead of throwing when no block is free: the caller handles the failure */
  mayFail?: boolean;
}

/** the zone's watermarks (enum zone_watermarks) */
export const WMARK_MIN = 0;
export const WMARK_LOW = 1;
export const WMARK_HIGH = 2;

/** What the slowpath needs of reclaim (vmscan_node.ts installs it with the machine) */
export interface DirectReclaim {
  /** __perform_reclaim() -> try_to_free_pages() for an allocation of `order`: pages reclaimed */
  try_to_free_pages(k: Kernel, order: number): number;
  /** zone_reclaimable_pages(): the file LRU pages, and the anon ones when swap space is left */
  zone_reclaimable_pages(k: Kernel): number;
}

/** mm/internal.h MAX_RECLAIM_RETRIES */
const MAX_RECLAIM_RETRIES = 16;
/** rounds of a higher-order allocation that reclaims but finds no free block (compaction's part) */
const MAX_RECLAIM_ROUNDS = 64;

/**
 * __zone_watermark_ok() (6.12 mm/page_alloc.c; zone_watermark_fast is the same for order 0, the
 * model has no CMA, highatomic reserve or lowmem_reserve): free pages beyond the order's own above
 * the mark, and for order > 0 a free block of at least that order of an unmovable, movable or
 * reclaimable type. `free` defaults to NR_FREE_PAGES.
 */
function zone_watermark_ok(z: Zone, order: number, mark: number, free = z.nrFreePages): boolean {
  if (free - ((1 << order) - 1) <= mark) return false;
  if (!order) return true;
  for (let o = order; o <= z.maxOrder; o++)
    for (let mt = 0; mt < MIGRATE_PCPTYPES; mt++) if (z.nrFree[o * NR_MT + mt]) return true;
  return false;
}

/** get_page_from_freelist() for the one zone: the watermark check (unless ALLOC_NO_WATERMARKS), then rmqueue */
function get_page_from_freelist(
  k: Kernel,
  z: Zone,
  order: number,
  mt: number,
  mark: number | undefined,
): Pfn {
  if (mark !== undefined && !zone_watermark_ok(z, order, mark)) return -1;
  return rmqueue(k, z, order, mt);
}

/**
 * __alloc_pages_slowpath() (6.12 mm/page_alloc.c:4349; 6.1 the same structure), without kswapd,
 * compaction and the OOM killer: the min watermark; an allocation from inside reclaim (PF_MEMALLOC)
 * takes any free page; otherwise __alloc_pages_direct_reclaim — direct reclaim, the min watermark
 * again and, once, drain_all_pages (the reclaimed pages sit on this CPU's PCP lists, which
 * NR_FREE_PAGES does not count) — until should_reclaim_retry gives up: reclaimable plus free pages
 * could not meet the min watermark, or MAX_RECLAIM_RETRIES rounds made no progress.
 */
function __alloc_pages_slowpath(k: Kernel, z: Zone, order: number, mt: number): Pfn {
  const min = z.watermark[WMARK_MIN];
  let page = get_page_from_freelist(k, z, order, mt, min);
  if (page >= 0) return page;
  const reclaim = z.directReclaim;
  if (!reclaim || z.inReclaim) return get_page_from_freelist(k, z, order, mt, undefined);
  return called(k, '__alloc_pages_slowpath', () => {
    let noProgress = 0;
    for (let round = 0; ; round++) {
      // should_compact_retry() and compaction would decide here in the kernel (not modelled)
      if (round > MAX_RECLAIM_ROUNDS && order > 0) return -1;
      const progress = called(k, '__alloc_pages_direct_reclaim', () => {
        z.inReclaim = true;
        let n: number;
        try {
          n = called(k, '__perform_reclaim', () => reclaim.try_to_free_pages(k, order));
        } finally {
          z.inReclaim = false;
        }
        if (!n) return 0;
        page = get_page_from_freelist(k, z, order, mt, min);
        if (page < 0) {
          drain_all_pages(k);
          page = get_page_from_freelist(k, z, order, mt, min);
        }
        return n;
      });
      if (page >= 0) return page;
      // should_reclaim_retry() (6.12 :4176)
      if (progress && order <= PAGE_ALLOC_COSTLY_ORDER) noProgress = 0;
      else noProgress++;
      if (noProgress > MAX_RECLAIM_RETRIES) return -1;
      if (!zone_watermark_ok(z, order, min, z.nrFreePages + reclaim.zone_reclaimable_pages(k))) return -1;
    }
  });
}

/**
 * __alloc_pages() -> get_page_from_freelist() (low watermark) or the slowpath -> prep_new_page(); out
 * of memory: throws, or -1 (NULL) with `mayFail`
 */
export function alloc_pages(k: Kernel, order: number, opts: AllocOptions = NO_OPTIONS): Pfn {
  const d = enter(k, '__alloc_pages');
  try {
    const z = zoneOf(k);
    const mt = opts.migratetype ?? MIGRATE_MOVABLE;
    // without the machine's reclaim (a bare Kernel) the watermarks are not checked
    let page = get_page_from_freelist(k, z, order, mt, z.directReclaim ? z.watermark[WMARK_LOW] : undefined);
    if (page < 0) {
      page = __alloc_pages_slowpath(k, z, order, mt);
      enter(k, '__alloc_pages_slowpath');
    }
    enter(k, 'get_page_from_freelist');
    if (page < 0 && opts.mayFail) return -1;
    if (page < 0)
      throw new NotModelled(
        `__alloc_pages: out of memory for an order-${order} page (migratetype ${mt}; the OOM killer is not modelled)`,
      );
    if (k.debugVm) {
      for (let i = 0; i < 1 << order; i++) {
        const why = page_bad_reason(k, z, page + i, z.checkAtFree, 'PAGE_FLAGS_CHECK_AT_PREP');
        if (why) bad_page(k, page + i, why);
      }
    }
    prep_new_page(k, page, order, opts.comp ?? false);
    return page;
  } finally {
    leave(k, d);
  }
}

const NO_OPTIONS: AllocOptions = {};
const FOLIO_OPTIONS: AllocOptions = { comp: true, migratetype: MIGRATE_MOVABLE };

/** folio_alloc() / vma_alloc_folio(): __GFP_COMP, movable */
export function folio_alloc(k: Kernel, order: number): Pfn {
  return alloc_pages(k, order, FOLIO_OPTIONS);
}

/**
 * free_pages_prepare() (6.12 mm/page_alloc.c:1071): tails checked by free_tail_page_prepare() and
 * the compound state undone; PageMappingFlags -> mapping = NULL; free_page_is_bad() on each page;
 * flags &= ~PAGE_FLAGS_CHECK_AT_PREP; private = 0.
 */
export function free_pages_prepare(k: Kernel, page: Pfn, order: number, z: Zone = zoneOf(k)): void {
  const m = k.mem;
  const compound = folio_test_large(k, page);
  // 6.12 mm/page_alloc.c:1142: page[1].flags &= ~PAGE_FLAGS_SECOND (the order byte and
  // has_hwpoisoned, large_rmappable, partially_mapped); 6.1 keeps the order in page[1].compound_order
  if (compound && k.profile.facts.folioLayout === 'folio_v6_12') m.flagsLo[page + 1] &= ~pageFlagsSecond(k);
  for (let i = 0; i < 1 << order; i++) {
    const p = page + i;
    if (compound && i > 0) {
      if (m.mapping[p] !== TAIL_MAPPING_ID) bad_page(k, p, 'corrupted mapping in tail page');
      m.compoundHead[p] = 0;
      m.mapping[p] = 0;
    }
    if ((m.mapping[p] & 3) !== 0) m.mapping[p] = 0;
    const why = page_bad_reason(k, z, p, z.checkAtFree, 'PAGE_FLAGS_CHECK_AT_FREE');
    if (why) bad_page(k, p, why);
    m.flagsLo[p] &= z.clearAtPrep;
    m.private_[p] = 0;
  }
  if (compound) clear_folio_second_page(k, page);
}

/** PAGE_FLAGS_SECOND (6.12 include/linux/page-flags.h:1196) from the profile's bit numbers */
function pageFlagsSecond(k: Kernel): number {
  let mask = 0xff;
  for (const name of ['has_hwpoisoned', 'large_rmappable', 'partially_mapped']) {
    const bit = k.profile.bits.get(name);
    if (bit !== undefined) mask |= 1 << bit;
  }
  return mask;
}

/** free_pcppages_bulk(): give `count` pages of this CPU's lists back to the buddy */
function free_pcppages_bulk(k: Kernel, z: Zone, pcp: PerCpuPages, count: number): void {
  for (let i = 0; count > 0 && i < pcp.head.length; i++) {
    while (count > 0 && pcp.head[i] >= 0) {
      const page = k.mem.lruPrev[pcp.head[i]]; // oldest first: the list tail
      const order = k.mem.private_[page];
      list_del(k, pcp.head, i, page);
      k.mem.private_[page] = 0;
      pcp.count -= 1 << order;
      count -= 1 << order;
      __free_one_page(k, z, page, order, get_pageblock_migratetype(k, page), false);
    }
  }
}

/**
 * free_unref_page(page, order) (6.12 mm/page_alloc.c:2724; 6.1 free_the_page): free_pages_prepare,
 * then this CPU's PCP list (HIGHATOMIC/CMA filed as MOVABLE, ISOLATE straight to buddy), spilling a
 * batch to the buddy above pcp->high; orders the PCP does not keep go to __free_pages_ok().
 */
export function free_unref_page(k: Kernel, page: Pfn, order: number): void {
  const z = zoneOf(k);
  free_pages_prepare(k, page, order, z);
  let mt = get_pageblock_migratetype(k, page);
  if (order > PAGE_ALLOC_COSTLY_ORDER || mt === MIGRATE_ISOLATE) {
    __free_one_page(k, z, page, order, mt, false);
    return;
  }
  if (mt >= MIGRATE_PCPTYPES) mt = MIGRATE_MOVABLE;
  const pcp = z.pcp[k.tracer.ctx.cpu];
  k.mem.private_[page] = order;
  list_add(k, pcp.head, pcpIndex(order, mt), page, false);
  pcp.count += 1 << order;
  if (pcp.count >= pcp.high) free_pcppages_bulk(k, z, pcp, pcp.batch);
}

/** drain_all_pages(NULL) (6.12 mm/page_alloc.c): every CPU's PCP pages back to the buddy; no reference changes */
export function drain_all_pages(k: Kernel): void {
  const z = zoneOf(k);
  called(k, 'drain_all_pages', () => {
    for (const pcp of z.pcp) if (pcp.count) free_pcppages_bulk(k, z, pcp, pcp.count);
  });
}

/** watermark_scale_factor (6.12 mm/page_alloc.c:303, 6.1 the same default) */
const WATERMARK_SCALE_FACTOR = 10;

/**
 * init_per_zone_wmark_min() for the one zone (6.12 mm/page_alloc.c:6224 calculate_min_free_kbytes,
 * :6113 __setup_per_zone_wmarks; 6.1 the same): min_free_kbytes = int_sqrt(lowmem_kbytes * 16)
 * clamped to [128, 262144]; min = its pages, low = min + max(min / 4, managed * scale / 10000),
 * high = low + the same step. (khugepaged's larger recommended min_free_kbytes is not applied.)
 */
function setup_per_zone_wmarks(z: Zone): void {
  const minFreeKbytes = Math.min(262144, Math.max(128, Math.floor(Math.sqrt(z.managed * 4 * 16))));
  const min = minFreeKbytes >> 2;
  const step = Math.max(min >> 2, Math.floor((z.managed * WATERMARK_SCALE_FACTOR) / 10000));
  z.watermark[WMARK_MIN] = min;
  z.watermark[WMARK_LOW] = min + step;
  z.watermark[WMARK_HIGH] = min + 2 * step;
}

/** the zone's watermark `w` (WMARK_MIN, WMARK_LOW, WMARK_HIGH) and NR_FREE_PAGES */
export function zone_watermark(k: Kernel, w: number): number {
  return zoneOf(k).watermark[w];
}

export function zone_free_pages(k: Kernel): number {
  return zoneOf(k).nrFreePages;
}

/** The machine's reclaim for the slowpath (set_direct_reclaim(k, hooks) once, at boot) */
export function set_direct_reclaim(k: Kernel, hooks: DirectReclaim): void {
  zoneOf(k).directReclaim = hooks;
}

/** __free_pages() (6.12 mm/page_alloc.c:4936): put; on zero free; a non-compound page's tail sub-blocks are freed here */
export function __free_pages(k: Kernel, page: Pfn, order: number): void {
  const d = enter(k, '__free_pages');
  try {
    const head = folio_test_large(k, page);
    // put_page_testzero() shows as page_ref_dec_and_test() under __free_pages() in both builds
    const d1 = enter(k, 'page_ref_dec_and_test');
    const zero = put_page_testzero(k, page);
    leave(k, d1);
    if (zero) free_unref_page(k, page, order);
    else if (!head) while (order-- > 0) free_unref_page(k, page + (1 << order), order);
  } finally {
    leave(k, d);
  }
}

/**
 * __folio_put() -> page_cache_release(), folio_unqueue_deferred_split(), free_unref_page(&folio->page,
 * folio_order(folio)) (6.12 mm/swap.c:97; the Kernel's freeFolio hook)
 */
function free_folio(k: Kernel, folio: Pfn): void {
  __page_cache_release(k, folio);
  if (folio_test_large(k, folio)) folio_unqueue_deferred_split(k, folio);
  free_unref_page(k, folio, folio_order(k, folio));
}

/**
 * memblock_free_all() -> __free_pages_memory() -> __free_pages_core() at boot: the struct pages
 * initialised (memmap_init_range: ZONE_NORMAL, node 0), every pageblock MIGRATE_MOVABLE, each page set_page_count(0) (page_ref_set val=0: traced only
 * if a listener is already subscribed; in a real boot tracing starts later), then the largest
 * naturally aligned chunks (<= MAX_PAGE_ORDER) go through __free_one_page. [start, end) pfns.
 */
export function memblock_free_all(
  k: Kernel,
  start: Pfn,
  end: Pfn,
  nrCpus = 1,
  pcpHigh?: number,
  reserved = 0,
): Zone {
  const z = new Zone(k, nrCpus, start, end, pcpHigh);
  mmcache(k).zone = z;
  k.freeFolio = free_folio;
  memmap_init_range(k, start, end, 'Normal');
  k.mem.pageblockMt.fill(
    MIGRATE_MOVABLE,
    start >>> PAGEBLOCK_ORDER,
    (end + (1 << PAGEBLOCK_ORDER) - 1) >>> PAGEBLOCK_ORDER,
  );
  // memblock.reserved (the kernel image's init sections, the initrd): reserve_bootmem_region()
  // marks them PG_reserved, init_page_count() left them at 1, and they stay out of the buddy
  const f = pageflags(k);
  for (let pfn = start; pfn < start + reserved; pfn++) f.SetPageReserved(pfn);
  let pfn = start + reserved;
  while (pfn < end) {
    let order = Math.min(z.maxOrder, pfn === 0 ? z.maxOrder : 31 - Math.clz32(pfn & -pfn));
    while (pfn + (1 << order) > end) order--;
    for (let i = 0; i < 1 << order; i++) set_page_count(k, pfn + i, 0);
    __free_one_page(k, z, pfn, order, MIGRATE_MOVABLE, true);
    z.managed += 1 << order;
    pfn += 1 << order;
  }
  setup_per_zone_wmarks(z);
  return z;
}

/**
 * free_reserved_area() (6.12 mm/page_alloc.c:5942; 6.1 :8473) over [start, end): per page
 * free_reserved_page() (6.12 :5978; 6.1 include/linux/mm.h:2656): ClearPageReserved,
 * init_page_count() (page_ref_set val=1), __free_page() (-1 ret=1: onto this CPU's PCP list,
 * where the next allocations find the last pages freed first). What free_initmem(),
 * mark_rodata_ro() and free_initrd_mem() free at the end of boot.
 */
export function free_reserved_area(k: Kernel, start: Pfn, end: Pfn): void {
  called(k, 'free_reserved_area', () => {
    const f = pageflags(k);
    for (let pfn = start; pfn < end; pfn++) {
      if (!f.PageReserved(pfn))
        throw new Error(`free_reserved_area: pfn ${pfn.toString(16)} is not reserved`);
      called(k, 'free_reserved_page', () => {
        f.ClearPageReserved(pfn);
        init_page_count(k, pfn);
        __free_pages(k, pfn, 0);
      });
    }
  });
}

/**
 * __isolate_free_page() (6.12 mm/page_alloc.c; 6.1 the same): a free block taken off its free list
 * for compaction's free scanner, no refcount yet; a block of at least half a pageblock makes its
 * mergeable pageblocks MOVABLE. The model has no watermarks: the zone_watermark_ok() check that
 * returns 0 near WMARK_MIN always passes. Returns the pages isolated (1 << order).
 */
export function __isolate_free_page(k: Kernel, page: Pfn, order: number): number {
  const z = zoneOf(k);
  del_page_from_free_list(k, z, page, order, get_pageblock_migratetype(k, page));
  if (order >= PAGEBLOCK_ORDER - 1)
    for (let p = page; p < page + (1 << order) - 1; p += 1 << PAGEBLOCK_ORDER)
      if (migratetype_is_mergeable(get_pageblock_migratetype(k, p)))
        set_pageblock_migratetype(k, p, MIGRATE_MOVABLE);
  return 1 << order;
}

/** split_page() (6.1 mm/page_alloc.c): a refcounted non-compound block's other pages set_page_refcounted */
export function split_page(k: Kernel, page: Pfn, order: number): void {
  const d = enter(k, 'split_page');
  try {
    VM_BUG_ON_PAGE(k, PageCompound(k, page), 'PageCompound(page)', page, 'mm/page_alloc.c');
    VM_BUG_ON_PAGE(k, page_ref_count(k, page) === 0, '!page_count(page)', page, 'mm/page_alloc.c');
    for (let i = 1; i < 1 << order; i++) set_page_refcounted(k, page + i);
  } finally {
    leave(k, d);
  }
}

/** /proc/buddyinfo-like counts: free blocks per order (all migratetypes) */
export function buddyinfo(k: Kernel): number[] {
  const z = zoneOf(k);
  const out: number[] = [];
  for (let o = 0; o <= z.maxOrder; o++) {
    let n = 0;
    for (let mt = 0; mt < NR_MT; mt++) n += z.nrFree[o * NR_MT + mt];
    out.push(n);
  }
  return out;
}

/** nr_free_pages(): buddy + PCP pages */
export function nr_free_pages(k: Kernel): number {
  const z = zoneOf(k);
  let n = 0;
  buddyinfo(k).forEach((c, o) => (n += c << o));
  for (const p of z.pcp) n += p.count;
  return n;
}
