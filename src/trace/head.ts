/**
 * The context columns every text format starts a line with (reference §2.6, §2.8, §2.9):
 *
 *   ftrace      `%16s-%-7d ` [`(%7d) ` | `(-------) `] `[%03d] ` [LAT 4|5 chars] ` %5lu.%06lu: `
 *   latency     `%8.8s-%-7d %3d` LAT ` %4lldus%c: `          (options/latency-format; relative µs)
 *   trace-cmd   `%16s-%-5d [%03d]` [` LAT`] ` %6.1000d:`    (same shape as ftrace)
 *   perf script `%16s %7d [%03d] %12s: `                     (tid, or pid/tid, after a space)
 *
 * Task names may contain spaces, dashes, slashes and `<...>`, so the pid is found from the CPU
 * bracket leftwards, never by splitting on '-'. Works on bytes; no strings are created.
 */

const SP = 0x20,
  DASH = 0x2d,
  LBRACK = 0x5b,
  RBRACK = 0x5d,
  LPAR = 0x28,
  RPAR = 0x29,
  COLON = 0x3a,
  DOT = 0x2e,
  SLASH = 0x2f;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

export type HeadStyle = 'ftrace' | 'latency' | 'perf';

/** One parsed line head (reused). Ranges are byte offsets into the line's buffer. */
export class LineHead {
  style: HeadStyle = 'ftrace';
  commStart = 0;
  commEnd = 0;
  pid = 0;
  tgid = -1;
  cpu = 0;
  irqStart = 0;
  irqEnd = 0;
  timestampNs = 0;
  /** the event name (system prefix of perf removed) */
  nameStart = 0;
  nameEnd = 0;
  /** first byte of the event's text, after the name's `: ` and trace-cmd padding */
  payload = 0;
}

/** Parses a decimal run at p; returns its end, the value in `num.v`. */
export const num = { v: 0 };
export function parseDec(buf: Uint8Array, p: number, e: number): number {
  let neg = false;
  if (p < e && buf[p] === DASH) {
    neg = true;
    p++;
  }
  const start = p;
  let v = 0;
  while (p < e && isDigit(buf[p])) v = v * 10 + (buf[p++] - 0x30);
  num.v = neg ? -v : v;
  return p === start ? -1 : p;
}

/** ns per unit of a fraction of n digits (a table: a division per digit showed in profiles) */
const FRAC_SCALE = [1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1];

/** `sec[.frac]` -> ns in num.v; returns the end or -1. */
function parseTime(buf: Uint8Array, p: number, e: number): number {
  let sec = 0;
  const start = p;
  while (p < e && isDigit(buf[p])) sec = sec * 10 + (buf[p++] - 0x30);
  if (p === start) return -1;
  let frac = 0;
  let digits = 0;
  if (p < e && buf[p] === DOT) {
    p++;
    while (p < e && isDigit(buf[p])) {
      if (digits < 9) {
        frac = frac * 10 + (buf[p] - 0x30);
        digits++;
      }
      p++;
    }
  }
  num.v = sec * 1e9 + frac * FRAC_SCALE[digits];
  return p;
}

function skipSpaces(buf: Uint8Array, p: number, e: number): number {
  while (p < e && buf[p] === SP) p++;
  return p;
}

/** Event name after the timestamp: `name: `, perf `sys:name: `, or ftrace's `<stack trace>`. */
export function parseName(buf: Uint8Array, p: number, e: number, h: LineHead): boolean {
  p = skipSpaces(buf, p, e);
  if (p < e && buf[p] === 0x3c /* < */) {
    // `<stack trace>` header of the stacktrace option: no colon
    h.nameStart = p;
    h.nameEnd = e;
    h.payload = e;
    return true;
  }
  let q = p;
  while (q < e && buf[q] !== COLON && buf[q] !== SP) q++;
  if (q >= e || buf[q] !== COLON) return false;
  if (h.style === 'perf' && q + 1 < e && buf[q + 1] !== SP) {
    // `page_ref:page_ref_mod:` -> drop the system
    p = q + 1;
    q = p;
    while (q < e && buf[q] !== COLON && buf[q] !== SP) q++;
    if (q >= e || buf[q] !== COLON) return false;
  }
  if (q === p) return false;
  h.nameStart = p;
  h.nameEnd = q;
  h.payload = skipSpaces(buf, q + 1, e);
  return true;
}

function parseLatency(buf: Uint8Array, s: number, e: number, h: LineHead): boolean {
  // `%8.8s-%-7d %3d` LAT ` %4lldus%c: `
  if (s + 9 >= e || buf[s + 8] !== DASH) return false;
  h.style = 'latency';
  h.commStart = skipSpaces(buf, s, s + 8);
  h.commEnd = s + 8;
  let p = parseDec(buf, s + 9, e);
  if (p < 0) return false;
  h.pid = num.v;
  h.tgid = -1;
  p = parseDec(buf, skipSpaces(buf, p, e), e);
  if (p < 0) return false;
  h.cpu = num.v;
  h.irqStart = p;
  while (p < e && buf[p] !== SP) p++;
  h.irqEnd = p;
  if (h.irqEnd - h.irqStart < 4) return false;
  p = parseDec(buf, skipSpaces(buf, p, e), e);
  if (p < 0 || buf[p] !== 0x75 /* u */ || buf[p + 1] !== 0x73 /* s */) return false;
  h.timestampNs = num.v * 1000;
  p += 2; // mark char (' ', '+', '!', ...) then ':'
  if (p < e && buf[p] !== COLON) p++;
  if (p >= e || buf[p] !== COLON) return false;
  return parseName(buf, p + 1, e, h);
}

/** Parses the head of `buf[s..e)`; false when the line is not an event line. */
export function parseHead(buf: Uint8Array, s: number, e: number, h: LineHead): boolean {
  const cs = skipSpaces(buf, s, e);
  // the CPU bracket: ` [ddd]` (first one from the left)
  let b = -1;
  const limit = Math.min(e, cs + 64);
  for (let i = cs + 1; i < limit; i++) {
    if (buf[i] !== LBRACK || buf[i - 1] !== SP) continue;
    let j = i + 1;
    while (j < e && isDigit(buf[j])) j++;
    if (j > i + 1 && j < e && buf[j] === RBRACK) {
      b = i;
      break;
    }
  }
  if (b < 0) return parseLatency(buf, s, e, h);
  let p = parseDec(buf, b + 1, e);
  h.cpu = num.v;
  // leftwards: optional `(tgid)`, then the pid
  let q = b - 1;
  while (q > cs && buf[q] === SP) q--;
  h.tgid = -1;
  if (buf[q] === RPAR) {
    let o = q - 1;
    while (o > cs && buf[o] !== LPAR) o--;
    if (buf[o] !== LPAR) return false;
    const t = parseDec(buf, skipSpaces(buf, o + 1, q), q);
    if (t === q) h.tgid = num.v;
    q = o - 1;
    while (q > cs && buf[q] === SP) q--;
  }
  const pidEnd = q + 1;
  while (q >= cs && isDigit(buf[q])) q--;
  if (q + 1 === pidEnd || q < cs) return false;
  parseDec(buf, q + 1, pidEnd);
  h.pid = num.v;
  if (buf[q] === DASH) {
    h.style = 'ftrace';
    h.commEnd = q;
  } else if (buf[q] === SP || buf[q] === SLASH) {
    // perf: `comm tid` or `comm pid/tid`
    h.style = 'perf';
    if (buf[q] === SLASH) {
      const tgidEnd = q;
      q--;
      while (q >= cs && isDigit(buf[q])) q--;
      if (parseDec(buf, q + 1, tgidEnd) !== tgidEnd) return false;
      h.tgid = num.v;
    }
    while (q > cs && buf[q] === SP) q--;
    h.commEnd = q + 1;
  } else return false;
  h.commStart = cs;
  // rightwards: `] `, optional LAT, timestamp `:`
  p = skipSpaces(buf, p + 1, e);
  let t = p;
  while (t < e && buf[t] !== SP && buf[t] !== COLON) t++;
  if (t < e && buf[t] === COLON && isDigit(buf[p])) {
    h.irqStart = h.irqEnd = p;
  } else {
    h.irqStart = p;
    h.irqEnd = t;
    p = skipSpaces(buf, t, e);
  }
  p = parseTime(buf, p, e);
  if (p < 0 || p >= e || buf[p] !== COLON) return false;
  h.timestampNs = num.v;
  return parseName(buf, p + 1, e, h);
}

/**
 * Column positions of a file's first ftrace-style event line. ftrace and trace-cmd print the head
 * with fixed widths (`%16s-%-7d`, `(%7d)`, `[%03d]`, a fixed-width LAT field), so once learned the
 * delimiters are checked at those offsets instead of searched for; a line that does not fit (wider
 * pid, 4-digit cpu, another header variant) falls back to parseHead.
 */
export class HeadLayout {
  constructor(
    readonly lpar: number,
    readonly rpar: number,
    readonly lbrack: number,
    readonly irqStart: number,
    readonly irqEnd: number,
  ) {}

  /** Where the context columns end (after the irq field's trailing space, or after `]`). */
  get contextEnd(): number {
    return this.irqStart >= 0 ? this.irqEnd + 1 : this.lbrack + 5;
  }

  /** The layout of the line `h` was just parsed from, when it is fixed-width ftrace/trace-cmd. */
  static learn(buf: Uint8Array, s: number, h: LineHead): HeadLayout | undefined {
    if (h.style !== 'ftrace' || h.commEnd - s !== 16) return undefined;
    let b = 17;
    while (isDigit(buf[s + b])) b++;
    while (buf[s + b] === SP) b++;
    let lpar = -1;
    let rpar = -1;
    if (buf[s + b] === LPAR) {
      lpar = b;
      while (buf[s + b] !== RPAR) b++;
      rpar = b;
      b += 2;
    }
    if (buf[s + b] !== LBRACK || buf[s + b + 4] !== RBRACK || h.cpu > 999) return undefined;
    const irq = h.irqEnd > h.irqStart ? [h.irqStart - s, h.irqEnd - s] : [-1, -1];
    return new HeadLayout(lpar, rpar, b, irq[0], irq[1]);
  }
}

/**
 * The context columns (task, pid, tgid, cpu, irq) of a line shaped like the layout; false when it
 * is not (then call parseHead). Reads only bytes before `s + L.contextEnd`. Whatever it accepts,
 * parseHead reads the same way (a damaged line it would read otherwise is left to it), so that
 * the layout a reader learned never changes what a line says: a part of a file read on another
 * thread learns its own (split.ts).
 */
export function parseContextAt(buf: Uint8Array, s: number, e: number, h: LineHead, L: HeadLayout): boolean {
  const b = s + L.lbrack;
  if (b + 6 >= e || buf[s + 16] !== DASH || buf[b] !== LBRACK || buf[b + 4] !== RBRACK) return false;
  let p = s;
  while (buf[p] === SP) p++;
  if (p >= s + 16) return false;
  // parseHead takes the first ` [digits]` for the CPU's: one in the task name is left to it
  for (let i = p + 1; i < s + 16; i++) if (buf[i] === LBRACK && buf[i - 1] === SP) return false;
  h.commStart = p;
  h.commEnd = s + 16;
  // pid: digits, then only spaces up to `(` or `[`
  p = s + 17;
  let v = 0;
  while (isDigit(buf[p])) v = v * 10 + (buf[p++] - 0x30);
  if (p === s + 17) return false;
  h.pid = v;
  const stop = L.lpar >= 0 ? s + L.lpar : b;
  while (p < stop && buf[p] === SP) p++;
  if (p !== stop) return false;
  h.tgid = -1;
  if (L.lpar >= 0) {
    const r = s + L.rpar;
    if (buf[p] !== LPAR || buf[r] !== RPAR || buf[r + 1] !== SP) return false;
    p++;
    while (buf[p] === SP) p++;
    if (isDigit(buf[p])) {
      v = 0;
      while (isDigit(buf[p])) v = v * 10 + (buf[p++] - 0x30);
      if (p !== r) return false;
      h.tgid = v;
    } else {
      // `(-------)`; parseHead reads `(-5)` as -5 and takes the last `(` for the tgid's
      if (buf[p] !== DASH || isDigit(buf[p + 1])) return false;
      for (let i = p; i < r; i++) if (buf[i] === LPAR) return false;
    }
  }
  const c0 = buf[b + 1] - 0x30,
    c1 = buf[b + 2] - 0x30,
    c2 = buf[b + 3] - 0x30;
  if (c0 < 0 || c0 > 9 || c1 < 0 || c1 > 9 || c2 < 0 || c2 > 9 || buf[b - 1] !== SP) return false;
  h.cpu = c0 * 100 + c1 * 10 + c2;
  p = b + 5;
  if (L.irqStart >= 0) {
    const is = s + L.irqStart,
      ie = s + L.irqEnd;
    if (buf[is - 1] !== SP || buf[ie] !== SP) return false;
    // parseHead ends the irq field at a space or a colon
    for (let i = is; i < ie; i++) if (buf[i] === SP || buf[i] === COLON) return false;
    h.irqStart = is;
    h.irqEnd = ie;
  } else h.irqStart = h.irqEnd = p;
  return true;
}

/**
 * Four ASCII digits in a little-endian word (first digit lowest) as a number, or -1 when a byte is
 * not a digit: every high nibble must be 3 and no low nibble above 9 (adding 6 would carry).
 */
function digits4(w: number): number {
  if ((w & 0xf0f0f0f0) !== 0x30303030 || ((w + 0x06060606) & 0xf0f0f0f0) !== 0x30303030) return -1;
  return (w & 0xf) * 1000 + ((w >>> 8) & 0xf) * 100 + ((w >>> 16) & 0xf) * 10 + ((w >>> 24) & 0xf);
}

/**
 * The timestamp, from the end of the context columns at p: the position of the colon after it,
 * or -1 (then the line is not an event line of this layout). parseTime's result, with the digits
 * read four at a time through `dv` (a view of buf): a bytewise digit loop was a tenth of a read.
 */
export function parseTimeAt(buf: Uint8Array, dv: DataView, p: number, e: number, h: LineHead): number {
  while (p < e && buf[p] === SP) p++;
  const start = p;
  let sec = 0;
  for (let d = 0; p + 4 <= e && (d = digits4(dv.getInt32(p, true))) >= 0; p += 4) sec = sec * 10000 + d;
  while (p < e && isDigit(buf[p])) sec = sec * 10 + (buf[p++] - 0x30);
  if (p === start) return -1;
  let frac = 0;
  let n = 0;
  if (p < e && buf[p] === DOT) {
    p++;
    for (let d = 0; n <= 5 && p + 4 <= e && (d = digits4(dv.getInt32(p, true))) >= 0; p += 4) {
      frac = frac * 10000 + d;
      n += 4;
    }
    for (; p < e && isDigit(buf[p]); p++) {
      if (n < 9) {
        frac = frac * 10 + (buf[p] - 0x30);
        n++;
      }
    }
  }
  if (p >= e || buf[p] !== COLON) return -1;
  h.style = 'ftrace';
  h.timestampNs = sec * 1e9 + frac * FRAC_SCALE[n];
  return p;
}
