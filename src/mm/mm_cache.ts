/**
 * Per-kernel values the hot paths read on every page (the flag accessors, config switches, masks)
 * and the machine's per-node and per-CPU state (the zone, the lruvec, the cpu_fbatches, the THP
 * knobs), resolved once per Kernel and held by the Kernel itself (Kernel.mm), so a per-page call
 * reaches them in one load. (A side table keyed by Kernel behind a last-kernel check did the same
 * for one Kernel, but the check's miss path, never taken while the JIT watched, deoptimized every
 * path it was inlined into when a second Kernel ran: the bench's untraced run, tests, the server.)
 */
import type { Kernel } from '../kernel/kernel.js';
import { pageflags, type PageFlagOps } from '../kernel/page_flags.js';
import { Lruvec } from './lru.js';
import type { Zone } from './page_alloc.js';
import { FolioBatch } from './pagevec.js';
import type { VmaPtes } from './mm_types.js';
import { thp_sysfs_init, type ThpSysfs } from './thp_sysfs.js';

/** enum { LRU_GEN_CORE, LRU_GEN_MM_WALK, LRU_GEN_NONLEAF_YOUNG } (include/linux/mmzone.h) as bits */
export const LRU_GEN_CORE = 1;
export const LRU_GEN_MM_WALK = 2;
export const LRU_GEN_NONLEAF_YOUNG = 4;
export const LRU_GEN_CAPS_ALL = LRU_GEN_CORE | LRU_GEN_MM_WALK | LRU_GEN_NONLEAF_YOUNG;

export class MmCache {
  readonly f: PageFlagOps;
  /**
   * lru_gen_enabled(): CONFIG_LRU_GEN && CONFIG_LRU_GEN_ENABLED, or what the machine wrote to
   * /sys/kernel/mm/lru_gen/enabled at boot (the LRU_GEN_CORE bit of lruGenCaps)
   */
  lruGen: boolean;
  /**
   * the lru_gen_caps static keys (mm/vmscan.c enabled_store): bit 0 LRU_GEN_CORE, 1 LRU_GEN_MM_WALK,
   * 2 LRU_GEN_NONLEAF_YOUNG; all set by CONFIG_LRU_GEN_ENABLED (DEFINE_STATIC_KEY_ARRAY_TRUE), none
   * without it
   */
  lruGenCaps: number;
  /** current->in_lru_fault (mm/memory.c lru_gen_enter_fault): inside handle_mm_fault() */
  inLruFault = false;
  /** 1 << PG_anon_exclusive (PG_mappedtodisk in 6.1, PG_owner_2 in 6.12) */
  readonly anonExclusive: number;
  /**
   * cpu_fbatches (mm/swap.c DEFINE_PER_CPU): lru_add, activate, lru_move_tail (6.1 lru_rotate) and
   * lru_deactivate_file per CPU, made for the machine's CPUs at boot (a CPU beyond them gets its
   * batch on first use)
   */
  readonly lruAdd: FolioBatch[];
  readonly lruActivate: FolioBatch[];
  readonly lruMoveTail: FolioBatch[];
  readonly lruDeactivateFile: FolioBatch[];
  /** reads submitted by read_pages() and not completed yet (folios locked, !uptodate), oldest first */
  readonly readsInFlight: number[][] = [];
  /** lru_disable_count (mm/swap.c lru_cache_disable): folio_add_lru drains at once while > 0 */
  lruDisabled = 0;
  /** the zone memblock_free_all() gave to the buddy allocator (page_alloc.ts zoneOf) */
  zone: Zone | undefined = undefined;
  /** the node's lruvec (lru.ts lruvec_of; lruvec_init at boot) */
  readonly lruvec: Lruvec;
  /** the subpages a large anon fault zeroed and nothing wrote since (page_data.ts), made on first use */
  zeroed: Uint8Array | undefined = undefined;
  /** /sys/kernel/mm/transparent_hugepage (thp_sysfs.ts) */
  readonly thp: ThpSysfs;
  /** vdso_image_64's pages (vdso.ts init_vdso_image), undefined on a machine without a vDSO */
  vdsoImage: Int32Array | undefined = undefined;
  /** vm_area_cachep's freed objects: the cleared PTE arrays of freed VMAs by their page count (mm_types.ts) */
  readonly vmAreaCache = new Map<number, VmaPtes[]>();

  constructor(k: Kernel, nrCpus: number) {
    const bit = k.profile.bits.get('anon_exclusive');
    if (bit === undefined) throw new Error(`profile ${k.profile.name} has no PG_anon_exclusive`);
    const cfg = k.profile.config;
    this.f = pageflags(k);
    this.lruGen = cfg.isEnabled('CONFIG_LRU_GEN') && cfg.isEnabled('CONFIG_LRU_GEN_ENABLED');
    this.lruGenCaps = this.lruGen ? LRU_GEN_CAPS_ALL : 0;
    this.anonExclusive = 1 << bit;
    const perCpu = () => Array.from({ length: nrCpus }, () => new FolioBatch(k.profile.facts.folioBatchSize));
    this.lruAdd = perCpu();
    this.lruActivate = perCpu();
    this.lruMoveTail = perCpu();
    this.lruDeactivateFile = perCpu();
    this.lruvec = new Lruvec(k);
    this.thp = thp_sysfs_init(k);
  }
}

/** The machine's cache, made at boot for its `nrCpus` CPUs (Machine), or on first use for one CPU */
export function mmcache_init(k: Kernel, nrCpus: number): MmCache {
  const c = new MmCache(k, nrCpus);
  k.mm = c;
  return c;
}

/**
 * Only mmcache_init() sets Kernel.mm, so anything there is the MmCache: a test for undefined, not
 * instanceof (a prototype-chain walk in every per-page function that inlines this)
 */
export function mmcache(k: Kernel): MmCache {
  const c = k.mm as MmCache | undefined;
  return c !== undefined ? c : mmcache_init(k, 1);
}
