/**
 * One folio's migration (mm/migrate.c), small or large (PMD THPs, 6.12 mTHPs): where the destination
 * comes from (alloc_migration_target with the source's order), the unmap step (migrate_folio_unmap:
 * dst allocated, try_to_migrate: -1 per mapping, on the head, a PMD as one migration entry), the
 * move (the expected-refcount rule; 6.12 prechecks without an event, 6.1 freezes mapping-backed
 * folios directly; a 6.12 large anon folio is frozen with the expected count to leave the deferred
 * split queue), the remap onto dst or the undo onto src (remove_migration_ptes: +1 per mapping) and
 * the source's last put. The retry structure around these steps is in migrate.ts.
 */
import {
  PageAnon,
  folio_mapcount,
  folio_mapped,
  folio_nr_pages,
  folio_order,
  folio_test_large,
} from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_put } from '../kernel/mm_ref.js';
import { folio_ref_add, folio_ref_count, folio_ref_freeze, folio_ref_unfreeze } from '../kernel/page_ref.js';
import {
  deferred_split_folio,
  deferred_split_queue,
  folio_test_partially_mapped,
  folio_unqueue_deferred_split,
} from './huge_split.js';
import { remove_migration_pmd, set_pmd_migration_entry } from './huge_memory.js';
import { mmcache } from './mm_cache.js';
import type { AddressSpace, MmStruct } from './mm_types.js';
import { NotModelled } from './not_modelled.js';
import { MIGRATE_MOVABLE, alloc_pages } from './page_alloc.js';
import { folio_copy } from './page_data.js';
import { remove_migration_ptes, try_to_migrate } from './rmap.js';
import { called } from './stack.js';
import { folio_add_lru, lru_add_drain } from './swap.js';

export interface MigrateCtx {
  readonly mms: readonly MmStruct[];
  /** the page-cache address_space by mapping id */
  readonly mappings: ReadonlyMap<number, AddressSpace>;
}

/**
 * new_folio_t / free_folio_t of migrate_pages(): where the destination folios come from and where
 * an unused one goes. get_new_folio returns a folio of the source's order with one reference, or
 * -1 (NULL: -ENOMEM). Without put_new_folio an unused dst is folio_put() (migrate_folio_undo_dst,
 * 6.12 :1153).
 */
export interface MigrationTarget {
  readonly get_new_folio: (k: Kernel, src: Pfn) => Pfn;
  readonly put_new_folio?: (k: Kernel, dst: Pfn) => void;
}

/** include/uapi/asm-generic/errno-base.h */
export const EAGAIN = 11;
export const ENOMEM = 12;
/** include/linux/migrate.h */
export const MIGRATEPAGE_SUCCESS = 0;

/**
 * alloc_migration_target() (6.12 mm/migrate.c:2138; 6.1 :1879): __folio_alloc() of the source's
 * order (a large source: GFP_TRANSHUGE, :2168), then page_rmappable_folio() (6.12 PG_large_rmappable;
 * 6.1 prep_transhuge_page). When the buddy has no such block even after direct reclaim, the kernel
 * would compact (__GFP_DIRECT_RECLAIM of a costly order), which the allocator does not model.
 */
export const ALLOC_MIGRATION_TARGET: MigrationTarget = {
  get_new_folio: (k, src) =>
    called(k, 'alloc_migration_target', () => {
      const order = folio_order(k, src);
      // order 0: the allocator's own out-of-memory error (the OOM killer is not modelled)
      const dst = alloc_pages(k, order, { comp: true, migratetype: MIGRATE_MOVABLE, mayFail: order > 0 });
      if (dst < 0)
        throw new NotModelled(
          `alloc_migration_target: no free order-${order} block for pfn 0x${src.toString(16)}'s destination after direct reclaim (the allocation's direct compaction is not modelled)`,
        );
      if (order) mmcache(k).f.folio_set_large_rmappable?.(dst);
      return dst;
    }),
};

/**
 * The count a folio must have for the move: 6.12 folio_expected_ref_count(src) + 1 (mm.h:2238:
 * swapcache nr; without anon, nr with a mapping + private; + mapcount); 6.1 folio_expected_refs()
 * (migrate.c:361): 1, + nr + private with a mapping. Both: 1 for an unmapped anon folio.
 */
function expected_count(k: Kernel, src: Pfn): number {
  const mapped = PageAnon(k, src)
    ? 0
    : folio_nr_pages(k, src) + (mmcache(k).f.folio_test_private(src) ? 1 : 0);
  return 1 + mapped + (k.profile.facts.migrate.precheck ? folio_mapcount(k, src) : 0);
}

/**
 * folio_migrate_flags() (6.1 mm/migrate.c:537, 6.12 :692) as far as page flags go: referenced,
 * uptodate, active (cleared on src) or else unevictable (likewise), workingset, checked,
 * mappedtodisk, dirty (a page-cache folio's moved already), readahead (PG_reclaim's bit, set last).
 * young/idle live in page_ext on 64-bit builds.
 */
function folio_migrate_flags(k: Kernel, dst: Pfn, src: Pfn): void {
  const f = mmcache(k).f;
  if (f.folio_test_referenced(src)) f.folio_set_referenced(dst);
  if (f.folio_test_uptodate(src)) f.folio_mark_uptodate(dst);
  if (f.folio_test_clear_active(src)) f.folio_set_active(dst);
  else if (f.folio_test_clear_unevictable(src)) f.folio_set_unevictable(dst);
  if (f.folio_test_workingset(src)) f.folio_set_workingset(dst);
  if (f.folio_test_checked(src)) f.folio_set_checked(dst);
  if (f.folio_test_mappedtodisk(src)) f.folio_set_mappedtodisk(dst);
  if (f.folio_test_dirty(src)) f.folio_set_dirty(dst);
  if (f.folio_test_readahead(src)) f.folio_set_readahead(dst);
}

/**
 * move_to_new_folio() -> migrate_folio()/shmem/filemap: 6.12 __migrate_folio (:786) precheck, then
 * folio_mc_copy; folio_migrate_mapping (6.1 :383, 6.12 __folio_migrate_mapping :509): anon compares,
 * and 6.12 freezes a large rmappable anon folio with the expected count to take it off the deferred
 * split queue (:522); a mapping freezes(expected), gives dst the cache references (+nr), unfreezes
 * src to expected - nr.
 */
function move_to_new_folio(k: Kernel, ctx: MigrateCtx, dst: Pfn, src: Pfn): boolean {
  // move_to_new_folio() is inlined in both builds; the stacks show the a_ops->migrate_folio
  return called(k, 'migrate_folio', () => {
    const expected = expected_count(k, src);
    const mem = k.mem;
    const nr = folio_nr_pages(k, src);
    const f = mmcache(k).f;
    // a block device's folios go through def_blk_aops' buffer_migrate_folio_norefs, whose
    // __buffer_migrate_folio compares before any freeze when buffer heads are attached, and
    // without them is migrate_folio() (6.1 mm/migrate.c:716, 6.12 :865, block/fops.c): the
    // model's block-device folios (read by mpage readahead) have none, and the real 6.1 trace
    // freezes them (val=2 ret=0) in folio_migrate_mapping
    const buffers = ctx.mappings.get(mem.mapping[src])?.kind === 'file' && f.folio_test_private(src);
    if ((k.profile.facts.migrate.precheck || buffers) && folio_ref_count(k, src) !== expected) return false;
    folio_copy(k, dst, src, nr);
    return called(k, 'folio_migrate_mapping', () => {
      if (PageAnon(k, src)) {
        if (folio_ref_count(k, src) !== expected) return false;
        if (folio_test_large(k, src) && k.profile.facts.migrate.unqueueDeferredSplit) {
          if (!called(k, 'page_ref_freeze', () => folio_ref_freeze(k, src, expected))) return false;
          folio_unqueue_deferred_split(k, src);
          folio_ref_unfreeze(k, src, expected);
        }
      } else {
        if (!called(k, 'page_ref_freeze', () => folio_ref_freeze(k, src, expected))) return false;
        folio_ref_add(k, dst, nr);
        const mapping = ctx.mappings.get(mem.mapping[src]);
        if (mapping) mapping.pages[mem.index[src]] = dst;
        // "Move dirty while folio refs frozen": src's unfreeze shows it clean (6.12 :570, 6.1 :437)
        if (f.folio_test_dirty(src)) {
          f.folio_clear_dirty(src);
          f.folio_set_dirty(dst);
        }
        folio_ref_unfreeze(k, src, expected - nr);
      }
      mem.mapping[dst] = mem.mapping[src];
      mem.index[dst] = mem.index[src];
      if (f.folio_test_swapbacked(src)) f.__folio_set_swapbacked(dst);
      folio_migrate_flags(k, dst, src);
      if (!PageAnon(k, src)) mem.mapping[src] = 0;
      return true;
    });
  });
}

/** an unmapped source's destination, PAGE_WAS_MAPPED (6.1 page_was_mapped) */
export interface Unmapped {
  readonly dst: Pfn;
  readonly mapped: boolean;
}

/** remove_migration_ptes(src, dst) of a migration: PMD entries through remove_migration_pmd */
function remap(k: Kernel, ctx: MigrateCtx, src: Pfn, dst: Pfn): void {
  remove_migration_ptes(k, ctx.mms, src, dst, { pmd: remove_migration_pmd });
}

/**
 * migrate_folio_done() (6.12 :1165; 6.1 :1040): the isolation reference of a migrated (or freed) source put
 * (-1, usually freeing it)
 */
function migrate_folio_done(k: Kernel, src: Pfn): void {
  called(k, 'folio_put', () => folio_put(k, src));
}

/**
 * migrate_folio_unmap() (6.12 :1183; 6.1 :1237 with __migrate_folio_unmap :1057). A source with
 * only the isolation reference left was freed under us (:1196; 6.1 :1250): migrate_folio_done,
 * success. Otherwise get_new_folio (-1: -ENOMEM, src untouched), lock src, folio_trylock(dst)
 * (6.12 :1289), try_to_migrate (6.12 :1319; 6.1 :1162); a source still mapped (a pinned exclusive
 * page stopped the walk) is undone: -EAGAIN. dst stays locked until the remap or the undo, so its
 * cache reference (+nr) and LRU events show PG_locked, as the real traces do.
 */
export function migrate_folio_unmap(
  k: Kernel,
  ctx: MigrateCtx,
  target: MigrationTarget,
  src: Pfn,
): Unmapped | number {
  const f = mmcache(k).f;
  if (folio_ref_count(k, src) === 1) {
    f.folio_clear_active(src);
    f.folio_clear_unevictable(src);
    migrate_folio_done(k, src);
    return MIGRATEPAGE_SUCCESS;
  }
  const dst = target.get_new_folio(k, src);
  if (dst < 0) return -ENOMEM;
  f.__folio_set_locked(src);
  f.__folio_set_locked(dst);
  const mapped = folio_mapped(k, src);
  if (mapped) try_to_migrate(k, ctx.mms, src, (k, _mm, vma, i) => set_pmd_migration_entry(k, vma, i));
  if (!folio_mapped(k, src)) return { dst, mapped };
  migrate_folio_undo(k, ctx, target, src, { dst, mapped });
  return -EAGAIN;
}

/**
 * migrate_folio_undo_src/dst() (6.12 :1135, :1153): remove_migration_ptes(src, src) (+1 each) if
 * src was mapped, unlock both, dst to put_new_folio or folio_put (freed)
 */
export function migrate_folio_undo(
  k: Kernel,
  ctx: MigrateCtx,
  target: MigrationTarget,
  src: Pfn,
  { dst, mapped }: Unmapped,
): void {
  if (mapped) called(k, 'migrate_folio_undo_src', () => remap(k, ctx, src, src));
  const f = mmcache(k).f;
  f.__folio_clear_locked(src);
  f.__folio_clear_locked(dst);
  if (target.put_new_folio) target.put_new_folio(k, dst);
  else called(k, 'folio_put', () => folio_put(k, dst));
}

/**
 * migrate_folio_move() (6.12 :1344; 6.1 :1287 with __migrate_folio_move :1186): the move, false
 * (-EAGAIN) if it failed; then folio_add_lru(dst) (+1, drained at once for a large folio) [6.1, src
 * mapped: lru_add_drain() at once], the mappings point at dst (+1 each), 6.12 queues dst for
 * deferred split if src was queued (:1400), folio_unlock(dst), folio_put(dst) (-1, the allocation
 * reference), then src's last put.
 */
export function migrate_folio_move(k: Kernel, ctx: MigrateCtx, src: Pfn, { dst, mapped }: Unmapped): boolean {
  const queued =
    k.profile.facts.migrate.unqueueDeferredSplit &&
    folio_order(k, src) > 1 &&
    deferred_split_queue(k).has(src);
  const partially = queued && folio_test_partially_mapped(k, src);
  if (!move_to_new_folio(k, ctx, dst, src)) return false;
  folio_add_lru(k, dst);
  if (mapped && k.profile.facts.migrate.drainAfterMappedMove) lru_add_drain(k);
  if (mapped) remap(k, ctx, src, dst);
  if (queued) deferred_split_folio(k, dst, partially);
  const f = mmcache(k).f;
  f.__folio_clear_locked(dst);
  called(k, 'folio_put', () => folio_put(k, dst));
  f.__folio_clear_locked(src);
  migrate_folio_done(k, src);
  return true;
}
