/**
 * Page migration (mm/migrate.c) of small folios: the unmap phase (dst allocation, try_to_migrate:
 * -1 per mapping), the move (the expected-refcount rule: 6.12 prechecks without an event, 6.1
 * freezes mapping-backed folios directly), the undo on failure (remove_migration_ptes(src, src):
 * +1 per mapping, dst freed) and the retries, all from the profile's `migrate` facts; move_pages(2).
 */
import { PageAnon, PageCompound, folio_mapcount, folio_mapped, folio_test_large } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_get, folio_put, put_page } from '../kernel/mm_ref.js';
import { folio_ref_add, folio_ref_count, folio_ref_freeze, folio_ref_unfreeze } from '../kernel/page_ref.js';
import { mmcache } from './mm_cache.js';
import { NotModelled } from './not_modelled.js';
import { PTE_PRESENT, type AddressSpace, type MmStruct, type Vma } from './mm_types.js';
import { folio_alloc } from './page_alloc.js';
import { remove_migration_ptes, try_to_migrate } from './rmap.js';
import { called } from './stack.js';
import {
  folio_add_lru,
  folio_isolate_lru,
  folio_putback_lru,
  lru_add_drain,
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
 * new_folio_t / free_folio_t of migrate_pages(): where the destination folios come from and where
 * an unused one goes. get_new_folio returns a folio with one reference, or -1 (NULL: -ENOMEM).
 * Without put_new_folio an unused dst is folio_put() (migrate_folio_undo_dst, 6.12 :1163).
 */
export interface MigrationTarget {
  readonly get_new_folio: (k: Kernel, src: Pfn) => Pfn;
  readonly put_new_folio?: (k: Kernel, dst: Pfn) => void;
}

/** alloc_migration_target() (mm/migrate.c): a fresh order-0 folio from the page allocator */
const ALLOC_MIGRATION_TARGET: MigrationTarget = {
  get_new_folio: (k) => called(k, 'alloc_migration_target', () => folio_alloc(k, 0)),
};

/** include/uapi/asm-generic/errno-base.h */
export const ENOMEM = 12;

/** what migrate_pages() returns: rc (-ENOMEM or the number not migrated) and those folios, still isolated */
export interface MigrateResult {
  readonly rc: number;
  readonly left: Pfn[];
}

/**
 * migrate_folio_unmap() (6.12 :1183; 6.1 :1237): get_new_folio (-1: -ENOMEM, src untouched), lock
 * src, folio_trylock(dst) (6.12 :1289), try_to_migrate. dst stays locked until the remap or the
 * undo, so its cache reference (+nr) and LRU events show PG_locked, as the real traces do.
 */
function migrate_folio_unmap(
  k: Kernel,
  ctx: MigrateCtx,
  target: MigrationTarget,
  src: Pfn,
): Unmapped | undefined {
  const dst = target.get_new_folio(k, src);
  if (dst < 0) return undefined;
  const f = mmcache(k).f;
  f.__folio_set_locked(src);
  f.__folio_set_locked(dst);
  const mapped = folio_mapped(k, src);
  try_to_migrate(k, ctx.mms, src);
  return { dst, mapped };
}

/** an unmapped source's destination, and PAGE_WAS_MAPPED (6.1 page_was_mapped) */
interface Unmapped {
  readonly dst: Pfn;
  readonly mapped: boolean;
}

/**
 * migrate_folio_undo_src/dst(): remove_migration_ptes(src, src) (+1 each), unlock both, dst to
 * put_new_folio or folio_put (freed)
 */
function migrate_folio_undo(k: Kernel, ctx: MigrateCtx, target: MigrationTarget, src: Pfn, dst: Pfn): void {
  called(k, 'migrate_folio_undo_src', () => remove_migration_ptes(k, ctx.mms, src, src));
  const f = mmcache(k).f;
  f.__folio_clear_locked(src);
  f.__folio_clear_locked(dst);
  if (target.put_new_folio) target.put_new_folio(k, dst);
  else called(k, 'folio_put', () => folio_put(k, dst));
}

/**
 * migrate_folio_move() (6.12 :1344) after a successful move: folio_add_lru(dst) (+1) [6.1, src
 * mapped: lru_add_drain() at once], the PTEs point at dst (+1 each), folio_unlock(dst),
 * folio_put(dst) (-1, the allocation reference), then src's last put.
 */
function migrate_folio_move(k: Kernel, ctx: MigrateCtx, src: Pfn, { dst, mapped }: Unmapped): void {
  folio_add_lru(k, dst);
  if (mapped && k.profile.facts.migrate.drainAfterMappedMove) lru_add_drain(k);
  remove_migration_ptes(k, ctx.mms, src, dst);
  const f = mmcache(k).f;
  f.__folio_clear_locked(dst);
  called(k, 'folio_put', () => folio_put(k, dst));
  f.__folio_clear_locked(src);
  called(k, 'folio_put', () => folio_put(k, src)); // migrate_folio_done()
}

/**
 * migrate_pages() of isolated small folios, in list order. 6.1 (:1591 migrate_pages_batch): up to
 * 10 passes, each folio unmapped, moved or undone again, -ENOMEM ends the batch at once; 6.12
 * (:1964 migrate_pages_sync): a batch of 3 ASYNC passes with one unmap (an -ENOMEM stops the
 * unmapping: the folios unmapped so far are still moved, :1857 `goto move`, and the rest stays),
 * then each failed folio alone for 7 SYNC passes, unless the batch ended in -ENOMEM (:1985).
 * `left`: the folios not migrated, still isolated for the caller's putback (undone ones first).
 */
export function migrate_pages(
  k: Kernel,
  ctx: MigrateCtx,
  folios: readonly Pfn[],
  target: MigrationTarget = ALLOC_MIGRATION_TARGET,
): MigrateResult {
  for (const folio of folios)
    if (folio_test_large(k, folio))
      throw new NotModelled(`migrate_pages: pfn ${folio}: migration of large folios is not modelled`);
  return called(k, 'migrate_pages', () => {
    const m = k.profile.facts.migrate;
    if (m.unmapEveryPass) {
      return called(k, 'migrate_pages_batch', () => {
        let left = [...folios];
        for (let pass = 0; pass < m.passes[0] && left.length; pass++) {
          const next: Pfn[] = [];
          for (let i = 0; i < left.length; i++) {
            const src = left[i];
            const u = migrate_folio_unmap(k, ctx, target, src);
            if (!u) return { rc: -ENOMEM, left: [...next, ...left.slice(i)] };
            if (move_to_new_folio(k, ctx, u.dst, src)) migrate_folio_move(k, ctx, src, u);
            else {
              migrate_folio_undo(k, ctx, target, src, u.dst);
              next.push(src);
            }
          }
          left = next;
        }
        return { rc: left.length, left };
      });
    }
    const batch = (srcs: readonly Pfn[], passes: number): MigrateResult =>
      called(k, 'migrate_pages_batch', () => {
        const dsts = new Map<Pfn, Unmapped>();
        let todo: Pfn[] = [];
        let rest: Pfn[] = [];
        for (let i = 0; i < srcs.length; i++) {
          const u = migrate_folio_unmap(k, ctx, target, srcs[i]);
          if (!u) {
            rest = srcs.slice(i);
            break;
          }
          dsts.set(srcs[i], u);
          todo.push(srcs[i]);
        }
        for (let pass = 0; pass < passes && todo.length; pass++)
          todo = todo.filter((src) => {
            if (!move_to_new_folio(k, ctx, dsts.get(src)!.dst, src)) return true;
            migrate_folio_move(k, ctx, src, dsts.get(src)!);
            return false;
          });
        for (const src of todo) migrate_folio_undo(k, ctx, target, src, dsts.get(src)!.dst);
        return { rc: rest.length ? -ENOMEM : todo.length, left: [...todo, ...rest] };
      });
    return called(k, 'migrate_pages_sync', () => {
      const first = batch(folios, m.passes[0]);
      if (first.rc < 0) return first;
      const left: Pfn[] = [];
      for (let i = 0; i < first.left.length; i++) {
        const one = batch([first.left[i]], m.passes[1]);
        left.push(...one.left);
        if (one.rc < 0) return { rc: one.rc, left: [...left, ...first.left.slice(i + 1)] };
      }
      return { rc: left.length, left };
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
      // both kernels isolate the whole folio and migrate_pages() moves or splits it
      if (PageCompound(k, folio))
        throw new NotModelled(`move_pages: ${vma.name} page ${i} is part of a large folio (not modelled)`);
      const follow = k.profile.facts.migrate.movePagesFollowPageGet;
      if (follow)
        called(k, 'follow_page', () =>
          called(k, 'follow_page_pte', () => called(k, 'try_grab_page', () => folio_get(k, folio))),
        );
      if (folio_isolate_lru(k, folio)) list.push(folio);
      if (follow) called(k, 'folio_put', () => put_page(k, folio));
    }
    return called(k, 'move_pages_and_store_status', () => {
      const { left } = migrate_pages(k, ctx, list);
      putback_movable_pages(k, left);
      lru_cache_enable(k);
      return left.length;
    });
  });
}
