/**
 * Stretches of a trace whose events are missing: ring-buffer losses the reader noted (`LOST n
 * EVENTS`, a CPU buffer that started late) and the capture harness's checkpoints, where tracing
 * was switched off between `GT_SNAPSHOT tracing_off` and `GT_SNAPSHOT tracing_on_again`
 * (traces/README.md). A count that jumps across one of them is explained, not an anomaly.
 */
import type { TraceReadResult } from '../trace/reader.js';
import type { EventStore } from '../trace/store.js';

export interface Gap {
  /** first and last line of the stretch (a lost note is one line) */
  fromLine: number;
  toLine: number;
  reason: string;
}

export class Gaps {
  readonly list: Gap[] = [];
  /** reach[k]: the largest toLine of list[0..k] (a binary search instead of a scan per event pair) */
  private readonly reach: Float64Array;

  constructor(r: Pick<TraceReadResult, 'markers' | 'lost'>) {
    let off: { line: number; text: string } | undefined;
    for (const m of r.markers) {
      if (m.name !== 'tracing_mark_write') continue;
      if (m.text.startsWith('GT_SNAPSHOT tracing_off')) off = { line: m.line, text: m.text };
      else if (m.text.startsWith('GT_SNAPSHOT tracing_on_again') && off) {
        this.list.push({ fromLine: off.line, toLine: m.line, reason: `tracing off (${off.text})` });
        off = undefined;
      }
    }
    if (off) this.list.push({ fromLine: off.line, toLine: Infinity, reason: `tracing off (${off.text})` });
    for (const l of r.lost) {
      const what =
        l.kind === 'lost' ? `CPU ${l.cpu} lost ${l.events ?? 'some'} events` : `CPU ${l.cpu} buffer started`;
      this.list.push({ fromLine: l.line, toLine: l.line, reason: what });
    }
    this.list.sort((a, b) => a.fromLine - b.fromLine);
    this.reach = new Float64Array(this.list.length);
    this.list.forEach((g, k) => (this.reach[k] = Math.max(g.toLine, k > 0 ? this.reach[k - 1] : -Infinity)));
  }

  /** reach[k]: the largest toLine of list[0..k] */
  reachOf(): Float64Array {
    return this.reach;
  }

  /**
   * The gap lying between two event lines (exclusive), if any: the first in the list with
   * toLine > fromLine and fromLine < toLine. The first with toLine > fromLine is the first whose
   * reach exceeds fromLine; a later one cannot start before toLine when it does not (sorted).
   */
  between(fromLine: number, toLine: number): Gap | undefined {
    let lo = 0;
    let hi = this.reach.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.reach[mid] > fromLine) hi = mid;
      else lo = mid + 1;
    }
    const g = this.list[lo];
    return g !== undefined && g.fromLine < toLine ? g : undefined;
  }
}

/**
 * Gaps.between() for pairs of store events (the analyses ask it for every pair of consecutive
 * events of a page), from two per-event columns: `after[e]`, the first gap whose reach exceeds
 * e's line (where between()'s search ends), and `before[e]`, how many gaps start before e's
 * line. A gap lies between e and f exactly when after[e] < before[f]. Events are in line order,
 * so both columns are runs of equal values, filled between the events where the gaps' lines fall.
 */
export class EventGaps {
  private readonly list: readonly Gap[];
  private readonly after: Uint8Array | Uint16Array | Uint32Array;
  private readonly before: Uint8Array | Uint16Array | Uint32Array;

  constructor(gaps: Gaps, s: Pick<EventStore, 'length' | 'firstAtLine'>) {
    this.list = gaps.list;
    const m = gaps.list.length;
    const n = m === 0 ? 0 : s.length;
    const column = () =>
      m < 0x100 ? new Uint8Array(n) : m < 0x10000 ? new Uint16Array(n) : new Uint32Array(n);
    this.after = column();
    this.before = column();
    const reach = gaps.reachOf();
    // after[e] = k + 1 from the first event at or past reach[k]; before[e] = k + 1 past fromLine
    for (let k = 0; k < m; k++) {
      if (reach[k] !== Infinity) this.after.fill(k + 1, s.firstAtLine(reach[k]));
      this.before.fill(k + 1, s.firstAtLine(gaps.list[k].fromLine + 1));
    }
  }

  /** The gap lying between the lines of events e and f (exclusive), if any (Gaps.between). */
  between(e: number, f: number): Gap | undefined {
    if (this.list.length === 0) return undefined;
    const k = this.after[e];
    return k < this.before[f] ? this.list[k] : undefined;
  }
}
