/**
 * Per-kernel values the hot paths read on every page (the flag accessors, config switches, masks),
 * resolved once per Kernel and kept behind a last-kernel check so a per-page call costs a compare.
 */
import type { Kernel } from '../kernel/kernel.js';
import { pageflags, type PageFlagOps } from '../kernel/page_flags.js';
import type { FolioBatch } from './pagevec.js';

export interface MmCache {
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
  inLruFault: boolean;
  /** 1 << PG_anon_exclusive (PG_mappedtodisk in 6.1, PG_owner_2 in 6.12) */
  readonly anonExclusive: number;
  /** cpu_fbatches.lru_add per CPU (mm/swap.c), created on first use */
  readonly lruAdd: FolioBatch[];
  /** cpu_fbatches.activate per CPU (folio_activate), created on first use */
  readonly lruActivate: FolioBatch[];
  /** reads submitted by read_pages() and not completed yet (folios locked, !uptodate), oldest first */
  readonly readsInFlight: number[][];
  /** cpu_fbatches.lru_move_tail per CPU (6.1 lru_rotate: folio_rotate_reclaimable) */
  readonly lruMoveTail: FolioBatch[];
  /** cpu_fbatches.lru_deactivate_file per CPU (deactivate_file_folio) */
  readonly lruDeactivateFile: FolioBatch[];
  /** lru_disable_count (mm/swap.c lru_cache_disable): folio_add_lru drains at once while > 0 */
  lruDisabled: number;
}

/** enum { LRU_GEN_CORE, LRU_GEN_MM_WALK, LRU_GEN_NONLEAF_YOUNG } (include/linux/mmzone.h) as bits */
export const LRU_GEN_CORE = 1;
export const LRU_GEN_MM_WALK = 2;
export const LRU_GEN_NONLEAF_YOUNG = 4;
export const LRU_GEN_CAPS_ALL = LRU_GEN_CORE | LRU_GEN_MM_WALK | LRU_GEN_NONLEAF_YOUNG;

const caches = new WeakMap<Kernel, MmCache>();
let lastK: Kernel | undefined;
let last: MmCache | undefined;

function build(k: Kernel): MmCache {
  const bit = k.profile.bits.get('anon_exclusive');
  if (bit === undefined) throw new Error(`profile ${k.profile.name} has no PG_anon_exclusive`);
  const cfg = k.profile.config;
  return {
    f: pageflags(k),
    lruGen: cfg.isEnabled('CONFIG_LRU_GEN') && cfg.isEnabled('CONFIG_LRU_GEN_ENABLED'),
    lruGenCaps:
      cfg.isEnabled('CONFIG_LRU_GEN') && cfg.isEnabled('CONFIG_LRU_GEN_ENABLED') ? LRU_GEN_CAPS_ALL : 0,
    inLruFault: false,
    anonExclusive: 1 << bit,
    lruAdd: [],
    lruActivate: [],
    readsInFlight: [],
    lruMoveTail: [],
    lruDeactivateFile: [],
    lruDisabled: 0,
  };
}

export function mmcache(k: Kernel): MmCache {
  return k === lastK ? last! : lookup(k);
}

function lookup(k: Kernel): MmCache {
  let c = caches.get(k);
  if (!c) caches.set(k, (c = build(k)));
  lastK = k;
  last = c;
  return c;
}
