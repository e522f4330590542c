/**
 * The page cache (mm/filemap.c, mm/shmem.c, mm/readahead.c, mm/truncate.c): inserting folios
 * (__filemap_add_folio: folio_ref_add(nr) while mapping is still NULL, then folio_add_lru),
 * speculative lookups (folio_try_get = page_ref_mod_unless), read(), file faults with fault-around,
 * shmem faults, and invalidation for drop_caches (find_lock_entries -> mapping_evict_folio ->
 * remove_mapping: freeze 1+nr, unfreeze 1, then the batch put frees the folio).
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
import { type AddressSpace, type Vma, PTE_DIRTY, PTE_PRESENT, PTE_WRITE } from './mm_types.js';
import { mmcache } from './mm_cache.js';
import { folio_alloc } from './page_alloc.js';
import { called } from './stack.js';
import { folio_add_lru, folio_batch_release, lru_add_drain_all } from './swap.js';

/** mm/memory.c fault_around_bytes (64 KiB): the window filemap_map_pages() fills */
const FAULT_AROUND_PAGES = 16;
/** PTRS_PER_PTE (x86-64) */
const PTRS_PER_PTE = 512;

/** A new inode's address_space: shmem_aops (tmpfs) or def_blk_aops (a block device) */
export function address_space_alloc(
  k: Kernel,
  name: string,
  kind: AddressSpace['kind'],
  nrPages: number,
): AddressSpace {
  const id = k.allocMappingId();
  k.mappingInfo.set(id, { aops: kind === 'shmem' ? 'shmem_aops' : 'def_blk_aops', ino: id, name });
  return { id, name, kind, pages: new Int32Array(nrPages).fill(-1) };
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
  return lookup(k, 'filemap_get_entry', mapping, index);
}

/** filemap_get_read_batch() (6.12 mm/filemap.c:2388) for one index: folio_try_get (+1), or -1 */
export function filemap_get_read_batch(k: Kernel, mapping: AddressSpace, index: number): Pfn {
  return lookup(k, 'filemap_get_read_batch', mapping, index);
}

/** `fn`'s xarray lookup of one index and folio_try_get (mod_unless +1), or -1 */
function lookup(k: Kernel, fn: string, mapping: AddressSpace, index: number): Pfn {
  const folio = mapping.pages[index];
  if (folio < 0) return -1;
  return called(k, fn, () => (called(k, 'folio_try_get', () => folio_try_get(k, folio)) ? folio : -1));
}

/**
 * page_cache_ra_unbounded() + read_pages() (mm/readahead.c): for each missing index of the window
 * filemap_alloc_folio (set 1) and filemap_add_folio (+1 cache, +1 lru batch); read_pages hands each
 * folio to ->readahead, whose readahead_folio() drops the allocation reference (-1); a block
 * device's mpage_readahead sets PG_mappedtodisk (the profile's blkdevMpageReadahead); the I/O
 * completion marks it uptodate and unlocks it.
 */
function page_cache_ra_unbounded(k: Kernel, mapping: AddressSpace, from: number, to: number): void {
  called(k, 'page_cache_ra_unbounded', () => {
    const f = mmcache(k).f;
    const added: Pfn[] = [];
    for (let i = from; i < Math.min(to, mapping.pages.length); i++) {
      if (mapping.pages[i] >= 0) continue;
      const folio = called(k, 'filemap_alloc_folio', () => folio_alloc(k, 0));
      filemap_add_folio(k, mapping, folio, i);
      added.push(folio);
    }
    const m = k.profile.facts.blkdevMpageReadahead;
    const mpage = mapping.kind === 'file' && (m === 'always' || k.profile.config.isEnabled(m));
    called(k, 'read_pages', () => {
      for (const folio of added) {
        called(k, 'readahead_folio', () => folio_put(k, folio));
        if (mpage) k.mem.flagsLo[folio] |= mmcache(k).anonExclusive; // PG_mappedtodisk
        f.folio_mark_uptodate(folio);
        f.__folio_clear_locked(folio);
      }
    });
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
function finish_fault(k: Kernel, vma: Vma, i: number, folio: Pfn, write: boolean): void {
  called(k, 'finish_fault', () => {
    if (k.profile.facts.faultRefAddNrPagesMinusOne) folio_ref_add(k, folio, 0);
    folio_add_file_rmap_pte(k, folio);
    vma.pfn[i] = folio;
    vma.pte[i] = PTE_PRESENT | (write ? PTE_WRITE | PTE_DIRTY : 0);
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
 * filemap_map_pages() over the fault-around window: every cached, uptodate, unlocked page within
 * the file: next_uptodate_folio's folio_try_get (+1) and folio_trylock; a PTE already present
 * (mapped by an earlier, overlapping window) is skipped: folio_unlock, folio_put (-1). Otherwise
 * the PTE and file rmap, then per the profile either the lookup reference stays with the PTE
 * (6.1) or folio_ref_inc (+1, still locked) (6.12 filemap_map_order0_folio), folio_unlock and
 * folio_put (-1).
 */
function filemap_map_pages(k: Kernel, vma: Vma, i: number): void {
  const mapping = vma.file!;
  called(k, 'filemap_map_pages', () => {
    const [from, to] = fault_around_window(vma, i);
    const f = mmcache(k).f;
    const inc = k.profile.facts.faultAroundRef === 'ref_inc_then_put';
    for (let j = from; j <= to && vma.pgoff + j < mapping.pages.length; j++) {
      const folio = mapping.pages[vma.pgoff + j];
      if (folio < 0 || !f.folio_test_uptodate(folio) || f.folio_test_locked(folio)) continue;
      const got = called(k, 'next_uptodate_folio', () =>
        called(k, 'folio_try_get', () => folio_try_get(k, folio)),
      );
      if (!got) continue;
      f.__folio_set_locked(folio);
      const fresh = !(vma.pte[j] & PTE_PRESENT);
      if (fresh) {
        folio_add_file_rmap_pte(k, folio);
        vma.pfn[j] = folio;
        vma.pte[j] = PTE_PRESENT;
        if (inc) folio_ref_inc(k, folio);
      }
      f.__folio_clear_locked(folio);
      if (inc || !fresh) called(k, 'folio_put', () => folio_put(k, folio));
    }
  });
}

/**
 * do_read_fault() / do_shared_fault() for a file VMA (mm/memory.c): a read fault tries
 * fault-around first (do_fault_around -> filemap_map_pages, shmem's ->map_pages too); a disk file
 * not cached yet is read ahead (filemap_fault's page_cache_sync_ra) and then mapped by fault-around;
 * other shmem faults go through shmem_fault -> shmem_get_folio and finish_fault, then unlock (and
 * the dirty bit for a shared write, fault_dirty_shared_page).
 */
export function do_file_fault(k: Kernel, vma: Vma, i: number, write: boolean): void {
  const mapping = vma.file!;
  const f = mmcache(k).f;
  const index = vma.pgoff + i;
  if (mapping.kind === 'file') {
    if (write)
      throw new Error(`${vma.name}: writes to a disk-file mapping are not modelled (map it read-only)`);
    called(k, 'do_read_fault', () => {
      if (mapping.pages[index] < 0)
        page_cache_ra_unbounded(k, mapping, index, index + 2 * FAULT_AROUND_PAGES);
      filemap_map_pages(k, vma, i);
    });
    return;
  }
  called(k, write ? 'do_shared_fault' : 'do_read_fault', () => {
    if (!write) {
      called(k, 'do_fault_around', () => filemap_map_pages(k, vma, i));
      if (vma.pte[i] & PTE_PRESENT) return;
    }
    const folio = called(k, 'shmem_fault', () => shmem_get_folio(k, mapping, index));
    finish_fault(k, vma, i, folio, write);
    f.__folio_clear_locked(folio);
    if (write) f.folio_set_dirty(folio);
  });
}

/** __do_fault() -> ->fault for a private write: the page-cache folio, referenced and locked */
export function __do_fault(k: Kernel, vma: Vma, i: number): Pfn {
  const mapping = vma.file!;
  const index = vma.pgoff + i;
  return called(k, '__do_fault', () => {
    if (mapping.kind === 'shmem') return called(k, 'shmem_fault', () => shmem_get_folio(k, mapping, index));
    if (mapping.pages[index] < 0) page_cache_ra_unbounded(k, mapping, index, index + 2 * FAULT_AROUND_PAGES);
    const folio = called(k, 'filemap_fault', () => filemap_get_entry(k, mapping, index));
    mmcache(k).f.__folio_set_locked(folio);
    return folio;
  });
}

/**
 * filemap_read() (6.12 mm/filemap.c:2590): filemap_get_pages -> filemap_get_read_batch (+1 each,
 * reading ahead what is missing), copy, folio_mark_accessed (PG_referenced), folio_put (-1).
 */
export function filemap_read(k: Kernel, mapping: AddressSpace, from: number, to: number): void {
  called(k, 'filemap_read', () => {
    const f = mmcache(k).f;
    for (let i = from; i <= to; i++) {
      if (mapping.pages[i] < 0) {
        if (mapping.kind === 'shmem') continue; // shmem_file_read_iter: holes read as zeroes
        page_cache_ra_unbounded(k, mapping, i, i + 2 * FAULT_AROUND_PAGES);
      }
      const folio = called(k, 'filemap_get_pages', () => filemap_get_read_batch(k, mapping, i));
      if (folio < 0) continue;
      f.folio_set_referenced(folio);
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
 * invalidate_mapping_pages() -> mapping_try_invalidate() (6.12 mm/truncate.c:497): per cached
 * folio find_lock_entries (try_get +1, lock), mapping_evict_folio, unlock, then
 * folio_batch_release: lru_add_drain + folios_put (-1; ret=1 frees an evicted folio).
 */
export function invalidate_mapping_pages(k: Kernel, mapping: AddressSpace): void {
  called(k, 'invalidate_mapping_pages', () => {
    const f = mmcache(k).f;
    const batch: Pfn[] = [];
    for (let i = 0; i < mapping.pages.length; i++) {
      const folio = called(k, 'find_lock_entries', () => filemap_get_entry(k, mapping, i));
      if (folio < 0) continue;
      f.__folio_set_locked(folio);
      mapping_evict_folio(k, mapping, folio);
      f.__folio_clear_locked(folio);
      batch.push(folio);
    }
    folio_batch_release(k, batch);
  });
}

/** drop_caches_sysctl_handler() -> drop_pagecache_sb() (fs/drop_caches.c): drain all, then every inode */
export function drop_pagecache(k: Kernel, nrCpus: number, mappings: Iterable<AddressSpace>): void {
  called(k, 'drop_pagecache_sb', () => {
    lru_add_drain_all(k, nrCpus);
    for (const m of mappings) invalidate_mapping_pages(k, m);
  });
}
