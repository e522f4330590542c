/**
 * One swap device (mm/swapfile.c, mm/swap_slots.c): its swap_map (per slot: the count of swap
 * PTEs and SWAP_HAS_CACHE), the per-CPU slot caches that hand out and take back slots in batches
 * of SWAP_BATCH, nr_swap_pages (what vm_swap_full() reads) and the swap-entry operations the
 * reclaim, fault and unmap paths call: folio_alloc_swap, swap_duplicate, swapcache_prepare,
 * swap_free_nr, put_swap_folio, folio_free_swap, free_swap_and_cache_nr.
 *
 * Slots are handed out in ascending order from a cursor, not by 6.12's cluster allocator
 * (cluster_alloc_swap_entry): which offset a folio gets appears in no page_ref event. The device
 * kind decides the I/O (mm/page_io.c): a zram-like device is SWP_SYNCHRONOUS_IO, a disk (an SSD:
 * SWP_SOLIDSTATE, so VMA-based readahead) completes its bios later. Rotating disks, swap count
 * continuations (more than SWAP_MAP_MAX PTEs per slot) and reclaiming swap cache from a full
 * device while allocating (scan_swap_map_slots' __try_to_reclaim_swap) are not modelled.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_mapped } from '../kernel/folio.js';
import { folio_put } from '../kernel/mm_ref.js';
import { folio_ref_sub, folio_try_get } from '../kernel/page_ref.js';
import { mmcache } from './mm_cache.js';
import { called } from './stack.js';
import { NotModelled } from './not_modelled.js';

/** include/linux/swap.h */
const SWAP_HAS_CACHE = 0x40;
const SWAP_MAP_MAX = 0x3e;
/** include/linux/swap.h SWAP_BATCH = SWAP_SLOTS_CACHE_SIZE (include/linux/swap_slots.h) */
const SWAP_BATCH = 64;
const THRESHOLD_ACTIVATE_SWAP_SLOTS_CACHE = 5 * SWAP_BATCH;
const THRESHOLD_DEACTIVATE_SWAP_SLOTS_CACHE = 2 * SWAP_BATCH;

export type SwapDeviceKind = 'ssd' | 'zram';

export interface SwapDeviceOptions {
  /** size in pages, the swap header's page included */
  pages: number;
  kind: SwapDeviceKind;
}

interface SlotCache {
  /** cache->slots[cur..]: slots taken from the device, not yet handed out */
  slots: number[];
  /** cache->slots_ret: freed slots not yet given back (swap_map still SWAP_HAS_CACHE) */
  ret: number[];
}

/** struct swap_info_struct, reduced to what the page counts depend on */
export class SwapInfo {
  /** si->max: pages of the device; slot 0 is the swap header */
  readonly max: number;
  readonly swapMap: Uint8Array;
  /** the swap cache (swapper_spaces[type]'s xarray): slot -> folio, -1 = none */
  readonly cache: Int32Array;
  /** SWP_SYNCHRONOUS_IO (zram, brd, pmem: bdev_synchronous) */
  readonly synchronous: boolean;
  /** total_swap_pages and nr_swap_pages (include/linux/swap.h) */
  readonly totalSwapPages: number;
  nrSwapPages: number;
  /** si->cluster_next: where the next scan for a free slot starts */
  private next = 1;
  private cacheActive = false;
  private readonly slotCaches: SlotCache[] = [];

  constructor(
    readonly kind: SwapDeviceKind,
    pages: number,
    nrCpus: number,
  ) {
    if (!Number.isInteger(pages) || pages < 2)
      throw new RangeError(`swap device: needs at least 2 pages (header + one slot), got ${pages}`);
    this.max = pages;
    this.swapMap = new Uint8Array(pages);
    this.cache = new Int32Array(pages).fill(-1);
    this.synchronous = kind === 'zram';
    this.totalSwapPages = this.nrSwapPages = pages - 1;
    for (let c = 0; c < nrCpus; c++) this.slotCaches.push({ slots: [], ret: [] });
  }

  /** get_swap_pages() -> scan_swap_map_slots(SWAP_HAS_CACHE): up to n free slots, ascending */
  get_swap_pages(n: number): number[] {
    const goal = Math.min(n, SWAP_BATCH, this.nrSwapPages);
    const out: number[] = [];
    for (let tried = 0; out.length < goal && tried < this.max - 1; tried++) {
      const off = this.next;
      this.next = off + 1 >= this.max ? 1 : off + 1;
      if (this.swapMap[off] !== 0) continue;
      this.swapMap[off] = SWAP_HAS_CACHE;
      out.push(off);
    }
    this.nrSwapPages -= out.length;
    return out;
  }

  /** check_cache_active() (mm/swap_slots.c): on above 5 batches per CPU, off below 2 */
  private check_cache_active(): boolean {
    const cpus = this.slotCaches.length;
    if (!this.cacheActive) {
      if (this.nrSwapPages > cpus * THRESHOLD_ACTIVATE_SWAP_SLOTS_CACHE) this.cacheActive = true;
    } else if (this.nrSwapPages < cpus * THRESHOLD_DEACTIVATE_SWAP_SLOTS_CACHE) {
      // deactivate_swap_slots_cache() -> drain_slots_cache_cpu() on every CPU
      for (const c of this.slotCaches) {
        this.swapcache_free_entries(c.slots.splice(0));
        this.swapcache_free_entries(c.ret.splice(0));
      }
      this.cacheActive = false;
    }
    return this.cacheActive;
  }

  /** folio_alloc_swap() (mm/swap_slots.c) for an order-0 folio: this CPU's slot cache, refilled by the batch */
  folio_alloc_swap(cpu: number): number {
    const c = this.slotCaches[cpu];
    if (this.check_cache_active()) {
      if (!c.slots.length) c.slots = this.get_swap_pages(SWAP_BATCH);
      const off = c.slots.shift();
      if (off !== undefined) return off;
    }
    return this.get_swap_pages(1)[0] ?? 0;
  }

  /** free_swap_slot() (mm/swap_slots.c): into this CPU's return cache, flushed when it holds a batch */
  private free_swap_slot(cpu: number, off: number): void {
    const c = this.slotCaches[cpu];
    if (!this.cacheActive) {
      this.swapcache_free_entries([off]);
      return;
    }
    if (c.ret.length >= SWAP_BATCH) this.swapcache_free_entries(c.ret.splice(0));
    c.ret.push(off);
  }

  /** swapcache_free_entries() -> swap_entry_range_free(): slots free again, nr_swap_pages up */
  private swapcache_free_entries(offs: readonly number[]): void {
    for (const off of offs) this.swapMap[off] = 0;
    this.nrSwapPages += offs.length;
  }

  /** __swap_entry_free_locked(): drop one PTE count (usage 1) or the cache flag; the slot is freed at 0 */
  __swap_entry_free(cpu: number, off: number, cache: boolean): number {
    const old = this.swapMap[off];
    let count = old & ~SWAP_HAS_CACHE;
    let has = old & SWAP_HAS_CACHE;
    if (cache) has = 0;
    else count--;
    const usage = count | has;
    this.swapMap[off] = usage || SWAP_HAS_CACHE;
    if (!usage) this.free_swap_slot(cpu, off);
    return usage;
  }

  /** __swap_duplicate(): +1 PTE count, or SWAP_HAS_CACHE (-EEXIST if set, -ENOENT on a free slot) */
  __swap_duplicate(off: number, cache: boolean): 0 | 'ENOENT' | 'EEXIST' {
    const v = this.swapMap[off];
    const count = v & ~SWAP_HAS_CACHE;
    const has = v & SWAP_HAS_CACHE;
    if (!count && !has) return 'ENOENT';
    if (cache) {
      if (has) return 'EEXIST';
      this.swapMap[off] = v | SWAP_HAS_CACHE;
      return 0;
    }
    if (count >= SWAP_MAP_MAX)
      throw new NotModelled(
        `swap slot ${off}: more than ${SWAP_MAP_MAX} swap PTEs (count continuations are not modelled)`,
      );
    this.swapMap[off] = v + 1;
    return 0;
  }

  /** __swap_count() / swap_swapcount(): the slot's PTE count */
  swap_count(off: number): number {
    return this.swapMap[off] & ~SWAP_HAS_CACHE;
  }

  /** swap_is_has_cache(): only the swap cache holds the slot */
  swap_is_has_cache(off: number): boolean {
    return this.swapMap[off] === SWAP_HAS_CACHE;
  }
}

const devices = new WeakMap<Kernel, SwapInfo>();

/** swapon(): the machine's one swap device */
export function swapon(k: Kernel, opts: SwapDeviceOptions, nrCpus: number): SwapInfo {
  if (devices.has(k)) throw new Error('swapon: the model has one swap device');
  const si = new SwapInfo(opts.kind, opts.pages, nrCpus);
  devices.set(k, si);
  return si;
}

/** the swap device, or undefined when none was configured (total_swap_pages == 0) */
export function swap_info(k: Kernel): SwapInfo | undefined {
  return devices.get(k);
}

function swapInfoOrThrow(k: Kernel, fn: string): SwapInfo {
  const si = devices.get(k);
  if (!si) throw new Error(`${fn}: no swap device`);
  return si;
}

/** folio->swap: the swap slot of a swap-cache folio (6.12 folio->swap, 6.1 page_private) */
export function folio_swap_offset(k: Kernel, folio: Pfn): number {
  return k.mem.private_[folio];
}

/** vm_swap_full() (include/linux/swap.h): less than half of the swap space left */
export function vm_swap_full(k: Kernel): boolean {
  const si = devices.get(k);
  return si !== undefined && si.nrSwapPages * 2 < si.totalSwapPages;
}

/**
 * mem_cgroup_swap_full() (6.12 mm/memcontrol.c:5140, 6.1 :7522): vm_swap_full(), then the limits of
 * the folio's non-root memcgs; the model's tasks run in the root memcg.
 */
export function mem_cgroup_swap_full(k: Kernel): boolean {
  return vm_swap_full(k);
}

/** folio_alloc_swap() for an order-0 folio: a slot (SWAP_HAS_CACHE set), or 0 when the device is full or absent */
export function folio_alloc_swap(k: Kernel): number {
  const si = devices.get(k);
  return si ? si.folio_alloc_swap(k.tracer.ctx.cpu) : 0;
}

/** swap_duplicate() (6.12 mm/swapfile.c:3751): one more PTE holds the slot (try_to_unmap_one, fork) */
export function swap_duplicate(k: Kernel, off: number): boolean {
  return swapInfoOrThrow(k, 'swap_duplicate').__swap_duplicate(off, false) === 0;
}

/** swapcache_prepare() (:3768): claim SWAP_HAS_CACHE before adding a new folio for the slot */
export function swapcache_prepare(k: Kernel, off: number): 0 | 'ENOENT' | 'EEXIST' {
  return swapInfoOrThrow(k, 'swapcache_prepare').__swap_duplicate(off, true);
}

/** swapcache_clear() (:3773): drop the SWAP_HAS_CACHE a swapin that skipped the swap cache held */
export function swapcache_clear(k: Kernel, off: number): void {
  swapInfoOrThrow(k, 'swapcache_clear').__swap_entry_free(k.tracer.ctx.cpu, off, true);
}

/** swap_free_nr(entry, 1) (:1631): a swap PTE is gone (mapped again, or zapped) */
export function swap_free(k: Kernel, off: number): number {
  return swapInfoOrThrow(k, 'swap_free_nr').__swap_entry_free(k.tracer.ctx.cpu, off, false);
}

/** put_swap_folio() (:1652): the swap cache no longer holds the slot */
export function put_swap_folio(k: Kernel, off: number): void {
  swapInfoOrThrow(k, 'put_swap_folio').__swap_entry_free(k.tracer.ctx.cpu, off, true);
}

/** __swap_count() (:1718) */
export function __swap_count(k: Kernel, off: number): number {
  return swapInfoOrThrow(k, '__swap_count').swap_count(off);
}

/**
 * __delete_from_swap_cache() (6.12 mm/swap_state.c:139): the slot's cache entry cleared,
 * folio->swap = 0, PG_swapcache cleared; no reference change (the callers drop the cache's
 * references: delete_from_swap_cache folio_ref_sub, __remove_mapping by its freeze).
 */
export function __delete_from_swap_cache(k: Kernel, folio: Pfn, off: number): void {
  const si = swapInfoOrThrow(k, '__delete_from_swap_cache');
  if (si.cache[off] !== folio)
    throw new Error(`__delete_from_swap_cache: slot ${off} does not hold pfn 0x${folio.toString(16)}`);
  si.cache[off] = -1;
  k.mem.private_[folio] = 0;
  mmcache(k).f.folio_clear_swapcache(folio);
}

/**
 * delete_from_swap_cache() (6.12 mm/swap_state.c:237): __delete_from_swap_cache, put_swap_folio,
 * then folio_ref_sub(folio, nr): page_ref_mod val=-1 for an order-0 folio.
 */
export function delete_from_swap_cache(k: Kernel, folio: Pfn): void {
  called(k, 'delete_from_swap_cache', () => {
    const off = folio_swap_offset(k, folio);
    __delete_from_swap_cache(k, folio, off);
    put_swap_folio(k, off);
    folio_ref_sub(k, folio, 1);
  });
}

/** folio_swapped() (6.12 mm/swapfile.c:1817): a swap PTE still refers to the folio's slot */
function folio_swapped(k: Kernel, folio: Pfn): boolean {
  return __swap_count(k, folio_swap_offset(k, folio)) !== 0;
}

/** folio_swapcache_freeable() (:1831): in the swap cache and not under writeback */
function folio_swapcache_freeable(k: Kernel, folio: Pfn): boolean {
  const f = mmcache(k).f;
  return f.folio_test_swapcache(folio) && !f.folio_test_writeback(folio);
}

/**
 * folio_free_swap() (6.12 mm/swapfile.c:1870, 6.1 the same): a locked swap-cache folio no swap PTE
 * refers to leaves the swap cache (delete_from_swap_cache: -1) and is marked dirty again.
 */
export function folio_free_swap(k: Kernel, folio: Pfn): boolean {
  return called(k, 'folio_free_swap', () => {
    if (!folio_swapcache_freeable(k, folio) || folio_swapped(k, folio)) return false;
    delete_from_swap_cache(k, folio);
    mmcache(k).f.folio_set_dirty(folio);
    return true;
  });
}

/** TTRS_* reasons of __try_to_reclaim_swap() */
const TTRS_UNMAPPED = 2;
const TTRS_FULL = 4;

/**
 * __try_to_reclaim_swap() (6.12 mm/swapfile.c:183; 6.1 :131): filemap_get_folio of the slot
 * (try_get +1), folio_trylock, and if it is unmapped (or swap is full): 6.12 checks it is freeable
 * and only the cache holds the slot, then delete_from_swap_cache (-1) and folio_set_dirty; 6.1
 * calls folio_free_swap, which does the same. Unlock, folio_put (-1: frees a folio nothing else
 * holds).
 */
function __try_to_reclaim_swap(k: Kernel, si: SwapInfo, off: number, flags: number): void {
  called(k, '__try_to_reclaim_swap', () => {
    const folio = swap_cache_filemap_get_folio(k, si, off);
    if (folio < 0) return;
    const f = mmcache(k).f;
    if (!f.folio_test_locked(folio)) {
      f.__folio_set_locked(folio);
      const need =
        (flags & TTRS_UNMAPPED && !folio_mapped(k, folio)) || (flags & TTRS_FULL && mem_cgroup_swap_full(k));
      if (need && k.profile.facts.swap.tryToReclaimSwap === 'folio_free_swap') folio_free_swap(k, folio);
      else if (need && folio_swapcache_freeable(k, folio) && si.swap_is_has_cache(off)) {
        delete_from_swap_cache(k, folio);
        f.folio_set_dirty(folio);
      }
      f.__folio_clear_locked(folio);
    }
    called(k, 'folio_put', () => folio_put(k, folio));
  });
}

/**
 * free_swap_and_cache_nr(entry, 1) (6.12 mm/swapfile.c:1892): a zapped swap PTE drops its count;
 * a slot left to the swap cache alone is reclaimed with its folio (__try_to_reclaim_swap).
 */
export function free_swap_and_cache(k: Kernel, off: number): void {
  called(k, 'free_swap_and_cache_nr', () => {
    const si = swapInfoOrThrow(k, 'free_swap_and_cache_nr');
    if (si.__swap_entry_free(k.tracer.ctx.cpu, off, false) === SWAP_HAS_CACHE)
      __try_to_reclaim_swap(k, si, off, TTRS_UNMAPPED | TTRS_FULL);
  });
}

/**
 * filemap_get_folio(swap_address_space(entry), swap_cache_index(entry)): the swap cache's folio of
 * the slot with a speculative reference (folio_try_get: page_ref_mod_unless +1), or -1. The frames
 * are 6.12's __filemap_get_folio -> filemap_get_entry -> folio_try_get (6.1: mapping_get_entry
 * inlined, folio_try_get_rcu), from the profile's stackFrames.
 */
export function swap_cache_filemap_get_folio(k: Kernel, si: SwapInfo, off: number): Pfn {
  const folio = si.cache[off];
  if (folio < 0) return -1;
  return called(k, '__filemap_get_folio', () =>
    called(k, 'mapping_get_entry', () =>
      called(k, 'folio_try_get', () => (folio_try_get(k, folio) ? folio : -1)),
    ),
  );
}
