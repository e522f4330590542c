/**
 * Page migration (mm/migrate.c) of small folios: the unmap phase (dst allocation, try_to_migrate:
 * -1 per mapping), the move (the expected-refcount rule: 6.12 prechecks without an event, 6.1
 * freezes mapping-backed folios directly), the undo on failure (remove_migration_ptes(src, src):
 * +1 per mapping, dst freed) and the retries, all from the profile's `migrate` facts; move_pages(2).
 */
import { PageAnon, folio_mapcount } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_get, folio_put, put_page } from '../kernel/mm_ref.js';
import { folio_ref_add, folio_ref_count, folio_ref_freeze, folio_ref_unfreeze } from '../kernel/page_ref.js';
import { mmcache } from './mm_cache.js';
import { PTE_PRESENT, type AddressSpace, type MmStruct, type Vma } from './mm_types.js';
import { folio_alloc } from './page_alloc.js';
import { remove_migration_ptes, try_to_migrate } from './rmap.js';
import { called } from './stack.js';
import {
  folio_add_lru,
  folio_isolate_lru,
  folio_putback_lru,
  lru_cache_disable,
  lru_cache_enable,
} from './swap.js';

export interface MigrateCtx {
  readonly mms: readonly MmStruct[];
  /** the page-cache address_space by mapping id */
  readonly mappings: ReadonlyMap<number, AddressSpace>;
}

/**
 * The count a folio must have for the move: 6.12 folio_expected_ref_count(src) + 1 (mm.h:2238:
 * mapping ? nr + private : 0, + mapcount); 6.1 folio_expected_refs() (migrate.c:361): 1, + nr +
 * private with a mapping. Both: 1 for unmapped anon, 2 for an unmapped page-cache folio.
 */
function expected_count(k: Kernel, src: Pfn): number {
  const anon = PageAnon(k, src);
  const mapped = anon ? 0 : 1 + (mmcache(k).f.folio_test_private(src) ? 1 : 0);
  return 1 + mapped + (k.profile.facts.migrate.precheck ? folio_mapcount(k, src) : 0);
}

/**
 * move_to_new_folio() -> migrate_folio()/shmem/filemap: 6.12 __migrate_folio (:786) precheck;
 * folio_migrate_mapping (6.1 :383, 6.12 __folio_migrate_mapping :509): anon compares; a mapping
 * freezes(expected), gives dst the cache reference (+nr), unfreezes src to expected - nr.
 */
function move_to_new_folio(k: Kernel, ctx: MigrateCtx, dst: Pfn, src: Pfn): boolean {
  // move_to_new_folio() is inlined in both builds; the stacks show the a_ops->migrate_folio
  return called(k, 'migrate_folio', () => {
    const expected = expected_count(k, src);
    const mem = k.mem;
    // a block device's folios go through blkdev_migrate_folio -> buffer_migrate_folio_norefs,
    // whose __buffer_migrate_folio compares before any freeze (6.1 mm/migrate.c:730, 6.12 too)
    const bdev = ctx.mappings.get(mem.mapping[src])?.kind === 'file';
    if ((k.profile.facts.migrate.precheck || bdev) && folio_ref_count(k, src) !== expected) return false;
    return called(k, 'folio_migrate_mapping', () => {
      if (PageAnon(k, src)) {
        if (folio_ref_count(k, src) !== expected) return false;
      } else {
        if (!called(k, 'page_ref_freeze', () => folio_ref_freeze(k, src, expected))) return false;
        folio_ref_add(k, dst, 1);
        const mapping = ctx.mappings.get(mem.mapping[src]);
        if (mapping) mapping.pages[mem.index[src]] = dst;
        folio_ref_unfreeze(k, src, expected - 1);
      }
      mem.mapping[dst] = mem.mapping[src];
      mem.index[dst] = mem.index[src];
      // folio_migrate_flags(): uptodate, dirty, referenced, swapbacked move over
      const f = mmcache(k).f;
      for (const [t, s] of [
        [f.folio_test_uptodate, f.folio_mark_uptodate],
        [f.folio_test_dirty, f.folio_set_dirty],
        [f.folio_test_referenced, f.folio_set_referenced],
        [f.folio_test_swapbacked, f.__folio_set_swapbacked],
      ] as const)
        if (t(src)) s(dst);
      if (!PageAnon(k, src)) mem.mapping[src] = 0;
      return true;
    });
  });
}

/**
 * migrate_folio_unmap() (6.12 :1183; 6.1 __unmap_and_move): dst (set 1), lock src, folio_trylock(dst)
 * (6.12 :1289), try_to_migrate. dst stays locked until the remap or the undo, so its cache
 * reference (+nr) and LRU events show PG_locked, as the real traces do.
 */
function migrate_folio_unmap(k: Kernel, ctx: MigrateCtx, src: Pfn): Pfn {
  const dst = called(k, 'alloc_migration_target', () => folio_alloc(k, 0));
  const f = mmcache(k).f;
  f.__folio_set_locked(src);
  f.__folio_set_locked(dst);
  try_to_migrate(k, ctx.mms, src);
  return dst;
}

/** migrate_folio_undo_src/dst(): remove_migration_ptes(src, src) (+1 each), unlock both, put dst (freed) */
function migrate_folio_undo(k: Kernel, ctx: MigrateCtx, src: Pfn, dst: Pfn): void {
  called(k, 'migrate_folio_undo_src', () => remove_migration_ptes(k, ctx.mms, src, src));
  const f = mmcache(k).f;
  f.__folio_clear_locked(src);
  f.__folio_clear_locked(dst);
  called(k, 'folio_put', () => folio_put(k, dst));
}

/**
 * migrate_folio_move() (6.12 :1344) after a successful move: folio_add_lru(dst) (+1), the PTEs
 * point at dst (+1 each), folio_unlock(dst), folio_put(dst) (-1, the allocation reference), then
 * src's last put.
 */
function migrate_folio_move(k: Kernel, ctx: MigrateCtx, src: Pfn, dst: Pfn): void {
  folio_add_lru(k, dst);
  remove_migration_ptes(k, ctx.mms, src, dst);
  const f = mmcache(k).f;
  f.__folio_clear_locked(dst);
  called(k, 'folio_put', () => folio_put(k, dst));
  f.__folio_clear_locked(src);
  called(k, 'folio_put', () => folio_put(k, src)); // migrate_folio_done()
}

/**
 * migrate_pages() of isolated small folios. 6.1 (:1490): up to 10 passes, each unmap_and_move()
 * unmapping, moving and undoing again; 6.12 (:1964 migrate_pages_sync): a batch of 3 ASYNC passes
 * with one unmap, then each failed folio alone for 7 SYNC passes. Returns the folios not migrated
 * (still isolated, for the caller's putback).
 */
export function migrate_pages(k: Kernel, ctx: MigrateCtx, folios: readonly Pfn[]): Pfn[] {
  return called(k, 'migrate_pages', () => {
    const m = k.profile.facts.migrate;
    let left = [...folios];
    if (m.unmapEveryPass) {
      return called(k, 'migrate_pages_batch', () => {
        for (let pass = 0; pass < m.passes[0] && left.length; pass++)
          left = left.filter((src) => {
            const dst = migrate_folio_unmap(k, ctx, src);
            if (move_to_new_folio(k, ctx, dst, src)) {
              migrate_folio_move(k, ctx, src, dst);
              return false;
            }
            migrate_folio_undo(k, ctx, src, dst);
            return true;
          });
        return left;
      });
    }
    const batch = (srcs: Pfn[], passes: number): Pfn[] =>
      called(k, 'migrate_pages_batch', () => {
        const dsts = new Map(srcs.map((src) => [src, migrate_folio_unmap(k, ctx, src)]));
        let todo = srcs;
        for (let pass = 0; pass < passes && todo.length; pass++)
          todo = todo.filter((src) => {
            if (!move_to_new_folio(k, ctx, dsts.get(src)!, src)) return true;
            migrate_folio_move(k, ctx, src, dsts.get(src)!);
            return false;
          });
        for (const src of todo) migrate_folio_undo(k, ctx, src, dsts.get(src)!);
        return todo;
      });
    return called(k, 'migrate_pages_sync', () => {
      left = batch(left, m.passes[0]);
      for (const pass of m.passes.slice(1)) left = left.flatMap((src) => batch([src], pass));
      return left;
    });
  });
}

/** putback_movable_pages(): folio_putback_lru for each folio that stayed */
export function putback_movable_pages(k: Kernel, folios: readonly Pfn[]): void {
  called(k, 'putback_movable_pages', () => {
    for (const folio of folios) folio_putback_lru(k, folio);
  });
}

/**
 * move_pages(2) -> do_pages_move() (6.12 :2312; 6.1 :2067): lru_cache_disable, then for each page
 * add_page_for_migration (6.1: follow_page FOLL_GET +1, isolate_lru_page +1, put_page -1; 6.12:
 * folio_walk, folio_isolate_lru +1), migrate_pages, putback of the failures, lru_cache_enable.
 * Returns the number of pages not migrated.
 */
export function do_pages_move(
  k: Kernel,
  ctx: MigrateCtx,
  nrCpus: number,
  vma: Vma,
  from: number,
  to: number,
): number {
  // do_pages_move() and add_page_for_migration() are inlined into the syscall in both builds
  return called(k, '__x64_sys_move_pages', () => {
    lru_cache_disable(k, nrCpus);
    const list: Pfn[] = [];
    for (let i = from; i <= to; i++) {
      if (!(vma.pte[i] & PTE_PRESENT)) continue;
      const folio = vma.pfn[i];
      const follow = k.profile.facts.migrate.movePagesFollowPageGet;
      if (follow)
        called(k, 'follow_page', () =>
          called(k, 'follow_page_pte', () => called(k, 'try_grab_page', () => folio_get(k, folio))),
        );
      if (folio_isolate_lru(k, folio)) list.push(folio);
      if (follow) called(k, 'folio_put', () => put_page(k, folio));
    }
    return called(k, 'move_pages_and_store_status', () => {
      const failed = migrate_pages(k, ctx, list);
      putback_movable_pages(k, failed);
      lru_cache_enable(k);
      return failed.length;
    });
  });
}
