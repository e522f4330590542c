/**
 * A raw page->flags word, decoded per profile: every set PG_ bit with the alias the context of the
 * word selects (include/linux/page-flags.h enum pageflags), the node/zone/section/lastcpupid and
 * MGLRU fields (include/linux/page-flags-layout.h), and the two strings the kernel prints for it:
 * %pGp (lib/vsprintf.c format_page_flags) and show_page_flags() (include/trace/events/mmflags.h).
 */
import { format_page_flags, pageflagsMask, show_page_flags } from '../kernel/flag_names.js';
import type { Profile } from '../kernel/profiles/index.js';

export interface DecodedBit {
  readonly bit: number;
  /** the enum pageflags member ('owner_2') */
  readonly member: string;
  /** what the bit means here ('anon_exclusive'), or undefined when the word cannot tell */
  readonly meaning: string | undefined;
  /** every PG_ name of this bit in the profile (member first) */
  readonly names: readonly string[];
  readonly note?: string;
}

export interface DecodedField {
  readonly name: string;
  readonly shift: number;
  readonly width: number;
  readonly value: number;
  readonly text: string;
}

export interface DecodedFlags {
  readonly profile: string;
  readonly config: string;
  /** 0x-prefixed hex of the whole word */
  readonly word: string;
  readonly secondPage: boolean;
  readonly bits: readonly DecodedBit[];
  /** 6.12+: a folio's page[1] keeps the folio order in its low byte (mm/internal.h folio_set_order) */
  readonly folioOrder?: number;
  readonly fields: readonly DecodedField[];
  /** set bits between the last PG_ bit and the lowest field */
  readonly unusedBits: readonly number[];
  /** %pGp */
  readonly pGp: string;
  /** show_page_flags(): the `flags=` of a page_ref trace event */
  readonly showPageFlags: string;
}

/** Parses `0x17ffffc0020028`, `17ffffc0020028` or a dump_page raw word; errors quote the input. */
export function parseFlagsWord(text: string): bigint {
  const m = /^(?:0x)?([0-9a-f]{1,16})$/i.exec(text.trim());
  if (!m)
    throw new Error(`"${text}": not a flags word (expected up to 16 hex digits, e.g. 0x17ffffc0020028)`);
  return BigInt(`0x${m[1]}`);
}

/** Bits whose meaning moves to page[1] of a large folio: the flags of PF_SECOND / FOLIO_SECOND_PAGE accessors. */
function secondPageFlags(p: Profile): Map<number, string> {
  const out = new Map<number, string>();
  for (const a of p.accessors.values()) {
    if (a.policy !== 'PF_SECOND' && a.folioPage !== 1) continue;
    const bit = p.bits.get(a.flag);
    if (bit !== undefined) out.set(bit, a.flag);
  }
  return out;
}

/** What the caller knows about the page: its mapping (dump_page prints "anon flags:" for anon) */
export type PageKind = 'anon' | 'file' | undefined;

/** Chooses among a bit's names using the rest of the word and what the caller knows. */
function meaningOf(member: string, names: readonly string[], has: (f: string) => boolean, kind: PageKind) {
  const pick = (meaning: string, note: string) => ({ meaning, note });
  if (names.includes('swapcache')) {
    // folio_test_swapcache() = swapbacked && PG_swapcache (page-flags.h, 6.1 and 6.12)
    return has('swapbacked')
      ? pick('swapcache', 'PG_swapbacked is set, so PG_owner_priv_1 reads as PG_swapcache')
      : {
          meaning: undefined,
          note: 'not PG_swapcache (needs PG_swapbacked): PG_checked (filesystems) or a Xen alias',
        };
  }
  if (names.includes('anon_exclusive')) {
    // anon folios use the bit as PG_anon_exclusive, file folios as PG_mappedtodisk (page-flags.h)
    if (kind === 'anon') return pick('anon_exclusive', 'an anon page: PG_anon_exclusive');
    if (kind === 'file') {
      return pick('mappedtodisk', 'a file page: PG_mappedtodisk (all buffer heads mapped to disk)');
    }
    return has('swapbacked')
      ? pick('anon_exclusive', 'PG_swapbacked is set (anon or shmem), so most likely PG_anon_exclusive')
      : { meaning: undefined, note: 'PG_anon_exclusive on an anon page, PG_mappedtodisk on a file page' };
  }
  if (member === 'head') return pick('head', 'a compound page head (its order is kept in page[1])');
  return { meaning: names.length === 1 ? member : undefined, note: undefined };
}

export function decodeFlags(
  p: Profile,
  word: bigint,
  opts: { secondPage?: boolean; kind?: PageKind } = {},
): DecodedFlags {
  const secondPage = !!opts.secondPage;
  const lo = Number(word & BigInt(pageflagsMask(p)));
  const has = (f: string): boolean => {
    const b = p.bits.get(f);
    return b !== undefined && ((lo >>> b) & 1) === 1;
  };
  const second = secondPageFlags(p);
  const orderInLowByte = secondPage && p.facts.folioLayout === 'folio_v6_12';
  const bits: DecodedBit[] = [];
  for (let bit = 0; bit < p.nrPageflags; bit++) {
    if (((lo >>> bit) & 1) === 0 || (orderInLowByte && bit < 8)) continue;
    const member = p.members[bit];
    const names = [member, ...p.header.aliases.filter((a) => p.bits.get(a.name) === bit).map((a) => a.name)];
    const unique = [...new Set(names)];
    const sec = second.get(bit);
    // second-page aliases mean nothing on page[0]; on page[1] they are the only meaning
    const candidates = unique.filter((n) => n !== sec);
    const m =
      secondPage && sec
        ? { meaning: sec, note: `on a large folio's page[1], PG_${member} is PG_${sec}` }
        : meaningOf(member, candidates, has, opts.kind);
    bits.push({ bit, member, meaning: m.meaning, names: unique, ...(m.note ? { note: m.note } : {}) });
  }
  const fields = p.layout.fields.map((f) => {
    const value = Number((word >> BigInt(f.shift)) & ((1n << BigInt(f.width)) - 1n));
    return {
      name: f.name,
      shift: f.shift,
      width: f.width,
      value,
      text: fieldText(p, f.name, f.width, value),
    };
  });
  const lowest = Math.min(64, ...p.layout.fields.map((f) => f.shift));
  const unusedBits: number[] = [];
  for (let b = p.nrPageflags; b < lowest; b++) if ((word >> BigInt(b)) & 1n) unusedBits.push(b);
  return {
    profile: p.name,
    config: p.configName,
    word: `0x${word.toString(16)}`,
    secondPage,
    bits,
    ...(orderInLowByte ? { folioOrder: lo & 0xff } : {}),
    fields,
    unusedBits,
    pGp: format_page_flags(p, word),
    showPageFlags: show_page_flags(p, lo),
  };
}

function fieldText(p: Profile, name: string, width: number, v: number): string {
  switch (name) {
    case 'zone':
      return p.layout.zones[v] ?? `zone ${v} (no such zone in this config)`;
    case 'lastcpupid':
      // page_cpupid_reset_last() stores all ones; else cpu << LAST__PID_SHIFT | (pid & 0xff) (mm.h)
      return v === 2 ** width - 1 ? 'unset (all ones)' : `cpu ${v >>> 8}, pid & 0xff = ${v & 0xff}`;
    case 'lru_gen':
      // folio_lru_gen(): stored gen + 1, 0 = not on a multi-gen LRU list (mm_inline.h)
      return v === 0 ? 'not on an MGLRU list' : `generation seq % MAX_NR_GENS = ${v - 1}`;
    case 'lru_refs':
      // folio_lru_refs() = this field + PG_workingset (mm_inline.h, 6.12)
      return 'MGLRU tier bits: accesses through file descriptors beyond PG_referenced';
    default:
      return String(v);
  }
}
