/**
 * Reclaim of the node's one lruvec under memory pressure (mm/vmscan.c): do_try_to_free_pages'
 * priority loop (DEF_PRIORITY 12 down to 0) -> shrink_node -> prepare_scan_control (deactivation
 * and cache trimming, without refault counts: the model keeps no shadow entries) -> shrink_lruvec
 * -> get_scan_count (anon/file balance from swappiness 60 and the lru_note_cost costs; no anon
 * scanning without swap space) -> shrink_list per list in SWAP_CLUSTER_MAX steps, or with MGLRU
 * enabled (lru_gen_enabled) the multi-gen LRU's reclaim (vmscan_mglru.ts). Entered by direct
 * reclaim from the page allocator's slowpath (try_to_free_pages, nr_to_reclaim = SWAP_CLUSTER_MAX)
 * and by a write to memory.reclaim (try_to_free_mem_cgroup_pages on the root memcg). kswapd is not
 * modelled.
 */
import type { Kernel } from '../kernel/kernel.js';
import {
  LRU_ACTIVE,
  LRU_ACTIVE_ANON,
  LRU_ACTIVE_FILE,
  LRU_INACTIVE_ANON,
  LRU_INACTIVE_FILE,
  SWAP_CLUSTER_MAX,
  is_file_lru,
  lruvec_lru_size,
  lruvec_of,
} from './lru.js';
import { mmcache } from './mm_cache.js';
import { WMARK_HIGH, set_direct_reclaim, zone_free_pages, zone_watermark } from './page_alloc.js';
import { called } from './stack.js';
import { lru_add_drain_all } from './swap.js';
import { swap_info } from './swapfile.js';
import {
  DEF_PRIORITY,
  MAX_SWAPPINESS,
  VM_SWAPPINESS,
  can_reclaim_anon_pages,
  reclaim_mms,
  scan_control,
  type ScanControl,
} from './vmscan.js';
import { inactive_is_low, shrink_active_list, shrink_list } from './vmscan_lru.js';
import { lru_gen_shrink_lruvec, lru_gen_shrink_node } from './vmscan_mglru_node.js';

const DEACTIVATE_ANON = 1;
const DEACTIVATE_FILE = 2;
/** mm/internal.h MAX_RECLAIM_RETRIES */
const MAX_RECLAIM_RETRIES = 16;
const EVICTABLE_LRUS = [LRU_INACTIVE_ANON, LRU_ACTIVE_ANON, LRU_INACTIVE_FILE, LRU_ACTIVE_FILE];

/**
 * prepare_scan_control() (6.12 mm/vmscan.c:2277; 6.1 prepare_scan_count :2808): the costs, which
 * active lists may be deactivated (inactive_is_low: refaults are not modelled), cache_trim_mode
 * when enough inactive file pages are left, and for global reclaim file_is_tiny.
 */
function prepare_scan_control(k: Kernel, sc: ScanControl): void {
  const l = lruvec_of(k);
  sc.anonCost = l.anonCost;
  sc.fileCost = l.fileCost;
  if (sc.forceDeactivate) sc.mayDeactivate = DEACTIVATE_ANON | DEACTIVATE_FILE;
  else
    sc.mayDeactivate =
      (inactive_is_low(k, LRU_INACTIVE_ANON) ? DEACTIVATE_ANON : 0) |
      (inactive_is_low(k, LRU_INACTIVE_FILE) ? DEACTIVATE_FILE : 0);
  const inactiveFile = lruvec_lru_size(k, LRU_INACTIVE_FILE);
  sc.cacheTrimMode = inactiveFile >> sc.priority > 0 && !(sc.mayDeactivate & DEACTIVATE_FILE);
  if (!sc.cgroup) {
    const file = inactiveFile + lruvec_lru_size(k, LRU_ACTIVE_FILE);
    sc.fileIsTiny =
      file + zone_free_pages(k) <= zone_watermark(k, WMARK_HIGH) &&
      !(sc.mayDeactivate & DEACTIVATE_ANON) &&
      lruvec_lru_size(k, LRU_INACTIVE_ANON) >> sc.priority > 0;
  }
}

/**
 * get_scan_count() (6.12 mm/vmscan.c:2392; 6.1 :2921, MAX_SWAPPINESS written 200): per evictable
 * list size >> priority, split by the scan balance — file only without swap space, equal at
 * priority 0, anon when file is tiny, file in cache_trim_mode, else proportional to swappiness
 * over the reclaim costs.
 */
function get_scan_count(k: Kernel, sc: ScanControl): number[] {
  let balance: 'file' | 'anon' | 'equal' | 'fract';
  if (!can_reclaim_anon_pages(k)) balance = 'file';
  else if (!sc.priority) balance = 'equal';
  else if (sc.fileIsTiny) balance = 'anon';
  else if (sc.cacheTrimMode) balance = 'file';
  else balance = 'fract';
  const fraction = [0, 0];
  let denominator = 0;
  if (balance === 'fract') {
    let total = sc.anonCost + sc.fileCost;
    const anonCost = total + sc.anonCost;
    const fileCost = total + sc.fileCost;
    total = anonCost + fileCost;
    fraction[0] = Math.floor((VM_SWAPPINESS * (total + 1)) / (anonCost + 1));
    fraction[1] = Math.floor(((MAX_SWAPPINESS - VM_SWAPPINESS) * (total + 1)) / (fileCost + 1));
    denominator = fraction[0] + fraction[1];
  }
  const nr = [0, 0, 0, 0];
  for (const lru of EVICTABLE_LRUS) {
    const file = is_file_lru(lru);
    let scan = Math.floor(lruvec_lru_size(k, lru) / 2 ** sc.priority);
    if (balance === 'fract') scan = Math.floor((scan * fraction[file ? 1 : 0]) / denominator);
    else if ((balance === 'file' && !file) || (balance === 'anon' && file)) scan = 0;
    nr[lru] = scan;
  }
  return nr;
}

/**
 * shrink_lruvec() (6.12 mm/vmscan.c:5701; 6.1 :5911): the lists in turn, SWAP_CLUSTER_MAX at a
 * time, until the targets are scanned; once nr_to_reclaim is met (not for global direct reclaim at
 * DEF_PRIORITY) the smaller type stops and the other is cut to the same proportion. Then the anon
 * active list is aged if swap exists and its inactive list is low.
 */
function shrink_lruvec(k: Kernel, sc: ScanControl): void {
  called(k, 'shrink_lruvec', () => {
    const nr = get_scan_count(k, sc);
    const targets = nr.slice();
    const proportional = !sc.cgroup && sc.priority === DEF_PRIORITY;
    let reclaimed = 0;
    while (nr[LRU_INACTIVE_ANON] || nr[LRU_ACTIVE_FILE] || nr[LRU_INACTIVE_FILE]) {
      for (const lru of EVICTABLE_LRUS) {
        if (!nr[lru]) continue;
        const n = Math.min(nr[lru], SWAP_CLUSTER_MAX);
        nr[lru] -= n;
        reclaimed += shrink_list(k, sc, lru, n);
      }
      if (reclaimed < sc.nrToReclaim || proportional) continue;
      const nrFile = nr[LRU_INACTIVE_FILE] + nr[LRU_ACTIVE_FILE];
      const nrAnon = nr[LRU_INACTIVE_ANON] + nr[LRU_ACTIVE_ANON];
      if (!nrFile || !nrAnon) break;
      let lru: number;
      let percentage: number;
      if (nrFile > nrAnon) {
        lru = LRU_INACTIVE_ANON;
        percentage = Math.floor((nrAnon * 100) / (targets[LRU_INACTIVE_ANON] + targets[LRU_ACTIVE_ANON] + 1));
      } else {
        lru = LRU_INACTIVE_FILE;
        percentage = Math.floor((nrFile * 100) / (targets[LRU_INACTIVE_FILE] + targets[LRU_ACTIVE_FILE] + 1));
      }
      nr[lru] = 0;
      nr[lru + LRU_ACTIVE] = 0;
      lru = lru === LRU_INACTIVE_FILE ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;
      for (const l of [lru, lru + LRU_ACTIVE]) {
        const scanned = targets[l] - nr[l];
        nr[l] = Math.floor((targets[l] * (100 - percentage)) / 100);
        nr[l] -= Math.min(nr[l], scanned);
      }
    }
    sc.nrReclaimed += reclaimed;
    if (swap_info(k) && inactive_is_low(k, LRU_INACTIVE_ANON))
      shrink_active_list(k, sc, SWAP_CLUSTER_MAX, LRU_ACTIVE_ANON);
  });
}

/**
 * shrink_node() -> shrink_node_memcgs() (6.12 mm/vmscan.c:5968/:5889; 6.1 :6158) for the root
 * memcg's lruvec. With MGLRU, 6.12 hands root reclaim to lru_gen_shrink_node() (:5974); 6.1's
 * prepare_scan_count() returns early (:2813) and shrink_lruvec() hands over (:5922).
 */
function shrink_node(k: Kernel, sc: ScanControl): void {
  called(k, 'shrink_node', () => {
    const mglru = mmcache(k).lruGen;
    if (mglru && k.profile.facts.mglru.entry === 'lru_gen_shrink_node') {
      lru_gen_shrink_node(k, sc);
      return;
    }
    if (!mglru) prepare_scan_control(k, sc);
    called(k, 'shrink_node_memcgs', () =>
      mglru ? called(k, 'shrink_lruvec', () => lru_gen_shrink_lruvec(k, sc)) : shrink_lruvec(k, sc),
    );
  });
}

/**
 * do_try_to_free_pages() (6.12 mm/vmscan.c:6276; 6.1 :6460): shrink at each priority from
 * DEF_PRIORITY down until nr_to_reclaim pages are reclaimed; when nothing was reclaimed, 6.12
 * retries with memcg_full_walk, then both versions with force_deactivate if an active list was
 * skipped.
 */
function do_try_to_free_pages(k: Kernel, sc: ScanControl): number {
  return called(k, 'do_try_to_free_pages', () => {
    let fullWalk = !k.profile.facts.reclaim.memcgFullWalkRetry;
    for (;;) {
      do {
        called(k, 'shrink_zones', () => shrink_node(k, sc));
        if (sc.nrReclaimed >= sc.nrToReclaim) break;
      } while (--sc.priority >= 0);
      if (sc.nrReclaimed) return sc.nrReclaimed;
      if (!fullWalk) fullWalk = true;
      else if (sc.skippedDeactivate) {
        sc.forceDeactivate = true;
        sc.skippedDeactivate = false;
      } else return 0;
      sc.priority = DEF_PRIORITY;
    }
  });
}

/** try_to_free_pages() (6.12 mm/vmscan.c:6397; 6.1 :6678): direct reclaim of SWAP_CLUSTER_MAX pages */
export function try_to_free_pages(k: Kernel, order = 0): number {
  return called(k, 'try_to_free_pages', () =>
    do_try_to_free_pages(k, scan_control(reclaim_mms(k), SWAP_CLUSTER_MAX, DEF_PRIORITY, false, order)),
  );
}

/**
 * zone_reclaimable_pages() (6.12 mm/vmscan.c:368): the file LRU pages, plus the anon ones while
 * swap space is left; the free pages if that is nothing.
 */
function zone_reclaimable_pages(k: Kernel): number {
  let nr = lruvec_lru_size(k, LRU_INACTIVE_FILE) + lruvec_lru_size(k, LRU_ACTIVE_FILE);
  if (can_reclaim_anon_pages(k))
    nr += lruvec_lru_size(k, LRU_INACTIVE_ANON) + lruvec_lru_size(k, LRU_ACTIVE_ANON);
  return nr || zone_free_pages(k);
}

/** The machine's reclaim: what the page allocator's slowpath calls */
export function install_direct_reclaim(k: Kernel): void {
  set_direct_reclaim(k, { try_to_free_pages, zone_reclaimable_pages });
}

/**
 * echo <pages * 4096> > memory.reclaim of the root cgroup (mm/memcontrol.c memory_reclaim):
 * try_to_free_mem_cgroup_pages (nr_to_reclaim at least SWAP_CLUSTER_MAX; 6.12 asks for a quarter
 * of what is left) until the target is met; the last of MAX_RECLAIM_RETRIES fruitless rounds
 * drains every CPU's LRU batches first, and when it fails too the write returns -EAGAIN. Returns
 * the pages reclaimed.
 */
export function memory_reclaim(k: Kernel, nrCpus: number, nrPages: number): number {
  return called(k, '__x64_sys_write', () =>
    called(k, 'ksys_write', () =>
      called(k, 'vfs_write', () =>
        called(k, 'kernfs_fop_write_iter', () =>
          called(k, 'cgroup_file_write', () =>
            called(k, 'memory_reclaim', () => {
              let retries = MAX_RECLAIM_RETRIES;
              let reclaimed = 0;
              while (reclaimed < nrPages) {
                const left = nrPages - reclaimed;
                const want = k.profile.facts.reclaim.memoryReclaimBatch === 'quarter' ? left >> 2 : left;
                if (!retries) lru_add_drain_all(k, nrCpus);
                const n = called(k, 'try_to_free_mem_cgroup_pages', () =>
                  do_try_to_free_pages(
                    k,
                    scan_control(reclaim_mms(k), Math.max(want, SWAP_CLUSTER_MAX), DEF_PRIORITY, true),
                  ),
                );
                // -EAGAIN: the write fails, what was reclaimed stays reclaimed
                if (!n && !retries--) return reclaimed;
                reclaimed += n;
              }
              return reclaimed;
            }),
          ),
        ),
      ),
    ),
  );
}
