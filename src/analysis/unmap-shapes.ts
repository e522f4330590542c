/**
 * The PTE references that a migration or reclaim pass drops from a page it does not move, and
 * that a migration's undo restores, recognised without stacks from the page's own events
 * (migration-shapes.ts marks the passes that moved a page, from their destination):
 *  - try_to_migrate_one() and try_to_unmap_one() remove a PTE's rmap, then drop its reference,
 *    under the folio lock the pass holds (6.1 mm/rmap.c:2130-2133 and :1791-1794 page_remove_rmap
 *    then folio_put; 6.12 :2344-2347 and :1975-1978 folio_remove_rmap_pte then folio_put): a put
 *    of one reference with PG_locked whose event shows one mapping fewer than the page's event
 *    before is the mapping's;
 *  - a page the pass did not move gets those PTEs back from remove_migration_ptes(src, src)
 *    (6.1 mm/migrate.c:1172 __migrate_folio_unmap and :1216 __migrate_folio_move, 6.12 :1142
 *    migrate_folio_undo_src, called from migrate_folio_move's failure :1435), each a folio_get
 *    before its rmap is added (remove_migration_pte: 6.1 :201, 6.12 :325): a locked get
 *    of one reference by the task that unmapped earlier in the same locked run, at the mapcount
 *    the unmaps left, is the mapping's, and the page is mapped once more after it.
 * Unmaps an undo follows are try_to_migrate_one's: they and the undo's gets carry the bits
 * migration.ts reads from the frames (UNMAP, REMAP). Reclaim's, which nothing restores (6.1
 * mm/vmscan.c shrink_folio_list: try_to_unmap, then __remove_mapping's freeze), get the owner
 * alone. A compound head is left alone: its mapcount does not count the folio's other pages.
 *
 * Without this, the put of an unmap finds no mapping reference (the one the PTE holds is the
 * allocation's or the fault's lookup's, handed over with no event) and is paired by task order
 * with some reference of the migrating task's: on the 6.1 migration_blocked trace the GUP-fast
 * one vmsplice left in the pipe, the very reference that blocks the migration.
 */
import type { ProfileName } from '../kernel/profiles/types.js';
import type { EventStore } from '../trace/store.js';
import { tracedMapped } from './consistency.js';
import {
  code,
  HEAD,
  isGet,
  isPut,
  LOCKED,
  REMAP,
  ShapeBits,
  UNMAP,
  type InferredMigrations,
} from './migration-shapes.js';

const MAPPING = code('mapping');

/**
 * Marks, in `inferred`, the unmaps and undos of passes that left their page where it was: returns
 * the marker of one page, by rank of the store's pfn index (run before cache-shapes.ts's on it).
 */
export function unmapShapes(
  s: EventStore,
  profile: ProfileName,
  inferred: InferredMigrations,
): (rank: number) => void {
  const c = s.columns();
  const shapes = new ShapeBits(s, c, profile);
  const { owner, facts } = inferred;
  const { shape, mapcounts, vals, type, pid } = c;
  // the first mapcount that says "mapped" (a val of ±1 is stored as it is, never as VAL_OVERFLOW)
  const mappedFrom = tracedMapped(profile, 0) ? 0 : 1;
  const ix = s.pfnIndex();
  const idx = ix.indices;
  /**
   * The unmaps of the current locked run, marked UNMAP once an undo shows it was a migration;
   * emptied only when it holds some (setting an array's length is a runtime call: 186 ms of
   * profile on the 1.25 M event bench trace when done for every unlocked event).
   */
  const unmaps: number[] = [];
  return (r) => {
    const lo = ix.offsets[r],
      hi = ix.offsets[r + 1];
    // the page's mapcount after its event before (after an undo's get, one more: its rmap follows)
    let mapped = mapcounts[idx[lo]];
    let unmapper = -1;
    if (unmaps.length > 0) unmaps.length = 0;
    for (let q = lo; q < hi; q++) {
      const i = idx[q];
      const sh = shape[i];
      const shown = mapcounts[i];
      if ((shapes.of(i, sh) & (LOCKED | HEAD)) !== LOCKED) {
        unmapper = -1;
        if (unmaps.length > 0) unmaps.length = 0;
        mapped = shown;
        continue;
      }
      if (owner[i] === 0) {
        const v = vals[i];
        if (v === -1 && q > lo && shown === mapped - 1 && mapped >= mappedFrom && isPut(type[sh], v)) {
          owner[i] = MAPPING;
          unmaps.push(i);
          unmapper = pid[sh];
        } else if (v === 1 && pid[sh] === unmapper && shown === mapped && isGet(type[sh], v, c.ret[sh])) {
          owner[i] = MAPPING;
          facts[i] = REMAP;
          for (const u of unmaps) facts[u] = UNMAP;
          unmaps.length = 0;
          mapped = shown + 1;
          continue;
        }
      }
      mapped = shown;
    }
  };
}
