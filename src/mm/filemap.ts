/**
 * The page cache (mm/filemap.c, mm/shmem.c, mm/truncate.c): inserting folios (__filemap_add_folio:
 * folio_ref_add(nr) while mapping is still NULL, then folio_add_lru), speculative lookups
 * (folio_try_get = page_ref_mod_unless), read() in folio batches with readahead (mm/readahead.c),
 * file faults (fault-around, filemap_fault with mmap readahead and VM_FAULT_RETRY), shmem faults,
 * and invalidation for drop_caches (find_lock_entries -> mapping_evict_folio -> remove_mapping:
 * freeze 1+nr, unfreeze 1, then the batch put frees the folio; a folio it cannot drop is
 * deactivated).
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_put } from '../kernel/mm_ref.js';
import {
  folio_ref_add,
  folio_ref_count,
  folio_ref_freeze,
  folio_ref_inc,
  folio_ref_unfreeze,
  folio_try_get,
} from '../kernel/page_ref.js';
import { Pte, type AddressSpace, type Vma, PTRS_PER_PTE } from './mm_types.js';
import { alloc_pages, folio_alloc } from './page_alloc.js';
import { mmcache } from './mm_cache.js';
import { NotModelled } from './not_modelled.js';
import { called } from './stack.js';
import { HPAGE_PMD_NR } from './huge_memory.js';
import {
  BDEV_FOLIO,
  file_ra_state_init,
  folio_read_in_flight,
  NOOP_BDI,
  page_cache_async_ra,
  page_cache_ra_order,
  page_cache_sync_ra,
  read_end_io,
  VIRTIO_BLK_BDI,
} from './readahead.js';
import {
  deactivate_file_folio,
  folio_add_lru,
  folio_batch_release,
  folio_mark_accessed,
  lru_add_drain_all,
} from './swap.js';

/** mm/memory.c fault_around_bytes (64 KiB): the window filemap_map_pages() fills */
const FAULT_AROUND_PAGES = 16;

const addressSpaces = new WeakMap<Kernel, Map<number, AddressSpace>>();

/**
 * A new inode's address_space: shmem_aops (tmpfs) or def_blk_aops (a block device, the traced
 * guests' virtio disk), with the ra state of the file the scenario opens on it
 */
export function address_space_alloc(
  k: Kernel,
  name: string,
  kind: AddressSpace['kind'],
  nrPages: number,
): AddressSpace {
  const id = k.allocMappingId();
  k.mappingInfo.set(id, { aops: kind === 'shmem' ? 'shmem_aops' : 'def_blk_aops', ino: id, name });
  const bdi = kind === 'shmem' ? NOOP_BDI : VIRTIO_BLK_BDI;
  const mapping: AddressSpace = {
    id,
    name,
    kind,
    pages: new Int32Array(nrPages).fill(-1),
    bdi,
    ra: file_ra_state_init(bdi),
  };
  let all = addressSpaces.get(k);
  if (!all) addressSpaces.set(k, (all = new Map()));
  all.set(id, mapping);
  return mapping;
}

/** folio_mapping() of a page-cache folio: the address_space its mapping field points to, if any */
export function folio_address_space(k: Kernel, folio: Pfn): AddressSpace | undefined {
  return addressSpaces.get(k)?.get(k.mem.mapping[folio]);
}

/**
 * __filemap_add_folio() (6.12 mm/filemap.c:842; 6.1 :843): PG_locked already set by the caller,
 * folio_ref_add(nr) (traced with mapping NULL), then mapping and index, then the xarray store.
 */
function __filemap_add_folio(k: Kernel, mapping: AddressSpace, folio: Pfn, index: number): void {
  called(k, '__filemap_add_folio', () => {
    folio_ref_add(k, folio, 1);
    k.mem.mapping[folio] = mapping.id;
    k.mem.index[folio] = index;
    mapping.pages[index] = folio;
  });
}

/** filemap_add_folio() (6.12 mm/filemap.c:952): __folio_set_locked, __filemap_add_folio, folio_add_lru */
export function filemap_add_folio(k: Kernel, mapping: AddressSpace, folio: Pfn, index: number): void {
  called(k, 'filemap_add_folio', () => {
    mmcache(k).f.__folio_set_locked(folio);
    __filemap_add_folio(k, mapping, folio, index);
    folio_add_lru(k, folio);
  });
}

/** filemap_get_entry() (6.12 mm/filemap.c:1826): xas_load + folio_try_get (mod_unless +1), or -1 */
export function filemap_get_entry(k: Kernel, mapping: AddressSpace, index: number): Pfn {
  const folio = mapping.pages[index];
  if (folio < 0) return -1;
  return called(k, 'filemap_get_entry', () =>
    called(k, 'folio_try_get', () => folio_try_get(k, folio)) ? folio : -1,
  );
}

/**
 * filemap_get_read_batch() (6.12 mm/filemap.c:2325; 6.1 :2437): folio_try_get (+1) each cached
 * folio from index to max, until a hole, a full batch (PAGEVEC_SIZE), or after a folio that is
 * not uptodate or is marked PG_readahead.
 */
function filemap_get_read_batch(k: Kernel, mapping: AddressSpace, index: number, max: number): Pfn[] {
  return called(k, 'filemap_get_read_batch', () => {
    const f = mmcache(k).f;
    const batch: Pfn[] = [];
    for (let i = index; i <= max && i < mapping.pages.length; i++) {
      const folio = mapping.pages[i];
      if (folio < 0) break;
      if (!called(k, 'folio_try_get', () => folio_try_get(k, folio))) break;
      batch.push(folio);
      if (batch.length === k.profile.facts.folioBatchSize) break;
      if (!f.folio_test_uptodate(folio) || f.folio_test_readahead(folio)) break;
    }
    return batch;
  });
}

/**
 * filemap_get_pages() (6.12 mm/filemap.c:2527; 6.1 :2636) for a read of pages [index, end): the
 * cached batch, or a synchronous readahead first; the batch's last folio PG_readahead -> async
 * readahead (filemap_readahead); not uptodate (its read still in flight) -> filemap_update_page:
 * folio_trylock fails, folio_put_wait_locked (-1, PG_waiters) waits for the read, and
 * AOP_TRUNCATED_PAGE drops it from the batch (an empty batch is looked up again).
 */
export function filemap_get_pages(k: Kernel, mapping: AddressSpace, index: number, end: number): Pfn[] {
  return called(k, 'filemap_get_pages', () => {
    const f = mmcache(k).f;
    for (;;) {
      let batch = filemap_get_read_batch(k, mapping, index, end - 1);
      if (!batch.length) {
        page_cache_sync_ra(k, mapping, index, end - index);
        batch = filemap_get_read_batch(k, mapping, index, end - 1);
      }
      if (!batch.length)
        throw new Error(
          `${mapping.name}: page ${index} is past the end of the file (${mapping.pages.length} pages)`,
        );
      const folio = batch[batch.length - 1];
      if (f.folio_test_readahead(folio))
        called(k, 'filemap_readahead', () =>
          page_cache_async_ra(k, mapping, folio, end - k.mem.index[folio]),
        );
      if (f.folio_test_uptodate(folio)) return batch;
      if (!folio_read_in_flight(k, folio))
        throw new NotModelled(
          `${mapping.name}: page ${k.mem.index[folio]} is not uptodate (read errors are not modelled)`,
        );
      called(k, 'filemap_update_page', () => folio_put_wait_locked(k, folio));
      batch.pop();
      if (batch.length) return batch;
    }
  });
}

/** folio_put_wait_locked() (mm/filemap.c): PG_waiters, drop the reference (-1), sleep until unlocked */
function folio_put_wait_locked(k: Kernel, folio: Pfn): void {
  called(k, 'folio_wait_bit_common', () => {
    mmcache(k).f.folio_set_waiters(folio);
    folio_put(k, folio);
  });
  read_end_io(k, folio);
}

/**
 * read_mapping_folio() -> do_read_cache_folio() (6.12 mm/filemap.c:3795; 6.1 :3612) on a block
 * device, as the partition scan's read_part_sector() reads a sector: the cached folio
 * (filemap_get_folio: folio_try_get +1), or a new one (filemap_alloc_folio: set 1; filemap_add_folio:
 * +1, +1 into the lru_add batch) read at once (filemap_read_folio waits for the I/O), then
 * folio_mark_accessed; the caller's put_dev_sector() puts it (-1).
 */
export function read_mapping_folio(k: Kernel, mapping: AddressSpace, index: number): void {
  called(k, 'read_mapping_folio', () => {
    const f = mmcache(k).f;
    let folio = called(k, 'filemap_get_folio', () => filemap_get_entry(k, mapping, index));
    if (folio < 0) {
      folio = called(k, 'filemap_alloc_folio', () => alloc_pages(k, 0, BDEV_FOLIO));
      filemap_add_folio(k, mapping, folio, index);
      called(k, 'filemap_read_folio', () => {
        f.folio_mark_uptodate(folio);
        f.__folio_clear_locked(folio);
      });
    }
    folio_mark_accessed(k, folio);
    called(k, 'put_dev_sector', () => folio_put(k, folio));
  });
}

/**
 * shmem_get_folio_gfp() (mm/shmem.c) for a missing index: shmem_alloc_folio (set 1),
 * __folio_set_locked + __folio_set_swapbacked, shmem_add_to_page_cache (+nr, mapping NULL),
 * folio_add_lru (+1), [SGP_WRITE: PG_referenced, before the add on 6.1], folio_mark_uptodate
 * (left to shmem_write_end for a write). Returns the folio locked, with the allocation reference
 * (which a fault hands to the PTE). A cached folio: filemap_get_entry (+1), locked.
 */
function shmem_get_folio(k: Kernel, mapping: AddressSpace, index: number, sgpWrite = false): Pfn {
  return called(k, 'shmem_get_folio_gfp', () => {
    const f = mmcache(k).f;
    const cached = filemap_get_entry(k, mapping, index);
    if (cached >= 0) {
      f.__folio_set_locked(cached);
      return cached;
    }
    const folio = called(k, 'shmem_alloc_folio', () => folio_alloc(k, 0));
    f.__folio_set_locked(folio);
    f.__folio_set_swapbacked(folio);
    const referencedFirst = k.profile.facts.shmemWriteReferencedFirst;
    if (sgpWrite && referencedFirst) f.folio_set_referenced(folio);
    called(k, 'shmem_add_to_page_cache', () => __filemap_add_folio(k, mapping, folio, index));
    folio_add_lru(k, folio);
    if (sgpWrite && !referencedFirst) f.folio_set_referenced(folio);
    if (!sgpWrite) f.folio_mark_uptodate(folio);
    return folio;
  });
}

/**
 * write(2) to a tmpfs file, pages [from, to] (mm/filemap.c generic_perform_write): per page
 * shmem_write_begin -> shmem_get_folio(SGP_WRITE), copy, shmem_write_end: folio_mark_uptodate,
 * folio_mark_dirty, folio_unlock, folio_put (-1).
 */
export function shmem_file_write(k: Kernel, mapping: AddressSpace, from: number, to: number): void {
  called(k, 'generic_perform_write', () => {
    const f = mmcache(k).f;
    for (let i = from; i <= to; i++) {
      const folio = called(k, 'shmem_write_begin', () => shmem_get_folio(k, mapping, i, true));
      called(k, 'shmem_write_end', () => {
        f.folio_mark_uptodate(folio);
        f.folio_set_dirty(folio);
        f.__folio_clear_locked(folio);
        called(k, 'folio_put', () => folio_put(k, folio));
      });
    }
  });
}

/** folio_add_file_rmap_pte() (6.12 mm/rmap.c; 6.1 page_add_file_rmap): _mapcount++ */
function folio_add_file_rmap_pte(k: Kernel, folio: Pfn): void {
  k.mem.mapcount[folio]++;
}

/**
 * finish_fault() (6.12 mm/memory.c:5072): [6.12: folio_ref_add(nr - 1) -> val=0], set_pte_range
 * with the file rmap; the fault's reference becomes the PTE's.
 */
export function finish_fault(k: Kernel, vma: Vma, i: number, folio: Pfn, write: boolean): void {
  called(k, 'finish_fault', () => {
    if (k.profile.facts.faultRefAddNrPagesMinusOne) folio_ref_add(k, folio, 0);
    folio_add_file_rmap_pte(k, folio);
    vma.pfn[i] = folio;
    vma.pte[i] = Pte.PRESENT | (write ? Pte.WRITE | Pte.DIRTY : 0);
  });
}

/**
 * do_fault_around() (6.12 mm/memory.c; 6.1 the same window): fault_around_pages PTEs from the
 * faulting PTE's index aligned down, clamped to the VMA's start; the window's end is not aligned,
 * only clamped to the PTE table and the VMA, so a window that starts at the VMA overlaps the next
 * aligned one. Returns the VMA page range [from, to].
 */
function fault_around_window(vma: Vma, i: number): [number, number] {
  const pteOff = (vma.start + i) % PTRS_PER_PTE;
  const fromPte = Math.max(pteOff - (pteOff % FAULT_AROUND_PAGES), pteOff - Math.min(pteOff, i));
  const toPte = Math.min(fromPte + FAULT_AROUND_PAGES, PTRS_PER_PTE, pteOff + vma.nrPages - i) - 1;
  return [i - (pteOff - fromPte), i + (toPte - pteOff)];
}

/**
 * next_uptodate_folio() (6.12 mm/filemap.c:3494; 6.1 next_uptodate_page :3400) for one slot: a
 * locked folio (a read in flight) is skipped without a reference; otherwise folio_try_get (+1),
 * and a folio not uptodate or marked PG_readahead is put back (-1). Returns the folio locked.
 */
function next_uptodate_folio(k: Kernel, folio: Pfn): boolean {
  return called(k, 'next_uptodate_folio', () => {
    const f = mmcache(k).f;
    if (f.folio_test_locked(folio)) return false;
    if (!called(k, 'folio_try_get', () => folio_try_get(k, folio))) return false;
    if (!f.folio_test_uptodate(folio) || f.folio_test_readahead(folio)) {
      folio_put(k, folio);
      return false;
    }
    f.__folio_set_locked(folio);
    return true;
  });
}

/**
 * filemap_map_pages() over the fault-around window: next_uptodate_folio for every cached page
 * within the file; a PTE already present (mapped by an earlier, overlapping window) is skipped:
 * folio_unlock, folio_put (-1). Otherwise the PTE and file rmap, then per the profile either the
 * lookup reference stays with the PTE (6.1) or folio_ref_inc (+1, still locked) (6.12
 * filemap_map_order0_folio), folio_unlock and folio_put (-1). Every folio it reaches counts
 * against the file's mmap_miss (6.1 :3497 per page; 6.12 :3736 per folio not in the workingset,
 * which no modelled folio is).
 */
function filemap_map_pages(k: Kernel, vma: Vma, i: number): void {
  const mapping = vma.file!;
  called(k, 'filemap_map_pages', () => {
    const [from, to] = fault_around_window(vma, i);
    const f = mmcache(k).f;
    const inc = k.profile.facts.faultAroundRef === 'ref_inc_then_put';
    let hits = 0;
    for (let j = from; j <= to && vma.pgoff + j < mapping.pages.length; j++) {
      const folio = mapping.pages[vma.pgoff + j];
      if (folio < 0 || !next_uptodate_folio(k, folio)) continue;
      hits++;
      const fresh = !(vma.pte[j] & Pte.PRESENT);
      if (fresh) {
        folio_add_file_rmap_pte(k, folio);
        vma.pfn[j] = folio;
        vma.pte[j] = Pte.PRESENT;
        if (inc) folio_ref_inc(k, folio);
      }
      f.__folio_clear_locked(folio);
      if (inc || !fresh) called(k, 'folio_put', () => folio_put(k, folio));
    }
    mapping.ra.mmapMiss = Math.max(0, mapping.ra.mmapMiss - hits);
  });
}

/** include/linux/mm.h MMAP_LOTSAMISS: past this many misses mmap read-around stops */
const MMAP_LOTSAMISS = 100;

/**
 * do_sync_mmap_readahead() (6.12 mm/filemap.c:3146; 6.1 the same): nothing cached at the fault.
 * VM_HUGEPAGE reads two PMD sizes from the aligned index; otherwise, unless the file misses far
 * more than it hits (mmap_miss), read-around: ra_pages from index - ra_pages / 2, the last
 * quarter asynchronous. Returns whether the mmap lock was dropped for the I/O (fpin).
 */
function do_sync_mmap_readahead(k: Kernel, vma: Vma, index: number): boolean {
  return called(k, 'do_sync_mmap_readahead', () => {
    const mapping = vma.file!;
    const ra = mapping.ra;
    if (vma.hugepage && k.profile.config.isEnabled('CONFIG_TRANSPARENT_HUGEPAGE')) {
      ra.size = 2 * HPAGE_PMD_NR;
      ra.asyncSize = HPAGE_PMD_NR;
      page_cache_ra_order(k, mapping, index - (index % HPAGE_PMD_NR));
      return true;
    }
    if (!ra.raPages) return false;
    if (ra.mmapMiss < MMAP_LOTSAMISS * 10) ra.mmapMiss++;
    if (ra.mmapMiss > MMAP_LOTSAMISS) return false;
    ra.start = Math.max(0, index - Math.floor(ra.raPages / 2));
    ra.size = ra.raPages;
    ra.asyncSize = Math.floor(ra.raPages / 4);
    page_cache_ra_order(k, mapping, ra.start);
    return true;
  });
}

/**
 * do_async_mmap_readahead() (6.12 mm/filemap.c:3215): a cached folio found by the fault; one
 * miss forgiven, and a PG_readahead folio starts the next window (page_cache_async_ra with
 * ra_pages), dropping the mmap lock (fpin).
 */
function do_async_mmap_readahead(k: Kernel, vma: Vma, folio: Pfn): boolean {
  return called(k, 'do_async_mmap_readahead', () => {
    const mapping = vma.file!;
    const ra = mapping.ra;
    if (!ra.raPages) return false;
    if (ra.mmapMiss) ra.mmapMiss--;
    if (!mmcache(k).f.folio_test_readahead(folio)) return false;
    page_cache_async_ra(k, mapping, folio, ra.raPages);
    return true;
  });
}

/**
 * filemap_fault() (6.12 mm/filemap.c:3305; 6.1 :3219) for a block device: the cached folio
 * (filemap_get_entry +1) and, on the first try, do_async_mmap_readahead; or, nothing cached,
 * do_sync_mmap_readahead and __filemap_get_folio (+1). lock_folio_maybe_drop_mmap: a folio whose
 * read is in flight is waited for with the mmap lock dropped. If the lock was dropped (fpin), the
 * folio is unlocked and put (-1) and the fault returns VM_FAULT_RETRY (-1 here); otherwise it
 * returns the folio locked, its reference for the PTE. `tried`: FAULT_FLAG_TRIED.
 */
function filemap_fault(k: Kernel, vma: Vma, index: number, tried: boolean): Pfn {
  return called(k, 'filemap_fault', () => {
    const mapping = vma.file!;
    const f = mmcache(k).f;
    let folio = called(k, '__filemap_get_folio', () => filemap_get_entry(k, mapping, index));
    let fpin = false;
    if (folio >= 0) {
      if (!tried) fpin = do_async_mmap_readahead(k, vma, folio);
    } else {
      fpin = do_sync_mmap_readahead(k, vma, index);
      folio = called(k, '__filemap_get_folio', () => filemap_get_entry(k, mapping, index));
      if (folio < 0) throw new NotModelled(`${vma.name}: page ${index} was not read ahead (not modelled)`);
    }
    if (f.folio_test_locked(folio)) {
      // lock_folio_maybe_drop_mmap(): maybe_unlock_mmap_for_io() on the first try, then sleep
      fpin ||= !tried;
      f.folio_set_waiters(folio);
      read_end_io(k, folio);
    }
    if (!f.folio_test_uptodate(folio))
      throw new NotModelled(`${vma.name}: page ${index} is not uptodate (read errors are not modelled)`);
    f.__folio_set_locked(folio);
    if (!fpin) return folio;
    f.__folio_clear_locked(folio);
    folio_put(k, folio);
    return -1;
  });
}

/**
 * do_read_fault() (6.12 mm/memory.c:5301; 6.1 :4615) on a block device, retried while
 * filemap_fault returns VM_FAULT_RETRY (do_user_addr_fault's retry with FAULT_FLAG_TRIED):
 * do_fault_around, then __do_fault -> filemap_fault, finish_fault and folio_unlock. The reads an
 * attempt started complete before it returns (so its retry finds them done).
 */
function do_read_fault_file(k: Kernel, vma: Vma, i: number): void {
  for (let tried = false; ; tried = true) {
    const done = called(k, 'do_read_fault', () => {
      called(k, 'do_fault_around', () => filemap_map_pages(k, vma, i));
      if (vma.pte[i] & Pte.PRESENT) return true;
      const folio = called(k, '__do_fault', () => filemap_fault(k, vma, vma.pgoff + i, tried));
      if (folio < 0) return false;
      finish_fault(k, vma, i, folio, false);
      mmcache(k).f.__folio_clear_locked(folio);
      return true;
    });
    read_end_io(k);
    if (done) break;
  }
}

/**
 * do_read_fault() / do_shared_fault() for a file VMA (mm/memory.c): a read fault tries
 * fault-around first (do_fault_around -> filemap_map_pages, shmem's ->map_pages too), then the
 * file's ->fault: filemap_fault for a block device (do_read_fault_file), shmem_fault ->
 * shmem_get_folio and finish_fault for tmpfs, then unlock (and the dirty bit for a shared write,
 * fault_dirty_shared_page).
 */
export function do_file_fault(k: Kernel, vma: Vma, i: number, write: boolean): void {
  const mapping = vma.file!;
  const f = mmcache(k).f;
  const index = vma.pgoff + i;
  if (mapping.kind === 'file') {
    if (write)
      throw new NotModelled(`${vma.name}: writes to a disk-file mapping are not modelled (map it read-only)`);
    do_read_fault_file(k, vma, i);
    return;
  }
  called(k, write ? 'do_shared_fault' : 'do_read_fault', () => {
    if (!write) {
      called(k, 'do_fault_around', () => filemap_map_pages(k, vma, i));
      if (vma.pte[i] & Pte.PRESENT) return;
    }
    const folio = called(k, 'shmem_fault', () => shmem_get_folio(k, mapping, index));
    finish_fault(k, vma, i, folio, write);
    f.__folio_clear_locked(folio);
    if (write) f.folio_set_dirty(folio);
  });
}

/**
 * __do_fault() -> ->fault for a private write: the page-cache folio, referenced and locked. A
 * block-device fault that would return VM_FAULT_RETRY (the page to be read, or a readahead mark)
 * is not modelled here: do_cow_fault would free its new folio and start over.
 */
export function __do_fault(k: Kernel, vma: Vma, i: number): Pfn {
  const mapping = vma.file!;
  const index = vma.pgoff + i;
  return called(k, '__do_fault', () => {
    if (mapping.kind === 'shmem') return called(k, 'shmem_fault', () => shmem_get_folio(k, mapping, index));
    const folio = filemap_fault(k, vma, index, false);
    if (folio < 0)
      throw new NotModelled(
        `${vma.name}: a private write fault that reads the disk first is not modelled (read the page first)`,
      );
    return folio;
  });
}

/**
 * read() of pages [from, to] of a file: filemap_read() for a block device, whose reads complete
 * before the system call returns; shmem_file_read_iter() (mm/shmem.c) for tmpfs, per page
 * filemap_get_entry (+1), folio_mark_accessed, folio_put (-1), holes read as zeroes.
 */
export function filemap_read(
  k: Kernel,
  mapping: AddressSpace,
  from: number,
  to: number,
  copy: (folio: Pfn) => void = () => {},
): void {
  if (mapping.kind === 'shmem') {
    shmem_file_read(k, mapping, from, to);
    return;
  }
  called(k, 'filemap_read', () => filemap_read_iter(k, mapping, from, to, copy));
  read_end_io(k);
}

/**
 * filemap_read()'s loop (6.12 mm/filemap.c:2614; 6.1 :2711): per batch filemap_get_pages,
 * folio_mark_accessed (the first folio only if the previous read did not end in it: ra->prev_pos),
 * `copy` (copy_folio_to_iter), then folio_put (-1) each; prev_pos updated at the end.
 */
export function filemap_read_iter(
  k: Kernel,
  mapping: AddressSpace,
  from: number,
  to: number,
  copy: (folio: Pfn) => void,
): void {
  const ra = mapping.ra;
  let lastPos = ra.prevPos;
  for (let pos = from; pos <= to;) {
    const batch = filemap_get_pages(k, mapping, pos, to + 1);
    batch.forEach((folio, i) => {
      if (i > 0 || Math.floor((lastPos - 1) / 4096) !== k.mem.index[folio]) folio_mark_accessed(k, folio);
      copy(folio);
      pos = k.mem.index[folio] + 1;
      lastPos = pos * 4096;
    });
    for (const folio of batch) called(k, 'folio_put', () => folio_put(k, folio));
  }
  ra.prevPos = lastPos;
}

/**
 * shmem_file_read_iter() (6.12 mm/shmem.c:3153; 6.1 :2617): per page shmem_get_folio(SGP_READ) ->
 * filemap_get_entry (+1), folio_mark_accessed unless the read starts inside the page (`if
 * (!offset)`: `offset` bytes into page `from`; the later pages are read from their start), copy,
 * folio_put (-1)
 */
export function shmem_file_read(
  k: Kernel,
  mapping: AddressSpace,
  from: number,
  to: number,
  offset = 0,
): void {
  called(k, 'shmem_file_read_iter', () => {
    for (let i = from; i <= to; i++) {
      const folio = filemap_get_entry(k, mapping, i);
      if (folio < 0) continue;
      if (i > from || !offset) folio_mark_accessed(k, folio);
      called(k, 'folio_put', () => folio_put(k, folio));
    }
  });
}

/**
 * __remove_mapping() (6.12 mm/vmscan.c:720; 6.1 :1311): folio_ref_freeze(folio, 1 + nr
 * [+ private]); on success __filemap_remove_folio (mapping NULL, xarray slot cleared) with the
 * count left at 0. Returns whether the folio was removed.
 */
export function __remove_mapping(k: Kernel, mapping: AddressSpace, folio: Pfn): boolean {
  return called(k, '__remove_mapping', () => {
    const f = mmcache(k).f;
    const refcount = 1 + 1 + (f.folio_test_private(folio) ? 1 : 0);
    if (!called(k, 'page_ref_freeze', () => folio_ref_freeze(k, folio, refcount))) return false;
    mapping.pages[k.mem.index[folio]] = -1;
    k.mem.mapping[folio] = 0;
    return true;
  });
}

/**
 * mapping_evict_folio() (6.12 mm/truncate.c:288) + remove_mapping() (mm/vmscan.c): refuse a dirty
 * folio or one with more than nr + private + our lookup reference (no freeze event); otherwise
 * __remove_mapping and folio_ref_unfreeze(folio, 1), which drops the cache's references.
 */
function mapping_evict_folio(k: Kernel, mapping: AddressSpace, folio: Pfn): boolean {
  return called(k, 'mapping_evict_folio', () => {
    const f = mmcache(k).f;
    if (f.folio_test_dirty(folio) || f.folio_test_writeback(folio)) return false;
    if (folio_ref_count(k, folio) > 1 + (f.folio_test_private(folio) ? 1 : 0) + 1) return false;
    return called(k, 'remove_mapping', () => {
      if (!__remove_mapping(k, mapping, folio)) return false;
      folio_ref_unfreeze(k, folio, 1);
      return true;
    });
  });
}

/**
 * find_lock_entries() (6.12 mm/filemap.c:2092; 6.1 :2116) from index `start`: folio_try_get (+1)
 * each cached folio, one already locked (a read in flight) or under writeback put back (-1),
 * the others locked, until the batch (PAGEVEC_SIZE) is full. Returns the index to go on from.
 */
export function find_lock_entries(k: Kernel, mapping: AddressSpace, start: number, batch: Pfn[]): number {
  return called(k, 'find_lock_entries', () => {
    const f = mmcache(k).f;
    let i = start;
    while (i < mapping.pages.length && batch.length < k.profile.facts.folioBatchSize) {
      const folio = mapping.pages[i++];
      if (
        folio < 0 ||
        !called(k, 'find_get_entry', () => called(k, 'folio_try_get', () => folio_try_get(k, folio)))
      )
        continue;
      if (f.folio_test_locked(folio) || f.folio_test_writeback(folio)) {
        folio_put(k, folio);
        continue;
      }
      f.__folio_set_locked(folio);
      batch.push(folio);
    }
    return i;
  });
}

/**
 * invalidate_mapping_pages() -> mapping_try_invalidate() (6.12 mm/truncate.c:497; 6.1
 * invalidate_mapping_pagevec :526): per find_lock_entries batch, mapping_evict_folio and unlock each
 * folio; one it could not drop (dirty, mapped, ...) is deactivate_file_folio'd; then
 * folio_batch_release: lru_add_drain (which drains the lru_deactivate_file batch too) + folios_put
 * (-1; ret=1 frees an evicted folio).
 */
export function invalidate_mapping_pages(k: Kernel, mapping: AddressSpace): void {
  called(k, 'invalidate_mapping_pages', () =>
    called(k, 'mapping_try_invalidate', () => {
      const f = mmcache(k).f;
      for (let index = 0; index < mapping.pages.length;) {
        const batch: Pfn[] = [];
        index = find_lock_entries(k, mapping, index, batch);
        for (const folio of batch) {
          const evicted = mapping_evict_folio(k, mapping, folio);
          f.__folio_clear_locked(folio);
          if (!evicted) deactivate_file_folio(k, folio);
        }
        folio_batch_release(k, batch);
      }
    }),
  );
}

/** drop_caches_sysctl_handler() -> drop_pagecache_sb() (fs/drop_caches.c): drain all, then every inode */
export function drop_pagecache(k: Kernel, nrCpus: number, mappings: Iterable<AddressSpace>): void {
  called(k, 'drop_pagecache_sb', () => {
    lru_add_drain_all(k, nrCpus);
    for (const m of mappings) invalidate_mapping_pages(k, m);
  });
}
