/**
 * page_type words and the `mapcount=` field of page_ref trace events, decoded per profile.
 * page_type and _mapcount share one 4-byte union in struct page (include/linux/mm_types.h), so
 * a value is either a type or a mapcount; page_has_type() decides (include/linux/page-flags.h):
 *  - 6.1 "inverted-bits": types are bits cleared under PAGE_TYPE_BASE 0xf0000000;
 *  - 6.12+ "top-byte": type id PGTY_x in the top byte, low 24 bits free for the owner.
 * The trace records page_mapcount() in 6.1 and the raw _mapcount in 6.12
 * (include/trace/events/page_ref.h TP_fast_assign).
 */
import { PAGE_TYPE_BASE, page_type_word_has_type } from '../kernel/page_type.js';
import type { Profile } from '../kernel/profiles/index.js';

export interface DecodedPageType {
  readonly profile: string;
  /** the word as u32 hex */
  readonly word: string;
  /** the same bits as a signed int (how _mapcount and the trace print it) */
  readonly signed: number;
  readonly kind: 'none' | 'type' | 'mapcount';
  /** kind 'type': the type lname ('buddy'), or undefined for an id this profile does not name */
  readonly type?: string;
  /** the encoded id: PGTY_x (top byte) or the PG_x bit cleared (6.1) */
  readonly typeValue?: number;
  /** top-byte encoding: the low 24 bits the owner may use (zsmalloc: first object offset) */
  readonly ownerBits?: number;
  /** kind 'mapcount': the number of mappings (_mapcount + 1) */
  readonly mapcount?: number;
  /** kind 'mapcount' below 0: what page-flags.h keeps such a word for */
  readonly outOfRange?: 'underflow' | 'overflow';
  readonly text: string;
}

export interface DecodedTraceMapcount {
  readonly profile: string;
  readonly value: number;
  /** 'page_mapcount' (6.1) or 'raw' _mapcount (6.12+) */
  readonly field: Profile['facts']['traceMapcount'];
  /** the page_type/_mapcount word the value was computed from */
  readonly pageType: DecodedPageType;
  readonly text: string;
  readonly notes: readonly string[];
}

/**
 * What a _mapcount below -1 is instead of a count: include/linux/page-flags.h keeps such words
 * apart from the types, 6.1 -2..-128 for underflows (PAGE_MAPCOUNT_RESERVE), 6.12 enum pagetype
 * the top byte 0xff for an underflow (PGTY_mapcount_underflow) and 0x80-0xef for an overflow.
 */
function outOfRange(p: Profile, u: number): { what: 'underflow' | 'overflow'; why: string } {
  if (p.header.pageTypeEncoding === 'inverted-bits')
    return { what: 'underflow', why: 'within PAGE_MAPCOUNT_RESERVE (-128), kept for underflows' };
  const top = u >>> 24;
  if (overflowReserve(top))
    return { what: 'overflow', why: `top byte 0x${top.toString(16)}: 0x80-0xef are kept for an overflow` };
  return { what: 'underflow', why: `top byte 0x${top.toString(16)}: 0xff = PGTY_mapcount_underflow` };
}

/** enum pagetype (6.12 include/linux/page-flags.h): "Reserve 0x80-0xef for mapcount overflow" */
const overflowReserve = (top: number): boolean => top >= 0x80 && top <= 0xef;

const hex32 = (v: number): string => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;

/** Parses `0xf0000000`, `f5000000`, `-184549376` or `4026531840`; errors quote the input. */
export function parsePageTypeWord(text: string): number {
  const t = text.trim();
  let v: number | undefined;
  if (/^-?\d+$/.test(t)) v = Number(t);
  else if (/^(0x)?[0-9a-f]{1,8}$/i.test(t)) v = Number.parseInt(t.replace(/^0x/i, ''), 16);
  if (v === undefined || v < -(2 ** 31) || v > 2 ** 32 - 1)
    throw new Error(`"${text}": not a 32-bit page_type/mapcount value (e.g. 0xf0000000 or -184549376)`);
  return v | 0;
}

function typeName(p: Profile, value: number): string | undefined {
  for (const [name, v] of p.pageTypes) if (v === value) return name;
  return undefined;
}

/** Which type a word holds, by the profile's encoding; `word` is signed or unsigned 32-bit. */
export function decodePageType(p: Profile, word: number): DecodedPageType {
  const u = word >>> 0;
  const base = { profile: p.name, word: hex32(u), signed: u | 0 };
  if (u === 0xffffffff)
    return { ...base, kind: 'none', text: 'no page type (UINT_MAX); as _mapcount: -1 = not mapped' };
  if (!page_type_word_has_type(p, u)) {
    const mapcount = (u | 0) + 1;
    if (mapcount >= 0)
      return {
        ...base,
        kind: 'mapcount',
        mapcount,
        text: `not a page type: _mapcount ${u | 0}, mapped ${mapcount} time(s)`,
      };
    const { what, why } = outOfRange(p, u);
    const text = `not a page type: _mapcount ${u | 0}, a mapcount ${what} (${why})`;
    return { ...base, kind: 'mapcount', mapcount, outOfRange: what, text };
  }
  if (p.header.pageTypeEncoding === 'top-byte') {
    const id = u >>> 24;
    const type = typeName(p, id);
    const ownerBits = u & 0xffffff;
    const owner = ownerBits ? `, owner bits 0x${ownerBits.toString(16)}` : '';
    const overflow = overflowReserve(id) ? ' (0x80-0xef: kept for a mapcount overflow)' : '';
    const text = type
      ? `PGTY_${type} (0x${id.toString(16)}) << 24${owner}`
      : `type id 0x${id.toString(16)} has no PGTY_ name in ${p.name}${overflow}${owner}`;
    return { ...base, kind: 'type', ...(type ? { type } : {}), typeValue: id, ownerBits, text };
  }
  // 6.1 PageType(page, flag): (page_type & (PAGE_TYPE_BASE | flag)) == PAGE_TYPE_BASE
  for (const [type, bit] of p.pageTypes) {
    if ((u & (PAGE_TYPE_BASE | bit)) >>> 0 === PAGE_TYPE_BASE)
      return {
        ...base,
        kind: 'type',
        type,
        typeValue: bit,
        text: `PG_${type} (0x${bit.toString(16)}) cleared under PAGE_TYPE_BASE`,
      };
  }
  return { ...base, kind: 'type', text: `page_has_type() but no PG_ type bit of ${p.name} is cleared` };
}

/** The `mapcount=` field of a page_ref event. */
export function decodeTraceMapcount(p: Profile, value: number): DecodedTraceMapcount {
  const field = p.facts.traceMapcount;
  const notes: string[] = [];
  // 6.1 page_mapcount() of a small page = _mapcount + 1 (include/linux/mm.h); 6.12 prints _mapcount
  const raw = field === 'page_mapcount' ? (value - 1) | 0 : value | 0;
  const pageType = decodePageType(p, raw);
  let text: string;
  if (pageType.kind === 'type') text = `typed page: ${pageType.text}`;
  else if (pageType.kind === 'none') text = 'not mapped (and no page type)';
  else if (pageType.outOfRange === 'underflow')
    text = `mapcount underflow: _mapcount ${raw}, unmapped more often than mapped (a bug)`;
  else if (pageType.outOfRange === 'overflow')
    text = `mapcount overflow: _mapcount ${raw}, past INT_MAX mappings (a bug or a corrupt word)`;
  else text = `mapped ${pageType.mapcount} time(s)`;
  if (field === 'page_mapcount') {
    notes.push(
      '6.1 traces print page_mapcount(): _mapcount + 1 (for a THP subpage also the entire mapcount)',
    );
    if (pageType.kind === 'mapcount' && !pageType.outOfRange)
      notes.push('a zsmalloc sub-page in 6.1 shows its first-object offset + 1 here');
  } else {
    notes.push('6.12+ traces print the raw _mapcount: -1 = not mapped, n = mapped n + 1 times');
    if (pageType.kind === 'none')
      notes.push('tail pages of typed folios also show -1: the type lives in the head');
  }
  return { profile: p.name, value, field, pageType, text, notes };
}
