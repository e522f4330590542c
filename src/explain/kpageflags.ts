/**
 * Decoder for one /proc/kpageflags word: the bit names of the chosen profile and what each set bit
 * really says, following stable_page_flags() in fs/proc/page.c (6.1 and 6.12) — where a bit is
 * derived from the folio rather than the page, is never set, or is known to be wrong.
 */
import type { ProfileName } from '../kernel/profiles/types.js';
import { KPF, KPF_BITS, PAGE_TYPES_NAMES, type KpfBit } from './kpageflags-table.js';

export interface DecodedKpfBit {
  readonly bit: number;
  /** 'KPF_MMAP', or for a page-types pseudo bit its page-types long name */
  readonly name: string;
  /** page-types long name ('mmap'), if page-types names the bit */
  readonly long?: string;
  readonly source: 'kernel' | 'page-types';
}

export interface DecodedKpageflags {
  readonly value: bigint;
  readonly profile: ProfileName;
  readonly bits: readonly DecodedKpfBit[];
  /** set bits neither the kernel nor page-types defines for this profile */
  readonly unknownBits: readonly number[];
  /** explanations of the quirks that apply to the bits that are set */
  readonly notes: readonly string[];
}

const has = (v: bigint, bit: number): boolean => ((v >> BigInt(bit)) & 1n) === 1n;

export function decodeKpageflags(value: bigint, profile: ProfileName): DecodedKpageflags {
  const kernel = new Map<number, KpfBit>(KPF_BITS[profile].map((b) => [b.bit, b]));
  const tool = new Map(PAGE_TYPES_NAMES[profile].map((n) => [n.bit, n]));
  const bits: DecodedKpfBit[] = [];
  const unknownBits: number[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if (!has(value, bit)) continue;
    const k = kernel.get(bit);
    const t = tool.get(bit);
    if (k) bits.push({ bit, name: k.name, ...(t ? { long: t.long } : {}), source: 'kernel' });
    else if (t) bits.push({ bit, name: t.long, long: t.long, source: 'page-types' });
    else unknownBits.push(bit);
  }
  return { value, profile, bits, unknownBits, notes: kpageflagsNotes(value, profile) };
}

type NoteRule = (v: bigint, p: ProfileName) => string | undefined;

const is61 = (p: ProfileName): boolean => p === '6.1';

// Each rule cites the stable_page_flags() code it explains.
const RULES: readonly NoteRule[] = [
  (v) =>
    v === 0n
      ? 'no flags: e.g. a free order-0 page on a per-cpu (pcp) free list — only pages in the buddy free lists are PageBuddy/is_free_buddy_page (mm/page_alloc.c) — or an unmapped kernel allocation'
      : undefined,
  (v) =>
    has(v, KPF.NOPAGE)
      ? 'NOPAGE: no online struct page at this pfn (memory hole or offline section); all other bits are 0 (fs/proc/page.c)'
      : undefined,
  (v) =>
    has(v, KPF.BUDDY)
      ? 'BUDDY: free page. Only the first page of a free block carries PageBuddy; the others are reported through page_count()==0 && is_free_buddy_page(), so every page of the free block shows BUDDY (fs/proc/page.c, mm/page_alloc.c 6.1/6.12)'
      : undefined,
  (v, p) =>
    has(v, KPF.MMAP)
      ? is61(p)
        ? 'MMAP: !PageSlab && page_mapped(page); page_mapped() is folio_mapped() of the whole folio, so a THP subpage shows MMAP when any page of it is mapped (6.1 fs/proc/page.c, mm/folio-compat.c). Typed pages (buddy, table) are never MMAP (negative page_type); a 6.1 zsmalloc page keeps a small positive offset in page_type and does look mapped (mm/zsmalloc.c)'
        : 'MMAP: page_mapped(page) = folio_mapped(page_folio(page)): the whole folio is mapped somewhere, not necessarily this page; typed pages are never MMAP (6.12 fs/proc/page.c, include/linux/mm.h)'
      : undefined,
  (v, p) =>
    has(v, KPF.KSM)
      ? is61(p)
        ? 'KSM: PageKsm(page): mapping low bits == PAGE_MAPPING_KSM (6.1 fs/proc/page.c)'
        : 'KSM: unreliable here: stable_page_flags() tests `mapping & PAGE_MAPPING_KSM` (any low bit), so every anonymous page reports KSM (6.12 fs/proc/page.c; fixed later in -mm by "fs/proc: fix KPF_KSM reported for all anonymous pages")'
      : undefined,
  (v, p) =>
    has(v, KPF.THP)
      ? is61(p)
        ? 'THP: a compound page, not hugetlb, whose head is on the LRU or anonymous (or the huge zero page); set on head and tail pages (6.1 fs/proc/page.c)'
        : 'THP: any large folio with folio_test_large_rmappable(), of any order (mTHP / large page-cache folios included), or the huge zero folio (6.12 fs/proc/page.c)'
      : undefined,
  (v, p) =>
    has(v, KPF.SLAB)
      ? is61(p)
        ? 'SLAB: PG_slab of the page, or a tail page whose head is PageSlab (6.1 fs/proc/page.c)'
        : 'SLAB: folio_test_slab(folio), the slab page type of the folio head; set on every page of the slab (6.12 fs/proc/page.c)'
      : undefined,
  (v, p) =>
    has(v, KPF.ERROR) && !is61(p)
      ? 'ERROR: never set by 6.12 ("Now unused", include/uapi/linux/kernel-page-flags.h); this value did not come from a 6.12 kernel'
      : undefined,
  (v, p) =>
    !is61(p) && (has(v, KPF.COMPOUND_TAIL) || has(v, KPF.COMPOUND_HEAD))
      ? 'flags of a large folio are read from the folio head (k = folio->flags), except HWPOISON of non-hugetlb pages (6.12 fs/proc/page.c)'
      : undefined,
  (v, p) =>
    has(v, KPF.SWAPCACHE) && !is61(p)
      ? 'SWAPCACHE: folio flags have both PG_swapbacked and PG_swapcache (PG_swapcache aliases PG_owner_priv_1, so OWNER_PRIVATE is set too) (6.12 fs/proc/page.c, include/linux/page-flags.h)'
      : undefined,
  (v, p) =>
    has(v, KPF.ANON) && has(v, 34)
      ? is61(p)
        ? 'MAPPEDTODISK on an anonymous page is PG_anon_exclusive (PG_anon_exclusive = PG_mappedtodisk, 6.1 include/linux/page-flags.h)'
        : 'OWNER_2 on an anonymous page is PG_anon_exclusive (PG_anon_exclusive = PG_owner_2, 6.12 include/linux/page-flags.h)'
      : undefined,
  (v) =>
    has(v, 40)
      ? 'SOFTDIRTY (40) is never set by /proc/kpageflags; page-types fills it from /proc/pid/pagemap'
      : undefined,
  (v) =>
    v >> 47n !== 0n
      ? 'bits 47-63 are page-types pseudo bits (expand_overloaded_flags, pagemap), never produced by /proc/kpageflags'
      : undefined,
];

/** Explanations for the set bits of `value` under `profile`. */
export function kpageflagsNotes(value: bigint, profile: ProfileName): string[] {
  return RULES.map((r) => r(value, profile)).filter((s): s is string => s !== undefined);
}

/** /proc/kpagecount holds a mapcount, not a refcount; what it means per profile. */
export function kpagecountNote(profile: ProfileName): string {
  return is61(profile)
    ? 'kpagecount = page_mapcount(page) (0 for slab and typed pages), a mapcount, not the refcount (6.1 fs/proc/page.c)'
    : "kpagecount = folio_precise_page_mapcount(): this page's mapcount plus the folio's entire (PMD) mapcount, 0 for typed pages; a mapcount, not the refcount (6.12 fs/proc/page.c)";
}
