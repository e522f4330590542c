/**
 * The output conventions of tools/mm/page-types.c (6.12; tools/vm/page-types.c in 6.1): the
 * one-letter symbolic string, the comma-separated long names, the default flag filtering and
 * the per-flags-combination summary table, reproduced character for character.
 */
import type { ProfileName } from '../kernel/profiles/types.js';
import { KPF, PAGE_TYPES_NAMES } from './kpageflags-table.js';

const bit = (n: number): bigint => 1n << BigInt(n);

/** page_flag_name(): one character per named bit, the letter if set, '_' if not. */
export function pageFlagName(flags: bigint, profile: ProfileName): string {
  return PAGE_TYPES_NAMES[profile].map((n) => ((flags >> BigInt(n.bit)) & 1n ? n.letter : '_')).join('');
}

/** page_flag_longname(): long names of the set bits, comma separated. */
export function pageFlagLongname(flags: bigint, profile: ProfileName): string {
  return PAGE_TYPES_NAMES[profile]
    .filter((n) => (flags >> BigInt(n.bit)) & 1n)
    .map((n) => n.long)
    .join(',');
}

/** Set bits page-types has no name for (it exits with "unknown flag bit"; we report them). */
export function unnamedBits(flags: bigint, profile: ProfileName): number[] {
  const rest = flags & ~NAMED_MASK[profile];
  const out: number[] = [];
  if (rest) for (let b = 0; b < 64; b++) if ((rest >> BigInt(b)) & 1n) out.push(b);
  return out;
}

const namedMask = (p: ProfileName): bigint => PAGE_TYPES_NAMES[p].reduce((m, n) => m | bit(n.bit), 0n);
const NAMED_MASK: Readonly<Record<ProfileName, bigint>> = {
  '6.1': namedMask('6.1'),
  '6.12': namedMask('6.12'),
  mainline: namedMask('mainline'),
};

const KPF_HACKERS_BITS = 0xffffn << 32n;
const BITS_COMPOUND = bit(KPF.COMPOUND_HEAD) | bit(KPF.COMPOUND_TAIL);

/** well_known_flags(): page-types' default view, hiding hacker bits and non-hugetlb compound bits. */
export function wellKnownFlags(flags: bigint): bigint {
  let f = flags & ~KPF_HACKERS_BITS;
  if (f & BITS_COMPOUND && !(f & bit(KPF.HUGE))) f &= ~BITS_COMPOUND;
  return f;
}

/** expand_overloaded_flags() for `page-types -r` without a pagemap entry (pme = 0). */
export function expandOverloadedFlags(flags: bigint, profile: ProfileName): bigint {
  let f = flags;
  const ANON_EXCLUSIVE = bit(47);
  // 6.1: anon pages overload PG_mappedtodisk; 6.12: PG_owner_2 — both KPF bit 34
  if (f & bit(KPF.ANON) && f & bit(34)) f ^= bit(34) | ANON_EXCLUSIVE;
  if (f & bit(KPF.SLAB)) {
    // 6.1 only: SLOB_FREE (49) overloads PRIVATE
    if (profile === '6.1' && f & bit(35)) f ^= bit(35) | bit(49);
    if (f & bit(KPF.ACTIVE)) f ^= bit(KPF.ACTIVE) | bit(50);
    if (f & bit(KPF.ERROR)) f ^= bit(KPF.ERROR) | bit(51);
  }
  // PG_reclaim is overloaded as PG_readahead in the read path
  if ((f & (bit(KPF.RECLAIM) | bit(KPF.WRITEBACK))) === bit(KPF.RECLAIM)) f ^= bit(KPF.RECLAIM) | bit(48);
  return f;
}

const HASH_SIZE = 1 << 13;

/**
 * The summary's grouping, in page-types' print order: it walks its hash table (slot =
 * flags & 0x1fff, linear probing from 1, slot 0 reserved for flags 0) from slot 0 up.
 */
export class FlagsSummary {
  private readonly slotOf = new Map<bigint, number>();
  private readonly slotFlags: (bigint | undefined)[] = new Array<bigint | undefined>(HASH_SIZE);
  private readonly counts = new Float64Array(HASH_SIZE);
  total = 0;

  add(flags: bigint): void {
    let slot = this.slotOf.get(flags);
    if (slot === undefined) {
      slot = this.place(flags);
      this.slotOf.set(flags, slot);
      this.slotFlags[slot] = flags;
    }
    this.counts[slot]++;
    this.total++;
  }

  private place(flags: bigint): number {
    if (flags === 0n) return 0;
    let k = Number(flags & BigInt(HASH_SIZE - 1));
    for (let i = 1; i < HASH_SIZE; i++, k++) {
      if (!k || k >= HASH_SIZE) k = 1;
      if (this.slotFlags[k] === undefined) return k;
    }
    throw new Error('more than 8191 distinct flag combinations (page-types: "hash table full")');
  }

  /** [flags, page count] in page-types print order. */
  rows(): Array<[bigint, number]> {
    const out: Array<[bigint, number]> = [];
    for (let s = 0; s < HASH_SIZE; s++) {
      const f = this.slotFlags[s];
      if (f !== undefined) out.push([f, this.counts[s]]);
    }
    return out;
  }
}

const PAGE_SIZE = 4096;
const pages2mb = (pages: number): number => Math.floor((pages * PAGE_SIZE) / (1 << 20));
const hex16 = (v: bigint): string => '0x' + v.toString(16).padStart(16, '0');

/** show_summary(): the table, including page-types' tabs and column widths. */
export function formatSummary(summary: FlagsSummary, profile: ProfileName): string {
  let s = '             flags\tpage-count       MB  symbolic-flags\t\t\tlong-symbolic-flags\n';
  for (const [f, n] of summary.rows()) {
    s += `${hex16(f)}\t${String(n).padStart(10)} ${String(pages2mb(n)).padStart(8)}  `;
    s += `${pageFlagName(f, profile)}\t${pageFlagLongname(f, profile)}\n`;
  }
  s += `             total\t${String(summary.total).padStart(10)} ${String(pages2mb(summary.total)).padStart(8)}\n`;
  return s;
}
