/**
 * /sys/kernel/mm/transparent_hugepage (mm/huge_memory.c): the global `enabled` knob and, where the
 * profile has them (6.8+), one `hugepages-<size>kB/enabled` knob per anonymous THP order, kept as the
 * kernel keeps them: the huge_anon_orders_{always,madvise,inherit} bitmaps. thp_vma_allowable_orders()
 * (huge_memory.ts) reads them on every anonymous fault.
 */
import type { Kernel } from '../kernel/kernel.js';
import { PMD_ORDER } from './rmap.js';
import { mmcache } from './mm_cache.js';

export type ThpEnabled = 'always' | 'madvise' | 'never';
export type ThpSizeEnabled = 'always' | 'inherit' | 'madvise' | 'never';

export interface ThpSysfs {
  enabled: ThpEnabled;
  /** huge_anon_orders_always / _madvise / _inherit: bit n = order n */
  always: number;
  madvise: number;
  inherit: number;
}

/**
 * The knobs at boot: `enabled` from the CONFIG_TRANSPARENT_HUGEPAGE_{ALWAYS,MADVISE,NEVER} choice
 * (transparent_hugepage_flags, 6.12 mm/huge_memory.c:62; a config naming none of them, like the
 * model's Debian subset, gets madvise: the traces' kernels' choice); PMD-sized THP inherits it and
 * every other size is off (hugepage_init_sysfs, 6.12 mm/huge_memory.c:808).
 */
export function thp_sysfs_init(k: Kernel): ThpSysfs {
  const cfg = k.profile.config;
  const enabled: ThpEnabled = cfg.isEnabled('CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS')
    ? 'always'
    : cfg.isEnabled('CONFIG_TRANSPARENT_HUGEPAGE_NEVER')
      ? 'never'
      : 'madvise';
  return { enabled, always: 0, madvise: 0, inherit: 1 << PMD_ORDER };
}

/** The knobs of this kernel (its MmCache holds them) */
export function thp_sysfs(k: Kernel): ThpSysfs {
  return mmcache(k).thp;
}

/** the order of a `hugepages-<size>kB` knob, or undefined when this kernel has no such knob */
function thpsize_order(k: Kernel, knob: string): number | undefined {
  const m = /^hugepages-(\d+)kB$/.exec(knob);
  if (!m) return undefined;
  return k.profile.facts.thp.anonOrders.find((o) => 4 << o === Number(m[1]));
}

/** enabled_store() (6.12 mm/huge_memory.c:348): echo always|madvise|never > transparent_hugepage/enabled */
export function thp_enabled_store(k: Kernel, value: ThpEnabled): void {
  thp_sysfs(k).enabled = value;
}

/**
 * anon_enabled_store() (6.12 mm/huge_memory.c:547): the order moves to exactly one of the three
 * bitmaps, or to none for `never`. Throws when the kernel has no knob of that size.
 */
export function anon_enabled_store(k: Kernel, knob: string, value: ThpSizeEnabled): void {
  const order = thpsize_order(k, knob);
  if (order === undefined) {
    const sizes = k.profile.facts.thp.anonOrders.map((o) => `hugepages-${4 << o}kB`);
    throw new Error(
      `Linux ${k.profile.facts.release} has no /sys/kernel/mm/transparent_hugepage/${knob}/enabled` +
        (sizes.length ? ` (it has ${sizes.join(', ')})` : ' (no per-size mTHP knobs before 6.8)'),
    );
  }
  const s = thp_sysfs(k);
  const bit = 1 << order;
  s.always &= ~bit;
  s.madvise &= ~bit;
  s.inherit &= ~bit;
  if (value !== 'never') s[value] |= bit;
}
