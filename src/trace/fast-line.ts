/**
 * The fast path for the line that makes up nearly all of a plain ftrace file: the head in the
 * file's learned column layout, a page_ref event at the name's usual place, its TP_printk fields
 * in order, the newline. parse() checks such a line without side effects and finds its end on
 * the way (no search for the newline first); on any deviation it returns -1 and the line goes
 * through the general path (LineReader.line) from its start. commit() then stores what parse()
 * found. Together they give exactly what the general path gives for that line: they are made of
 * its parts (parseContextAt, parseTimeAt, pageRefNameAt, PageRefParser), without what such a line
 * cannot need (stack frames, markers, comments), and each part stops at a newline.
 *
 * Why a path of its own: the general path's functions serve every kind of line (stack frames,
 * markers, trace-cmd and perf heads), so the JIT compiles them large and deoptimizes them when a
 * rarer branch first runs, and it looks for the newline before it parses; this path runs the same
 * code on nearly every line (no deoptimization in a read of the bench file).
 */
import { PAGE_REF_EVENT_NAMES, type PageRefType } from '../kernel/tracepoint.js';
import { HeadLayout, LineHead, parseContextAt, parseTimeAt } from './head.js';
import { Views } from './intern.js';
import { EVENT, type OpenQueue } from './open-queue.js';
import { PageRefParser, pageRefNameAt } from './pageref.js';
import { EventScratch, type EventStore } from './store.js';
import { keepRange, MAX_RANGE, RANGE_WORDS, sameRange } from './words.js';

const SP = 0x20,
  LF = 0x0a,
  CR = 0x0d,
  DOT = 0x2e,
  COLON = 0x3a;
/** per page_ref type, where the name's `: ` ends relative to the name's start */
const AFTER_NAME = Int32Array.from(PAGE_REF_EVENT_NAMES, (n) => n.length + 1);

/** Whether d (a byte minus '0') is a digit. */
function digit(d: number): boolean {
  return d >>> 0 <= 9;
}

export class FastLine {
  private readonly h = new LineHead();
  private readonly views = new Views();
  private readonly payload: PageRefParser;
  /** where the context columns end (HeadLayout.contextEnd) */
  private readonly n: number;
  /** the context columns of the last line committed (keepRange); `known` false: none yet */
  private readonly ctx = new Int32Array(RANGE_WORDS);
  private known = false;
  private contextId = 0;
  private cpu = 0;
  private pid = 0;
  /** what parse() found: the line, whether its context columns are the last line's, its time */
  private buf: Buffer = Buffer.alloc(0);
  private line = 0;
  private same = false;
  /** a double from the start (see EventScratch) */
  private timestampNs = -0;

  constructor(
    private readonly layout: HeadLayout,
    private readonly store: EventStore,
    private readonly open: OpenQueue,
  ) {
    this.n = layout.contextEnd;
    this.payload = new PageRefParser(store.text, new EventScratch());
  }

  /** Whether lines of this layout can take the fast path (context columns of 4-64 bytes). */
  static fits(layout: HeadLayout): boolean {
    return layout.contextEnd >= 4 && layout.contextEnd <= MAX_RANGE;
  }

  /**
   * Where the line at s ends (its newline) when it is a line of that shape, else -1; `end` is
   * just after a newline at or after s. No side effects: commit() stores the event.
   */
  parse(buf: Buffer, s: number, end: number): number {
    const n = this.n;
    if (s + n >= end) return -1;
    const dv = this.views.on(buf);
    this.same = this.known && sameRange(dv, s, n, this.ctx, 0);
    if (!this.same && !this.context(buf, s)) return -1;
    const colon = this.time(buf, dv, s + n, end);
    if (colon < 0 || buf[colon + 1] !== SP) return -1;
    const type = pageRefNameAt(buf, dv, colon + 2, end);
    if (type === -1) return -1;
    let p = colon + 2 + AFTER_NAME[type];
    while (p < end && buf[p] === SP) p++;
    p = this.payload.parse(buf, dv, p, end, type as PageRefType);
    if (p < 0 || p >= end) return -1;
    if (buf[p] === CR) p++;
    if (p >= end || buf[p] !== LF) return -1;
    this.buf = buf;
    this.line = s;
    return p;
  }

  /** Stores the event parse() accepted last, found on line `lineNo`. */
  commit(lineNo: number): void {
    const ev = this.payload.ev;
    if (!this.same) this.newContext();
    this.payload.texts(this.buf);
    ev.context = this.contextId;
    ev.timestampNs = this.timestampNs;
    ev.line = lineNo;
    this.open.push(this.cpu, EVENT, this.store.push(ev), this.pid);
  }

  /** The context columns of a line that does not repeat the last one's, into `h`. */
  private context(buf: Buffer, s: number): boolean {
    // the general path's parts stop at the line's end: find it (only here, a line in ten)
    const e = buf.indexOf(LF, s);
    return e >= 0 && e > s + this.n && parseContextAt(buf, s, e, this.h, this.layout);
  }

  /**
   * The timestamp at p: the position of the colon after it, or -1. The usual `sec.usec`
   * (`%5lu.%06lu`, trace-cmd's `%6.1000d` too) with up to nine digits of seconds is read here,
   * any other through parseTimeAt (the same value: these are exact in a double either way).
   */
  private time(buf: Buffer, dv: DataView, p: number, end: number): number {
    while (p < end && buf[p] === SP) p++;
    const start = p;
    let sec = 0;
    for (let d = 0; p < end && p - start < 9 && digit((d = buf[p] - 0x30)); p++) sec = sec * 10 + d;
    const f = p + 1;
    if (f + 7 > end) return -1;
    if (p > start && buf[p] === DOT && buf[f + 6] === COLON) {
      const d0 = buf[f] - 0x30,
        d1 = buf[f + 1] - 0x30,
        d2 = buf[f + 2] - 0x30,
        d3 = buf[f + 3] - 0x30,
        d4 = buf[f + 4] - 0x30,
        d5 = buf[f + 5] - 0x30;
      if (digit(d0) && digit(d1) && digit(d2) && digit(d3) && digit(d4) && digit(d5)) {
        const usec = ((((d0 * 10 + d1) * 10 + d2) * 10 + d3) * 10 + d4) * 10 + d5;
        this.timestampNs = sec * 1e9 + usec * 1000;
        return f + 6;
      }
    }
    const colon = parseTimeAt(buf, dv, start, end, this.h);
    this.timestampNs = this.h.timestampNs;
    return colon;
  }

  /** The context columns parse() found (in `h`) become the ones to compare lines with. */
  private newContext(): void {
    const buf = this.buf;
    keepRange(this.views.on(buf), this.line, this.n, this.ctx, 0);
    this.known = true;
    const h = this.h;
    const text = this.store.text;
    const comm = text.internLast(buf, h.commStart, h.commEnd, 0);
    const irq = text.internLast(buf, h.irqStart, h.irqEnd, 1);
    this.contextId = this.store.contextId(h.cpu, h.pid, h.tgid, irq, comm);
    this.cpu = h.cpu;
    this.pid = h.pid;
  }
}
