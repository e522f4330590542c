/**
 * The page_ref TP_printk text (include/trace/events/page_ref.h, identical in 6.1 and 6.12):
 * `pfn=0x%lx flags=%s count=%d mapcount=%d mapping=%p mt=%d val=%d` [+ ` ret=%d`].
 * flags and mapping stay raw text (interned): decoding needs a profile (reference §2.5).
 */
import { PAGE_REF_EVENT_NAMES, pageRefHasRet, type PageRefType } from '../kernel/tracepoint.js';
import type { ByteInterner } from './intern.js';
import type { EventScratch } from './store.js';

const FNV_BASIS = 0x811c9dc5 | 0,
  FNV_PRIME = 0x01000193;
const SP = 0x20;

/** Key bytes, as plain Uint8Arrays (element loads on a Buffer constant are slower). */
const k = (t: string): Uint8Array => new Uint8Array(Buffer.from(t, 'latin1'));
const PFN = k('pfn=0x'),
  FLAGS = k(' flags='),
  COUNT = k(' count='),
  MAPCOUNT = k(' mapcount='),
  MAPPING = k(' mapping='),
  MT = k(' mt='),
  VAL = k(' val='),
  RET = k(' ret=');

/** Parse state shared by the helpers below (one reader per thread, so module state is safe). */
let v = 0;

function key(buf: Uint8Array, p: number, e: number, kb: Uint8Array): number {
  const n = kb.length;
  if (p + n > e) return -1;
  for (let i = 0; i < n; i++) if (buf[p + i] !== kb[i]) return -1;
  return p + n;
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

/** Interns the token at p (up to a space), hashing while scanning; returns its end or -1. */
function token(buf: Uint8Array, p: number, e: number, text: ByteInterner): number {
  let h = FNV_BASIS;
  let q = p;
  for (; q < e; q++) {
    const c = buf[q];
    if (c === SP) break;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  if (q === p) return -1;
  v = text.internHashed(buf, p, q, h);
  return q;
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

/** Fills e's payload fields from `buf[p..end)`; false when the text is not shaped as above. */
export function parsePageRef(
  buf: Uint8Array,
  p: number,
  end: number,
  type: PageRefType,
  text: ByteInterner,
  ev: EventScratch,
): boolean {
  if ((p = key(buf, p, end, PFN)) < 0 || (p = hex(buf, p, end)) < 0) return false;
  ev.pfn = v;
  if ((p = key(buf, p, end, FLAGS)) < 0 || (p = token(buf, p, end, text)) < 0) return false;
  ev.flags = v;
  if ((p = key(buf, p, end, COUNT)) < 0 || (p = dec(buf, p, end)) < 0) return false;
  ev.count = v;
  if ((p = key(buf, p, end, MAPCOUNT)) < 0 || (p = dec(buf, p, end)) < 0) return false;
  ev.mapcount = v;
  if ((p = key(buf, p, end, MAPPING)) < 0 || (p = token(buf, p, end, text)) < 0) return false;
  ev.mapping = v;
  if ((p = key(buf, p, end, MT)) < 0 || (p = dec(buf, p, end)) < 0) return false;
  ev.mt = v;
  if ((p = key(buf, p, end, VAL)) < 0 || (p = dec(buf, p, end)) < 0) return false;
  ev.val = v;
  ev.type = type;
  ev.ret = 0;
  if (pageRefHasRet(type)) {
    if ((p = key(buf, p, end, RET)) < 0 || (p = dec(buf, p, end)) < 0) return false;
    ev.ret = v;
  }
  while (p < end && buf[p] === SP) p++;
  return p === end;
}
