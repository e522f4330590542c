/**
 * Whole-workload fidelity: a page's history is the lifecycle of its pfn at a checkpoint (from the
 * allocation before it to the next allocation of that pfn) and, when migration freed it, the
 * lifecycle of the destination it moved to, and so on. Compared per page as (event, val, ret,
 * count, mapcount, flags) keys, pfns and timestamps aside, the same way on a real trace (with or
 * without stacks) and on a simulated run.
 *
 * A migration is recognised from the events alone (the plain traces have no stacks): the source,
 * locked at its event before, drops its last reference (a put to 0) right after, on the same CPU,
 * an event on a destination whose first use after its allocation was locked and came after the
 * source's last increment (its isolation). Both kernels lock the source in migrate_folio_unmap
 * (folio_trylock(src)) and the destination (folio_trylock(dst)) before anything moves, unlock both
 * in __migrate_folio_move, whose last folio_put(dst) is followed by migrate_folio_done ->
 * folio_put(src) (6.1 and 6.12 mm/migrate.c). Tests check the rule against the stack runs' frames
 * and the model's call paths.
 */
import { show_page_flags } from '../kernel/flag_names.js';
import {
  PAGE_REF_EVENT_NAMES,
  PageRefType,
  pageRefHasRet,
  pageRefTypeFromName,
} from '../kernel/tracepoint.js';
import { LINE, type EventKey, eventKey } from './fidelity.js';
import { pidComms, type RunResult } from './runner.js';

/** a trace reduced to what histories need; positions are indices into the event arrays */
export interface KeyedTrace {
  pfn: Int32Array;
  cpu: Int32Array;
  pid: Int32Array;
  /** each event's task name, an index into `comms` (ftrace's name for the pid) */
  comm: Int32Array;
  comms: string[];
  type: Uint8Array;
  val: Int32Array;
  ret: Int8Array;
  count: Int32Array;
  keys: EventKey[];
  flags: string[];
  /** each event's call path, innermost first (stack runs and simulated runs) */
  stacks?: (readonly string[])[];
  /** trace_marker text (a real trace's, a scenario's `mark`) -> the position it first came at */
  marks: Map<string, number>;
  /** every trace_marker write in order: its text and the position of the next event */
  markers: { text: string; at: number }[];
}

function keyedTrace(n: number): Omit<KeyedTrace, 'keys' | 'flags' | 'marks' | 'markers' | 'comms'> {
  return {
    pfn: new Int32Array(n),
    cpu: new Int32Array(n),
    pid: new Int32Array(n),
    comm: new Int32Array(n),
    type: new Uint8Array(n),
    val: new Int32Array(n),
    ret: new Int8Array(n),
    count: new Int32Array(n),
  };
}

/** the columns with room for `n` events, the first `at` kept */
function grown(t: KeyedTrace, n: number, at: number): KeyedTrace {
  const g = { ...t, ...keyedTrace(n) };
  g.pfn.set(t.pfn.subarray(0, at));
  g.cpu.set(t.cpu.subarray(0, at));
  g.pid.set(t.pid.subarray(0, at));
  g.comm.set(t.comm.subarray(0, at));
  g.type.set(t.type.subarray(0, at));
  g.val.set(t.val.subarray(0, at));
  g.ret.set(t.ret.subarray(0, at));
  g.count.set(t.count.subarray(0, at));
  return g;
}

/**
 * A real trace's text lines (an array, or streamed from a large file): its page_ref events,
 * `<stack trace>` frames when the run has them, and its trace_marker writes.
 */
export function readKeyedTrace(traceLines: Iterable<string>): KeyedTrace {
  const n = Array.isArray(traceLines) ? traceLines.length : 1 << 16;
  let t: KeyedTrace = { ...keyedTrace(n), comms: [], keys: [], flags: [], marks: new Map(), markers: [] };
  const commIds = new Map<string, number>();
  const stacks: string[][] = [];
  let stack: string[] | undefined;
  let at = 0;
  for (const line of traceLines) {
    if (line.startsWith(' => ')) {
      const f = line.slice(4).trim();
      if (stack && !f.startsWith('trace_event_raw_event_')) stack.push(f.replace(/\+0x.*$/, ''));
      continue;
    }
    const mark = line.indexOf('tracing_mark_write: ');
    if (mark >= 0) {
      const text = line.slice(mark + 'tracing_mark_write: '.length).trim();
      if (!t.marks.has(text)) t.marks.set(text, at);
      t.markers.push({ text, at });
      continue;
    }
    const m = LINE.exec(line);
    if (!m) continue;
    if (at === t.pfn.length) t = grown(t, 2 * at, at);
    const type = pageRefTypeFromName(`page_ref_${m[2]}`)!;
    const task = TASK.exec(line);
    t.pfn[at] = parseInt(m[3], 16);
    t.cpu[at] = Number(m[1]);
    t.pid[at] = task ? Number(task[2]) : -1;
    t.comm[at] = intern(commIds, t.comms, task ? task[1] : '');
    t.type[at] = type;
    t.val[at] = Number(m[7]);
    t.ret[at] = m[8] === undefined ? -1 : Number(m[8]);
    t.count[at] = Number(m[5]);
    t.flags.push(m[4]);
    t.keys.push(eventKey(m[2], Number(m[7]), m[8] ?? '-', Number(m[5]), Number(m[6]), m[4]));
    stacks.push((stack = []));
    at++;
  }
  if (stacks.some((s) => s.length > 0)) t.stacks = stacks;
  return trimmed(t, at);
}

/** a line's TASK-PID field (ftrace text: "  mount-46   [001]", with an optional "(  tgid)" after it) */
const TASK = /^\s*(.+?)-(\d+)\s+(?:\((?:\s*\d+|-+)\)\s+)?\[/;

function intern(ids: Map<string, number>, names: string[], name: string): number {
  let id = ids.get(name);
  if (id === undefined) {
    ids.set(name, (id = names.length));
    names.push(name);
  }
  return id;
}

function trimmed(t: KeyedTrace, n: number): KeyedTrace {
  return {
    ...t,
    pfn: t.pfn.subarray(0, n),
    cpu: t.cpu.subarray(0, n),
    pid: t.pid.subarray(0, n),
    comm: t.comm.subarray(0, n),
    type: t.type.subarray(0, n),
    val: t.val.subarray(0, n),
    ret: t.ret.subarray(0, n),
    count: t.count.subarray(0, n),
  };
}

/** A simulated run, its `mark`s as the trace's markers; a pid named by its last comm, as ftrace names it. */
export function simKeyedTrace(r: RunResult): KeyedTrace {
  const n = r.events.length;
  const t: KeyedTrace = {
    ...keyedTrace(n),
    comms: [],
    keys: [],
    flags: [],
    marks: new Map(),
    markers: [],
    stacks: [],
  };
  const commIds = new Map<string, number>();
  const last = pidComms(r);
  r.events.forEach((e, i) => {
    const rec = e.record;
    const ev = PAGE_REF_EVENT_NAMES[rec.type].slice('page_ref_'.length);
    const flags = show_page_flags(r.profile, rec.flagsLo);
    t.pfn[i] = rec.pfn;
    t.cpu[i] = e.ctx.cpu;
    t.pid[i] = e.ctx.pid;
    t.comm[i] = intern(commIds, t.comms, last.get(e.ctx.pid) ?? e.ctx.comm);
    t.type[i] = rec.type;
    t.val[i] = rec.val;
    t.ret[i] = pageRefHasRet(rec.type) ? rec.ret : -1;
    t.count[i] = rec.count;
    t.flags.push(flags);
    t.keys.push(
      eventKey(ev, rec.val, pageRefHasRet(rec.type) ? String(rec.ret) : '-', rec.count, rec.mapcount, flags),
    );
    // the model's call path starts at the page_ref function itself
    t.stacks!.push(e.stack.slice(1));
  });
  for (const m of r.marks) if (!t.marks.has(m.text)) t.marks.set(m.text, m.at);
  t.markers = r.marks.map((m) => ({ ...m }));
  return t;
}

const LOCKED = /(^|\|)locked(\||$)/;

/** one lifecycle of a pfn: positions [from, to) of its events, from an allocation to the next */
export interface Life {
  pfn: number;
  /** position of its page_ref_set val=1 (or of the pfn's first event) */
  from: number;
  /** position of the pfn's next page_ref_set val=1, or the end of the trace */
  to: number;
  /** its events' positions */
  events: number[];
}

/** How lives, migration links and histories are found in one KeyedTrace. */
export class PageHistories {
  /** pfn -> its events' positions */
  private readonly byPfn = new Map<number, number[]>();
  /** the previous event's position on the same CPU, -1 if none */
  private readonly prevOnCpu: Int32Array;

  constructor(readonly t: KeyedTrace) {
    const n = t.pfn.length;
    this.prevOnCpu = new Int32Array(n);
    const last = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      let l = this.byPfn.get(t.pfn[i]);
      if (!l) this.byPfn.set(t.pfn[i], (l = []));
      l.push(i);
      this.prevOnCpu[i] = last.get(t.cpu[i]) ?? -1;
      last.set(t.cpu[i], i);
    }
  }

  private isSet1(i: number): boolean {
    return this.t.type[i] === PageRefType.set && this.t.val[i] === 1;
  }

  /** the life of `pfn` that position `at` falls in (the last allocation at or before it) */
  lifeAt(pfn: number, at: number): Life {
    const evs = this.byPfn.get(pfn) ?? [];
    let start = 0;
    for (let k = 0; k < evs.length && evs[k] <= at; k++) if (this.isSet1(evs[k])) start = k;
    let end = start + 1;
    while (end < evs.length && !this.isSet1(evs[end])) end++;
    return {
      pfn,
      from: evs[start] ?? at,
      to: evs[end] ?? this.t.pfn.length,
      events: evs.slice(start, end),
    };
  }

  /** the event that dropped a life's last reference (a put to 0; a freeze to 0 ends it only if last) */
  private freed(life: Life): number | undefined {
    const { t } = this;
    return life.events.find(
      (i, k) =>
        t.count[i] === 0 &&
        !this.isSet1(i) &&
        (t.type[i] !== PageRefType.freeze || t.type[life.events[k + 1]] !== PageRefType.unfreeze),
    );
  }

  /** the life's events through the one that freed it (all of them when it was not freed) */
  untilFreed(life: Life): Life {
    const free = this.freed(life);
    return free === undefined ? life : { ...life, events: life.events.filter((i) => i <= free) };
  }

  /** the destination's life, when migration freed this one (see the module comment) */
  migratedTo(life: Life): Life | undefined {
    const { t } = this;
    const free = this.freed(life);
    if (free === undefined || t.type[free] !== PageRefType.mod_and_test || t.val[free] >= 0) return undefined;
    // the source stays locked from its unmap to just before its last put (a munmap's free is not)
    const before = life.events[life.events.indexOf(free) - 1];
    if (before === undefined || !LOCKED.test(t.flags[before])) return undefined;
    const j = this.prevOnCpu[free];
    if (j < 0 || t.pfn[j] === life.pfn || t.count[j] <= 0) return undefined;
    const dst = this.lifeAt(t.pfn[j], j);
    const first = dst.events[1];
    if (!this.isSet1(dst.from) || first === undefined || first > j) return undefined;
    if (!LOCKED.test(t.flags[first])) return undefined;
    // an unfreeze restores the count folio_migrate_mapping froze: no increment
    const inc = (i: number) =>
      t.val[i] > 0 && (t.type[i] === PageRefType.mod || t.type[i] === PageRefType.mod_unless);
    const lastInc = life.events.filter((i) => i < free && inc(i)).pop() ?? life.from;
    return first > lastInc ? dst : undefined;
  }

  /** `pfn`'s life at `at`, then each migration destination's life */
  history(pfn: number, at: number): Life[] {
    const out = [this.lifeAt(pfn, at)];
    for (let next = this.migratedTo(out[0]); next; next = this.migratedTo(next)) out.push(next);
    return out;
  }

  /** every migration the rule finds: source life -> destination life */
  migrations(): [Life, Life][] {
    const out: [Life, Life][] = [];
    for (const [pfn, evs] of this.byPfn)
      for (const i of evs) {
        if (i !== evs[0] && !this.isSet1(i)) continue;
        const life = this.lifeAt(pfn, i);
        const dst = this.migratedTo(life);
        if (dst) out.push([life, dst]);
      }
    return out;
  }

  /**
   * Pages a block device's readahead inserted between positions (from, to), in insertion order:
   * a page_ref_set val=1 whose next event is __filemap_add_folio's +1 with flags exactly `locked`
   * (a tmpfs folio is swapbacked too), and that is no migration's destination (a page cache
   * folio's destination gets the same +1 in folio_migrate_mapping).
   */
  readaheadInsertions(from: number, to: number): Life[] {
    const dsts = new Set(this.migrations().map(([, d]) => d.from));
    const out: Life[] = [];
    for (const [pfn, evs] of this.byPfn)
      evs.forEach((i, k) => {
        if (i <= from || i >= to || !this.isSet1(i) || dsts.has(i)) return;
        const next = evs[k + 1];
        if (next !== undefined && /^mod 1 - 2 -?\d+ locked$/.test(this.t.keys[next]))
          out.push(this.lifeAt(pfn, i));
      });
    return out.sort((a, b) => a.from - b.from);
  }

  /** a history as compared: each life's keys, lives joined by a "migrated" line */
  keysOf(history: readonly Life[]): EventKey[] {
    return history.flatMap((l, k) => [...(k ? ['migrated'] : []), ...l.events.map((i) => this.t.keys[i])]);
  }

  /** the position of the mark that starts with `prefix` */
  mark(prefix: string): number {
    for (const [text, at] of this.t.marks) if (text.startsWith(prefix)) return at;
    throw new Error(`mark '${prefix}' not found in the trace`);
  }
}

/**
 * A history cut at the marks that start with `windows` (in trace order; each window runs from its
 * mark to the next one's): window -> its keys, a "migrated" line where a destination's life starts.
 * Events before the first mark fall in window "".
 */
export function windowKeys(
  h: PageHistories,
  history: readonly Life[],
  windows: readonly string[],
): Map<string, EventKey[]> {
  const starts = windows.map((w) => h.mark(w));
  const out = new Map<string, EventKey[]>();
  history.forEach((life, k) =>
    life.events.forEach((i, j) => {
      let w = '';
      starts.forEach((at, n) => {
        if (at <= i) w = windows[n];
      });
      let keys = out.get(w);
      if (!keys) out.set(w, (keys = []));
      if (k > 0 && j === 0) keys.push('migrated');
      keys.push(h.t.keys[i]);
    }),
  );
  return out;
}

export interface WindowDiff {
  /** e.g. "anon[3]" */
  page: string;
  window: string;
  real: EventKey[];
  sim: EventKey[];
}

/**
 * Page by page (`pages`: name -> the real and the simulated history), window by window: where the
 * (event, val, ret, count, mapcount, flags) sequences differ.
 */
export function compareWindows(
  real: PageHistories,
  sim: PageHistories,
  pages: ReadonlyMap<string, readonly [readonly Life[], readonly Life[]]>,
  windows: readonly string[],
): WindowDiff[] {
  const diffs: WindowDiff[] = [];
  for (const [page, [r, s]] of pages) {
    const a = windowKeys(real, r, windows);
    const b = windowKeys(sim, s, windows);
    for (const window of ['', ...windows]) {
      const x = a.get(window) ?? [];
      const y = b.get(window) ?? [];
      if (x.join('\n') !== y.join('\n')) diffs.push({ page, window, real: x, sim: y });
    }
  }
  return diffs;
}

/**
 * A history cut at every trace_marker write (`KeyedTrace.markers`, repeated texts apart): the index
 * of the marker each event follows -> the keys there (-1: before the first marker), a "migrated"
 * line where a destination's life starts.
 */
export function markerWindowKeys(h: PageHistories, history: readonly Life[]): Map<number, EventKey[]> {
  const { markers } = h.t;
  const out = new Map<number, EventKey[]>();
  history.forEach((life, k) =>
    life.events.forEach((i, j) => {
      // the last marker at or before event i (markers are in trace order)
      let lo = 0;
      let hi = markers.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (markers[mid].at <= i) lo = mid + 1;
        else hi = mid;
      }
      let keys = out.get(lo - 1);
      if (!keys) out.set(lo - 1, (keys = []));
      if (k > 0 && j === 0) keys.push('migrated');
      keys.push(h.t.keys[i]);
    }),
  );
  return out;
}
