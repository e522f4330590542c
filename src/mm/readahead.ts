/**
 * Readahead (mm/readahead.c): the window of an open file (struct file_ra_state), synchronous
 * readahead on a cache miss and asynchronous readahead when a read reaches a PG_readahead folio
 * (6.1 ondemand_readahead() for both; 6.12 page_cache_sync_ra() / page_cache_async_ra(), profile
 * fact `readahead`), page_cache_ra_unbounded() (allocate, filemap_add_folio: set 1, +1 cache,
 * +1 lru batch; PG_readahead on the folio at the mark) and read_pages(): ->readahead drops each
 * allocation reference (-1) and submits the I/O. The folios stay locked and !uptodate until the
 * read completes (read_end_io): when a reader waits for one of them, else by the end of the
 * system call or fault attempt that started it. The real disk is not that regular: in the 6.12
 * migration_blocked trace the next fault still found locked the pages a fault had read ahead, in
 * the 6.1 one they were done by the retry of the fault that started the read.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_put } from '../kernel/mm_ref.js';
import { filemap_add_folio } from './filemap.js';
import { mmcache } from './mm_cache.js';
import type { AddressSpace } from './mm_types.js';
import { MIGRATE_UNMOVABLE, alloc_pages, type AllocOptions } from './page_alloc.js';
import { called } from './stack.js';

/**
 * readahead_gfp_mask(mapping): the only mappings read ahead here are block devices', whose
 * bdev_alloc() sets GFP_USER (6.1 block/bdev.c:504, 6.12 :438): no __GFP_MOVABLE, so their page
 * cache comes from UNMOVABLE pageblocks (as the real traces' /dev/vda pfns, away from the anon and
 * tmpfs pages, show)
 */
export const BDEV_FOLIO: AllocOptions = { comp: true, migratetype: MIGRATE_UNMOVABLE };

/** include/linux/pagemap.h (6.1 :1249, 6.12 :1375): VM_READAHEAD_PAGES = SZ_128K / PAGE_SIZE */
export const VM_READAHEAD_PAGES = 32;

/** struct backing_dev_info's readahead limits */
export interface Bdi {
  /** read_ahead_kb / 4: the initial ra_pages of every file opened on the device */
  readonly raPages: number;
  /** the largest read the device takes in one request, in pages (max_sectors >> 3) */
  readonly ioPages: number;
}

/**
 * The traced QEMU guests' virtio disk: virtblk_probe() leaves max_hw_sectors at UINT_MAX and
 * io_opt at 0 (no opt_io_size), so ra_pages = max(io_opt * 2 / PAGE_SIZE, VM_READAHEAD_PAGES) and
 * io_pages = max_sectors >> 3 with max_sectors capped at 2560 (6.1 block/blk-settings.c:138/:393
 * BLK_DEF_MAX_SECTORS; 6.12 :308/:69 BLK_DEF_MAX_SECTORS_CAP). The real file_mmap traces agree:
 * a 128-page pread() at offset 0 reads 128 pages ahead at once (max_pages = min(128, io_pages)).
 */
export const VIRTIO_BLK_BDI: Bdi = { raPages: VM_READAHEAD_PAGES, ioPages: 2560 >> 3 };

/** tmpfs: noop_backing_dev_info (mm/backing-dev.c), no readahead */
export const NOOP_BDI: Bdi = { raPages: 0, ioPages: 0 };

/**
 * struct file_ra_state (include/linux/fs.h) of the one struct file a scenario opens on a mapping
 * (file_mmap.c's bfd serves both its pread() and its mmap()).
 */
export interface FileRaState {
  start: number;
  size: number;
  asyncSize: number;
  raPages: number;
  mmapMiss: number;
  /** byte position after the previous read(), -1 before the first (file_ra_state_init) */
  prevPos: number;
}

/** file_ra_state_init() (mm/readahead.c): ra_pages from the bdi, prev_pos -1 */
export function file_ra_state_init(bdi: Bdi): FileRaState {
  return { start: 0, size: 0, asyncSize: 0, raPages: bdi.raPages, mmapMiss: 0, prevPos: -1 };
}

/** page_cache_prev_miss() (mm/filemap.c): the first hole at or below index, -1 (ULONG_MAX) past 0 */
function page_cache_prev_miss(mapping: AddressSpace, index: number, maxScan: number): number {
  for (let n = 0; n < maxScan; n++, index--) {
    if (index < 0) return -1;
    if (mapping.pages[index] < 0) return index;
  }
  return index;
}

/** page_cache_next_miss() (mm/filemap.c): the first hole at or above index, 0 on wrap-around */
function page_cache_next_miss(mapping: AddressSpace, index: number, maxScan: number): number {
  for (let n = 0; n < maxScan; n++, index++) {
    if (index >= mapping.pages.length || mapping.pages[index] < 0) return index;
  }
  return index;
}

/** get_init_ra_size(): round up to a power of two; x4 small, x2 medium, else max */
function get_init_ra_size(size: number, max: number): number {
  let n = 1;
  while (n < size) n *= 2;
  if (n <= max / 32) return n * 4;
  if (n <= max / 4) return n * 2;
  return max;
}

/** get_next_ra_size(): ramp the previous window up, x4 while small, x2 up to max / 2 */
function get_next_ra_size(ra: FileRaState, max: number): number {
  const cur = ra.size;
  if (cur < max / 16) return 4 * cur;
  if (cur <= max / 2) return 2 * cur;
  return max;
}

/** a read larger than the window may go up to the device's io_pages (6.12 ractl_max_pages) */
function max_pages_for(mapping: AddressSpace, reqSize: number): number {
  const max = mapping.ra.raPages;
  return reqSize > max && mapping.bdi.ioPages > max ? Math.min(reqSize, mapping.bdi.ioPages) : max;
}

/**
 * page_cache_sync_ra(): a read of reqCount pages from index found nothing cached at index.
 * 6.12 (mm/readahead.c:537) and 6.1 ondemand_readahead(folio = NULL) (:557) differ in the
 * initial async_size and in how a stream is recognised after a random jump.
 */
export function page_cache_sync_ra(k: Kernel, mapping: AddressSpace, index: number, reqCount: number): void {
  called(k, 'page_cache_sync_ra', () => {
    if (k.profile.facts.readahead === 'ondemand_readahead')
      ondemand_readahead(k, mapping, index, -1, reqCount);
    else sync_ra_v6_12(k, mapping, index, reqCount);
  });
}

/**
 * page_cache_async_ra(): a read reached `folio`, marked PG_readahead: the mark is cleared and the
 * next window read (6.12 mm/readahead.c:611; 6.1 :708 -> ondemand_readahead(folio)).
 */
export function page_cache_async_ra(k: Kernel, mapping: AddressSpace, folio: Pfn, reqCount: number): void {
  called(k, 'page_cache_async_ra', () => {
    const f = mmcache(k).f;
    if (!mapping.ra.raPages || f.folio_test_writeback(folio)) return;
    f.folio_clear_readahead(folio);
    const index = k.mem.index[folio];
    if (k.profile.facts.readahead === 'ondemand_readahead')
      ondemand_readahead(k, mapping, index, folio, reqCount);
    else async_ra_v6_12(k, mapping, index, reqCount);
  });
}

function sync_ra_v6_12(k: Kernel, mapping: AddressSpace, index: number, reqCount: number): void {
  const ra = mapping.ra;
  const max = max_pages_for(mapping, reqCount);
  const prevIndex = Math.floor(ra.prevPos / 4096);
  // start of file, oversized read, or sequential cache miss (prev_pos -1 is never sequential)
  if (!index || reqCount > max || (ra.prevPos >= 0 && index - prevIndex <= 1)) {
    ra.start = index;
    ra.size = get_init_ra_size(reqCount, max);
    ra.asyncSize = ra.size > reqCount ? ra.size - reqCount : ra.size >> 1;
    page_cache_ra_order(k, mapping, ra.start);
    return;
  }
  const miss = page_cache_prev_miss(mapping, index - 1, max);
  let contig = index - miss - 1;
  if (contig <= reqCount) {
    do_page_cache_ra(k, mapping, index, reqCount, 0); // a small random read: ra state untouched
    return;
  }
  if (miss === -1) contig *= 2; // cached from the start of the file
  ra.start = index;
  ra.size = Math.min(contig + reqCount, max);
  ra.asyncSize = 1;
  page_cache_ra_order(k, mapping, ra.start);
}

function async_ra_v6_12(k: Kernel, mapping: AddressSpace, index: number, reqCount: number): void {
  const ra = mapping.ra;
  const max = max_pages_for(mapping, reqCount);
  // order-0 folios: round_down(start + size - async_size, 1 << 0)
  if (index === ra.start + ra.size - ra.asyncSize) {
    ra.start += ra.size;
    ra.size = Math.max(ra.size, get_next_ra_size(ra, max));
    ra.asyncSize = ra.size;
    page_cache_ra_order(k, mapping, ra.start);
    return;
  }
  if (!marked_without_state(mapping, index, reqCount, max)) return;
  page_cache_ra_order(k, mapping, ra.start);
}

/**
 * A PG_readahead folio the window does not expect (interleaved streams): the cached run after it
 * stands for the old async_size; false if there is none within max pages.
 */
function marked_without_state(mapping: AddressSpace, index: number, reqCount: number, max: number): boolean {
  const ra = mapping.ra;
  const start = page_cache_next_miss(mapping, index + 1, max);
  if (!start || start - index > max) return false;
  ra.start = start;
  ra.size = start - index + reqCount;
  ra.size = get_next_ra_size(ra, max);
  ra.asyncSize = ra.size;
  return true;
}

/** 6.1 ondemand_readahead() (mm/readahead.c:557); folio < 0 for a synchronous miss */
function ondemand_readahead(
  k: Kernel,
  mapping: AddressSpace,
  index: number,
  folio: Pfn,
  reqSize: number,
): void {
  const ra = mapping.ra;
  const max = max_pages_for(mapping, reqSize);
  const initial = () => {
    ra.start = index;
    ra.size = get_init_ra_size(reqSize, max);
    ra.asyncSize = ra.size > reqSize ? ra.size - reqSize : ra.size;
  };
  if (!index) initial();
  else if (index === ra.start + ra.size - ra.asyncSize || index === ra.start + ra.size) {
    ra.start += ra.size;
    ra.size = Math.max(ra.size, get_next_ra_size(ra, max));
    ra.asyncSize = ra.size;
  } else if (folio >= 0) {
    if (!marked_without_state(mapping, index, reqSize, max)) return;
  } else if (reqSize > max || (ra.prevPos >= 0 && index - Math.floor(ra.prevPos / 4096) <= 1)) initial();
  else if (!try_context_readahead(mapping, index, reqSize, max)) {
    do_page_cache_ra(k, mapping, index, reqSize, 0);
    return;
  }
  // readit: a window whose marker this read would hit at once is merged with the next one
  if (index === ra.start && ra.size === ra.asyncSize) {
    const add = get_next_ra_size(ra, max);
    if (ra.size + add <= max) {
      ra.asyncSize = add;
      ra.size += add;
    } else {
      ra.size = max;
      ra.asyncSize = max >> 1;
    }
  }
  page_cache_ra_order(k, mapping, ra.start);
}

/** 6.1 try_context_readahead() + count_history_pages(): a stream that left cached history */
function try_context_readahead(mapping: AddressSpace, index: number, reqSize: number, max: number): boolean {
  const ra = mapping.ra;
  let size = index - 1 - page_cache_prev_miss(mapping, index - 1, max);
  if (size <= reqSize) return false;
  if (size >= index) size *= 2;
  ra.start = index;
  ra.size = Math.min(size + reqSize, max);
  ra.asyncSize = 1;
  return true;
}

/**
 * page_cache_ra_order() (6.1 mm/readahead.c:487, 6.12 :452): a mapping without large folio
 * support falls back to do_page_cache_ra(ra->size, ra->async_size). The block device's is such a
 * mapping in 6.1 and 6.12 (block/bdev.c sets no folio order), and the real traces show order-0
 * folios allocated by page_cache_ra_unbounded, so only the fallback is modelled.
 */
export function page_cache_ra_order(k: Kernel, mapping: AddressSpace, index: number): void {
  do_page_cache_ra(k, mapping, index, mapping.ra.size, mapping.ra.asyncSize);
}

/** do_page_cache_ra() (mm/readahead.c): not past the page holding the file's last byte */
function do_page_cache_ra(
  k: Kernel,
  mapping: AddressSpace,
  index: number,
  nr: number,
  lookahead: number,
): void {
  const end = mapping.pages.length - 1;
  if (end < 0 || index > end) return;
  page_cache_ra_unbounded(k, mapping, index, Math.min(nr, end - index + 1), lookahead);
}

/**
 * page_cache_ra_unbounded() (6.12 mm/readahead.c:205; 6.1 :206): allocate and insert each missing
 * page of [index, index + nr) (filemap_alloc_folio set 1, filemap_add_folio +1 +1), PG_readahead on
 * the one at nr - lookahead (after its insertion); a page already cached ends the batch: read_pages
 * for what was gathered, then go on after it.
 */
function page_cache_ra_unbounded(
  k: Kernel,
  mapping: AddressSpace,
  index: number,
  nr: number,
  lookahead: number,
): void {
  called(k, 'page_cache_ra_unbounded', () => {
    const f = mmcache(k).f;
    const mark = nr - lookahead;
    let batch: Pfn[] = [];
    for (let i = 0; i < nr; i++) {
      if (mapping.pages[index + i] >= 0) {
        read_pages(k, mapping, batch);
        batch = [];
        continue;
      }
      const folio = called(k, 'filemap_alloc_folio', () => alloc_pages(k, 0, BDEV_FOLIO));
      filemap_add_folio(k, mapping, folio, index + i);
      if (i === mark) f.folio_set_readahead(folio);
      batch.push(folio);
    }
    read_pages(k, mapping, batch);
  });
}

/**
 * read_pages() -> the block device's ->readahead (mm/readahead.c): readahead_folio() drops the
 * allocation reference of each folio (-1) as the bio is built; mpage_readahead (6.1; 6.12 with
 * CONFIG_BUFFER_HEAD) then sets PG_mappedtodisk, iomap_readahead (6.12 otherwise) nothing. The
 * folios stay locked, waiting for the read to complete.
 */
function read_pages(k: Kernel, mapping: AddressSpace, folios: Pfn[]): void {
  if (!folios.length) return;
  called(k, 'read_pages', () => {
    const m = k.profile.facts.blkdevMpageReadahead;
    const mpage = m === 'always' || k.profile.config.isEnabled(m);
    called(k, mpage ? 'mpage_readahead' : 'iomap_readahead', () => {
      for (const folio of folios) {
        folio_put(k, folio);
        if (mpage) k.mem.flagsLo[folio] |= mmcache(k).anonExclusive; // PG_mappedtodisk
      }
    });
    mmcache(k).readsInFlight.push(folios);
  });
}

/**
 * The disk completes reads (virtblk_done -> blk_mq_end_request -> bio_endio -> mpage_end_io /
 * iomap_read_end_io -> folio_end_read: PG_uptodate, unlock, wake the waiters): all reads
 * submitted before the one holding `upTo` and that one, or every read when `upTo` < 0.
 */
export function read_end_io(k: Kernel, upTo: Pfn = -1): void {
  const c = mmcache(k);
  const f = c.f;
  while (c.readsInFlight.length) {
    const folios = c.readsInFlight.shift()!;
    for (const folio of folios) {
      f.folio_mark_uptodate(folio);
      f.folio_clear_waiters(folio);
      f.__folio_clear_locked(folio);
    }
    if (folios.includes(upTo)) return;
  }
}

/** the folio is locked by a read still in flight */
export function folio_read_in_flight(k: Kernel, folio: Pfn): boolean {
  return mmcache(k).readsInFlight.some((b) => b.includes(folio));
}
