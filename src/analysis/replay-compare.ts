/**
 * The replayed model against /proc/kpagecount and /proc/kpageflags (fs/proc/page.c, reference §8).
 * kpagecount is a mapcount: 6.1 page_mapcount() (0 for PageSlab and typed pages), 6.12
 * folio_precise_page_mapcount() (own _mapcount + 1, 0 for typed pages). The trace only knows each
 * page's state at its last event, and rmap, LRU and flag changes are not traced, so every
 * difference is classified by what can change a page without a page_ref event.
 */
import { KPF } from '../explain/kpageflags-table.js';
import type { Kernel } from '../kernel/kernel.js';
import { page_has_type, page_type_is } from '../kernel/page_type.js';
import type { Replay } from './replay.js';

/** KPF bits read straight from one PG_ flag of the page (stable_page_flags(), fs/proc/page.c) */
const FLAG_BITS: readonly [kpf: string, pg: string, bit: number][] = [
  ['LOCKED', 'locked', KPF.LOCKED],
  ['REFERENCED', 'referenced', KPF.REFERENCED],
  ['UPTODATE', 'uptodate', KPF.UPTODATE],
  ['DIRTY', 'dirty', KPF.DIRTY],
  ['LRU', 'lru', KPF.LRU],
  ['ACTIVE', 'active', KPF.ACTIVE],
  ['WRITEBACK', 'writeback', KPF.WRITEBACK],
  ['SWAPBACKED', 'swapbacked', KPF.SWAPBACKED],
  ['UNEVICTABLE', 'unevictable', KPF.UNEVICTABLE],
  ['MLOCKED', 'mlocked', 33],
];

/** KPF bits that come from the page type (6.12 slab too) rather than a page flag */
const TYPE_BITS: ReadonlySet<string> = new Set(['SLAB', 'BUDDY', 'PGTABLE']);

export const MISMATCH_KINDS = {
  'unmapped-after-last-event':
    'unmapped after the last event: an rmap removal (zap, unmap) the page_ref events do not show, e.g. a zap before the final put was traced',
  'mapped-after-last-event':
    'mapped after the last event: the reference was taken before the rmap add (fork copy_present_pte: folio_get then folio_dup_file_rmap/page_dup_rmap)',
  'flags-changed-untraced':
    'flags changed without a refcount event (LRU moves, mark_page_accessed, writeback...)',
  'freed-now-compound-tail':
    'freed page is now a tail page of a compound allocation (prep_compound_page: tails get no refcount event)',
  'page-type-changed-after-last-event':
    'page type set after the last event: allocate_slab() / pagetable_ctor() type the page after its allocation event (page_ref_set)',
  'reallocated-after-trace-end':
    'freed in the trace, in use in the snapshot: allocated while tracing was off (a checkpoint gap or after tracing_on=0, before the snapshot was read); an allocation while tracing fires page_ref_set',
  'live-now-free':
    'the trace left the page referenced but it is free now (unexplained: a put was not traced)',
} as const;
export type MismatchKind = keyof typeof MISMATCH_KINDS;

/** Explained-but-expected states of a freed page (not mismatches) */
export type FreeState = 'buddy-head' | 'free-not-head';

export interface PageComparison {
  pfn: number;
  /** line of the page's last replayed event */
  line: number;
  count: number;
  expected: { kpagecount: number; kpageflags: string[] };
  actual: { kpagecount: number; kpageflags: string[] };
  /** empty = matches */
  kinds: MismatchKind[];
  free?: FreeState;
  /** KPF names that differ */
  bits: string[];
}

export interface ScopeSummary {
  pages: number;
  matches: number;
  mismatches: number;
  byKind: Partial<Record<MismatchKind, number>>;
  free: Record<FreeState, number>;
  /** pfns asked for that the trace never mentions */
  untraced: number;
}

/** The KPF bits the replay can predict for one page, as a name -> set map. */
function predicted(k: Kernel, pfn: number, tagsKnown: boolean): Map<string, boolean> {
  const m = k.mem;
  const p = k.profile;
  const out = new Map<string, boolean>();
  const flag = (name: string): boolean => {
    const b = p.bits.get(name);
    return b !== undefined && ((m.flagsLo[pfn] >>> b) & 1) === 1;
  };
  const type = (name: string): boolean => {
    const v = p.pageTypes.get(name);
    return v !== undefined && page_type_is(k, pfn, v);
  };
  for (const [kpf, pg] of FLAG_BITS) if (p.bits.has(pg)) out.set(kpf, flag(pg));
  // 6.1 PG_slab; 6.12 folio_test_slab() = PGTY_slab in the head's page_type
  out.set('SLAB', p.bits.has('slab') ? flag('slab') : type('slab'));
  out.set('BUDDY', type('buddy'));
  out.set('PGTABLE', type('table'));
  out.set('MMAP', !out.get('SLAB') && !page_has_type(k, pfn) && m.mapcount[pfn] >= 0);
  if (tagsKnown) out.set('ANON', (m.mapping[pfn] & 1) === 1);
  return out;
}

/** kpagecount_read(): 0 for slab and typed pages, else the (small page's) mapcount */
function predictedCount(k: Kernel, pfn: number, slab: boolean): number {
  if (slab || page_has_type(k, pfn)) return 0;
  return Math.max(0, k.mem.mapcount[pfn] + 1);
}

const bitNames = (v: bigint, names: Iterable<string>): string[] =>
  [...names].filter((n) => ((v >> BigInt(kpfBit(n))) & 1n) === 1n);

function kpfBit(name: string): number {
  return name === 'MLOCKED' ? 33 : KPF[name];
}

export function comparePage(r: Replay, pfn: number, kpagecount: bigint, kpageflags: bigint): PageComparison {
  const k = r.kernel;
  const i = r.last.get(pfn);
  if (i === undefined) throw new Error(`pfn 0x${pfn.toString(16)} has no replayed event`);
  const count = k.mem.refcount[pfn];
  const pred = predicted(k, pfn, r.mappingTagsKnown);
  const actualCount = Number(kpagecount);
  const actualNames = bitNames(kpageflags, pred.keys());
  const kinds: MismatchKind[] = [];
  let free: FreeState | undefined;
  let expectedCount: number;
  let bits: string[];
  if (count === 0) {
    // freed: free_pages_prepare() clears the flags checked at prep and the mapping (mm/page_alloc.c)
    expectedCount = 0;
    bits = actualNames.filter((n) => n !== 'BUDDY');
    if (((kpageflags >> BigInt(KPF.COMPOUND_TAIL)) & 1n) === 1n) kinds.push('freed-now-compound-tail');
    else if (bits.length > 0 || actualCount !== 0) kinds.push('reallocated-after-trace-end');
    else free = actualNames.includes('BUDDY') ? 'buddy-head' : 'free-not-head';
    for (const [n] of pred) pred.set(n, false);
  } else {
    expectedCount = predictedCount(k, pfn, pred.get('SLAB') === true);
    bits = [...pred].filter(([n, v]) => v !== actualNames.includes(n)).map(([n]) => n);
    if (actualNames.includes('BUDDY')) kinds.push('live-now-free');
    else {
      if (actualCount < expectedCount) kinds.push('unmapped-after-last-event');
      if (actualCount > expectedCount) kinds.push('mapped-after-last-event');
      if (bits.some((b) => TYPE_BITS.has(b))) kinds.push('page-type-changed-after-last-event');
      if (bits.some((b) => b !== 'MMAP' && !TYPE_BITS.has(b))) kinds.push('flags-changed-untraced');
    }
  }
  return {
    pfn,
    line: r.store.line(i),
    count,
    expected: { kpagecount: expectedCount, kpageflags: [...pred].filter(([, v]) => v).map(([n]) => n) },
    actual: { kpagecount: actualCount, kpageflags: actualNames },
    kinds,
    ...(free ? { free } : {}),
    bits,
  };
}

export function summarizeScope(pages: PageComparison[], untraced: number): ScopeSummary {
  const s: ScopeSummary = {
    pages: pages.length,
    matches: 0,
    mismatches: 0,
    byKind: {},
    free: { 'buddy-head': 0, 'free-not-head': 0 },
    untraced,
  };
  for (const c of pages) {
    if (c.kinds.length === 0) s.matches++;
    else s.mismatches++;
    for (const kd of c.kinds) s.byKind[kd] = (s.byKind[kd] ?? 0) + 1;
    if (c.free) s.free[c.free]++;
  }
  return s;
}
