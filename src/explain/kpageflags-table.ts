/**
 * The KPF_* bit tables per kernel profile, as data: which bits /proc/kpageflags can report
 * (include/uapi/linux/kernel-page-flags.h + include/linux/kernel-page-flags.h) and the names
 * tools/mm/page-types.c gives them (one-letter code + long name, tool-only pseudo bits included).
 *
 * 'mainline' follows 6.12 here: the reference notes (§8.2, "6.12 / ML") list the same bits; no
 * mainline tree was checked for this table.
 */
import type { ProfileName } from '../kernel/profiles/types.js';

/** One bit the kernel defines for /proc/kpageflags. */
export interface KpfBit {
  readonly bit: number;
  /** the macro name: 'KPF_MMAP' */
  readonly name: string;
  /** 'stable' = uapi ABI, 'hacking' = include/linux "subject to change" bits */
  readonly abi: 'stable' | 'hacking';
  /** the #ifdef the kernel sets it under in stable_page_flags(), if any */
  readonly cond?: string;
}

/** One entry of page-types.c `page_flag_names[]`: "M:mmap" split into letter and long name. */
export interface PageTypesName {
  readonly bit: number;
  readonly letter: string;
  readonly long: string;
  /** true for bits page-types makes up itself (expand_overloaded_flags, pagemap), never from the kernel */
  readonly toolOnly: boolean;
}

// uapi bits 0-26: identical numbering in 6.1 and 6.12 (include/uapi/linux/kernel-page-flags.h).
const STABLE: readonly string[] = [
  'LOCKED',
  'ERROR',
  'REFERENCED',
  'UPTODATE',
  'DIRTY',
  'LRU',
  'ACTIVE',
  'SLAB',
  'WRITEBACK',
  'RECLAIM',
  'BUDDY',
  'MMAP',
  'ANON',
  'SWAPCACHE',
  'SWAPBACKED',
  'COMPOUND_HEAD',
  'COMPOUND_TAIL',
  'HUGE',
  'UNEVICTABLE',
  'HWPOISON',
  'NOPAGE',
  'KSM',
  'THP',
  'OFFLINE',
  'ZERO_PAGE',
  'IDLE',
  'PGTABLE',
];

function stable(): KpfBit[] {
  return STABLE.map((n, bit) => ({
    bit,
    name: `KPF_${n}`,
    abi: 'stable' as const,
    // 6.1/6.12 fs/proc/page.c: KPF_HWPOISON only under CONFIG_MEMORY_FAILURE
    ...(n === 'HWPOISON' ? { cond: 'CONFIG_MEMORY_FAILURE' } : {}),
  }));
}

const hack = (bit: number, n: string, cond?: string): KpfBit => ({
  bit,
  name: `KPF_${n}`,
  abi: 'hacking',
  ...(cond ? { cond } : {}),
});

// 6.1 include/linux/kernel-page-flags.h; conditions from 6.1 fs/proc/page.c stable_page_flags()
const KPF_6_1: readonly KpfBit[] = [
  ...stable(),
  hack(32, 'RESERVED'),
  hack(33, 'MLOCKED'),
  hack(34, 'MAPPEDTODISK'),
  hack(35, 'PRIVATE'),
  hack(36, 'PRIVATE_2'),
  hack(37, 'OWNER_PRIVATE'),
  hack(38, 'ARCH'),
  hack(39, 'UNCACHED', 'CONFIG_ARCH_USES_PG_UNCACHED'),
  hack(40, 'SOFTDIRTY'),
  hack(41, 'ARCH_2', 'CONFIG_64BIT'),
];

// 6.12 include/linux/kernel-page-flags.h (39 UNCACHED removed, 34 renamed, 42 added);
// conditions from 6.12 fs/proc/page.c stable_page_flags()
const KPF_6_12: readonly KpfBit[] = [
  ...stable(),
  hack(32, 'RESERVED'),
  hack(33, 'MLOCKED'),
  hack(34, 'OWNER_2'),
  hack(35, 'PRIVATE'),
  hack(36, 'PRIVATE_2'),
  hack(37, 'OWNER_PRIVATE'),
  hack(38, 'ARCH'),
  hack(40, 'SOFTDIRTY'),
  hack(41, 'ARCH_2', 'CONFIG_ARCH_USES_PG_ARCH_2'),
  hack(42, 'ARCH_3', 'CONFIG_ARCH_USES_PG_ARCH_3'),
];

// page-types.c page_flag_names[] for bits 0-26 (same in 6.1 tools/vm and 6.12 tools/mm)
const STABLE_CODES =
  'L:locked E:error R:referenced U:uptodate D:dirty l:lru A:active S:slab W:writeback I:reclaim B:buddy ' +
  'M:mmap a:anonymous s:swapcache b:swapbacked H:compound_head T:compound_tail G:huge u:unevictable ' +
  'X:hwpoison n:nopage x:ksm t:thp o:offline g:pgtable z:zero_page i:idle_page';

function codes(list: string, firstBit: number | readonly number[], toolOnly = false): PageTypesName[] {
  return list.split(' ').map((c, i) => ({
    bit: typeof firstBit === 'number' ? firstBit + i : firstBit[i],
    letter: c[0],
    long: c.slice(2),
    toolOnly,
  }));
}

// 6.1 tools/vm/page-types.c page_flag_names[]
const NAMES_6_1: readonly PageTypesName[] = [
  ...codes(STABLE_CODES, 0),
  ...codes('r:reserved m:mlocked d:mappedtodisk P:private p:private_2 O:owner_private h:arch', 32),
  ...codes('c:uncached f:softdirty H:arch_2', 39),
  ...codes('d:anon_exclusive I:readahead P:slob_free A:slub_frozen E:slub_debug', 47, true),
  ...codes('F:file w:swap 1:mmap_exclusive', 61, true),
];

// 6.12 tools/mm/page-types.c page_flag_names[]: no name for 39 ("unused") nor 42 (ARCH_3)
const NAMES_6_12: readonly PageTypesName[] = [
  ...codes(STABLE_CODES, 0),
  ...codes('r:reserved m:mlocked d:owner_2 P:private p:private_2 O:owner_private h:arch', 32),
  ...codes('f:softdirty H:arch_2', 40),
  ...codes('d:anon_exclusive I:readahead A:slub_frozen E:slub_debug', [47, 48, 50, 51], true),
  ...codes('F:file w:swap 1:mmap_exclusive', 61, true),
];

export const KPF_BITS: Readonly<Record<ProfileName, readonly KpfBit[]>> = {
  '6.1': KPF_6_1,
  '6.12': KPF_6_12,
  mainline: KPF_6_12,
};

export const PAGE_TYPES_NAMES: Readonly<Record<ProfileName, readonly PageTypesName[]>> = {
  '6.1': NAMES_6_1,
  '6.12': NAMES_6_12,
  mainline: NAMES_6_12,
};

/** KPF bit number by macro suffix ('MMAP' -> 11); the stable bits are version independent. */
export const KPF = Object.fromEntries(STABLE.map((n, i) => [n, i])) as Readonly<Record<string, number>>;
