/**
 * mem_map: the array of struct page, as struct-of-arrays typed arrays indexed by pfn
 * (include/linux/mm_types.h). One page costs 58 bytes here (the kernel's own struct page is 64):
 *
 *   flagsLo, flagsHi     8  page->flags (64-bit word as two u32 halves)
 *   refcount             4  _refcount
 *   mapcount             4  _mapcount / page_type (one union in both 6.1 and 6.12)
 *   mapping              4  mapping id with the PAGE_MAPPING_* tag bits in bits 0-1 (0 = NULL)
 *   index                4  index (page offset in the mapping)
 *   private_             4  private (buddy order, swap entry)
 *   compoundHead         4  compound_head: (head pfn << 1) | 1 on tail pages, 0 otherwise
 *   lruNext, lruPrev     8  lru list links as pfns (-1 = none); buddy free lists use them too
 *   order, dtor          2  6.1 page[1].compound_order / compound_dtor (6.12 keeps the order in page[1].flags)
 *   largeMapcount        4  page[1]: 6.12 _large_mapcount
 *   entireMapcount       4  page[1]: 6.12 _entire_mapcount / 6.1 compound_mapcount
 *   nrPagesMapped        4  page[1]: 6.12 _nr_pages_mapped
 *   pincount             4  page[1]: 6.12 _pincount / 6.1 compound_pincount
 * plus one byte per pageblock (512 pages) for its migratetype.
 */

export type Pfn = number;

/** pageblock_order on x86_64 (HPAGE_PMD_ORDER = 9; include/linux/pageblock-flags.h) */
export const PAGEBLOCK_ORDER = 9;

export const BYTES_PER_PAGE = 58;

export class MemMap {
  readonly nrPages: number;
  readonly flagsLo: Uint32Array;
  readonly flagsHi: Uint32Array;
  readonly refcount: Int32Array;
  readonly mapcount: Int32Array;
  readonly mapping: Uint32Array;
  readonly index: Uint32Array;
  readonly private_: Uint32Array;
  readonly compoundHead: Uint32Array;
  readonly lruNext: Int32Array;
  readonly lruPrev: Int32Array;
  readonly order: Uint8Array;
  readonly dtor: Uint8Array;
  readonly largeMapcount: Int32Array;
  readonly entireMapcount: Int32Array;
  readonly nrPagesMapped: Int32Array;
  readonly pincount: Int32Array;
  readonly pageblockMt: Uint8Array;

  constructor(nrPages: number) {
    if (!Number.isInteger(nrPages) || nrPages <= 0 || nrPages > 0x7fffffff) {
      throw new RangeError(`MemMap: nrPages must be a positive integer below 2^31, got ${nrPages}`);
    }
    this.nrPages = nrPages;
    this.flagsLo = new Uint32Array(nrPages);
    this.flagsHi = new Uint32Array(nrPages);
    this.refcount = new Int32Array(nrPages);
    // mm/mm_init.c __init_single_page: page_mapcount_reset() -> _mapcount = -1 (6.1, 6.12)
    this.mapcount = new Int32Array(nrPages).fill(-1);
    this.mapping = new Uint32Array(nrPages);
    this.index = new Uint32Array(nrPages);
    this.private_ = new Uint32Array(nrPages);
    this.compoundHead = new Uint32Array(nrPages);
    this.lruNext = new Int32Array(nrPages).fill(-1);
    this.lruPrev = new Int32Array(nrPages).fill(-1);
    this.order = new Uint8Array(nrPages);
    this.dtor = new Uint8Array(nrPages);
    this.largeMapcount = new Int32Array(nrPages).fill(-1);
    this.entireMapcount = new Int32Array(nrPages).fill(-1);
    this.nrPagesMapped = new Int32Array(nrPages);
    this.pincount = new Int32Array(nrPages);
    this.pageblockMt = new Uint8Array((nrPages + (1 << PAGEBLOCK_ORDER) - 1) >>> PAGEBLOCK_ORDER);
  }

  /** Bytes held by the typed arrays, for the budget check (<= 64 per page). */
  byteLength(): number {
    let n = 0;
    for (const a of [
      this.flagsLo,
      this.flagsHi,
      this.refcount,
      this.mapcount,
      this.mapping,
      this.index,
      this.private_,
      this.compoundHead,
      this.lruNext,
      this.lruPrev,
      this.order,
      this.dtor,
      this.largeMapcount,
      this.entireMapcount,
      this.nrPagesMapped,
      this.pincount,
      this.pageblockMt,
    ]) {
      n += a.byteLength;
    }
    return n;
  }

  /**
   * pfn_valid(): throws a RangeError naming the function and the pfn. Every page_ref and flag
   * function calls it, so it stays small enough for the JIT to inline it everywhere; the error is
   * built elsewhere.
   */
  check(fn: string, pfn: Pfn): void {
    // pfn >>> 0 === pfn: an integer in [0, 2^32) (not NaN, not fractional, not negative), without
    // the call of Number.isInteger: this is inlined everywhere, its bytecode counts against the
    // JIT's inlining budget of every caller
    if (!(pfn >>> 0 === pfn && pfn < this.nrPages)) throw outsideMemMap(fn, pfn, this.nrPages);
  }

  /** page->flags as a 64-bit value */
  flags(pfn: Pfn): bigint {
    return (BigInt(this.flagsHi[pfn]) << 32n) | BigInt(this.flagsLo[pfn]);
  }

  setFlags(pfn: Pfn, flags: bigint): void {
    this.flagsLo[pfn] = Number(flags & 0xffffffffn);
    this.flagsHi[pfn] = Number((flags >> 32n) & 0xffffffffn);
  }
}

function outsideMemMap(fn: string, pfn: number, nrPages: number): RangeError {
  return new RangeError(`${fn}: pfn ${fmtPfn(pfn)} is outside mem_map [0x0, ${fmtPfn(nrPages)})`);
}

export function fmtPfn(pfn: number): string {
  return Number.isInteger(pfn) && pfn >= 0 ? `0x${pfn.toString(16)}` : String(pfn);
}
