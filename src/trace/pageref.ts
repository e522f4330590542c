/**
 * The page_ref TP_printk text (include/trace/events/page_ref.h, identical in 6.1 and 6.12):
 * `pfn=0x%lx flags=%s count=%d mapcount=%d mapping=%p mt=%d val=%d` [+ ` ret=%d`].
 * flags and mapping stay raw text (interned): decoding needs a profile (reference §2.5).
 */
import { PAGE_REF_EVENT_NAMES, pageRefHasRet, type PageRefType } from '../kernel/tracepoint.js';
import { num, parseDec } from './head.js';
import type { ByteInterner } from './intern.js';
import type { EventScratch } from './store.js';

const KEYS = ['pfn=0x', ' flags=', ' count=', ' mapcount=', ' mapping=', ' mt=', ' val=', ' ret='].map((k) =>
  Buffer.from(k, 'latin1'),
);
const K_PFN = 0,
  K_FLAGS = 1,
  K_COUNT = 2,
  K_MAPCOUNT = 3,
  K_MAPPING = 4,
  K_MT = 5,
  K_VAL = 6,
  K_RET = 7;

function key(buf: Uint8Array, p: number, e: number, k: number): number {
  const kb = KEYS[k];
  if (p + kb.length > e) return -1;
  for (let i = 0; i < kb.length; i++) if (buf[p + i] !== kb[i]) return -1;
  return p + kb.length;
}

function parseHex(buf: Uint8Array, p: number, e: number): number {
  const start = p;
  let v = 0;
  for (; p < e; p++) {
    const c = buf[p];
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else break;
    v = v * 16 + d;
  }
  num.v = v;
  return p === start ? -1 : p;
}

function token(buf: Uint8Array, p: number, e: number): number {
  while (p < e && buf[p] !== 0x20) p++;
  return p;
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
  if ((p = key(buf, p, end, K_PFN)) < 0 || (p = parseHex(buf, p, end)) < 0) return false;
  ev.pfn = num.v;
  if ((p = key(buf, p, end, K_FLAGS)) < 0) return false;
  let t = token(buf, p, end);
  if (t === p) return false;
  ev.flags = text.intern(buf, p, t);
  if ((p = key(buf, t, end, K_COUNT)) < 0 || (p = parseDec(buf, p, end)) < 0) return false;
  ev.count = num.v;
  if ((p = key(buf, p, end, K_MAPCOUNT)) < 0 || (p = parseDec(buf, p, end)) < 0) return false;
  ev.mapcount = num.v;
  if ((p = key(buf, p, end, K_MAPPING)) < 0) return false;
  t = token(buf, p, end);
  if (t === p) return false;
  ev.mapping = text.intern(buf, p, t);
  if ((p = key(buf, t, end, K_MT)) < 0 || (p = parseDec(buf, p, end)) < 0) return false;
  ev.mt = num.v;
  if ((p = key(buf, p, end, K_VAL)) < 0 || (p = parseDec(buf, p, end)) < 0) return false;
  ev.val = num.v;
  ev.type = type;
  ev.ret = 0;
  if (pageRefHasRet(type)) {
    if ((p = key(buf, p, end, K_RET)) < 0 || (p = parseDec(buf, p, end)) < 0) return false;
    ev.ret = num.v;
  }
  while (p < end && buf[p] === 0x20) p++;
  return p === end;
}
