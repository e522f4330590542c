/**
 * One loaded trace as the viewer asks about it: the analyses run once at load (analyze's
 * findings, the memory-map states), and every answer is a window or an aggregate so that a
 * large trace (1.2 M events) never goes to the browser whole.
 */
import { analyzeTrace, holderContext, type Findings } from '../analysis/findings.js';
import { hexFlagsDecoder, historyEvent, mapcountMeaning, withMarkers } from '../analysis/history.js';
import { holdersAt, type Holder, type HolderContext, type HoldersAt } from '../analysis/holders.js';
import { decodeTraceMapcount } from '../explain/decode-pagetype.js';
import { loadProfile, type Profile } from '../kernel/profiles/index.js';
import type { ProfileName } from '../kernel/profiles/types.js';
import type { TraceReadResult } from '../trace/reader.js';
import {
  PAGE_STATES,
  type CheckResponse,
  type EventEntry,
  type FreezeFailureJson,
  type HolderJson,
  type HoldersJson,
  type InfoResponse,
  type LeaksResponse,
  type MapResponse,
  type PageListItem,
  type PageResponse,
  type PageStateName,
  type SeriesPoint,
  type SeriesResponse,
  type TimelineEntry,
  type Window,
} from './api.js';
import { STATE_INDEX, classifyPages, flagNames, type PageStates } from './page-states.js';

export const MAX_CELLS = 4096;
export const MAX_POINTS = 5000;
export const MAX_WINDOW = 500;

/** A request the view cannot answer as asked: the server sends it as 400 (or 404) with this text. */
export class ViewError extends Error {
  override readonly name = 'ViewError';
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
  }
}

export function holderJson(h: Holder): HolderJson {
  return { ...h, line: h.line ?? null, task: h.task ?? null, event: h.event ?? null };
}

function holdersJson(h: HoldersAt): HoldersJson {
  return {
    pfn: h.pfn,
    line: h.line,
    event: h.event,
    count: h.count,
    holders: h.holders.map(holderJson),
    unexplained: h.unexplained,
  };
}

function window<T>(all: readonly T[], offset: number, limit: number): Window<T> {
  return { total: all.length, offset, items: all.slice(offset, offset + Math.min(limit, MAX_WINDOW)) };
}

const hex = (pfn: number) => `0x${pfn.toString(16)}`;

export class TraceView {
  readonly profile: ProfileName | undefined;
  readonly findings: Findings;
  readonly states: PageStates;
  private readonly ctx: HolderContext;
  private readonly decode: (text: string) => string | undefined;
  private readonly p: Profile | undefined;
  private readonly failedAt = new Map<number, number[]>();

  constructor(
    readonly r: TraceReadResult,
    profileOverride?: ProfileName,
  ) {
    this.findings = analyzeTrace(r, profileOverride);
    this.profile = this.findings.summary.profile.name;
    this.ctx = holderContext(r, this.profile);
    this.p = this.profile ? loadProfile(this.profile) : undefined;
    this.decode = this.p ? hexFlagsDecoder(this.p) : () => undefined;
    for (const f of this.findings.freezeFailures) {
      const lines = this.failedAt.get(f.pfn) ?? [];
      lines.push(f.line);
      this.failedAt.set(f.pfn, lines);
    }
    const leaked = new Set(this.findings.leaks.map((l) => l.pfn));
    this.states = classifyPages(this.ctx, this.profile, new Set(this.failedAt.keys()), leaked);
  }

  info(mode: InfoResponse['mode'], scenario: InfoResponse['scenario']): InfoResponse {
    const sm = this.findings.summary;
    const { pfns, states } = this.states;
    const stateCounts = PAGE_STATES.map(() => 0);
    for (const st of states) stateCounts[st]++;
    return {
      mode,
      source: sm.source,
      format: sm.format,
      profile: this.profile ?? null,
      events: sm.events,
      pages: sm.pages,
      lines: sm.lines,
      seconds: sm.timeSpan?.seconds ?? null,
      cpus: sm.cpus,
      stacks: this.ctx.hasStacks,
      unparsed: sm.unparsed.count,
      lostEvents: sm.lost.events,
      pfnMin: pfns.length ? pfns[0] : 0,
      pfnMax: pfns.length ? pfns[pfns.length - 1] : 0,
      states: PAGE_STATES,
      stateCounts,
      freezeFailures: this.findings.freezeFailures.length,
      leaks: this.findings.leaks.length,
      findings: this.findings.consistency.inconsistencies.filter((x) => x.severity === 'finding').length,
      scenario,
    };
  }

  /** Traced pages of pfns [from, to) counted per state in `cells` equal ranges. */
  map(from: number, to: number, cells: number): MapResponse {
    if (!(to > from)) throw new ViewError(400, `empty pfn range [${hex(from)}, ${hex(to)})`);
    if (!(cells >= 1 && cells <= MAX_CELLS)) throw new ViewError(400, `cells must be 1..${MAX_CELLS}`);
    const cellPfns = Math.max(1, Math.ceil((to - from) / cells));
    const { pfns, states } = this.states;
    let k = lowerBound(pfns, from);
    const out: MapResponse['cells'] = [];
    for (let c = from; c < to; c += cellPfns) {
      const end = Math.min(to, c + cellPfns);
      const counts = PAGE_STATES.map(() => 0);
      for (; k < pfns.length && pfns[k] < end; k++) counts[states[k]]++;
      out.push({ from: c, to: end, counts });
    }
    return { from, to, cellPfns, cells: out };
  }

  /** Traced pages in [from, to), optionally of one state, ascending pfn. */
  pageList(
    state: PageStateName | undefined,
    from: number,
    to: number,
    offset: number,
    limit: number,
  ): Window<PageListItem> {
    const { pfns, states } = this.states;
    const want = state === undefined ? -1 : STATE_INDEX[state];
    const items: PageListItem[] = [];
    let total = 0;
    for (let k = lowerBound(pfns, from); k < pfns.length && pfns[k] < to; k++) {
      if (want >= 0 && states[k] !== want) continue;
      if (total >= offset && items.length < Math.min(limit, MAX_WINDOW))
        items.push({ pfn: pfns[k], state: PAGE_STATES[states[k]], events: this.indices(pfns[k]).length });
      total++;
    }
    return { total, offset, items };
  }

  page(pfn: number): PageResponse {
    const idx = this.indices(pfn);
    const s = this.r.store;
    const last = idx[idx.length - 1];
    const leak = this.findings.leaks.find((l) => l.pfn === pfn);
    return {
      pfn,
      state: PAGE_STATES[this.states.states[lowerBound(this.states.pfns, pfn)]],
      events: idx.length,
      firstLine: s.line(idx[0]),
      lastLine: s.line(last),
      count: s.count(last),
      mapcount: s.mapcount(last),
      mapcountMeaning: mapcountMeaning(this.profile, s.mapcount(last)),
      holders: holdersJson(holdersAt(this.ctx, pfn) as HoldersAt),
      freezeFailureLines: this.failedAt.get(pfn) ?? [],
      leak: leak ? { start: leak.start, end: leak.end, line: leak.line } : null,
    };
  }

  /** The page's count and mapcount per event, in at most `points` buckets (min, max, last). */
  series(pfn: number, points: number): SeriesResponse {
    if (!(points >= 1 && points <= MAX_POINTS)) throw new ViewError(400, `points must be 1..${MAX_POINTS}`);
    const idx = this.indices(pfn);
    const s = this.r.store;
    const names = flagNames(this.profile);
    const flags: string[] = [];
    const flagIds = new Map<string, number>();
    const per = Math.ceil(idx.length / points);
    const out: SeriesPoint[] = [];
    for (let i0 = 0; i0 < idx.length; i0 += per) {
      const i1 = Math.min(idx.length, i0 + per) - 1;
      let countMin = Infinity;
      let countMax = -Infinity;
      let mappedMin: number | null = null;
      let mappedMax: number | null = null;
      for (let j = i0; j <= i1; j++) {
        const c = s.count(idx[j]);
        countMin = Math.min(countMin, c);
        countMax = Math.max(countMax, c);
        const m = this.mapped(s.mapcount(idx[j]));
        if (m === null) continue;
        mappedMin = mappedMin === null ? m : Math.min(mappedMin, m);
        mappedMax = mappedMax === null ? m : Math.max(mappedMax, m);
      }
      const e = idx[i1];
      const text = [...names(s.flagsText(e))].join('|');
      let id = flagIds.get(text);
      if (id === undefined) {
        id = flags.push(text) - 1;
        flagIds.set(text, id);
      }
      out.push({
        i0,
        i1,
        ns: s.timestampNs(e),
        count: s.count(e),
        countMin,
        countMax,
        mapped: this.mapped(s.mapcount(e)),
        mappedMin,
        mappedMax,
        flags: id,
      });
    }
    return { pfn, events: idx.length, flags, points: out };
  }

  /**
   * Events [offset, offset + limit) of the page with the markers among them; with `line`, the
   * window of `limit` events that holds the page's event at or after that line.
   */
  events(pfn: number, offset: number, limit: number, line?: number): Window<TimelineEntry> {
    const idx = this.indices(pfn);
    const s = this.r.store;
    const size = Math.min(Math.max(1, limit), MAX_WINDOW);
    if (line !== undefined) {
      let lo = 0;
      let hi = idx.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (s.line(idx[mid]) < line) lo = mid + 1;
        else hi = mid;
      }
      offset = lo - (lo % size);
    }
    const evs: EventEntry[] = [];
    for (let k = offset; k < Math.min(idx.length, offset + size); k++)
      evs.push({ index: k, ...historyEvent(s, idx[k], this.profile, this.decode) });
    const withIndex = new Map(evs.map((e) => [e.line, e.index]));
    const items = withMarkers(this.r, evs).map((e) =>
      e.kind === 'event' ? { ...e, index: withIndex.get(e.line) as number } : e,
    );
    return { total: idx.length, offset, items };
  }

  /** The references outstanding right after the page's event number `index`. */
  holdersAfter(pfn: number, index: number): HoldersJson {
    const idx = this.indices(pfn);
    if (!(index >= 0 && index < idx.length))
      throw new ViewError(400, `pfn ${hex(pfn)} has events 0..${idx.length - 1}, not ${index}`);
    return holdersJson(holdersAt(this.ctx, pfn, idx[index]) as HoldersAt);
  }

  freezeFailures(offset: number, limit: number): Window<FreezeFailureJson> {
    const w = window(this.findings.freezeFailures, offset, limit);
    return {
      ...w,
      items: w.items.map((f) => ({
        ...holdersJson(f),
        expected: f.expected,
        actual: f.actual,
        caller: f.caller,
        expectedHolders: f.expectedHolders.map(holderJson),
        extra: f.extra.map(holderJson),
      })),
    };
  }

  leaks(offset: number, limit: number): LeaksResponse {
    const w = window(this.findings.leaks, offset, limit);
    const ex = this.findings.leakExclusions;
    return {
      ...w,
      items: w.items.map((l) => ({ ...l, unmatched: l.unmatched.map(holderJson) })),
      excludedPages: ex.excludedPages,
      excluded: ex.excluded,
    };
  }

  check(offset: number, limit: number, severity?: 'info' | 'finding'): CheckResponse {
    const c = this.findings.consistency;
    const all = severity ? c.inconsistencies.filter((x) => x.severity === severity) : c.inconsistencies;
    return {
      ...window(all, offset, limit),
      pagesChecked: c.pagesChecked,
      eventsChecked: c.eventsChecked,
      byKind: c.byKind,
    };
  }

  /** Mappings a traced mapcount stands for (decode-pagetype.ts), null for a page_type or no profile. */
  private mapped(mapcount: number): number | null {
    if (!this.p) return null;
    const t = decodeTraceMapcount(this.p, mapcount).pageType;
    return t.kind === 'none' ? 0 : t.kind === 'mapcount' ? (t.mapcount as number) : null;
  }

  private indices(pfn: number): Uint32Array {
    const idx = this.r.store.indicesOf(pfn);
    if (idx.length === 0) throw new ViewError(404, `pfn ${hex(pfn)} has no events in ${this.r.source}`);
    return idx;
  }
}

/** First k with a[k] >= v (a ascending). */
export function lowerBound(a: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
