/**
 * Per-CPU LRU batches (mm/swap.c): folio_add_lru() takes a reference and queues the folio in this
 * CPU's lru_add batch (PAGEVEC_SIZE entries, from the profile); draining moves the folios onto the
 * LRU (PG_lru set by the drain loop) and drops the batch's references with folios_put().
 * The LRU lists themselves (lru.ts) hold no reference. folio_mark_accessed() of a referenced
 * inactive folio queues it (+1) in the activate batch, whose drain sets PG_active and puts it (-1);
 * the end of writeback of a folio reclaim marked queues it (+1) in the lru_move_tail batch, whose
 * drain moves it to the tail of its inactive list (-1); an invalidation that cannot drop a file
 * folio queues it (+1) in the lru_deactivate_file batch, whose drain deactivates it (-1).
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { folio_mapped, folio_test_large } from '../kernel/folio.js';
import { folio_get, folio_put } from '../kernel/mm_ref.js';
import { VM_BUG_ON_FOLIO } from '../kernel/vm_bug.js';
import { called, enter, leave } from './stack.js';
import { mmcache } from './mm_cache.js';
import { lruvec_add_folio, lruvec_add_folio_tail, lruvec_del_folio, lruvec_of } from './lru.js';
import { folio_inc_refs } from './lru_gen.js';
import { zoneOf } from './page_alloc.js';
import { FolioBatch, folio_batch_add } from './pagevec.js';

function lru_add_batch(k: Kernel, cpu: number): FolioBatch {
  return cpu_fbatch(k, mmcache(k).lruAdd, cpu);
}

/** this CPU's batch of one kind (cpu_fbatches): made at boot, for a CPU beyond the machine's on first use */
function cpu_fbatch(k: Kernel, batches: FolioBatch[], cpu: number): FolioBatch {
  return batches[cpu] ?? (batches[cpu] = new FolioBatch(k.profile.facts.folioBatchSize));
}

/**
 * folio_add_lru() (6.12 mm/swap.c:503; 6.1 :510): the VM_BUG_ON_FOLIO checks; MGLRU activates an
 * evictable folio added by a fault (lru_gen_in_fault) outside reclaim (PF_MEMALLOC, which the
 * model's direct reclaim is: zone inReclaim); then the batch
 */
export function folio_add_lru(k: Kernel, folio: Pfn): void {
  const d = enter(k, 'folio_add_lru');
  try {
    const c = mmcache(k);
    const f = c.f;
    if (k.debugVm) {
      const sites = k.profile.facts.bugSites;
      VM_BUG_ON_FOLIO(
        k,
        f.folio_test_active(folio) && f.folio_test_unevictable(folio),
        'folio_test_active(folio) && folio_test_unevictable(folio)',
        folio,
        sites['folio_add_lru:active_unevictable'],
      );
      VM_BUG_ON_FOLIO(k, f.folio_test_lru(folio), 'folio_test_lru(folio)', folio, sites['folio_add_lru:lru']);
    }
    if (c.lruGen && !f.folio_test_unevictable(folio) && c.inLruFault && !zoneOf(k).inReclaim)
      f.folio_set_active(folio);
    // __folio_batch_add_and_move(): folio_get(), then drain at once if the batch is full, the
    // folio is large (!folio_may_be_lru_cached) or lru_cache_disabled()
    folio_get(k, folio);
    const batch = lru_add_batch(k, k.tracer.ctx.cpu);
    if (!folio_batch_add(batch, folio) || folio_test_large(k, folio) || c.lruDisabled) {
      folio_batch_move_lru(k, batch);
    }
  } finally {
    leave(k, d);
  }
}

/** folio_add_lru_vma(): VM_BUG_ON_FOLIO(folio_test_lru(folio)); no mlocked VMAs in the model */
export function folio_add_lru_vma(k: Kernel, folio: Pfn): void {
  if (k.debugVm)
    VM_BUG_ON_FOLIO(
      k,
      mmcache(k).f.folio_test_lru(folio),
      'folio_test_lru(folio)',
      folio,
      k.profile.facts.bugSites.folio_add_lru_vma,
    );
  folio_add_lru(k, folio);
}

/**
 * folio_batch_move_lru(fbatch, lru_add): for each folio lru_add() (VM_BUG_ON if PG_lru;
 * lruvec_add_folio, where MGLRU's lru_gen_add_folio clears PG_active) then folio_set_lru(); finally
 * folios_put(): one page_ref_mod_and_test val=-1 per folio.
 */
function folio_batch_move_lru(k: Kernel, batch: FolioBatch): void {
  const d = enter(k, 'folio_batch_move_lru');
  try {
    const f = mmcache(k).f;
    const folios = batch.folios;
    const nr = batch.nr;
    for (let i = 0; i < nr; i++) {
      const folio = folios[i];
      f.folio_test_clear_unevictable(folio);
      if (k.debugVm)
        VM_BUG_ON_FOLIO(
          k,
          f.folio_test_lru(folio),
          'folio_test_lru(folio)',
          folio,
          k.profile.facts.bugSites.lru_add,
        );
      lruvec_add_folio(k, folio);
      f.folio_set_lru(folio);
    }
    // folios_put() empties the batch; none of the puts adds to it
    batch.nr = 0;
    enter(k, 'folios_put');
    for (let i = 0; i < nr; i++) folio_put(k, folios[i]);
  } finally {
    leave(k, d);
  }
}

/**
 * lru_add_drain() -> lru_add_drain_cpu() (6.12 mm/swap.c:642; 6.1 :655, the same order): this
 * CPU's lru_add batch, its lru_move_tail (6.1 lru_rotate) batch, its lru_deactivate_file batch
 * (lru_deactivate and lru_lazyfree are not modelled), then its activate batch
 */
export function lru_add_drain(k: Kernel): void {
  called(k, 'lru_add_drain', () => {
    const cpu = k.tracer.ctx.cpu;
    const c = mmcache(k);
    const batch = lru_add_batch(k, cpu);
    if (batch.nr) folio_batch_move_lru(k, batch);
    const tail = c.lruMoveTail[cpu];
    if (tail?.nr) lru_move_drain(k, tail, lru_move_tail);
    const deact = c.lruDeactivateFile[cpu];
    if (deact?.nr) lru_move_drain(k, deact, lru_deactivate_file);
    const act = c.lruActivate[cpu];
    if (act?.nr) lru_move_drain(k, act, lru_activate);
  });
}

/** lru_activate() (mm/swap.c): an inactive evictable folio moves to its active list */
function lru_activate(k: Kernel, folio: Pfn): void {
  const f = mmcache(k).f;
  if (f.folio_test_active(folio) || f.folio_test_unevictable(folio)) return;
  lruvec_del_folio(k, folio);
  f.folio_set_active(folio);
  lruvec_add_folio(k, folio);
}

/** lru_move_tail() (6.12 mm/swap.c:244; 6.1 lru_move_tail_fn): to the tail of its inactive list */
function lru_move_tail(k: Kernel, folio: Pfn): void {
  const f = mmcache(k).f;
  if (f.folio_test_unevictable(folio)) return;
  lruvec_del_folio(k, folio);
  f.folio_clear_active(folio);
  lruvec_add_folio_tail(k, folio);
}

/**
 * lru_deactivate_file() (6.12 mm/swap.c:557; 6.1 lru_deactivate_file_fn :570): an evictable,
 * unmapped folio loses PG_active and PG_referenced; dirty or under writeback it goes back to the
 * head of its (now inactive) list with PG_reclaim, so that its writeback's end rotates it; clean,
 * to the tail.
 */
function lru_deactivate_file(k: Kernel, folio: Pfn): void {
  const f = mmcache(k).f;
  if (f.folio_test_unevictable(folio) || folio_mapped(k, folio)) return;
  lruvec_del_folio(k, folio);
  f.folio_clear_active(folio);
  f.folio_clear_referenced(folio);
  if (f.folio_test_writeback(folio) || f.folio_test_dirty(folio)) {
    lruvec_add_folio(k, folio);
    f.folio_set_reclaim(folio);
  } else lruvec_add_folio_tail(k, folio);
}

/**
 * folio_batch_move_lru(fbatch, move_fn) for the batches other than lru_add (6.12 mm/swap.c:189):
 * folio_test_clear_lru (a folio isolated meanwhile is skipped), move_fn, PG_lru back; then
 * folios_put (-1 each).
 */
function lru_move_drain(k: Kernel, batch: FolioBatch, move: (k: Kernel, folio: Pfn) => void): void {
  called(k, 'folio_batch_move_lru', () => {
    const f = mmcache(k).f;
    const folios = Array.from(batch.folios.subarray(0, batch.nr));
    batch.nr = 0;
    for (const folio of folios) {
      if (!f.folio_test_clear_lru(folio)) continue;
      move(k, folio);
      f.folio_set_lru(folio);
    }
    called(k, 'folios_put', () => {
      for (const folio of folios) folio_put(k, folio);
    });
  });
}

/**
 * folio_batch_add_and_move() for the batches other than lru_add (6.12 mm/swap.c:213
 * __folio_batch_add_and_move; 6.1 the callers' folio_get + folio_batch_add_and_move): folio_get
 * (+1) into this CPU's batch, drained when full or while the LRU cache is disabled.
 */
function folio_batch_add_and_move(
  k: Kernel,
  batches: FolioBatch[],
  folio: Pfn,
  move: (k: Kernel, folio: Pfn) => void,
): void {
  folio_get(k, folio);
  const batch = cpu_fbatch(k, batches, k.tracer.ctx.cpu);
  // a full batch, a large folio (6.12 !folio_may_be_lru_cached, 6.1 folio_test_large), lru_cache_disabled()
  if (!folio_batch_add(batch, folio) || folio_test_large(k, folio) || mmcache(k).lruDisabled)
    lru_move_drain(k, batch, move);
}

/**
 * folio_rotate_reclaimable() (6.12 mm/swap.c:262; 6.1 :249): a folio on the LRU that is not
 * locked, dirty or unevictable goes into this CPU's lru_move_tail batch (folio_get +1).
 */
export function folio_rotate_reclaimable(k: Kernel, folio: Pfn): void {
  const f = mmcache(k).f;
  if (f.folio_test_locked(folio) || f.folio_test_dirty(folio)) return;
  if (f.folio_test_unevictable(folio) || !f.folio_test_lru(folio)) return;
  called(k, 'folio_rotate_reclaimable', () =>
    folio_batch_add_and_move(k, mmcache(k).lruMoveTail, folio, lru_move_tail),
  );
}

/**
 * deactivate_file_folio() (6.12 mm/swap.c:686; 6.1 :699): a folio invalidation could not drop goes,
 * unless unevictable (6.12: or off the LRU), into this CPU's lru_deactivate_file batch (folio_get +1)
 */
export function deactivate_file_folio(k: Kernel, folio: Pfn): void {
  const c = mmcache(k);
  if (c.f.folio_test_unevictable(folio)) return;
  if (k.profile.facts.deactivateFileNeedsLru && !c.f.folio_test_lru(folio)) return;
  called(k, 'deactivate_file_folio', () =>
    folio_batch_add_and_move(k, c.lruDeactivateFile, folio, lru_deactivate_file),
  );
}

/**
 * folio_activate() (6.12 mm/swap.c; 6.1 the same with its cpu_fbatches.activate): an inactive,
 * evictable folio on the LRU gets a reference (+1, flags still as they were) in this CPU's activate
 * batch.
 */
export function folio_activate(k: Kernel, folio: Pfn): void {
  const f = mmcache(k).f;
  if (f.folio_test_active(folio) || f.folio_test_unevictable(folio) || !f.folio_test_lru(folio)) return;
  called(k, 'folio_activate', () => folio_batch_add_and_move(k, mmcache(k).lruActivate, folio, lru_activate));
}

/**
 * folio_mark_accessed() (6.12 mm/swap.c:460; 6.1 :467): MGLRU (lru_gen_enabled) counts the access
 * with folio_inc_refs, no batch; the classic LRU's first access sets PG_referenced, a second one
 * on an inactive folio activates it — on the LRU through the activate batch (folio_activate),
 * otherwise __lru_cache_activate_folio — and clears PG_referenced. A folio neither on the LRU nor
 * in this CPU's lru_add batch (the vDSO's reserved page) only has PG_referenced toggled.
 */
export function folio_mark_accessed(k: Kernel, folio: Pfn): void {
  const f = mmcache(k).f;
  if (mmcache(k).lruGen) {
    folio_inc_refs(k, lruvec_of(k), folio);
    return;
  }
  if (!f.folio_test_referenced(folio)) {
    f.folio_set_referenced(folio);
    return;
  }
  if (f.folio_test_active(folio) || f.folio_test_unevictable(folio)) return;
  if (f.folio_test_lru(folio)) folio_activate(k, folio);
  else __lru_cache_activate_folio(k, folio);
  f.folio_clear_referenced(folio);
}

/**
 * __lru_cache_activate_folio() (6.12 mm/swap.c:383; 6.1 :393): a folio not on the LRU is assumed to
 * wait in a batch; found in this CPU's lru_add batch it is marked PG_active, and the drain puts it
 * on the active list. No reference changes.
 */
function __lru_cache_activate_folio(k: Kernel, folio: Pfn): void {
  const batch = lru_add_batch(k, k.tracer.ctx.cpu);
  for (let i = batch.nr - 1; i >= 0; i--)
    if (batch.folios[i] === folio) {
      mmcache(k).f.folio_set_active(folio);
      return;
    }
}

/** lru_add_drain_all(): every CPU's batches, each drained on its own CPU (the per-CPU kworkers) */
export function lru_add_drain_all(k: Kernel, nrCpus: number): void {
  called(k, 'lru_add_drain_all', () => {
    const ctx = k.tracer.ctx;
    const saved = { comm: ctx.comm, pid: ctx.pid, tgid: ctx.tgid, cpu: ctx.cpu };
    for (let cpu = 0; cpu < nrCpus; cpu++) {
      const c = mmcache(k);
      // cpu_needs_drain() (6.12 mm/swap.c:770; 6.1 :803)
      const pending = [c.lruMoveTail, c.lruDeactivateFile, c.lruActivate].some((b) => b[cpu]?.nr);
      if (!lru_add_batch(k, cpu).nr && !pending) continue;
      Object.assign(ctx, { comm: `kworker/${cpu}:1`, pid: 20 + cpu, tgid: 20 + cpu, cpu });
      called(k, 'lru_add_drain_per_cpu', () => lru_add_drain(k));
    }
    Object.assign(ctx, saved);
  });
}

/**
 * __folio_put()'s page_cache_release() (6.12 mm/swap.c:97; 6.1 __page_cache_release): a folio
 * still marked PG_lru leaves the LRU and __folio_clear_lru_flags() clears lru, active and
 * unevictable before the page allocator sees it.
 */
export function __page_cache_release(k: Kernel, folio: Pfn): void {
  const f = mmcache(k).f;
  if (!f.folio_test_lru(folio)) return;
  lruvec_del_folio(k, folio);
  __folio_clear_lru_flags(k, folio);
}

/** __folio_clear_lru_flags() (include/linux/mm_inline.h): PG_lru, PG_active, PG_unevictable */
export function __folio_clear_lru_flags(k: Kernel, folio: Pfn): void {
  const f = mmcache(k).f;
  f.folio_clear_lru(folio);
  f.folio_clear_active(folio);
  f.folio_clear_unevictable(folio);
}

/**
 * folio_batch_release() (mm/swap.c, include/linux/pagevec.h): lru_add_drain(), then folios_put():
 * one put per folio of the batch (ret=1 frees an evicted/truncated folio).
 */
export function folio_batch_release(k: Kernel, batch: readonly Pfn[]): void {
  if (!batch.length) return;
  called(k, 'folio_batch_release', () => {
    lru_add_drain(k);
    called(k, 'folios_put', () => {
      for (const folio of batch) folio_put(k, folio);
    });
  });
}

/** folios waiting in a CPU's lru_add batch (each holds one reference) */
export function lru_add_pending(k: Kernel, cpu: number): readonly Pfn[] {
  const batch = lru_add_batch(k, cpu);
  return Array.from(batch.folios.subarray(0, batch.nr));
}

/** lru_cache_disable() (mm/swap.c): switch batching off, then drain every CPU */
export function lru_cache_disable(k: Kernel, nrCpus: number): void {
  mmcache(k).lruDisabled++;
  lru_add_drain_all(k, nrCpus);
}

export function lru_cache_enable(k: Kernel): void {
  mmcache(k).lruDisabled--;
}

/**
 * folio_isolate_lru() (6.12 mm/vmscan.c:1787): folio_test_clear_lru first, then folio_get
 * (page_ref_mod +1, the caller already holds a reference). False if it was not on the LRU.
 */
export function folio_isolate_lru(k: Kernel, folio: Pfn): boolean {
  return called(k, 'folio_isolate_lru', () => {
    if (!mmcache(k).f.folio_test_clear_lru(folio)) return false;
    folio_get(k, folio);
    lruvec_del_folio(k, folio);
    return true;
  });
}

/** folio_putback_lru() (6.12 mm/vmscan.c:852): folio_add_lru (+1), folio_put (-1) */
export function folio_putback_lru(k: Kernel, folio: Pfn): void {
  called(k, 'folio_putback_lru', () => {
    folio_add_lru(k, folio);
    called(k, 'page_ref_dec_and_test', () => folio_put(k, folio));
  });
}
