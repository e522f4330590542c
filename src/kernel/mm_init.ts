/**
 * Initialising struct pages (mm/mm_init.c __init_single_page, 6.1 = 6.12): zero the page,
 * set_page_links() (zone, node, section into the flags word), init_page_count() (traced as
 * page_ref_set val=1 when tracing is on that early), _mapcount = -1, page_cpupid_reset_last()
 * (the lastcpupid field all ones, as every Debian dump_page shows: lastcpupid=0x1fffff),
 * INIT_LIST_HEAD(&page->lru).
 */
import type { Kernel } from './kernel.js';
import type { Pfn } from './mem_map.js';
import { flagsField, setFlagsField } from './page_flags_layout.js';
import { init_page_count } from './page_ref.js';

/** set_page_links() + page_cpupid_reset_last(): the flags word a fresh page of (zone, nid) has */
function initialFlags(k: Kernel, zone: number, nid: number): bigint {
  const layout = k.profile.layout;
  let flags = setFlagsField(layout, 0n, 'zone', zone);
  flags = setFlagsField(layout, flags, 'node', nid);
  const cpupid = flagsField(layout, 'lastcpupid');
  return cpupid ? setFlagsField(layout, flags, 'lastcpupid', 2 ** cpupid.width - 1) : flags;
}

function initPage(k: Kernel, pfn: Pfn, lo: number, hi: number): void {
  const m = k.mem;
  m.flagsLo[pfn] = lo;
  m.flagsHi[pfn] = hi;
  m.mapping[pfn] = 0;
  m.index[pfn] = 0;
  m.private_[pfn] = 0;
  m.compoundHead[pfn] = 0;
  m.lruNext[pfn] = -1;
  m.lruPrev[pfn] = -1;
  init_page_count(k, pfn);
  m.mapcount[pfn] = -1;
}

export function __init_single_page(k: Kernel, pfn: Pfn, zone: number, nid: number): void {
  const f = initialFlags(k, zone, nid);
  initPage(k, pfn, Number(f & 0xffffffffn), Number(f >> 32n));
}

/** memmap_init_range(): every pfn of [start, end) in one zone of one node */
export function memmap_init_range(k: Kernel, start: Pfn, end: Pfn, zone: string, nid = 0): void {
  const z = k.profile.layout.zones.indexOf(zone);
  if (z < 0)
    throw new Error(
      `memmap_init_range: no zone ${zone} in this config (${k.profile.layout.zones.join(', ')})`,
    );
  k.mem.check('memmap_init_range', start);
  k.mem.check('memmap_init_range', end - 1);
  const f = initialFlags(k, z, nid);
  const lo = Number(f & 0xffffffffn);
  const hi = Number(f >> 32n);
  for (let pfn = start; pfn < end; pfn++) initPage(k, pfn, lo, hi);
}
