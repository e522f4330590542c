/**
 * The page_ref TP_printk text (include/trace/events/page_ref.h, identical in 6.1 and 6.12):
 * `pfn=0x%lx flags=%s count=%d mapcount=%d mapping=%p mt=%d val=%d` [+ ` ret=%d`].
 * flags and mapping stay raw text (interned): decoding needs a profile (reference §2.5).
 */
import { PAGE_REF_EVENT_NAMES, pageRefHasRet, type PageRefType } from '../kernel/tracepoint.js';
import type { ByteInterner } from './intern.js';
import type { EventScratch } from './store.js';

const SP = 0x20,
  EQ = 0x3d;

/** per byte, its value as a hex digit (either case), else -1: one load instead of three ranges */
const HEX_DIGIT = Int8Array.from({ length: 256 }, (_, c) =>
  c >= 0x30 && c <= 0x39
    ? c - 0x30
    : c >= 0x61 && c <= 0x66
      ? c - 0x57
      : c >= 0x41 && c <= 0x46
        ? c - 0x37
        : -1,
);

/** Little-endian word of the four bytes of `s` (latin1) at `at`. */
function word(s: string, at = 0): number {
  return Buffer.from(s, 'latin1').readInt32LE(at);
}
const PFN_ = word('pfn='),
  N_0X = word('n=0x');
/**
 * The keys of the fields after `pfn=0x%lx`, in TP_printk order (`ret` only for the types that
 * print it). A key is checked by its space, first two letters (one masked word) and its `=`,
 * which already tell the keys apart.
 */
const KEYS = [' flags=', ' count=', ' mapcount=', ' mapping=', ' mt=', ' val=', ' ret='];
const LOW3 = 0xffffff;
const [K_FLAGS, K_COUNT, K_MAPCOUNT, K_MAPPING, K_MT, K_VAL, K_RET] = KEYS.map((k) => word(k) & LOW3);
/** the text fields, each with its ByteInterner slot (findToken); the line head uses 0 and 1 */
const F_FLAGS = 0,
  F_MAPPING = 1;
const TOKEN_SLOT = [2, 3];

/**
 * Parses page_ref payloads into an EventScratch, one line at a time (one per reader). The flags
 * and mapping texts are only looked up while parsing: texts() interns new ones once the whole
 * line has parsed, so that a line found malformed adds none.
 */
export class PageRefParser {
  /** the number hex() or dec() parsed last */
  private v = 0;
  /** per field, the token parse() found: start, end, findToken's id and hash (token fields) */
  private readonly tok = new Int32Array(4 * TOKEN_SLOT.length);

  constructor(
    private readonly text: ByteInterner,
    readonly ev: EventScratch,
  ) {}

  /**
   * Fills ev's payload fields from the text at p (dv: a view of buf; `end` bounds it): where the
   * fields and the spaces after them end, or -1 when the text is not shaped as above. A field
   * also ends at a newline (the fast path reads on to the line's end). Each key is checked in
   * line: a call per key cost more than its check.
   */
  parse(buf: Uint8Array, dv: DataView, p: number, end: number, type: PageRefType): number {
    if (p + 6 > end || dv.getInt32(p, true) !== PFN_ || dv.getInt32(p + 2, true) !== N_0X) return -1;
    if ((p = this.hex(buf, p + 6, end)) < 0) return -1;
    const ev = this.ev;
    ev.pfn = this.v;
    let q = p + 7;
    if (q > end || buf[q - 1] !== EQ || (dv.getInt32(p, true) & LOW3) !== K_FLAGS) return -1;
    if ((p = this.token(buf, dv, q, end, F_FLAGS)) < 0) return -1;
    q = p + 7;
    if (q > end || buf[q - 1] !== EQ || (dv.getInt32(p, true) & LOW3) !== K_COUNT) return -1;
    if ((p = this.dec(buf, q, end)) < 0) return -1;
    ev.count = this.v | 0;
    q = p + 10;
    if (q > end || buf[q - 1] !== EQ || (dv.getInt32(p, true) & LOW3) !== K_MAPCOUNT) return -1;
    if ((p = this.dec(buf, q, end)) < 0) return -1;
    ev.mapcount = this.v | 0;
    q = p + 9;
    if (q > end || buf[q - 1] !== EQ || (dv.getInt32(p, true) & LOW3) !== K_MAPPING) return -1;
    if ((p = this.token(buf, dv, q, end, F_MAPPING)) < 0) return -1;
    q = p + 4;
    if (q > end || buf[q - 1] !== EQ || (dv.getInt32(p, true) & LOW3) !== K_MT) return -1;
    if ((p = this.dec(buf, q, end)) < 0) return -1;
    ev.mt = this.v | 0;
    q = p + 5;
    if (q > end || buf[q - 1] !== EQ || (dv.getInt32(p, true) & LOW3) !== K_VAL) return -1;
    if ((p = this.dec(buf, q, end)) < 0) return -1;
    ev.val = this.v;
    ev.type = type;
    ev.ret = 0;
    if (pageRefHasRet(type)) {
      q = p + 5;
      if (q > end || buf[q - 1] !== EQ || (dv.getInt32(p, true) & LOW3) !== K_RET) return -1;
      if ((p = this.dec(buf, q, end)) < 0) return -1;
      ev.ret = this.v | 0;
    }
    while (p < end && buf[p] === SP) p++;
    return p;
  }

  /** The token at q of field f: its end, or -1 when empty; kept for texts(). */
  private token(buf: Uint8Array, dv: DataView, q: number, end: number, f: number): number {
    const text = this.text;
    const e = text.findToken(buf, dv, q, end, TOKEN_SLOT[f]);
    const t = this.tok;
    t[4 * f] = q;
    t[4 * f + 1] = e;
    t[4 * f + 2] = text.tokenId;
    t[4 * f + 3] = text.tokenHash;
    return e === q ? -1 : e;
  }

  /** Interns the flags and mapping texts of the line parse() accepted last into ev. */
  texts(buf: Uint8Array): void {
    this.ev.flags = this.intern(buf, F_FLAGS);
    this.ev.mapping = this.intern(buf, F_MAPPING);
  }

  private intern(buf: Uint8Array, f: number): number {
    const t = this.tok;
    const k = 4 * f;
    return this.text.internToken(buf, t[k], t[k + 1], TOKEN_SLOT[f], t[k + 2], t[k + 3]);
  }

  private hex(buf: Uint8Array, p: number, e: number): number {
    const start = p;
    let x = 0;
    for (let d = 0; p < e && (d = HEX_DIGIT[buf[p]]) >= 0; p++) x = x * 16 + d;
    this.v = x;
    return p === start ? -1 : p;
  }

  /**
   * The decimal at p (an optional `-`, digits): its end, or -1; the value in `v`. The sign is a
   * product, not a branch, so that the code a negative number needs runs on every line (a
   * negation first met after the JIT compiled this would deoptimize it).
   */
  private dec(buf: Uint8Array, p: number, e: number): number {
    const neg = p < e && buf[p] === 0x2d ? 1 : 0;
    p += neg;
    const start = p;
    let x = 0;
    for (; p < e; p++) {
      const d = buf[p] - 0x30;
      if (d < 0 || d > 9) break;
      x = x * 10 + d;
    }
    this.v = x * (1 - 2 * neg);
    return p === start ? -1 : p;
  }
}

/** The page_ref event type for a name range, or -1. */
const NAME_BYTES = PAGE_REF_EVENT_NAMES.map((n) => Buffer.from(n, 'latin1'));
export function pageRefTypeAt(buf: Uint8Array, s: number, e: number): PageRefType | -1 {
  const len = e - s;
  // all names start with `page_ref_`; compare from the distinguishing tail
  for (let t = 0; t < NAME_BYTES.length; t++) {
    const nb = NAME_BYTES[t];
    if (nb.length !== len) continue;
    let i = len - 1;
    while (i >= 0 && buf[s + i] === nb[i]) i--;
    if (i < 0) return t as PageRefType;
  }
  return -1;
}

const NAME_COLON = PAGE_REF_EVENT_NAMES.map((n) => `${n}:`);
const PAGE = word(NAME_COLON[0], 0),
  _REF = word(NAME_COLON[0], 4);
/** per type, bytes 9-12 of `name:` (after `page_ref_`), which tell most names apart */
const TAIL_KEY = Int32Array.from(NAME_COLON, (n) => word(n, 9));
const NAME_COLON_LEN = Int32Array.from(NAME_COLON, (n) => n.length);
/**
 * per type, the rest of `name:` after byte 13 as three words at 13, 17 and its last four bytes,
 * each moved back to end within the name (they overlap bytes compared before)
 */
const tailAt = (n: string, at: number): number => Math.min(at, n.length - 4);
const TAIL_AT = [13, 17, 99].map((at) => Int32Array.from(NAME_COLON, (n) => tailAt(n, at)));
const TAIL = TAIL_AT.map((offsets) => Int32Array.from(NAME_COLON, (n, t) => word(n, offsets[t])));
const [AT1, AT2, AT3] = TAIL_AT;
const [TAIL1, TAIL2, TAIL3] = TAIL;

/**
 * The page_ref event type whose `name:` starts exactly at s, or -1: the fast path for the name's
 * usual place (one space after the timestamp's colon). Compares the `page_ref_` prefix, the next
 * four bytes and then the rest as words instead of scanning for the colon and comparing names.
 */
export function pageRefNameAt(buf: Uint8Array, dv: DataView, s: number, e: number): PageRefType | -1 {
  if (s + 14 > e || dv.getInt32(s, true) !== PAGE || dv.getInt32(s + 4, true) !== _REF) return -1;
  if (buf[s + 8] !== 0x5f /* _ */) return -1;
  const key = dv.getInt32(s + 9, true);
  for (let t = 0; t < TAIL_KEY.length; t++) {
    if (TAIL_KEY[t] !== key || s + NAME_COLON_LEN[t] > e) continue;
    const d =
      (dv.getInt32(s + AT1[t], true) ^ TAIL1[t]) |
      (dv.getInt32(s + AT2[t], true) ^ TAIL2[t]) |
      (dv.getInt32(s + AT3[t], true) ^ TAIL3[t]);
    if (d === 0) return t as PageRefType;
  }
  return -1;
}
