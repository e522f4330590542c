/**
 * Streaming reader: splits the input into lines (bytes), dispatches each to the head, page_ref,
 * stack or marker parser, and fills the columnar store. One parser serves ftrace, trace-cmd and
 * perf text (their differences are in head.ts and in the frame syntax below); the detected format
 * only decides how perf callchains end. Nothing is dropped silently: every line is an event, a
 * stack line, a header/comment, a blank line, a lost-events note, or counted as unparsed with its
 * line number. A bad line never stops the run.
 */
import { detectFormat, type TraceFormat } from './detect.js';
import { LineHead, parseHead } from './head.js';
import { MarkerStore } from './markers.js';
import { pageRefTypeAt, parsePageRef } from './pageref.js';
import { inputChunks } from './source.js';
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

export interface TraceReadResult {
  source: string;
  format: TraceFormat;
  store: EventStore;
  markers: MarkerStore;
  lines: number;
  bytes: number;
  unparsed: Counted;
  /** LOST n EVENTS / overrun notes and `##### CPU N buffer started ####` lines */
  lost: LostNote[];
  /** from `# entries-in-buffer/entries-written: a/b   #P:n` or trace-cmd `cpus=n` */
  header: { entriesInBuffer?: number; entriesWritten?: number; cpus?: number };
  stacks: { blocks: number; attached: number; unattached: Counted };
  /** CPUs whose events are incomplete (lost events, late buffer start); their pages are uncertain */
  uncertainCpus: number[];
}

export interface ReadOptions {
  /** called with the bytes read so far, about every 16 MiB */
  onProgress?: (bytes: number) => void;
}

const MAX_SAMPLES = 20;
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

const EVENT = 1,
  MARKER = 2,
  OPEN_DEPTH = 8;

class Reader {
  readonly store = new EventStore();
  readonly markers = new MarkerStore();
  readonly unparsed: Counted = { count: 0, samples: [] };
  readonly unattached: Counted = { count: 0, samples: [] };
  readonly lost: LostNote[] = [];
  readonly header: TraceReadResult['header'] = {};
  stackBlocks = 0;
  attached = 0;
  lineNo = 0;
  private readonly h = new LineHead();
  private readonly ev = new EventScratch();
  /**
   * Per CPU, the most recent entries still without a stack, as (kind, index, pid) triples. A stack
   * goes to the newest one of the same pid: usually the entry just before it, but an interrupt
   * during the unwinding can commit its own event and stack first (seen in 6.12 fork_cow
   * trace-stack.txt line 46658), so the outer event's stack arrives after the nested one's.
   */
  private readonly open: number[][] = [];
  // the stack block being read
  private frames: number[] = [];
  private pending = false;
  private pendingCpu = 0;
  private pendingPid = 0;
  private pendingLine = 0;
  /** perf: the event whose callchain follows; -1 for a `<stack trace>` block */
  private pendingEvent = -1;

  constructor(readonly format: TraceFormat) {}

  line(buf: Buffer, s: number, e: number): void {
    this.lineNo++;
    if (e > s && buf[e - 1] === 0x0d) e--;
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
    if (!parseHead(buf, s, e, this.h)) return this.bad(buf, s, e, 'not an event line');
    this.entry(buf, s, e);
  }

  end(): void {
    if (this.pending) this.finishStack();
  }

  uncertainCpus(): number[] {
    return [...new Set(this.lost.map((l) => l.cpu))].sort((a, b) => a - b);
  }

  private entry(buf: Buffer, s: number, e: number): void {
    const h = this.h;
    const store = this.store;
    const type = pageRefTypeAt(buf, h.nameStart, h.nameEnd);
    if (type !== -1) {
      const ev = this.ev;
      if (!parsePageRef(buf, h.payload, e, type, store.text, ev)) {
        return this.bad(buf, s, e, `malformed ${buf.toString('latin1', h.nameStart, h.nameEnd)} fields`);
      }
      ev.cpu = h.cpu;
      ev.pid = h.pid;
      ev.tgid = h.tgid;
      ev.timestampNs = h.timestampNs;
      ev.line = this.lineNo;
      ev.comm = store.text.intern(buf, h.commStart, h.commEnd);
      ev.irq = store.text.intern(buf, h.irqStart, h.irqEnd);
      const i = store.push(ev);
      this.setLast(h.cpu, EVENT, i, h.pid);
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
      comm: buf.toString('utf8', h.commStart, h.commEnd),
      name,
      text,
      line: this.lineNo,
      stack: undefined,
    });
    this.setLast(h.cpu, MARKER, m, h.pid);
  }

  private setLast(cpu: number, kind: number, idx: number, pid: number): void {
    let q = this.open[cpu];
    if (q === undefined) q = this.open[cpu] = [];
    if (q.length === 3 * OPEN_DEPTH) q.splice(0, 3);
    q.push(kind, idx, pid);
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
      // perf: the callchain belongs to the sample line itself
      if (this.frames.length > 0) store.setStack(event, store.stacks.intern(this.frames, this.frames.length));
      return;
    }
    this.stackBlocks++;
    const id = store.stacks.intern(this.frames, this.frames.length);
    const cpu = this.pendingCpu;
    const q = this.open[cpu];
    for (let k = q === undefined ? -3 : q.length - 3; k >= 0; k -= 3) {
      if (q[k + 2] !== this.pendingPid) continue;
      if (q[k] === EVENT) store.setStack(q[k + 1], id);
      else this.markers.setStack(q[k + 1], id);
      q.splice(k, 3);
      this.attached++;
      return;
    }
    this.unattached.count++;
    if (this.unattached.samples.length < MAX_SAMPLES) {
      this.unattached.samples.push({
        line: this.pendingLine,
        text: `cpu ${cpu} pid ${this.pendingPid}`,
        reason: 'no preceding event of the same cpu and pid without a stack',
      });
    }
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

/** Reads a trace file (`-` = stdin; `.gz` or not). Throws TraceInputError for unreadable input. */
export async function readTrace(path: string, opts: ReadOptions = {}): Promise<TraceReadResult> {
  let reader: Reader | undefined;
  let carry: Buffer | undefined;
  let bytes = 0;
  let nextProgress = 1 << 24;
  for await (const chunk of inputChunks(path)) {
    if (!reader) reader = new Reader(detectFormat(chunk.subarray(0, 1 << 16)));
    bytes += chunk.length;
    let s = 0;
    if (carry) {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      const joined = Buffer.concat([carry, chunk.subarray(0, nl)]);
      reader.line(joined, 0, joined.length);
      carry = undefined;
      s = nl + 1;
    }
    for (let nl = chunk.indexOf(0x0a, s); nl >= 0; nl = chunk.indexOf(0x0a, s)) {
      reader.line(chunk, s, nl);
      s = nl + 1;
    }
    if (s < chunk.length) carry = Buffer.from(chunk.subarray(s));
    if (opts.onProgress && bytes >= nextProgress) {
      opts.onProgress(bytes);
      nextProgress += 1 << 24;
    }
  }
  reader ??= new Reader('unknown');
  if (carry) reader.line(carry, 0, carry.length);
  reader.end();
  reader.store.trim();
  return {
    source: path,
    format: reader.format,
    store: reader.store,
    markers: reader.markers,
    lines: reader.lineNo,
    bytes,
    unparsed: reader.unparsed,
    lost: reader.lost,
    header: reader.header,
    stacks: { blocks: reader.stackBlocks, attached: reader.attached, unattached: reader.unattached },
    uncertainCpus: reader.uncertainCpus(),
  };
}
