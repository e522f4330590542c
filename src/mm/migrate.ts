/**
 * Page migration (mm/migrate.c): migrate_pages() and its retry structure for small and large
 * folios, all from the profile's `migrate` facts (one folio's steps are in migrate_folio.ts; its
 * move_pages(2) caller in move_pages.ts). A large folio that gets no destination (-ENOMEM), or a 6.12
 * partially mapped one on the deferred split queue, is split (try_split_folio) and its pieces are
 * migrated after it; one whose references block the move (-EAGAIN) is retried, never split.
 */
import { folio_nr_pages, folio_test_large } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { deferred_split_queue, folio_test_partially_mapped, split_folio_to_list } from './huge_split.js';
import {
  ALLOC_MIGRATION_TARGET,
  EAGAIN,
  ENOMEM,
  MIGRATEPAGE_SUCCESS,
  migrate_folio_move,
  migrate_folio_undo,
  migrate_folio_unmap,
  type MigrateCtx,
  type MigrationTarget,
  type Unmapped,
} from './migrate_folio.js';
import { mmcache } from './mm_cache.js';
import { PMD_ORDER } from './mm_types.js';
import { called } from './stack.js';
import { folio_putback_lru } from './swap.js';

export { ENOMEM, type MigrateCtx, type MigrationTarget } from './migrate_folio.js';

/** what migrate_pages() returns: rc (-ENOMEM or the number not migrated) and those folios, still isolated */
export interface MigrateResult {
  readonly rc: number;
  readonly left: Pfn[];
}

/** NR_MAX_BATCHED_MIGRATION = HPAGE_PMD_NR (6.12 mm/migrate.c:1593; 6.1 :1486) */
const NR_MAX_BATCHED_MIGRATION = 1 << PMD_ORDER;

function drop(list: Pfn[], folio: Pfn): void {
  list.splice(list.indexOf(folio), 1);
}

/** how many folios of `from` migrate_pages() takes into its next batch (profile `batchEnd`) */
function batch_length(k: Kernel, from: readonly Pfn[]): number {
  const reaching = k.profile.facts.migrate.batchEnd === 'reaching';
  let nr = 0;
  for (let i = 0; i < from.length; i++) {
    nr += folio_nr_pages(k, from[i]);
    if (reaching ? nr >= NR_MAX_BATCHED_MIGRATION : nr > NR_MAX_BATCHED_MIGRATION)
      return reaching ? i + 1 : i;
  }
  return from.length;
}

/**
 * try_split_folio() (6.12 :1573; 6.1 :1472): folio_lock, split_folio_to_list(folio, split) (the
 * tails onto `split`, +1 each), folio_unlock; the head follows its tails there. 0 or -EAGAIN/-EBUSY.
 */
function try_split_folio(k: Kernel, ctx: MigrateCtx, folio: Pfn, split: Pfn[]): number {
  const f = mmcache(k).f;
  f.__folio_set_locked(folio);
  const rc = split_folio_to_list(k, ctx.mms, folio, split);
  f.__folio_clear_locked(folio);
  if (!rc) split.push(folio);
  return rc;
}

/**
 * 6.1 migrate_pages_batch() (:1591): up to NR_MAX_MIGRATE_PAGES_RETRY passes, each folio unmapped
 * and moved, or undone, again (unmap_and_move). -ENOMEM: a large folio is split (:1684) and the
 * list goes on; otherwise the batch ends, its split pieces to `ret`. After the passes the folios
 * still failing go to `ret` and the split pieces get passes of their own (:1761), where their
 * -EAGAINs are not counted as retries (no_split_folio_counting), so one pass. `from` keeps the
 * folios that stayed; returns the number not migrated or -ENOMEM.
 */
function migrate_pages_batch_v6_1(
  k: Kernel,
  ctx: MigrateCtx,
  target: MigrationTarget,
  from: Pfn[],
  ret: Pfn[],
): number {
  const passes = k.profile.facts.migrate.passes[0];
  const split: Pfn[] = [];
  let splitRound = false;
  let nr_failed = 0;
  for (;;) {
    let retry = 1;
    for (let pass = 0; pass < passes && retry; pass++) {
      retry = 0;
      for (const folio of [...from]) {
        const large = folio_test_large(k, folio);
        const u = migrate_folio_unmap(k, ctx, target, folio);
        let rc = u;
        if (typeof u !== 'number') {
          rc = migrate_folio_move(k, ctx, folio, u) ? MIGRATEPAGE_SUCCESS : -EAGAIN;
          if (rc) migrate_folio_undo(k, ctx, target, folio, u);
        }
        if (rc === MIGRATEPAGE_SUCCESS) drop(from, folio);
        else if (rc === -EAGAIN) retry += large || !splitRound ? 1 : 0;
        else if (large && try_split_folio(k, ctx, folio, split) === 0) {
          nr_failed++;
          drop(from, folio);
        } else {
          ret.push(...split.splice(0));
          return -ENOMEM;
        }
      }
    }
    nr_failed += retry;
    if (!split.length) return nr_failed;
    ret.push(...from.splice(0));
    from.push(...split.splice(0));
    splitRound = true;
  }
}

/**
 * 6.12 migrate_pages_batch() (:1718). The unmap phase, up to `passes` times for the folios whose
 * unmap failed (-EAGAIN: each try allocates and frees a destination); a partially mapped folio on
 * the deferred split queue is split first (:1777). -ENOMEM: a large folio is split and the list
 * goes on (:1832); otherwise the unmapping stops and the folios unmapped so far are still moved
 * (`goto move`). Then up to `passes` move passes without unmapping again, and the folios still
 * unmapped are undone, onto `ret`. `from` keeps the folios not unmapped; `split` null: the split
 * pieces' own pass. Returns the number not migrated or -ENOMEM; `stats.nr_split` counts splits.
 */
function migrate_pages_batch(
  k: Kernel,
  ctx: MigrateCtx,
  target: MigrationTarget,
  from: Pfn[],
  ret: Pfn[],
  split: Pfn[] | null,
  passes: number,
  stats: { nr_split: number },
): number {
  return called(k, 'migrate_pages_batch', () => {
    let nr_failed = 0;
    let rc_saved = 0;
    const unmapped = new Map<Pfn, Unmapped>();
    let retry = 1;
    unmap: for (let pass = 0; pass < passes && retry; pass++) {
      retry = 0;
      for (const folio of [...from]) {
        const partially =
          k.profile.facts.migrate.splitPartiallyMapped &&
          folio_nr_pages(k, folio) > 2 &&
          deferred_split_queue(k).has(folio) &&
          folio_test_partially_mapped(k, folio);
        if (split && partially && try_split_folio(k, ctx, folio, split) === 0) {
          nr_failed++;
          stats.nr_split++;
          drop(from, folio);
          continue;
        }
        const u = migrate_folio_unmap(k, ctx, target, folio);
        if (u === -EAGAIN) {
          retry++;
          continue;
        }
        if (u !== -ENOMEM) {
          drop(from, folio);
          if (u !== MIGRATEPAGE_SUCCESS) unmapped.set(folio, u as Unmapped);
          continue;
        }
        nr_failed++;
        if (split && folio_test_large(k, folio) && try_split_folio(k, ctx, folio, split) === 0) {
          stats.nr_split++;
          drop(from, folio);
          continue;
        }
        rc_saved = -ENOMEM;
        if (!unmapped.size) return rc_saved;
        break unmap;
      }
    }
    if (!rc_saved) nr_failed += retry;
    retry = 1;
    for (let pass = 0; pass < passes && retry; pass++) {
      retry = 0;
      for (const [folio, u] of unmapped)
        if (migrate_folio_move(k, ctx, folio, u)) unmapped.delete(folio);
        else retry++;
    }
    nr_failed += retry;
    for (const [folio, u] of unmapped) {
      migrate_folio_undo(k, ctx, target, folio, u);
      ret.push(folio);
    }
    return rc_saved || nr_failed;
  });
}

/**
 * 6.12 migrate_pages_sync() (:1964): one ASYNC batch of NR_MAX_MIGRATE_ASYNC_RETRY passes; unless it
 * ended in -ENOMEM, every folio it left (those it could not unmap, then those it undid) alone in a
 * batch of NR_MAX_MIGRATE_SYNC_RETRY passes. Its count of not migrated starts at the ASYNC splits.
 */
function migrate_pages_sync(
  k: Kernel,
  ctx: MigrateCtx,
  target: MigrationTarget,
  from: Pfn[],
  ret: Pfn[],
  split: Pfn[],
): number {
  return called(k, 'migrate_pages_sync', () => {
    const [asyncPasses, syncPasses] = k.profile.facts.migrate.passes;
    const folios: Pfn[] = [];
    const astats = { nr_split: 0 };
    const rc = migrate_pages_batch(k, ctx, target, from, folios, split, asyncPasses, astats);
    if (rc < 0) {
      ret.push(...folios);
      return rc;
    }
    let nr_failed = astats.nr_split;
    from.push(...folios.splice(0));
    while (from.length) {
      const one = [from.shift()!];
      const r = migrate_pages_batch(k, ctx, target, one, ret, split, syncPasses, astats);
      ret.push(...one);
      if (r < 0) return r;
      nr_failed += r;
    }
    return nr_failed;
  });
}

/**
 * migrate_pages() (6.12 :2041; 6.1 :1804) of isolated folios, in list order, batch by batch of
 * NR_MAX_BATCHED_MIGRATION pages: 6.1 migrate_pages_batch (unmapEveryPass), 6.12 migrate_pages_sync
 * and then the split pieces in one ASYNC pass (:2100). An -ENOMEM ends it. `left`: the folios not
 * migrated, still isolated for the caller's putback, in the kernel's list order; rc is 0 when none is.
 */
export function migrate_pages(
  k: Kernel,
  ctx: MigrateCtx,
  folios: readonly Pfn[],
  target: MigrationTarget = ALLOC_MIGRATION_TARGET,
): MigrateResult {
  return called(k, 'migrate_pages', () => {
    const from = [...folios];
    const ret: Pfn[] = [];
    let rc_gather = 0;
    while (from.length) {
      const batch = from.splice(0, batch_length(k, from));
      const split: Pfn[] = [];
      const rc = k.profile.facts.migrate.unmapEveryPass
        ? called(k, 'migrate_pages_batch', () => migrate_pages_batch_v6_1(k, ctx, target, batch, ret))
        : migrate_pages_sync(k, ctx, target, batch, ret, split);
      ret.push(...batch);
      if (rc < 0) {
        ret.push(...split);
        rc_gather = rc;
        break;
      }
      if (split.length) {
        migrate_pages_batch(k, ctx, target, split, ret, null, 1, { nr_split: 0 });
        ret.push(...split);
      }
      rc_gather += rc;
    }
    const left = [...ret, ...from];
    return { rc: left.length ? rc_gather : 0, left };
  });
}

/** putback_movable_pages(): folio_putback_lru for each folio that stayed */
export function putback_movable_pages(k: Kernel, folios: readonly Pfn[]): void {
  called(k, 'putback_movable_pages', () => {
    for (const folio of folios) folio_putback_lru(k, folio);
  });
}
