/**
 * The line dispatcher: each line (bytes) goes to the head, page_ref, stack or marker parser and
 * fills the columnar store. One parser serves ftrace, trace-cmd and perf text (their differences
 * are in head.ts and in the frame syntax below); the detected format only decides how perf
 * callchains end. Nothing is dropped silently: every line is an event, a stack line, a
 * header/comment, a blank line, a lost-events note, or counted as unparsed with its line number.
 * A bad line never stops the run. Once the file's column layout is known, the page_ref lines of
 * that layout take a fast path of their own (fast-line.ts), which reads them exactly as line()
 * does.
 *
 * A reader may start in the middle of a file (reading in parts, see split.ts): then a stack block
 * whose event lies in an earlier part is kept in `deferred` for the merge instead of being
 * counted as unattached.
 */
import { PAGE_REF_EVENT_NAMES, type PageRefType } from '../kernel/tracepoint.js';
import type { TraceFormat } from './detect.js';
import { FastLine } from './fast-line.js';
import { HeadLayout, LineHead, parseContextAt, parseHead, parseName, parseTimeAt } from './head.js';
import { Views } from './intern.js';
import { MarkerStore } from './markers.js';
import { EVENT, MARKER, OpenQueue } from './open-queue.js';
import { PageRefParser, pageRefNameAt, pageRefTypeAt } from './pageref.js';
import { EventScratch, EventStore } from './store.js';

export interface LineSample {
  line: number;
  text: string;
  reason: string;
}

export interface Counted {
  count: number;
  /** the first few, with line numbers */
  samples: LineSample[];
}

export interface LostNote {
  cpu: number;
  /** undefined when the marker gives no number */
  events: number | undefined;
  line: number;
  kind: 'lost' | 'buffer-started';
}

export interface TraceHeader {
  entriesInBuffer?: number;
  entriesWritten?: number;
  cpus?: number;
}

/** Stack blocks of a later part with no event of their own part to attach to (part-local ids). */
export interface Deferred {
  cpu: number[];
  pid: number[];
  stack: number[];
  /** OpenQueue.room(cpu) when the block ended */
  room: number[];
  line: number[];
}

export const MAX_SAMPLES = 20;
const SAMPLE_CHARS = 200;

const LOST_RE = /^CPU:?\s*(\d+)\s*\[(?:LOST(?: (\d+))? EVENTS|(\d+) EVENTS DROPPED)\]/;
const STARTED_RE = /^##### CPU (\d+) buffer started ####/;
const ENTRIES_RE = /^# entries-in-buffer\/entries-written: (\d+)\/(\d+)\s+#P:(\d+)/;

const KERNEL_STACK = Buffer.from('kernel_stack');
const STACK_TRACE = Buffer.from('<stack trace>');
const PRINT = Buffer.from('print');
const MARK_WRITE = 'tracing_mark_write: ';

function rangeIs(buf: Uint8Array, s: number, e: number, want: Uint8Array): boolean {
  if (e - s !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (buf[s + i] !== want[i]) return false;
  return true;
}

export class LineReader {
  readonly store = new EventStore();
  readonly markers = new MarkerStore();
  readonly unparsed: Counted = { count: 0, samples: [] };
  readonly unattached: Counted = { count: 0, samples: [] };
  readonly lost: LostNote[] = [];
  readonly header: TraceHeader = {};
  readonly deferred: Deferred = { cpu: [], pid: [], stack: [], room: [], line: [] };
  stackBlocks = 0;
  attached = 0;
  lineNo = 0;
  private readonly h = new LineHead();
  private layout: HeadLayout | undefined;
  /** the dominant line's own path, once the layout is known (fast-line.ts) */
  private fast: FastLine | undefined;
  /** the context columns of the last line read by the layout (headAt); ctxLen 0 = none */
  private readonly ctx = new Int32Array(32);
  private readonly ctxTail = new Uint8Array(4);
  private ctxLen = 0;
  private readonly views = new Views();
  /** the current line's context (task, pid, tgid, cpu, irq) as a store.contextId(), and task name */
  private contextId = 0;
  private commId = 0;
  /** the page_ref type headAt recognised at the name's usual column, -1 = not found there */
  private nameType: PageRefType | -1 = -1;
  private readonly payload = new PageRefParser(this.store.text, new EventScratch());
  /**
   * Per CPU, the most recent entries still without a stack. A stack goes to the newest one of the
   * same pid: usually the entry just before it, but an interrupt during the unwinding can commit
   * its own event and stack first (seen in 6.12 fork_cow trace-stack.txt line 46658), so the outer
   * event's stack arrives after the nested one's.
   */
  readonly open = new OpenQueue();
  // the stack block being read
  private frames: number[] = [];
  private pending = false;
  private pendingCpu = 0;
  private pendingPid = 0;
  private pendingLine = 0;
  /** perf: the event whose callchain follows; -1 for a `<stack trace>` block */
  private pendingEvent = -1;

  /** `part`: this reader starts after the beginning of the file (defer unmatched stacks). */
  constructor(
    readonly format: TraceFormat,
    private readonly part = false,
  ) {}

  /**
   * Reads the lines of buf from s up to its last newline: the fast path's lines (fast-line.ts)
   * there, the others through line(). Returns where the unterminated rest starts (the fast path
   * never sees it: a line cut by the chunk's end took its rare branches and deoptimized it).
   */
  lines(buf: Buffer, s: number): number {
    const end = buf.lastIndexOf(0x0a) + 1;
    while (s < end) {
      const fast = this.fast;
      const nl = fast === undefined ? -1 : fast.parse(buf, s, end);
      if (fast !== undefined && nl >= 0) {
        this.lineNo++;
        // as in line(): an event line ends the stack block before it
        if (this.pending) this.finishStack();
        fast.commit(this.lineNo);
        s = nl + 1;
      } else {
        const e = buf.indexOf(0x0a, s);
        this.line(buf, s, e);
        s = e + 1;
      }
    }
    return s;
  }

  /** One line, buf[s, e) without its newline. */
  line(buf: Buffer, s: number, e: number): void {
    this.lineNo++;
    if (e > s && buf[e - 1] === 0x0d) e--;
    if (this.layout !== undefined && this.headAt(buf, s, e, this.layout)) {
      if (this.pending) this.finishStack();
      return this.entry(buf, s, e);
    }
    this.ctxLen = 0;
    let p = s;
    while (p < e && (buf[p] === 0x20 || buf[p] === 0x09)) p++;
    if (p === e) {
      if (this.pending) this.finishStack();
      return;
    }
    const c = buf[p];
    if (c === 0x3d /* = */ && buf[p + 1] === 0x3e /* > */) return this.frame(buf, p + 2, e, s);
    if (this.pendingEvent >= 0 && p > s && this.perfFrame(buf, p, e)) return;
    if (this.pending) this.finishStack();
    if (c === 0x23 /* # */ && p === s) return this.comment(buf, s, e);
    if (c === 0x43 /* C */ || c === 0x63 /* c */ || c === 0x76 /* v */) {
      if (this.preamble(buf.toString('latin1', p, e))) return;
    }
    const h = this.h;
    if (!parseHead(buf, s, e, h)) return this.bad(buf, s, e, 'not an event line');
    if (this.layout === undefined && this.format !== 'perf') {
      this.layout = HeadLayout.learn(buf, s, h);
      if (this.layout && FastLine.fits(this.layout))
        this.fast = new FastLine(this.layout, this.store, this.open);
    }
    this.context(buf, h);
    this.nameType = -1;
    this.entry(buf, s, e);
  }

  /**
   * The head by the file's column layout. Consecutive lines mostly repeat their context columns
   * (same task, cpu and irq state), so those bytes are compared with the previous line's first,
   * which skips parsing them and interning the task name and irq field.
   */
  private headAt(buf: Buffer, s: number, e: number, L: HeadLayout): boolean {
    const n = L.contextEnd;
    if (e - s <= n) return false;
    // compared four bytes at a time (unaligned DataView loads), the last n % 4 bytewise
    const words = n >>> 2;
    const ctx = this.ctx;
    const view = this.views.on(buf);
    let k = 0;
    if (this.ctxLen === n) while (k < words && view.getInt32(s + 4 * k, true) === ctx[k]) k++;
    let same = k === words && this.ctxLen === n;
    for (let i = 4 * words; same && i < n; i++) same = buf[s + i] === this.ctxTail[i - 4 * words];
    if (!same) {
      this.ctxLen = 0;
      const h = this.h;
      if (words >= ctx.length || !parseContextAt(buf, s, e, h, L)) return false;
      for (let j = 0; j < words; j++) ctx[j] = view.getInt32(s + 4 * j, true);
      for (let i = 4 * words; i < n; i++) this.ctxTail[i - 4 * words] = buf[s + i];
      this.ctxLen = n;
      this.context(buf, h);
    }
    const h = this.h;
    const colon = parseTimeAt(buf, view, s + n, e, h);
    if (colon < 0) return false;
    const type = buf[colon + 1] === 0x20 ? pageRefNameAt(buf, view, colon + 2, e) : -1;
    this.nameType = type;
    if (type === -1) return parseName(buf, colon + 1, e, h);
    h.nameStart = colon + 2;
    h.nameEnd = h.nameStart + PAGE_REF_EVENT_NAMES[type].length;
    let p = h.nameEnd + 1;
    while (p < e && buf[p] === 0x20) p++;
    h.payload = p;
    return true;
  }

  private context(buf: Buffer, h: LineHead): void {
    const text = this.store.text;
    this.commId = text.internLast(buf, h.commStart, h.commEnd, 0);
    const irq = text.internLast(buf, h.irqStart, h.irqEnd, 1);
    this.contextId = this.store.contextId(h.cpu, h.pid, h.tgid, irq, this.commId);
  }

  end(): void {
    if (this.pending) this.finishStack();
  }

  private entry(buf: Buffer, s: number, e: number): void {
    const h = this.h;
    const store = this.store;
    const type = this.nameType !== -1 ? this.nameType : pageRefTypeAt(buf, h.nameStart, h.nameEnd);
    if (type !== -1) {
      const ev = this.payload.ev;
      if (this.payload.parse(buf, this.views.on(buf), h.payload, e, type) !== e) {
        return this.bad(buf, s, e, `malformed ${buf.toString('latin1', h.nameStart, h.nameEnd)} fields`);
      }
      this.payload.texts(buf);
      ev.context = this.contextId;
      ev.timestampNs = h.timestampNs;
      ev.line = this.lineNo;
      const i = store.push(ev);
      this.open.push(h.cpu, EVENT, i, h.pid);
      if (this.format === 'perf') this.startStack(i);
      return;
    }
    const isStack =
      rangeIs(buf, h.nameStart, h.nameEnd, STACK_TRACE) || rangeIs(buf, h.nameStart, h.nameEnd, KERNEL_STACK);
    if (isStack) return this.startStack(-1);
    let name = buf.toString('utf8', h.nameStart, h.nameEnd);
    let text = buf.toString('utf8', h.payload, e);
    if (rangeIs(buf, h.nameStart, h.nameEnd, PRINT) && text.startsWith(MARK_WRITE)) {
      // trace-cmd prints the trace_marker event as `print: tracing_mark_write: <text>`
      name = 'tracing_mark_write';
      text = text.slice(MARK_WRITE.length);
    }
    const m = this.markers.push({
      timestampNs: h.timestampNs,
      cpu: h.cpu,
      pid: h.pid,
      comm: store.text.get(this.commId),
      name,
      text,
      line: this.lineNo,
      stack: undefined,
    });
    this.open.push(h.cpu, MARKER, m, h.pid);
  }

  private startStack(event: number): void {
    this.pending = true;
    this.pendingEvent = event;
    this.pendingCpu = this.h.cpu;
    this.pendingPid = this.h.pid;
    this.pendingLine = this.lineNo;
    this.frames.length = 0;
  }

  /** ` => sym[+off/len] [<addr>] [(addr)]`: keep the symbol with its offset, drop addresses. */
  private frame(buf: Buffer, p: number, e: number, s: number): void {
    if (!this.pending || this.pendingEvent >= 0) {
      return this.bad(buf, s, e, 'stack frame outside a <stack trace> block');
    }
    while (p < e && buf[p] === 0x20) p++;
    let q = e;
    while (q > p && buf[q - 1] === 0x20) q--;
    if (q > p && (buf[q - 1] === 0x29 || buf[q - 1] === 0x3e) /* ) > */) {
      const open = buf[q - 1] === 0x29 ? 0x28 : 0x3c;
      let o = q - 1;
      while (o > p && buf[o] !== open) o--;
      if (o > p && buf[o - 1] === 0x20) q = o - 1;
    }
    this.frames.push(this.store.text.intern(buf, p, q));
  }

  /** perf callchain line: `\t addr sym+off (dso)`; true when it was one. */
  private perfFrame(buf: Buffer, p: number, e: number): boolean {
    let q = p;
    while (q < e && ((buf[q] >= 0x30 && buf[q] <= 0x39) || (buf[q] >= 0x61 && buf[q] <= 0x66))) q++;
    if (q === p || q >= e || buf[q] !== 0x20) return false;
    q++;
    let r = e;
    if (buf[r - 1] === 0x29) {
      while (r > q && buf[r - 1] !== 0x28) r--;
      r--;
      while (r > q && buf[r - 1] === 0x20) r--;
    }
    this.frames.push(this.store.text.intern(buf, q, r));
    return true;
  }

  private finishStack(): void {
    const store = this.store;
    this.pending = false;
    const event = this.pendingEvent;
    this.pendingEvent = -1;
    if (event >= 0) {
      // perf: the callchain belongs to the sample line itself; it counts as an attached stack
      // like a `<stack trace>` block (the analyses read their owners from stacks only if any is)
      if (this.frames.length > 0) {
        store.setStack(event, store.stacks.intern(this.frames, this.frames.length));
        this.stackBlocks++;
        this.attached++;
      }
      return;
    }
    this.stackBlocks++;
    const id = store.stacks.intern(this.frames, this.frames.length);
    const cpu = this.pendingCpu;
    if (this.open.take(cpu, this.pendingPid)) {
      if (this.open.takenKind === EVENT) store.setStack(this.open.takenIdx, id);
      else this.markers.setStack(this.open.takenIdx, id);
      this.attached++;
      return;
    }
    if (this.part) {
      const d = this.deferred;
      d.cpu.push(cpu);
      d.pid.push(this.pendingPid);
      d.stack.push(id);
      d.room.push(this.open.room(cpu));
      d.line.push(this.pendingLine);
      return;
    }
    noteUnattached(this.unattached, this.pendingLine, cpu, this.pendingPid);
  }

  private comment(buf: Buffer, s: number, e: number): void {
    if (buf[s + 1] !== 0x20 && buf[s + 1] !== 0x23) return;
    const text = buf.toString('latin1', s, Math.min(e, s + 120));
    const started = STARTED_RE.exec(text);
    if (started) {
      this.lost.push({
        cpu: Number(started[1]),
        events: undefined,
        line: this.lineNo,
        kind: 'buffer-started',
      });
      return;
    }
    const entries = ENTRIES_RE.exec(text);
    if (entries) {
      this.header.entriesInBuffer = Number(entries[1]);
      this.header.entriesWritten = Number(entries[2]);
      this.header.cpus = Number(entries[3]);
    }
  }

  /** trace-cmd preamble (`cpus=2`, `version = 6`) and lost-event notes; false if neither. */
  private preamble(text: string): boolean {
    const cpus = /^cpus=(\d+)$/.exec(text);
    if (cpus) {
      this.header.cpus = Number(cpus[1]);
      return true;
    }
    if (/^version = \d+$/.test(text) || /^CPU \d+ is empty$/.test(text)) return true;
    const lost = LOST_RE.exec(text);
    if (!lost) return false;
    const n = lost[2] ?? lost[3];
    this.lost.push({
      cpu: Number(lost[1]),
      events: n === undefined ? undefined : Number(n),
      line: this.lineNo,
      kind: 'lost',
    });
    return true;
  }

  private bad(buf: Buffer, s: number, e: number, reason: string): void {
    this.unparsed.count++;
    if (this.unparsed.samples.length < MAX_SAMPLES) {
      this.unparsed.samples.push({
        line: this.lineNo,
        text: buf.toString('utf8', s, Math.min(e, s + SAMPLE_CHARS)),
        reason,
      });
    }
  }
}

export function noteUnattached(c: Counted, line: number, cpu: number, pid: number): void {
  c.count++;
  if (c.samples.length < MAX_SAMPLES) {
    c.samples.push({
      line,
      text: `cpu ${cpu} pid ${pid}`,
      reason: 'no preceding event of the same cpu and pid without a stack',
    });
  }
}
