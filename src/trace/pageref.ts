/**
 * The page_ref TP_printk text (include/trace/events/page_ref.h, identical in 6.1 and 6.12):
 * `pfn=0x%lx flags=%s count=%d mapcount=%d mapping=%p mt=%d val=%d` [+ ` ret=%d`].
 * flags and mapping stay raw text (interned): decoding needs a profile (reference §2.5).
 */
import { PAGE_REF_EVENT_NAMES, pageRefHasRet, type PageRefType } from '../kernel/tracepoint.js';
import type { ByteInterner } from './intern.js';
import type { EventScratch } from './store.js';

const SP = 0x20;
/** ByteInterner slots (see internToken); the line head uses 0 and 1 */
const SLOT_FLAGS = 2,
  SLOT_MAPPING = 3;

/** Parse state shared by the helpers below (one reader per thread, so module state is safe). */
let v = 0;

/**
 * ` name=` at p: its end, or -1. Checked by the space, the first two letters and the `=` at the
 * key's length, which already tell the fixed TP_printk keys apart and cost a third of a full
 * compare (this runs eight times per event).
 */
function key(buf: Uint8Array, p: number, e: number, len: number, c1: number, c2: number): number {
  const q = p + len;
  return q <= e && buf[q - 1] === 0x3d && buf[p + 1] === c1 && buf[p + 2] === c2 && buf[p] === SP ? q : -1;
}

function hex(buf: Uint8Array, p: number, e: number): number {
  const start = p;
  let x = 0;
  for (; p < e; p++) {
    const c = buf[p];
    if (c >= 0x30 && c <= 0x39) x = x * 16 + (c - 0x30);
    else if (c >= 0x61 && c <= 0x66) x = x * 16 + (c - 0x57);
    else if (c >= 0x41 && c <= 0x46) x = x * 16 + (c - 0x37);
    else break;
  }
  v = x;
  return p === start ? -1 : p;
}

function dec(buf: Uint8Array, p: number, e: number): number {
  let neg = false;
  if (p < e && buf[p] === 0x2d) {
    neg = true;
    p++;
  }
  const start = p;
  let x = 0;
  for (; p < e; p++) {
    const d = buf[p] - 0x30;
    if (d < 0 || d > 9) break;
    x = x * 10 + d;
  }
  v = neg ? -x : x;
  return p === start ? -1 : p;
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

const NAME_COLON = PAGE_REF_EVENT_NAMES.map((n) => Buffer.from(`${n}:`, 'latin1'));
const WORD = (b: Buffer, at: number): number => b.readInt32LE(at);
const PAGE = WORD(NAME_COLON[0], 0),
  _REF = WORD(NAME_COLON[0], 4);
/** per type, bytes 9-12 of `name:` (after `page_ref_`), which tell most names apart */
const TAIL_KEY = NAME_COLON.map((b) => WORD(b, 9));

/**
 * The page_ref event type whose `name:` starts exactly at s, or -1: the fast path for the name's
 * usual place (one space after the timestamp's colon). Compares the `page_ref_` prefix and the
 * next four bytes as words instead of scanning for the colon and comparing names.
 */
export function pageRefNameAt(buf: Uint8Array, dv: DataView, s: number, e: number): PageRefType | -1 {
  if (s + 14 > e || dv.getInt32(s, true) !== PAGE || dv.getInt32(s + 4, true) !== _REF) return -1;
  if (buf[s + 8] !== 0x5f /* _ */) return -1;
  const key = dv.getInt32(s + 9, true);
  for (let t = 0; t < TAIL_KEY.length; t++) {
    if (TAIL_KEY[t] !== key) continue;
    const nb = NAME_COLON[t];
    if (s + nb.length > e) continue;
    let i = nb.length - 1;
    while (i >= 13 && buf[s + i] === nb[i]) i--;
    if (i < 13) return t as PageRefType;
  }
  return -1;
}

/** Fills e's payload fields from `buf[p..end)`; false when the text is not shaped as above. */
export function parsePageRef(
  buf: Uint8Array,
  p: number,
  end: number,
  type: PageRefType,
  text: ByteInterner,
  ev: EventScratch,
): boolean {
  if (p + 6 > end || buf[p] !== 0x70 || buf[p + 1] !== 0x66 || buf[p + 2] !== 0x6e) return false; // pfn
  if (buf[p + 3] !== 0x3d || buf[p + 4] !== 0x30 || buf[p + 5] !== 0x78) return false; // =0x
  if ((p = hex(buf, p + 6, end)) < 0) return false;
  ev.pfn = v;
  if ((p = key(buf, p, end, 7, 0x66, 0x6c)) < 0) return false; // flags=
  let t = text.internToken(buf, p, end, SLOT_FLAGS);
  if (t === p) return false;
  ev.flags = text.tokenId;
  p = t;
  if ((p = key(buf, p, end, 7, 0x63, 0x6f)) < 0 || (p = dec(buf, p, end)) < 0) return false; // count=
  ev.count = v;
  if ((p = key(buf, p, end, 10, 0x6d, 0x61)) < 0 || (p = dec(buf, p, end)) < 0) return false; // mapcount=
  ev.mapcount = v;
  if ((p = key(buf, p, end, 9, 0x6d, 0x61)) < 0) return false; // mapping=
  t = text.internToken(buf, p, end, SLOT_MAPPING);
  if (t === p) return false;
  ev.mapping = text.tokenId;
  p = t;
  if ((p = key(buf, p, end, 4, 0x6d, 0x74)) < 0 || (p = dec(buf, p, end)) < 0) return false; // mt=
  ev.mt = v;
  if ((p = key(buf, p, end, 5, 0x76, 0x61)) < 0 || (p = dec(buf, p, end)) < 0) return false; // val=
  ev.val = v;
  ev.type = type;
  ev.ret = 0;
  if (pageRefHasRet(type)) {
    if ((p = key(buf, p, end, 5, 0x72, 0x65)) < 0 || (p = dec(buf, p, end)) < 0) return false; // ret=
    ev.ret = v;
  }
  while (p < end && buf[p] === SP) p++;
  return p === end;
}
