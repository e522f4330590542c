/**
 * The page allocator's entry and exit as they touch struct page (mm/page_alloc.c): prep_new_page()
 * -> set_page_refcounted() (page_ref_set val=1, before prep_compound_page, so the first event of a
 * large folio shows flags=none), and free_pages_prepare() when the last reference goes. Free
 * order-0 pages sit on a per-CPU free list (PCP) without the buddy type, as in the kernel; the
 * buddy allocator proper (merging, PageBuddy blocks) is the simulator's to add.
 */
import { clear_compound_page, folio_order, folio_test_large, prep_compound_page } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import { PAGEBLOCK_ORDER, type Pfn } from '../kernel/mem_map.js';
import { pageflagsMask } from '../kernel/flag_names.js';
import { memmap_init_range } from '../kernel/mm_init.js';
import { set_page_count } from '../kernel/page_ref.js';

export class FreeList {
  private readonly stack: Int32Array;
  private top = 0;
  constructor(nrPages: number) {
    this.stack = new Int32Array(nrPages);
  }
  push(pfn: Pfn): void {
    this.stack[this.top++] = pfn;
  }
  pop(): Pfn | undefined {
    return this.top > 0 ? this.stack[--this.top] : undefined;
  }
}

const freeLists = new WeakMap<Kernel, FreeList>();

/** include/linux/mmzone.h enum migratetype: MIGRATE_MOVABLE */
const MIGRATE_MOVABLE = 1;

/**
 * Boot for a range of pfns: memmap_init_range() initialises the struct pages (ZONE_NORMAL, node 0)
 * and marks their pageblocks MIGRATE_MOVABLE; __free_pages_core() then hands them to the
 * allocator with set_page_count(p, 0) (mm/mm_init.c, mm/page_alloc.c).
 */
export function free_area_init(k: Kernel, start: Pfn, end: Pfn): void {
  memmap_init_range(k, start, end, 'Normal');
  for (let pfn = start; pfn < end; pfn++) set_page_count(k, pfn, 0);
  k.mem.pageblockMt.fill(
    MIGRATE_MOVABLE,
    start >>> PAGEBLOCK_ORDER,
    (end + (1 << PAGEBLOCK_ORDER) - 1) >>> PAGEBLOCK_ORDER,
  );
  const fl = new FreeList(k.mem.nrPages);
  for (let pfn = end - 1; pfn >= start; pfn--) fl.push(pfn);
  freeLists.set(k, fl);
  k.freeFolio = free_folio;
}

/** alloc_pages(gfp, 0) / folio_alloc(gfp, 0): an order-0 page with refcount 1. */
export function alloc_page(k: Kernel): Pfn {
  const pfn = freeLists.get(k)?.pop();
  if (pfn === undefined)
    throw new Error('alloc_page: out of memory (free_area_init() not called, or no free page)');
  prep_new_page(k, pfn, 0);
  return pfn;
}

/** prep_new_page(): post_alloc_hook() -> set_page_refcounted(), then prep_compound_page() */
export function prep_new_page(k: Kernel, page: Pfn, order: number): void {
  set_page_count(k, page, 1);
  if (order > 0) prep_compound_page(k, page, order);
}

/**
 * __folio_put() -> free_unref_page() -> free_pages_prepare(): clear the flags checked at prep
 * (PAGE_FLAGS_CHECK_AT_PREP: every page flag but hwpoison), drop the mapping; the page goes to
 * the per-CPU free list with page_type left at -1 (6.1/6.12 mm/page_alloc.c).
 */
function free_folio(k: Kernel, folio: Pfn): void {
  const order = folio_order(k, folio);
  if (folio_test_large(k, folio)) clear_compound_page(k, folio);
  // PAGE_FLAGS_CHECK_AT_PREP = (PAGEFLAGS_MASK & ~__PG_HWPOISON) | LRU_GEN_MASK | LRU_REFS_MASK
  const hwpoison = k.profile.bits.get('hwpoison');
  let clear = pageflagsMask(k.profile) & ~(hwpoison === undefined ? 0 : 1 << hwpoison);
  for (const f of k.profile.layout.fields) {
    if ((f.name === 'lru_gen' || f.name === 'lru_refs') && f.shift + f.width <= 32) {
      clear |= ((2 ** f.width - 1) << f.shift) >>> 0;
    }
  }
  for (let i = 0; i < 1 << order; i++) {
    const p = folio + i;
    k.mem.flagsLo[p] &= ~clear;
    k.mem.mapping[p] = 0;
    k.mem.mapcount[p] = -1;
    freeLists.get(k)?.push(p);
  }
}
