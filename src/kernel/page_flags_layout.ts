/**
 * The upper bits of page->flags: section, node, zone, last_cpupid, KASAN tag, LRU generation and
 * LRU refs (include/linux/page-flags-layout.h, kernel/bounds.c, include/linux/mmzone.h; the layout
 * rules are identical in 6.1 and 6.12). Widths depend on the config and on NR_PAGEFLAGS.
 */
import type { KernelConfig } from './profiles/config.js';

export interface FlagsField {
  readonly name: 'section' | 'node' | 'zone' | 'lastcpupid' | 'kasantag' | 'lru_gen' | 'lru_refs';
  readonly shift: number;
  readonly width: number;
}

export interface FlagsLayout {
  readonly nrPageflags: number;
  /** zone names in enum zone_type order for this config */
  readonly zones: readonly string[];
  /** fields with non-zero width, from the top bit down */
  readonly fields: readonly FlagsField[];
  readonly lastCpupidNotInPageFlags: boolean;
}

const BITS_PER_LONG = 64;

/** order_base_2(n): ceil(log2(n)) (include/linux/log2.h) */
function order_base_2(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

/** enum zone_type (include/linux/mmzone.h, 6.1 = 6.12) for the configured zones */
export function zoneNames(cfg: KernelConfig): string[] {
  const zones: string[] = [];
  if (cfg.isEnabled('CONFIG_ZONE_DMA')) zones.push('DMA');
  if (cfg.isEnabled('CONFIG_ZONE_DMA32')) zones.push('DMA32');
  zones.push('Normal');
  if (cfg.isEnabled('CONFIG_HIGHMEM')) zones.push('HighMem');
  zones.push('Movable');
  if (cfg.isEnabled('CONFIG_ZONE_DEVICE')) zones.push('Device');
  return zones;
}

export function computeFlagsLayout(cfg: KernelConfig, nrPageflags: number): FlagsLayout {
  const zones = zoneNames(cfg);
  const maxNrZones = zones.length;
  // page-flags-layout.h: ZONES_SHIFT 0/1/2/3 for <2, <=2, <=4, <=8 zones
  const zonesWidth = maxNrZones < 2 ? 0 : maxNrZones <= 2 ? 1 : maxNrZones <= 4 ? 2 : 3;
  // SECTIONS_WIDTH is non-zero only for classic SPARSEMEM without VMEMMAP; x86_64:
  // MAX_PHYSMEM_BITS 46 (4-level), SECTION_SIZE_BITS 27 (arch/x86/include/asm/sparsemem.h)
  const sectionsWidth =
    cfg.isEnabled('CONFIG_SPARSEMEM') && !cfg.isEnabled('CONFIG_SPARSEMEM_VMEMMAP') ? 46 - 27 : 0;
  // kernel/bounds.c: LRU_GEN_WIDTH = order_base_2(MAX_NR_GENS + 1), __LRU_REFS_WIDTH = MAX_NR_TIERS - 2
  const lruGen = cfg.isEnabled('CONFIG_LRU_GEN');
  const lruGenWidth = lruGen ? order_base_2(4 + 1) : 0;
  const lruRefsMax = lruGen ? 4 - 2 : 0;
  const nodesShift = cfg.isEnabled('CONFIG_NUMA') ? Number(cfg.value('CONFIG_NODES_SHIFT') ?? 0) : 0;
  const avail = BITS_PER_LONG - nrPageflags;
  const nodesWidth = zonesWidth + lruGenWidth + sectionsWidth + nodesShift <= avail ? nodesShift : 0;
  const kasanWidth = cfg.isEnabled('CONFIG_KASAN_SW_TAGS') || cfg.isEnabled('CONFIG_KASAN_HW_TAGS') ? 8 : 0;
  // LAST__PID_SHIFT 8 + NR_CPUS_BITS (order_base_2(CONFIG_NR_CPUS), kernel/bounds.c, SMP only)
  const nrCpusBits = cfg.isEnabled('CONFIG_SMP') ? order_base_2(Number(cfg.value('CONFIG_NR_CPUS') ?? 1)) : 0;
  const lastCpupidShift = cfg.isEnabled('CONFIG_NUMA_BALANCING') ? 8 + nrCpusBits : 0;
  const before = zonesWidth + lruGenWidth + sectionsWidth + nodesWidth + kasanWidth;
  const lastCpupidWidth = before + lastCpupidShift <= avail ? lastCpupidShift : 0;
  const lruRefsWidth = Math.min(lruRefsMax, avail - before - lastCpupidWidth);

  // SECTIONS_PGOFF = BITS_PER_LONG - SECTIONS_WIDTH, then NODES, ZONES, LAST_CPUPID, KASAN_TAG,
  // LRU_GEN, LRU_REFS downwards
  const order: Array<[FlagsField['name'], number]> = [
    ['section', sectionsWidth],
    ['node', nodesWidth],
    ['zone', zonesWidth],
    ['lastcpupid', lastCpupidWidth],
    ['kasantag', kasanWidth],
    ['lru_gen', lruGenWidth],
    ['lru_refs', lruRefsWidth],
  ];
  const fields: FlagsField[] = [];
  let off = BITS_PER_LONG;
  for (const [name, width] of order) {
    off -= width;
    if (width > 0) fields.push({ name, shift: off, width });
  }
  return {
    nrPageflags,
    zones,
    fields,
    lastCpupidNotInPageFlags: lastCpupidShift !== 0 && lastCpupidWidth === 0,
  };
}

export function flagsField(layout: FlagsLayout, name: FlagsField['name']): FlagsField | undefined {
  return layout.fields.find((f) => f.name === name);
}

/** Reads a field from the 64-bit flags word. */
export function getFlagsField(
  layout: FlagsLayout,
  flags: bigint,
  name: FlagsField['name'],
): number | undefined {
  const f = flagsField(layout, name);
  if (!f) return undefined;
  return Number((flags >> BigInt(f.shift)) & ((1n << BigInt(f.width)) - 1n));
}

/** Writes a field into the 64-bit flags word (set_page_zone, set_page_node ...). */
export function setFlagsField(
  layout: FlagsLayout,
  flags: bigint,
  name: FlagsField['name'],
  v: number,
): bigint {
  const f = flagsField(layout, name);
  if (!f) return flags;
  const mask = ((1n << BigInt(f.width)) - 1n) << BigInt(f.shift);
  return (flags & ~mask) | ((BigInt(v) << BigInt(f.shift)) & mask);
}
