/**
 * Owners of page-cache, LRU batch, isolation, PTE and fault references recognised without stacks from one page's events,
 * for the gets and puts no migration explains (migration-shapes.ts marks those first):
 *  - a new anonymous page's LRU add: the fault (do_anonymous_page, wp_page_copy, do_cow_fault's
 *    finish_fault) or fork's copy of a pinned page allocates it (page_ref_set), adds its rmap, then
 *    adds it to this CPU's lru_add batch (6.1 mm/memory.c:3221-3222, 4229-4230, 4419-4420, 929-930
 *    page_add_new_anon_rmap then lru_cache_add_inactive_or_unevictable; 6.12 :3421-3422, 4562-4563,
 *    936-937 folio_add_new_anon_rmap then folio_add_lru_vma), whose folio_get is a page_ref_mod +1
 *    by the same task right after the set (6.12 do_anonymous_page: after its page_ref_mod val=0,
 *    folio_ref_add(folio, nr_pages - 1)), the page now mapped, with a mapping and without PG_lru
 *    (folio_add_lru's VM_BUG_ON_FOLIO(folio_test_lru)). A large folio's is left alone: its
 *    folio_ref_add(nr - 1) is a get of its own (6.12 :4556), and its head's mapcount counts no PMD.
 *  - a fault's page reference handed to the PTE: 6.12 finish_fault (mm/memory.c:5184) calls
 *    folio_ref_add(folio, nr_pages - 1) on the folio __do_fault returned and locked, a page_ref_mod
 *    val=0 with PG_locked for one page, before set_pte_range maps it; the get just before it, by
 *    the same task and taken while the page was unlocked, is the reference ->fault took
 *    (filemap_fault's lookup, the vDSO's vdso_fault get_page: 6.12 arch/x86/entry/vdso/vma.c:74),
 *    which the PTE keeps. (6.1's finish_fault adds no reference: no such event.)
 *  - an isolation from the LRU: folio_isolate_lru (6.1 mm/vmscan.c:2325-2328, 6.12 :1793-1796:
 *    if (folio_test_clear_lru(folio)) folio_get(folio)) clears PG_lru before its get, so a
 *    page_ref_mod +1 without PG_lru on a page whose event before had it is the isolation's
 *    (move_pages, migrate_misplaced_folio, mlock ...). Compaction's and reclaim's isolations take
 *    theirs with folio_try_get before clearing the flag (isolate_migratepages_block,
 *    isolate_lru_folios): not this shape, and a get after such a try_get is not taken (the flag
 *    went without an event; the get is the putback's folio_add_lru). Their own shape: the
 *    try_get (page_ref_mod_unless +1 ret=1) on a page with PG_lru whose next event, of the same
 *    task, shows the flag cleared with no event between (6.1 mm/compaction.c:992
 *    get_page_unless_zero then :1052 TestClearPageLRU, mm/vmscan.c:2253-2256 isolate_lru_folios;
 *    6.12 mm/compaction.c:1110 folio_get_nontail_page then :1189, mm/vmscan.c:1722-1725) and the
 *    page locked by the pass that follows, a put or freeze (the unmap, migrate_folio_unmap's or
 *    shrink_folio_list's folio_trylock); after a lookup's or GUP-fast's try_get on an LRU page
 *    come unlocked events (its put, folio_isolate_lru's get).
 *  - a putback after such an isolation: folio_putback_lru is folio_add_lru then the folio_put
 *    that drops the isolation's reference (6.1 mm/vmscan.c:1444-1448, 6.12 :852-856), so the
 *    isolating task's unlocked get and put right after its locked pass, neither with PG_lru, are
 *    the LRU batch's and the isolation's, and the batch's drain is the page's next put with
 *    PG_lru (move_pages' next follow_page get, folio_isolate_lru get and put come unlocked); a
 *    batch folio_add_lru drains at once puts its reference (with PG_lru) before the isolation's.
 *  - a PTE's own get: the paths that add a PTE to a page already in use take its reference, then
 *    add its rmap (fork: 6.1 mm/memory.c:965-966 and :974-975 copy_present_pte get_page then
 *    page_try_dup_anon_rmap / page_dup_file_rmap, 6.12 :1010-1020 copy_present_ptes
 *    folio_ref_add then folio_try_dup_anon_rmap_ptes / folio_dup_file_rmap_ptes and :1030-1048;
 *    vm_insert_page: 6.1 :1866-1868, 6.12 :2056 insert_page_into_pte_locked; a ->fault that
 *    returns its page with a get_page, which finish_fault's PTE keeps: the vDSO's vdso_fault,
 *    6.1 arch/x86/entry/vdso/vma.c:68, 6.12 :74), so a page_ref_mod +1, unlocked, on an order-0
 *    page whose next event shows one mapping more is the mapping's. Not right after a try_get of
 *    unknown owner at the same mapcount (its reference may be the one handed to the new PTE).
 *  - insertion: the page cache's reference is added while the folio is locked and its mapping still
 *    NULL, and the mapping is set right after (6.1 mm/filemap.c:864-865 and 6.12 :863-864
 *    __filemap_add_folio, 6.1 mm/shmem.c:712-713 and 6.12 :804-805 shmem_add_to_page_cache:
 *    folio_ref_add(folio, nr); folio->mapping = mapping), so a locked get on an unmapped page with
 *    mapping 0 whose next event shows a mapping is the page cache's. The swap cache's
 *    (add_to_swap_cache, mm/swap_state.c) sets PG_swapcache and leaves mapping NULL: not taken.
 *  - fault-around: filemap_map_pages takes a lookup reference (6.1 next_uptodate_page
 *    folio_try_get_rcu, 6.12 next_uptodate_folio folio_try_get: page_ref_mod_unless ret=1), maps
 *    the page and takes the PTE's reference after its rmap (6.1 do_set_pte then folio_ref_inc,
 *    6.12 filemap_map_order0_folio / filemap_map_folio_range: set_pte_range then folio_ref_inc /
 *    folio_ref_add, the mapcount already raised at that get), then folio_unlock + folio_put drops
 *    the lookup's. So in one task's run mod_unless(+1) get... put(-1) on a page, with nothing of
 *    another task between and every get between raising the mapcount, the gets between are the
 *    mapping's and the put drops the lookup's. Only where the profile says so (faultAroundRef
 *    'ref_inc_then_put'): 6.1 hands the lookup's reference to the last PTE instead (filemap_map_pages
 *    after do_set_pte: folio_ref_inc only for the folio's further pages, no put), and its puts in
 *    the loop are the unlock: path's (PTE not none).
 *  - 6.1 (faultAroundRef 'handed_to_pte'): a lookup's folio_try_get_rcu (page_ref_mod_unless +1
 *    ret=1) whose reference a PTE keeps: fault-around's next_uptodate_page (6.1 mm/filemap.c:3415;
 *    filemap_map_pages :3513 do_set_pte, then folio_unlock and no put), and the fault's own lookup
 *    (shmem_fault / filemap_fault: mm/filemap.c:1891 mapping_get_entry; 6.1 mm/memory.c:4615
 *    do_read_fault and :4680 do_shared_fault: finish_fault's do_set_pte keeps it, a put only on
 *    error); the stack classification calls both the mapping's. So such a get on a page with a
 *    mapping, not in the swap cache, whose mapcount at that page's next event (of any task: the
 *    6.1 boot trace's init-1 maps, then other tasks look the page up) is one higher is the
 *    mapping's: on 6.1 a PTE added with no event of its own holds a handed reference, and a get
 *    the loop drops (the unlock: path's folio_put) leaves the mapcount as it was. A GUP-fast get
 *    or pin (6.1 mm/gup.c:2484 gup_pte_range: try_grab_folio -> try_get_folio ->
 *    folio_ref_try_add_rcu, the same event) finds the PTE already there, so it raises no mapcount;
 *    it is followed by a raise only when another CPU's lookup, traced just before it, sets its PTE
 *    just after it (GUP-fast walks the page tables without their lock). So a get right after
 *    another task's unowned try_get at the same mapcount is left alone: which of the two the PTE
 *    keeps is unknown.
 */
import { loadProfile } from '../kernel/profiles/index.js';
import type { ProfileName } from '../kernel/profiles/types.js';
import { PageRefType } from '../kernel/tracepoint.js';
import { tracedMapped } from './consistency.js';
import type { EventStore } from '../trace/store.js';
import {
  code,
  HAS_MAPPING,
  HEAD,
  isGet,
  isPut,
  LOCKED,
  LRU,
  SHAPED,
  ShapeBits,
  SWAPCACHE,
  type InferredMigrations,
} from './migration-shapes.js';

/**
 * Marks, in `inferred`, the owners of the events left unmarked that these shapes explain: returns
 * the marker of one page, by rank of the store's pfn index (pages are independent, so the caller
 * runs it page by page with unmap-shapes.ts's, on the page's events while they are in the cache).
 */
export function cacheShapes(
  s: EventStore,
  profile: ProfileName,
  inferred: InferredMigrations,
): (rank: number) => void {
  const c = s.columns();
  const shapes = new ShapeBits(s, c, profile);
  const { owner, facts } = inferred;
  const pageCache = code('page-cache'),
    lookup = code('lookup'),
    mapping = code('mapping'),
    lruBatch = code('lru-batch'),
    isolation = code('isolation');
  const mark = (i: number, o: number): void => {
    owner[i] = o;
    facts[i] |= SHAPED;
  };
  const { faultAroundRef } = loadProfile(profile).facts;
  const faultAround = faultAroundRef === 'ref_inc_then_put',
    handed = faultAroundRef === 'handed_to_pte';
  const ix = s.pfnIndex();
  const idx = ix.indices;
  /** the try_get at idx[q] is on a page with a mapping whose next event shows one more mapping */
  const handedToPte = (q: number, lo: number, hi: number): boolean => {
    const i = idx[q];
    if ((shapes.of(i, c.shape[i]) & (HAS_MAPPING | SWAPCACHE)) !== HAS_MAPPING) return false;
    if (q + 1 >= hi || c.mapcounts[idx[q + 1]] !== c.mapcounts[i] + 1) return false;
    if (q === lo) return true;
    // another task's try_get just before, at the same mapcount, may be the one the PTE keeps
    const p = idx[q - 1];
    const psh = c.shape[p];
    const rival =
      owner[p] === 0 &&
      c.type[psh] === PageRefType.mod_unless &&
      s.val(p) === 1 &&
      c.ret[psh] === 1 &&
      c.pid[psh] !== c.pid[c.shape[i]] &&
      c.mapcounts[p] === c.mapcounts[i];
    return !rival;
  };
  /** the get at idx[q] is a PTE's, whose rmap the page's next event shows (fork's copy, a ->fault's get_page, vm_insert_page) */
  const rmapAfter = (q: number, lo: number, hi: number): boolean => {
    const i = idx[q];
    if ((shapes.of(i, c.shape[i]) & (LOCKED | HEAD)) !== 0) return false;
    if (q + 1 >= hi || c.mapcounts[idx[q + 1]] !== c.mapcounts[i] + 1) return false;
    if (q === lo) return true;
    const p = idx[q - 1];
    const psh = c.shape[p];
    return !(owner[p] === 0 && c.type[psh] === PageRefType.mod_unless && c.mapcounts[p] === c.mapcounts[i]);
  };
  /** a page_ref_mod val=0 by pid: folio_ref_add(folio, nr_pages - 1) of one page */
  const refAddNone = (j: number, pid: number): boolean => {
    const jsh = c.shape[j];
    return c.type[jsh] === PageRefType.mod && s.val(j) === 0 && c.pid[jsh] === pid;
  };
  /** the get at idx[q] (> lo) is a new anonymous page's folio_add_lru, right after its allocation */
  const newAnonLruAdd = (q: number, lo: number): boolean => {
    const i = idx[q];
    const sh = c.shape[i];
    let p = idx[q - 1];
    // 6.12 do_anonymous_page's folio_ref_add(folio, nr_pages - 1) comes between (mm/memory.c:4556)
    if (q - 2 >= lo && refAddNone(p, c.pid[sh])) p = idx[q - 2];
    const psh = c.shape[p];
    if (c.type[sh] !== PageRefType.mod || s.val(i) !== 1 || c.type[psh] !== PageRefType.set) return false;
    if (c.pid[sh] !== c.pid[psh] || !tracedMapped(profile, c.mapcounts[i])) return false;
    if (tracedMapped(profile, c.mapcounts[p]) || (shapes.of(p, psh) & HAS_MAPPING) !== 0) return false;
    return (shapes.of(i, sh) & (HAS_MAPPING | SWAPCACHE | LRU)) === HAS_MAPPING;
  };
  /** the get at idx[q] is a fault's page reference that finish_fault hands to the PTE */
  const finishedFault = (q: number, hi: number): boolean => {
    if (q + 1 >= hi) return false;
    const i = idx[q],
      n = idx[q + 1];
    if (!refAddNone(n, c.pid[c.shape[i]])) return false;
    // ->fault took it before __do_fault locked the page; a get under the lock is shmem's new
    // folio's page cache or LRU add, the allocation's reference being the one handed over
    return (shapes.of(i, c.shape[i]) & LOCKED) === 0 && (shapes.of(n, c.shape[n]) & LOCKED) !== 0;
  };
  /** the get at idx[q] (> lo) is folio_isolate_lru's: PG_lru cleared since the page's event before */
  const isolatedFromLru = (q: number): boolean => {
    const i = idx[q],
      p = idx[q - 1];
    const sh = c.shape[i];
    if (c.type[sh] !== PageRefType.mod || s.val(i) !== 1 || (shapes.of(i, sh) & LRU) !== 0) return false;
    // after a try_get the flag may have gone without an event: compaction's and reclaim's
    // isolation, whose putback's folio_add_lru get is the one without PG_lru
    const psh = c.shape[p];
    return (shapes.of(p, psh) & LRU) !== 0 && c.type[psh] !== PageRefType.mod_unless;
  };
  /** the try_get at idx[q] is compaction's or reclaim's isolation: PG_lru cleared by its next event, of the same task */
  const isolatedByTryGet = (q: number, hi: number): boolean => {
    if (q + 1 >= hi) return false;
    const i = idx[q],
      n = idx[q + 1];
    const sh = c.shape[i],
      nsh = c.shape[n];
    if (c.type[sh] !== PageRefType.mod_unless || s.val(i) !== 1 || c.pid[nsh] !== c.pid[sh]) return false;
    if (s.val(n) > 0 || c.type[nsh] === PageRefType.set) return false;
    return (shapes.of(i, sh) & LRU) !== 0 && (shapes.of(n, nsh) & (LRU | LOCKED)) === LOCKED;
  };
  /** idx[k] is an unmarked put of one reference by `pid`, without PG_locked: its PG_lru bit, or -1 */
  const putLru = (k: number, hi: number, pid: number): number => {
    if (k >= hi) return -1;
    const j = idx[k];
    const jsh = c.shape[j];
    if (owner[j] !== 0 || c.pid[jsh] !== pid || s.val(j) !== -1 || !isPut(c.type[jsh], -1)) return -1;
    const b = shapes.of(j, jsh);
    return (b & LOCKED) !== 0 ? -1 : b & LRU;
  };
  /**
   * The get at idx[q], of the isolating task right after its locked pass, is folio_putback_lru's
   * folio_add_lru: 1 when the put after it drops the isolation's reference (the batch not
   * drained), 2 when the batch is drained at once (its put with PG_lru, then the isolation's),
   * else 0.
   */
  const putBack = (q: number, lo: number, hi: number): number => {
    if (q === lo) return 0;
    const p = idx[q - 1],
      i = idx[q];
    const sh = c.shape[i];
    if ((shapes.of(p, c.shape[p]) & LOCKED) === 0 || (shapes.of(i, sh) & (LRU | LOCKED)) !== 0) return 0;
    if (c.type[sh] !== PageRefType.mod || s.val(i) !== 1) return 0;
    const next = putLru(q + 1, hi, c.pid[sh]);
    if (next === 0) return 1;
    return next > 0 && putLru(q + 2, hi, c.pid[sh]) > 0 ? 2 : 0;
  };
  return (r) => {
    const hi = ix.offsets[r + 1];
    /** the task whose isolation (inferred here) the page is in; a putback's LRU add not drained yet */
    let isolator = -1;
    let putBackBatch = false;
    for (let q = ix.offsets[r]; q < hi; q++) {
      const i = idx[q];
      // a set or a drain is never marked yet: a marked event changes neither state
      if (owner[i] !== 0) continue;
      const sh = c.shape[i];
      const type = c.type[sh];
      const v = s.val(i);
      if (type === PageRefType.set) {
        isolator = -1;
        putBackBatch = false;
      }
      // the batch's drain: its first event with PG_lru, if a put (folio_batch_move_lru sets the
      // flag, then folios_put: 6.1 and 6.12 mm/swap.c)
      if (putBackBatch && (shapes.of(i, sh) & LRU) !== 0) {
        putBackBatch = false;
        if (v === -1 && isPut(type, v)) {
          mark(i, lruBatch);
          continue;
        }
      }
      const back = isolator === c.pid[sh] ? putBack(q, ix.offsets[r], hi) : 0;
      if (back > 0) {
        mark(i, lruBatch);
        if (back === 2) mark(idx[++q], lruBatch);
        mark(idx[++q], isolation);
        isolator = -1;
        putBackBatch = back === 1;
        continue;
      }
      if (!isGet(type, v, c.ret[sh])) continue;
      if (q > ix.offsets[r] && newAnonLruAdd(q, ix.offsets[r])) {
        mark(i, lruBatch);
        continue;
      }
      if (finishedFault(q, hi)) {
        mark(i, mapping);
        continue;
      }
      if ((q > ix.offsets[r] && isolatedFromLru(q)) || isolatedByTryGet(q, hi)) {
        mark(i, isolation);
        isolator = c.pid[sh];
        continue;
      }
      // unmapped as the profile's tracepoint prints it (6.1 page_mapcount 0, 6.12 raw -1)
      if (q + 1 < hi && !tracedMapped(profile, c.mapcounts[i])) {
        const next = idx[q + 1];
        const b = shapes.of(i, sh);
        const nb = shapes.of(next, c.shape[next]);
        if ((b & (LOCKED | HAS_MAPPING)) === LOCKED && (nb & (HAS_MAPPING | SWAPCACHE)) === HAS_MAPPING) {
          mark(i, pageCache);
          continue;
        }
      }
      if (type === PageRefType.mod && v === 1 && rmapAfter(q, ix.offsets[r], hi)) {
        mark(i, mapping);
        continue;
      }
      if (type !== PageRefType.mod_unless || v !== 1) continue;
      if (handed) {
        if (handedToPte(q, ix.offsets[r], hi)) mark(i, mapping);
        continue;
      }
      if (!faultAround) continue;
      // the run: gets of the same task, each raising the mapcount, then its put of one reference
      const pid = c.pid[sh];
      let e = q + 1;
      while (e < hi) {
        const j = idx[e];
        const jsh = c.shape[j];
        const raised = c.mapcounts[j] > c.mapcounts[idx[e - 1]];
        if (c.pid[jsh] !== pid || owner[j] !== 0 || !raised || !isGet(c.type[jsh], s.val(j), c.ret[jsh]))
          break;
        e++;
      }
      if (e === q + 1 || e >= hi) continue;
      const put = idx[e];
      const psh = c.shape[put];
      if (c.pid[psh] !== pid || owner[put] !== 0 || s.val(put) !== -1 || !isPut(c.type[psh], -1)) continue;
      mark(i, lookup);
      for (let k = q + 1; k < e; k++) mark(idx[k], mapping);
      mark(put, lookup);
      q = e;
    }
  };
}
