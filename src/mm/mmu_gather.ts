/**
 * mm/mmu_gather.c: zapped pages are queued with their reference still held and put in batches at
 * the TLB flush: free_pages_and_swap_cache() (mm/swap_state.c) drains this CPU's lru_add batch
 * (6.1, 6.12), frees the swap of unmapped swap-cache folios (free_swap_cache) and puts the
 * references with release_pages() (6.1: val -1 per entry) or
 * folios_put_refs() (6.12+: val -nr per entry) — from the profile's mmuGatherFree. An entry may
 * carry a delayed rmap removal (6.12 ENCODED_PAGE_BIT_DELAY_RMAP), done by tlb_flush_rmaps().
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_put_refs, folio_put } from '../kernel/mm_ref.js';
import { folio_remove_rmap_ptes } from './rmap.js';
import { called } from './stack.js';
import { lru_add_drain } from './swap.js';
import { free_swap_cache } from './swap_state.js';
import { swap_info } from './swapfile.js';

/** 8 entries on the stack bundle, then up to MAX_GATHER_BATCH_COUNT (10000 / 510) batches of 510 */
const GATHER_CAPACITY = 8 + 19 * 510;
/**
 * tlb_next_batch() refuses a second batch page while rmaps are delayed: the bundle is left at 7
 * entries (nr >= max - 1), the first page at 509, so a zap must flush at 516 entries
 */
const DELAYED_RMAP_CAPACITY = 7 + 509;
/** __tlb_batch_free_encoded_pages() frees in chunks of at most MAX_NR_FOLIOS_PER_FREE (512) */
const MAX_NR_FOLIOS_PER_FREE = 512;

export class MmuGather {
  readonly folios = new Int32Array(GATHER_CAPACITY);
  readonly refs = new Int32Array(GATHER_CAPACITY);
  /** the first page of a delayed rmap removal, or -1 */
  readonly delayedRmap = new Int32Array(GATHER_CAPACITY);
  nr = 0;
  /** tlb->delayed_rmap */
  delayed = false;
  constructor(readonly fullmm: boolean) {}
}

export function tlb_gather_mmu(fullmm: boolean): MmuGather {
  return new MmuGather(fullmm);
}

/**
 * __tlb_remove_folio_pages(): queue (folio, nr), with `delayRmap` the first of its pages whose rmap
 * removal waits for tlb_flush_rmaps (or -1); a full gather flushes first. Returns true when the
 * caller must flush before queueing more (force_break: delayed rmaps and no room).
 */
export function __tlb_remove_folio_pages(
  k: Kernel,
  tlb: MmuGather,
  folio: Pfn,
  nr: number,
  delayRmap = -1,
): boolean {
  if (tlb.nr === GATHER_CAPACITY) tlb_flush_mmu(k, tlb);
  tlb.folios[tlb.nr] = folio;
  tlb.delayedRmap[tlb.nr] = delayRmap;
  tlb.refs[tlb.nr++] = nr;
  if (delayRmap >= 0) tlb.delayed = true;
  return tlb.delayed && tlb.nr >= DELAYED_RMAP_CAPACITY;
}

/** tlb_flush_rmaps() (6.12 mm/mmu_gather.c): the delayed folio_remove_rmap_ptes of queued entries */
export function tlb_flush_rmaps(k: Kernel, tlb: MmuGather): void {
  if (!tlb.delayed) return;
  for (let i = 0; i < tlb.nr; i++) {
    const page = tlb.delayedRmap[i];
    if (page < 0) continue;
    folio_remove_rmap_ptes(k, tlb.folios[i], page, tlb.refs[i]);
    tlb.delayedRmap[i] = -1;
  }
  tlb.delayed = false;
}

/** tlb_flush_mmu() -> tlb_batch_pages_flush() -> free_pages_and_swap_cache() per chunk */
export function tlb_flush_mmu(k: Kernel, tlb: MmuGather): void {
  called(k, 'tlb_flush_mmu', () => {
    for (let i = 0; i < tlb.nr; i += MAX_NR_FOLIOS_PER_FREE) {
      free_pages_and_swap_cache(k, tlb, i, Math.min(tlb.nr, i + MAX_NR_FOLIOS_PER_FREE));
    }
    tlb.nr = 0;
  });
}

function free_pages_and_swap_cache(k: Kernel, tlb: MmuGather, from: number, to: number): void {
  called(k, 'free_pages_and_swap_cache', () => {
    const how = k.profile.facts.mmuGatherFree;
    if (how.drains) lru_add_drain(k);
    // only a swap device puts folios in the swap cache
    if (swap_info(k)) for (let i = from; i < to; i++) free_swap_cache(k, tlb.folios[i]);
    if (how.put === 'folios_put_refs') {
      called(k, 'folios_put_refs', () => {
        for (let i = from; i < to; i++) folio_put_refs(k, tlb.folios[i], tlb.refs[i]);
      });
    } else {
      called(k, 'release_pages', () => {
        for (let i = from; i < to; i++) for (let r = 0; r < tlb.refs[i]; r++) folio_put(k, tlb.folios[i]);
      });
    }
  });
}

/** tlb_finish_mmu(): the final flush */
export function tlb_finish_mmu(k: Kernel, tlb: MmuGather): void {
  called(k, 'tlb_finish_mmu', () => tlb_flush_mmu(k, tlb));
}
