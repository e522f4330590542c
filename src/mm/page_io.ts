/**
 * Swap I/O (mm/page_io.c): swap_writepage and swap_read_folio for the two device kinds of
 * swapfile.ts. A SWP_SYNCHRONOUS_IO device (zram) completes inside the call; a disk's bios complete
 * later, in its interrupt: the model completes them at fixed points, so a run is deterministic —
 * writes when the reclaim pass that started them has put its folios back (swap_io_complete from
 * shrink_inactive_list and reclaim_folio_list), reads when the faulting task waits for the folio's
 * lock (do_swap_page). Completion events run in the current task's context with the hardirq mark.
 * Zero-filled pages (6.12's zeromap) are not detected: every swapped page is written.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { mmcache } from './mm_cache.js';
import { folio_end_writeback, folio_start_writeback } from './page_writeback.js';
import { called, enter, leave } from './stack.js';
import { folio_free_swap, swap_info } from './swapfile.js';

interface PendingIo {
  folio: Pfn;
  write: boolean;
}

const pending = new WeakMap<Kernel, PendingIo[]>();

function pendingOf(k: Kernel): PendingIo[] {
  let p = pending.get(k);
  if (!p) pending.set(k, (p = []));
  return p;
}

/**
 * The end of a swap write: 6.12 __end_swap_bio_write() (mm/page_io.c:30) -> folio_end_writeback;
 * 6.1 end_page_writeback() (mm/folio-compat.c), from end_swap_bio_write or page_endio.
 */
function end_writeback(k: Kernel, folio: Pfn): void {
  const fn =
    k.profile.facts.swap.syncWrite === 'bdev_write_page' ? 'end_page_writeback' : '__end_swap_bio_write';
  called(k, fn, () => folio_end_writeback(k, folio));
}

/** __end_swap_bio_read() (6.12 mm/page_io.c:58): uptodate, unlock; no reference changes */
function end_swap_bio_read(k: Kernel, folio: Pfn): void {
  const f = mmcache(k).f;
  f.folio_mark_uptodate(folio);
  f.__folio_clear_locked(folio);
}

/**
 * The disk's interrupts for every bio submitted so far, in submission order: bio_endio ->
 * end_swap_bio_write / end_swap_bio_read.
 */
export function swap_io_complete(k: Kernel): void {
  const p = pending.get(k);
  if (!p?.length) return;
  const ctx = k.tracer.ctx;
  const irq = ctx.irqInfo;
  ctx.irqInfo = 'd.h..';
  const saved = k.callStack.splice(0);
  try {
    called(k, 'bio_endio', () => {
      for (const io of p.splice(0)) {
        if (io.write) called(k, 'end_swap_bio_write', () => end_writeback(k, io.folio));
        else end_swap_bio_read(k, io.folio);
      }
    });
  } finally {
    ctx.irqInfo = irq;
    k.callStack.push(...saved);
  }
}

/**
 * __swap_writepage() (6.12 mm/page_io.c:452): folio_start_writeback, folio_unlock, then for a
 * SWP_SYNCHRONOUS_IO device swap_writepage_bdev_sync's submit_bio_wait + __end_swap_bio_write; 6.1
 * writes such a device through bdev_write_page -> ->rw_page (zram_rw_page -> page_endio), where
 * writeback ends before the folio is unlocked. A disk's write completes later.
 */
function __swap_writepage(k: Kernel, folio: Pfn): void {
  called(k, '__swap_writepage', () => {
    const si = swap_info(k)!;
    const f = mmcache(k).f;
    if (!si.synchronous) {
      folio_start_writeback(k, folio);
      f.__folio_clear_locked(folio);
      pendingOf(k).push({ folio, write: true });
      return;
    }
    if (k.profile.facts.swap.syncWrite === 'bdev_write_page') {
      called(k, 'bdev_write_page', () => {
        folio_start_writeback(k, folio);
        called(k, 'zram_rw_page', () => called(k, 'page_endio', () => end_writeback(k, folio)));
        f.__folio_clear_locked(folio);
      });
      return;
    }
    const d = enter(k, 'swap_writepage_bdev_sync');
    try {
      folio_start_writeback(k, folio);
      f.__folio_clear_locked(folio);
      end_writeback(k, folio);
    } finally {
      leave(k, d);
    }
  });
}

/**
 * swap_writepage() (6.12 mm/page_io.c:241; 6.1 the same order): a folio no swap PTE refers to any
 * more just leaves the swap cache (folio_free_swap) and is unlocked; otherwise it is written.
 */
export function swap_writepage(k: Kernel, folio: Pfn): void {
  called(k, 'swap_writepage', () => {
    if (folio_free_swap(k, folio)) {
      mmcache(k).f.__folio_clear_locked(folio);
      return;
    }
    __swap_writepage(k, folio);
  });
}

/**
 * swap_read_folio() (6.12 mm/page_io.c:608; 6.1 swap_readpage): a SWP_SYNCHRONOUS_IO device reads
 * at once (uptodate, unlocked); a disk's read is submitted and completes at swap_io_complete().
 */
export function swap_read_folio(k: Kernel, folio: Pfn): void {
  const si = swap_info(k)!;
  if (si.synchronous) end_swap_bio_read(k, folio);
  else pendingOf(k).push({ folio, write: false });
}

/** whether `folio` waits for a read the disk has not completed */
export function swap_read_pending(k: Kernel, folio: Pfn): boolean {
  return pending.get(k)?.some((io) => !io.write && io.folio === folio) ?? false;
}
