/**
 * Columnar store of page_ref events, filled while streaming. Byte budget per retained event (32):
 *
 *   timestampNs  Float64   8  ns since boot (exact up to 2^53 ns = 104 days of uptime)
 *   pfn          Uint32    4  low 32 bits; pfns >= 2^32 (16 TiB) keep their high part in a sparse map
 *   count        Int32     4
 *   mapcount     Int32     4  raw field (6.12: page_type values such as 0xf5000000 fit as Int32)
 *   shape        Uint32    4  interned (type, ret, mt, flags, mapping, context), the context
 *                             itself interned (cpu, pid, tgid, irq, comm): it changes on few lines
 *                             and is interned only then, so a new shape hashes 6 numbers, not 10
 *   stack        Uint32    4  interned stack id + 1, 0 = none
 *   val          Int16     2  out-of-range values go to a sparse map
 *   lineOffset   Uint16    2  source line - line of the first event of its 256-event block
 *                             (+ 4 bytes per block = 0.016 B/event; large offsets in a sparse map)
 *
 * The shape table is small in practice (25 k shapes for the 1.16 M events of the 6.1 soak trace),
 * because ret is 0/1 except for mod_and_return and flags/mapping repeat.
 */
import type { PageRefRecord, PageRefType, TraceContext } from '../kernel/tracepoint.js';
import type { FlagsDecoder } from './flags.js';
import { PfnIndex } from './pfn-index.js';
import { ByteInterner, TupleInterner, type InternedBytes, type InternedTuples } from './intern.js';

/**
 * Fields of one event as a reader fills them (reused, one object per reader). The fields that
 * can hold more than 32 bits start as -0 (a double): one that started as 0 was an integer field
 * until its first large value made it a double, which deoptimized the code already using it.
 * count, mapcount, mt and ret are int32 (the columns and shapes keep 32 bits of them).
 */
export class EventScratch {
  type: PageRefType = 0;
  pfn = -0;
  count = 0;
  mapcount = 0;
  mt = 0;
  val = -0;
  ret = 0;
  /** EventStore.contextId() of the line's task, pid, tgid, cpu and irq field */
  context = 0;
  timestampNs = -0;
  line = 0;
  /** ids in the store's `text` interner */
  flags = 0;
  mapping = 0;
}

const S_TYPE = 0,
  S_RET = 1,
  S_MT = 2,
  S_FLAGS = 3,
  S_MAPPING = 4,
  S_CONTEXT = 5,
  SHAPE_LEN = 6;
const C_CPU = 0,
  C_PID = 1,
  C_TGID = 2,
  C_IRQ = 3,
  C_COMM = 4,
  CONTEXT_LEN = 5;
/** entries of the shape cache in front of the shapes interner (EventStore.shapeOf) */
const SHAPE_CACHE = 4096;
const LINE_SHIFT = 8,
  LINE_BLOCK = 1 << LINE_SHIFT;
/** EventColumns.vals where the value is out of Int16 range: EventStore.val(i) has it */
export const VAL_OVERFLOW = -32768;
const LINE_OVERFLOW = 0xffff;

/** A store as plain data, for postMessage from a reading worker (columns are transferable). */
export interface StoreData {
  n: number;
  ts: Float64Array;
  pfnLo: Uint32Array;
  counts: Int32Array;
  mapcounts: Int32Array;
  shape: Uint32Array;
  stack: Uint32Array;
  vals: Int16Array;
  /** the events' lines (part-local), as EventStore keeps them: see line() */
  lineOff: Uint16Array;
  lineBase: Uint32Array;
  lineBig: Map<number, number>;
  pfnHi: Map<number, number>;
  valBig: Map<number, number>;
  text: InternedBytes;
  shapes: InternedTuples;
  contexts: InternedTuples;
  stacks: InternedTuples;
}

/**
 * The per-event columns of a file read in parts (split.ts), one shared buffer per column for the
 * whole file: each part fills its own region of events (EventStore.adopt), so that the merge moves
 * a later part down within the buffers instead of copying it into fresh memory.
 */
export interface SharedColumns {
  ts: SharedArrayBuffer;
  pfnLo: SharedArrayBuffer;
  counts: SharedArrayBuffer;
  mapcounts: SharedArrayBuffer;
  shape: SharedArrayBuffer;
  stack: SharedArrayBuffer;
  vals: SharedArrayBuffer;
  lineOff: SharedArrayBuffer;
}

/** Shared columns for `events` events (untouched pages cost nothing). */
export function sharedColumns(events: number): SharedColumns {
  const sab = (bytes: number) => new SharedArrayBuffer(events * bytes);
  return {
    ts: sab(8),
    pfnLo: sab(4),
    counts: sab(4),
    mapcounts: sab(4),
    shape: sab(4),
    stack: sab(4),
    vals: sab(2),
    lineOff: sab(2),
  };
}

/**
 * A part read on a worker over shared columns `c` arrives with buffer objects of its own for the
 * same memory: its columns as views of `c`'s buffers instead, so that append() knows them for its
 * own columns (a column that left them, an ArrayBuffer, stays as it is).
 */
export function onColumns(d: StoreData, c: SharedColumns): StoreData {
  const on = <T extends Float64Array | Uint32Array | Int32Array | Int16Array | Uint16Array>(
    a: T,
    b: SharedArrayBuffer,
  ): T =>
    a.buffer instanceof SharedArrayBuffer
      ? new (a.constructor as new (b: ArrayBufferLike, o: number, n: number) => T)(b, a.byteOffset, a.length)
      : a;
  return {
    ...d,
    ts: on(d.ts, c.ts),
    pfnLo: on(d.pfnLo, c.pfnLo),
    counts: on(d.counts, c.counts),
    mapcounts: on(d.mapcounts, c.mapcounts),
    shape: on(d.shape, c.shape),
    stack: on(d.stack, c.stack),
    vals: on(d.vals, c.vals),
    lineOff: on(d.lineOff, c.lineOff),
  };
}

/**
 * The store's columns for the analyses' loops over every event, with per-shape tables: an
 * event's type is `type[shape[i]]` (likewise ret, flags text id, cpu, pid), without a call or an
 * object per event. Valid until the next push or append.
 */
export interface EventColumns {
  n: number;
  ts: Float64Array;
  /** low 32 bits of the pfn; `wide`: some pfns have a high part (EventStore.pfn(i)) */
  pfnLo: Uint32Array;
  wide: boolean;
  counts: Int32Array;
  mapcounts: Int32Array;
  shape: Uint32Array;
  /** interned stack id + 1, 0 = none */
  stack: Uint32Array;
  /** VAL_OVERFLOW: EventStore.val(i) */
  vals: Int16Array;
  /** per shape */
  type: Uint8Array;
  ret: Int32Array;
  flags: Int32Array;
  cpu: Int32Array;
  pid: Int32Array;
}

/** How a part's text and stack ids map to the merged store's. */
export interface IdMaps {
  text: Int32Array;
  stacks: Int32Array;
}

export interface StoredContext extends TraceContext {
  /** 1-based line in the source */
  line: number;
}

function grown<T extends Float64Array | Uint32Array | Int32Array | Int16Array | Uint16Array>(
  a: T,
  n: number,
): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a.length > n ? a.subarray(0, n) : a);
  return b;
}

export class EventStore {
  /** all interned text: task names, irq fields, flags, mappings, frames, marker names */
  readonly text = new ByteInterner();
  /** interned stacks: sequences of frame ids in `text` */
  readonly stacks = new TupleInterner();
  private readonly shapes = new TupleInterner();
  private readonly contexts = new TupleInterner();
  private readonly lastContext = new Int32Array(CONTEXT_LEN).fill(-2);
  private lastContextId = 0;
  private readonly shapeScratch = new Int32Array(SHAPE_LEN);
  /** direct-mapped (type, ret, mt, flags, mapping, context) -> shape id; -1: empty */
  private readonly shapeCache = new Int32Array(SHAPE_CACHE * SHAPE_LEN).fill(-1);
  private readonly shapeCacheId = new Int32Array(SHAPE_CACHE);
  private cap = 0;
  private n = 0;
  private ts: Float64Array = new Float64Array(0);
  private pfnLo: Uint32Array = new Uint32Array(0);
  private counts: Int32Array = new Int32Array(0);
  private mapcounts: Int32Array = new Int32Array(0);
  private shape: Uint32Array = new Uint32Array(0);
  private stack: Uint32Array = new Uint32Array(0);
  private vals: Int16Array = new Int16Array(0);
  private lineOff: Uint16Array = new Uint16Array(0);
  private lineBase: Uint32Array = new Uint32Array(0);
  private readonly pfnHi = new Map<number, number>();
  private readonly valBig = new Map<number, number>();
  private readonly lineBig = new Map<number, number>();
  private byPfn: PfnIndex | undefined;
  private byShape: Pick<EventColumns, 'type' | 'ret' | 'flags' | 'cpu' | 'pid'> | undefined;
  private decoder: FlagsDecoder | undefined;
  private readonly decoded = new Map<number, number>();

  get length(): number {
    return this.n;
  }

  push(e: EventScratch): number {
    const i = this.n;
    if (i === this.cap) this.reserve(Math.max(1024, this.cap * 2));
    this.shape[i] = this.shapeOf(e);
    this.ts[i] = e.timestampNs;
    this.pfnLo[i] = e.pfn >>> 0;
    if (e.pfn > 0xffffffff) this.pfnHi.set(i, Math.floor(e.pfn / 0x100000000));
    this.counts[i] = e.count;
    this.mapcounts[i] = e.mapcount;
    if (e.val > VAL_OVERFLOW && e.val <= 32767) this.vals[i] = e.val;
    else {
      this.vals[i] = VAL_OVERFLOW;
      this.valBig.set(i, e.val);
    }
    this.setLine(i, e.line);
    this.n = i + 1;
    this.byPfn = undefined;
    return i;
  }

  /**
   * The shape id of an event, through a direct-mapped cache: most events repeat one of a few
   * thousand shapes but not the previous event's (the bench file: 3 in 4 differ), and hashing
   * and comparing the tuple in the interner's loops cost a third of push(). Straight code here.
   */
  private shapeOf(e: EventScratch): number {
    const { type, ret, mt, flags, mapping, context } = e;
    let h = Math.imul(flags ^ (mapping << 7) ^ (context << 13), 0x9e3779b1);
    h ^= type ^ (mt << 3) ^ (ret << 5);
    const slot = (h ^ (h >>> 16)) & (SHAPE_CACHE - 1);
    const c = this.shapeCache;
    const k = slot * SHAPE_LEN;
    const d =
      (c[k + S_TYPE] ^ type) |
      (c[k + S_RET] ^ ret) |
      (c[k + S_MT] ^ mt) |
      (c[k + S_FLAGS] ^ flags) |
      (c[k + S_MAPPING] ^ mapping) |
      (c[k + S_CONTEXT] ^ context);
    if (d === 0) return this.shapeCacheId[slot];
    const s = this.shapeScratch;
    s[S_TYPE] = c[k + S_TYPE] = type;
    s[S_RET] = c[k + S_RET] = ret;
    s[S_MT] = c[k + S_MT] = mt;
    s[S_FLAGS] = c[k + S_FLAGS] = flags;
    s[S_MAPPING] = c[k + S_MAPPING] = mapping;
    s[S_CONTEXT] = c[k + S_CONTEXT] = context;
    return (this.shapeCacheId[slot] = this.shapes.intern(s, SHAPE_LEN));
  }

  /**
   * The id of a line's context (`irq` and `comm` are ids in `text`) for EventScratch.context;
   * the previous one is returned without hashing when it repeats.
   */
  contextId(cpu: number, pid: number, tgid: number, irq: number, comm: number): number {
    const c = this.lastContext;
    if (
      c[C_CPU] !== cpu ||
      c[C_PID] !== pid ||
      c[C_TGID] !== tgid ||
      c[C_IRQ] !== irq ||
      c[C_COMM] !== comm
    ) {
      c[C_CPU] = cpu;
      c[C_PID] = pid;
      c[C_TGID] = tgid;
      c[C_IRQ] = irq;
      c[C_COMM] = comm;
      this.lastContextId = this.contexts.intern(c, CONTEXT_LEN);
    }
    return this.lastContextId;
  }

  setStack(i: number, stackId: number): void {
    this.stack[i] = stackId + 1;
  }

  hasStack(i: number): boolean {
    return this.stack[i] !== 0;
  }

  /** Interned stack id of event i, or undefined. */
  stackOf(i: number): number | undefined {
    return this.stack[i] === 0 ? undefined : this.stack[i] - 1;
  }

  /** Frame symbols of a stack, innermost first. */
  frames(stackId: number): string[] {
    const out: string[] = [];
    const len = this.stacks.length(stackId);
    for (let k = 0; k < len; k++) out.push(this.text.get(this.stacks.at(stackId, k)));
    return out;
  }

  setFlagsDecoder(d: FlagsDecoder | undefined): void {
    this.decoder = d;
    this.decoded.clear();
  }

  type(i: number): PageRefType {
    return this.shapes.at(this.shape[i], S_TYPE) as PageRefType;
  }

  pfn(i: number): number {
    const hi = this.pfnHi.size === 0 ? undefined : this.pfnHi.get(i);
    return hi === undefined ? this.pfnLo[i] : hi * 0x100000000 + this.pfnLo[i];
  }

  cpu(i: number): number {
    return this.contexts.at(this.contextOf(i), C_CPU);
  }

  pid(i: number): number {
    return this.contexts.at(this.contextOf(i), C_PID);
  }

  mapcount(i: number): number {
    return this.mapcounts[i];
  }

  count(i: number): number {
    return this.counts[i];
  }

  val(i: number): number {
    const v = this.vals[i];
    return v === VAL_OVERFLOW ? (this.valBig.get(i) as number) : v;
  }

  ret(i: number): number {
    return this.shapes.at(this.shape[i], S_RET);
  }

  comm(i: number): string {
    return this.text.get(this.contexts.at(this.contextOf(i), C_COMM));
  }

  timestampNs(i: number): number {
    return this.ts[i];
  }

  line(i: number): number {
    const off = this.lineOff[i];
    return off === LINE_OVERFLOW
      ? (this.lineBig.get(i) as number)
      : this.lineBase[Math.floor(i / LINE_BLOCK)] + off;
  }

  /** The first event on `line` or after it (events are stored in line order); length if none. */
  firstAtLine(line: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.line(mid) < line) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  flagsText(i: number): string {
    return this.text.get(this.shapes.at(this.shape[i], S_FLAGS));
  }

  /** The mapping pointer as printed (hashed `%p`, raw `0xffff…`, `(nil)` ...). */
  mappingText(i: number): string {
    return this.text.get(this.shapes.at(this.shape[i], S_MAPPING));
  }

  /** Distinct flags texts seen (for profile detection). */
  flagsTexts(): Set<string> {
    const ids = new Set<number>();
    for (let s = 0; s < this.shapes.size; s++) ids.add(this.shapes.at(s, S_FLAGS));
    return new Set([...ids].map((id) => this.text.get(id)));
  }

  record(i: number): PageRefRecord {
    const sh = this.shape[i];
    const v = this.vals[i];
    return {
      type: this.shapes.at(sh, S_TYPE) as PageRefType,
      pfn: this.pfn(i),
      flagsLo: this.flagsLo(this.shapes.at(sh, S_FLAGS)),
      flagsHi: 0,
      count: this.counts[i],
      mapcount: this.mapcounts[i],
      mapping: this.mappingId(this.shapes.at(sh, S_MAPPING)),
      mt: this.shapes.at(sh, S_MT),
      val: v === VAL_OVERFLOW ? (this.valBig.get(i) as number) : v,
      ret: this.shapes.at(sh, S_RET),
    };
  }

  context(i: number): StoredContext {
    const c = this.contextOf(i);
    return {
      comm: this.text.get(this.contexts.at(c, C_COMM)),
      pid: this.contexts.at(c, C_PID),
      tgid: this.contexts.at(c, C_TGID),
      cpu: this.contexts.at(c, C_CPU),
      irqInfo: this.text.get(this.contexts.at(c, C_IRQ)),
      timestampNs: this.ts[i],
      line: this.line(i),
    };
  }

  /** Distinct pfns, ascending. */
  pfns(): number[] {
    return this.pfnIndex().pfns();
  }

  /** Events grouped by pfn (built lazily, once, for all pfns). */
  pfnIndex(): PfnIndex {
    this.byPfn ??= new PfnIndex(this.n, this.pfnLo, this.pfnHi);
    return this.byPfn;
  }

  columns(): EventColumns {
    const n = this.n;
    if (this.byShape?.type.length !== this.shapes.size) this.byShape = this.shapeTables();
    return {
      n,
      ts: this.ts.subarray(0, n),
      pfnLo: this.pfnLo.subarray(0, n),
      wide: this.pfnHi.size > 0,
      counts: this.counts.subarray(0, n),
      mapcounts: this.mapcounts.subarray(0, n),
      shape: this.shape.subarray(0, n),
      stack: this.stack.subarray(0, n),
      vals: this.vals.subarray(0, n),
      ...this.byShape,
    };
  }

  /** Event indices of one pfn in trace order (built lazily, once, for all pfns). */
  indicesOf(pfn: number): Uint32Array {
    return this.pfnIndex().indicesOf(pfn);
  }

  /** Bytes of the per-event columns divided by events (the 32-byte budget). */
  bytesPerEvent(): number {
    return this.n === 0 ? 0 : 32 + 4 / LINE_BLOCK;
  }

  /** Bytes of the interned tables (text, shapes, contexts, stacks). */
  tableBytes(): number {
    const tuples = this.shapes.byteSize() + this.contexts.byteSize() + this.stacks.byteSize();
    return this.text.byteSize() + tuples;
  }

  /**
   * Ends the columns at the last event once reading is done. Views, not copies: capacity never
   * written was never made resident by the kernel (large typed arrays are fresh zero pages), so a
   * copy would only touch another 32 bytes per event (~3% of a read).
   */
  trim(): void {
    const n = this.n;
    if (this.cap === n) return;
    this.ts = this.ts.subarray(0, n);
    this.pfnLo = this.pfnLo.subarray(0, n);
    this.counts = this.counts.subarray(0, n);
    this.mapcounts = this.mapcounts.subarray(0, n);
    this.shape = this.shape.subarray(0, n);
    this.stack = this.stack.subarray(0, n);
    this.vals = this.vals.subarray(0, n);
    this.lineOff = this.lineOff.subarray(0, n);
    this.lineBase = this.lineBase.subarray(0, Math.ceil(n / LINE_BLOCK) + 1);
    this.cap = n;
  }

  /** Sizes the columns for about `events` events up front (growing copies them each time). */
  expect(events: number): void {
    if (events > this.cap) this.reserve(events);
  }

  /**
   * Puts this (empty) store's columns on events [start, start + cap) of shared columns. Growing
   * past cap leaves them for columns of its own, as ever (then the merge copies).
   */
  adopt(c: SharedColumns, start: number, cap: number): void {
    if (this.n !== 0) throw new Error('EventStore.adopt: the store is not empty');
    this.ts = new Float64Array(c.ts, start * 8, cap);
    this.pfnLo = new Uint32Array(c.pfnLo, start * 4, cap);
    this.counts = new Int32Array(c.counts, start * 4, cap);
    this.mapcounts = new Int32Array(c.mapcounts, start * 4, cap);
    this.shape = new Uint32Array(c.shape, start * 4, cap);
    this.stack = new Uint32Array(c.stack, start * 4, cap);
    this.vals = new Int16Array(c.vals, start * 2, cap);
    this.lineOff = new Uint16Array(c.lineOff, start * 2, cap);
    this.lineBase = grown(this.lineBase, Math.ceil(cap / LINE_BLOCK) + 1);
    this.cap = cap;
  }

  /** The store as plain data (its own columns, `n` of them used; transfer their buffers). */
  data(): StoreData {
    return {
      n: this.n,
      ts: this.ts,
      pfnLo: this.pfnLo,
      counts: this.counts,
      mapcounts: this.mapcounts,
      shape: this.shape,
      stack: this.stack,
      vals: this.vals,
      lineOff: this.lineOff,
      lineBase: this.lineBase,
      lineBig: this.lineBig,
      pfnHi: this.pfnHi,
      valBig: this.valBig,
      text: this.text.data(),
      shapes: this.shapes.tuples(),
      contexts: this.contexts.tuples(),
      stacks: this.stacks.tuples(),
    };
  }

  /**
   * Appends the events of a later part of the same trace, re-interning its texts, shapes and
   * stacks into this store's tables; `lineOffset` = lines before the part.
   */
  append(d: StoreData, lineOffset: number): IdMaps {
    const text = new Int32Array(d.text.starts.length);
    for (let id = 0; id < text.length; id++) {
      const s = d.text.starts[id];
      text[id] = this.text.intern(d.text.pool, s, s + d.text.lens[id]);
    }
    const stacks = remapTuples(d.stacks, this.stacks, (t) => {
      for (let k = 0; k < t.length; k++) t[k] = text[t[k]];
    });
    const contexts = remapTuples(d.contexts, this.contexts, (t) => {
      t[C_IRQ] = text[t[C_IRQ]];
      t[C_COMM] = text[t[C_COMM]];
    });
    const shapes = remapTuples(d.shapes, this.shapes, (t) => {
      t[S_FLAGS] = text[t[S_FLAGS]];
      t[S_MAPPING] = text[t[S_MAPPING]];
      t[S_CONTEXT] = contexts[t[S_CONTEXT]];
    });
    const base = this.n;
    const from = this.regionOf(d);
    if (from >= 0) {
      // the part lies further on in our own shared columns: move it down (the pages are resident)
      this.cover(from + d.ts.length);
      for (const c of [this.ts, this.pfnLo, this.counts, this.mapcounts, this.vals])
        c.copyWithin(base, from, from + d.n);
    } else {
      if (this.cap < base + d.n) this.reserve(base + d.n);
      this.ts.set(d.ts.subarray(0, d.n), base);
      this.pfnLo.set(d.pfnLo.subarray(0, d.n), base);
      this.counts.set(d.counts.subarray(0, d.n), base);
      this.mapcounts.set(d.mapcounts.subarray(0, d.n), base);
      this.vals.set(d.vals.subarray(0, d.n), base);
    }
    // in place, d.shape[j], d.stack[j] and d.lineOff[j] lie at or after where event base + j
    // goes: read first. A part without stacks leaves the stack column as it is (zero there: the
    // pages a stackless trace never writes are never made resident)
    const withStacks = d.stacks.starts.length > 0;
    for (let j = 0; j < d.n; j++) {
      this.shape[base + j] = shapes[d.shape[j]];
      if (withStacks) {
        const st = d.stack[j];
        this.stack[base + j] = st === 0 ? 0 : stacks[st - 1] + 1;
      }
      const off = d.lineOff[j];
      const line = off === LINE_OVERFLOW ? (d.lineBig.get(j) as number) : d.lineBase[j >>> LINE_SHIFT] + off;
      this.setLine(base + j, line + lineOffset);
    }
    for (const [j, hi] of d.pfnHi) this.pfnHi.set(base + j, hi);
    for (const [j, v] of d.valBig) this.valBig.set(base + j, v);
    this.n = base + d.n;
    this.byPfn = undefined;
    return { text, stacks };
  }

  /**
   * Where part `d`'s events start in this store's columns when they are regions of the same
   * shared columns at or after the end of this store's events; else -1.
   */
  private regionOf(d: StoreData): number {
    const mine = [this.ts, this.pfnLo, this.counts, this.mapcounts, this.shape, this.stack, this.vals];
    const its = [d.ts, d.pfnLo, d.counts, d.mapcounts, d.shape, d.stack, d.vals];
    // lineOff is shared too (cover() widens it); the part's line offsets are rewritten in append()
    const shared =
      this.ts.buffer instanceof SharedArrayBuffer && this.lineOff.buffer instanceof SharedArrayBuffer;
    if (!shared || mine.some((c, k) => c.buffer !== its[k].buffer)) return -1;
    const from = (d.ts.byteOffset - this.ts.byteOffset) / 8;
    return from >= this.n ? from : -1;
  }

  /** Widens the shared columns' views to `cap` events from where they start. */
  private cover(cap: number): void {
    const view = <T extends Float64Array | Uint32Array | Int32Array | Int16Array | Uint16Array>(a: T): T =>
      new (a.constructor as new (b: ArrayBufferLike, o: number, n: number) => T)(a.buffer, a.byteOffset, cap);
    this.ts = view(this.ts);
    this.pfnLo = view(this.pfnLo);
    this.counts = view(this.counts);
    this.mapcounts = view(this.mapcounts);
    this.shape = view(this.shape);
    this.stack = view(this.stack);
    this.vals = view(this.vals);
    this.lineOff = view(this.lineOff);
    this.lineBase = grown(this.lineBase, Math.ceil(cap / LINE_BLOCK) + 1);
    this.cap = cap;
  }

  private contextOf(i: number): number {
    return this.shapes.at(this.shape[i], S_CONTEXT);
  }

  private setLine(i: number, line: number): void {
    if ((i & (LINE_BLOCK - 1)) === 0) this.lineBase[i >>> LINE_SHIFT] = line;
    const off = line - this.lineBase[i >>> LINE_SHIFT];
    if (off >= 0 && off < LINE_OVERFLOW) this.lineOff[i] = off;
    else {
      this.lineOff[i] = LINE_OVERFLOW;
      this.lineBig.set(i, line);
    }
  }

  private flagsLo(flagsId: number): number {
    if (!this.decoder) return 0;
    let lo = this.decoded.get(flagsId);
    if (lo === undefined) {
      lo = this.decoder.decode(this.text.get(flagsId))?.lo ?? 0;
      this.decoded.set(flagsId, lo);
    }
    return lo;
  }

  /**
   * PageRefRecord.mapping: 0 for NULL, else (text id + 1) * 4 + PAGE_MAPPING_* tag bits, the tag
   * read from the pointer when it is printed raw (trace-cmd `0xffff…`, `nohash-ptr`); a hashed `%p`
   * hides the tag, so it is 0 there.
   */
  private mappingId(textId: number): number {
    const t = this.text.get(textId);
    if (t === '(nil)' || /^0+$/.test(t)) return 0;
    const raw = /^(?:0x)?(ffff[0-9a-f]{12})$/.exec(t);
    const tag = raw ? parseInt(raw[1].slice(-1), 16) & 3 : 0;
    return (textId + 1) * 4 + tag;
  }

  private reserve(cap: number): void {
    this.ts = grown(this.ts, cap);
    this.pfnLo = grown(this.pfnLo, cap);
    this.counts = grown(this.counts, cap);
    this.mapcounts = grown(this.mapcounts, cap);
    this.shape = grown(this.shape, cap);
    this.stack = grown(this.stack, cap);
    this.vals = grown(this.vals, cap);
    this.lineOff = grown(this.lineOff, cap);
    this.lineBase = grown(this.lineBase, Math.ceil(cap / LINE_BLOCK) + 1);
    this.cap = cap;
  }

  private shapeTables(): Pick<EventColumns, 'type' | 'ret' | 'flags' | 'cpu' | 'pid'> {
    const m = this.shapes.size;
    const t = {
      type: new Uint8Array(m),
      ret: new Int32Array(m),
      flags: new Int32Array(m),
      cpu: new Int32Array(m),
      pid: new Int32Array(m),
    };
    for (let sh = 0; sh < m; sh++) {
      const c = this.shapes.at(sh, S_CONTEXT);
      t.type[sh] = this.shapes.at(sh, S_TYPE);
      t.ret[sh] = this.shapes.at(sh, S_RET);
      t.flags[sh] = this.shapes.at(sh, S_FLAGS);
      t.cpu[sh] = this.contexts.at(c, C_CPU);
      t.pid[sh] = this.contexts.at(c, C_PID);
    }
    return t;
  }
}

/** Re-interns every tuple of `d` into `into` after `fix` rewrote its ids; old id -> new id. */
function remapTuples(d: InternedTuples, into: TupleInterner, fix: (t: Int32Array) => void): Int32Array {
  const map = new Int32Array(d.starts.length);
  for (let id = 0; id < map.length; id++) {
    const t = d.data.slice(d.starts[id], d.starts[id] + d.lens[id]);
    fix(t);
    map[id] = into.intern(t, t.length);
  }
  return map;
}
