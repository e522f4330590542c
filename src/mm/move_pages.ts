/**
 * move_pages(2) (mm/migrate.c do_pages_move and its helpers): page by page, the folio looked up and
 * isolated, the list queued so far migrated (migrate_pages, migrate.ts) when a page is not queued,
 * the ones not migrated put back.
 */
import { folio_likely_mapped_shared, page_folio, page_mapcount } from '../kernel/folio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_get, put_page } from '../kernel/mm_ref.js';
import { migrate_pages, putback_movable_pages } from './migrate.js';
import { ALLOC_MIGRATION_TARGET, type MigrateCtx, type MigrationTarget } from './migrate_folio.js';
import { Pte, type Vma } from './mm_types.js';
import { called } from './stack.js';
import { folio_isolate_lru, lru_cache_disable, lru_cache_enable } from './swap.js';

/**
 * 6.12 add_folio_for_migration() (:2243) / __add_folio_for_migration() (:2206); 6.1
 * add_page_for_migration() (:1958). The folio at page i: 6.12 folio_walk_start takes no reference;
 * 6.1 follow_page(FOLL_GET) takes one (try_grab_page +1 on the folio, under follow_page_pte or
 * follow_trans_huge_pmd) and puts it at the end. No page or the zero page (-ENOENT/-EFAULT), a folio
 * already on the target node (one this call migrated), one mapped by others (-EACCES, profile
 * `movePagesShared`) or not isolated (-EBUSY: e.g. a large folio an earlier page of it isolated)
 * are not queued; otherwise folio_isolate_lru (+1) onto the list. True when queued.
 */
function add_folio_for_migration(
  k: Kernel,
  vma: Vma,
  i: number,
  onTarget: ReadonlySet<Pfn>,
  pagelist: Pfn[],
): boolean {
  const pte = vma.pte[i];
  if (!(pte & Pte.PRESENT) || pte & Pte.ZERO) return false;
  const page = vma.pfn[i];
  const folio = page_folio(k, page);
  const m = k.profile.facts.migrate;
  if (m.movePagesFollowPageGet)
    called(k, 'follow_page', () =>
      called(k, pte & Pte.PMD ? 'follow_trans_huge_pmd' : 'follow_page_pte', () =>
        called(k, 'try_grab_page', () => folio_get(k, folio)),
      ),
    );
  const shared =
    m.movePagesShared === 'page_mapcount' ? page_mapcount(k, page) > 1 : folio_likely_mapped_shared(k, folio);
  const queued = !onTarget.has(folio) && !shared && folio_isolate_lru(k, folio);
  if (queued) pagelist.push(folio);
  if (m.movePagesFollowPageGet) called(k, 'folio_put', () => put_page(k, page));
  return queued;
}

/**
 * move_pages_and_store_status() -> do_move_pages_to_node() (6.12 :2270, :2190; 6.1 :2025): the
 * queued folios through migrate_pages(), the ones not migrated put back; the number not migrated
 */
function move_pages_and_store_status(
  k: Kernel,
  ctx: MigrateCtx,
  target: MigrationTarget,
  pagelist: Pfn[],
): number {
  if (!pagelist.length) return 0;
  return called(k, 'move_pages_and_store_status', () => {
    const { rc, left } = migrate_pages(k, ctx, pagelist.splice(0), target);
    if (rc) putback_movable_pages(k, left);
    return rc;
  });
}

/**
 * move_pages(2) of pages [from, to] of a VMA to the other node -> do_pages_move() (6.12 :2300; 6.1
 * :2055): lru_cache_disable, then page by page add_folio_for_migration; a page not queued first
 * migrates the list queued so far (:2382), and if some of it was not migrated the call ends there;
 * the rest at the end; lru_cache_enable. So the pages of a large folio after its first see it
 * isolated and migrate it, and the ones after that find it on the target node. Returns what the
 * syscall returns: the pages not migrated or not tried, or -ENOMEM.
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
    const onTarget = new Set<Pfn>();
    const target: MigrationTarget = {
      get_new_folio: (k, src) => {
        const dst = ALLOC_MIGRATION_TARGET.get_new_folio(k, src);
        onTarget.add(dst);
        return dst;
      },
    };
    const pagelist: Pfn[] = [];
    let err = 0;
    for (let i = from; i <= to && !err; i++) {
      if (add_folio_for_migration(k, vma, i, onTarget, pagelist)) continue;
      err = move_pages_and_store_status(k, ctx, target, pagelist);
      if (err > 0) err += to - i; // + the pages not tried (:2143: page i is accounted for)
    }
    if (!err) err = move_pages_and_store_status(k, ctx, target, pagelist);
    lru_cache_enable(k);
    return err;
  });
}

/**
 * move_pages(2) with nodes == NULL -> do_pages_stat() -> do_pages_stat_array(): each page's node.
 * 6.1 (mm/migrate.c:2186) finds the page with follow_page(FOLL_GET | FOLL_DUMP), +1 then
 * put_page -1 (no FOLL_TOUCH: not marked accessed); 6.12 (:2424) with folio_walk_start, no
 * reference; the same difference as add_page_for_migration's (movePagesFollowPageGet).
 */
export function do_pages_stat(k: Kernel, vma: Vma, from: number, to: number): void {
  called(k, '__x64_sys_move_pages', () =>
    called(k, 'do_pages_stat', () => {
      if (!k.profile.facts.migrate.movePagesFollowPageGet) return;
      for (let i = from; i <= to; i++) {
        // FOLL_DUMP: the zero page is an error, taken no reference on
        if (!(vma.pte[i] & Pte.PRESENT) || vma.pte[i] & Pte.ZERO) continue;
        const page = vma.pfn[i];
        const folio = page_folio(k, page);
        called(k, 'follow_page', () =>
          called(k, vma.pte[i] & Pte.PMD ? 'follow_trans_huge_pmd' : 'follow_page_pte', () =>
            called(k, 'try_grab_page', () => folio_get(k, folio)),
          ),
        );
        called(k, 'folio_put', () => put_page(k, page));
      }
    }),
  );
}
