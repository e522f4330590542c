/**
 * Fidelity against a real kernel: for each page of a workload's regions (found through a checkpoint's
 * pagemap-pfns.txt in the real run and the same checkpoint in the simulated run), or each page a
 * block device's readahead inserted (found by its first events, in insertion order), compare the
 * page's lifecycle — the events from its allocation (page_ref_set val=1) to the event that leaves
 * count 0 — as (event, val, ret, count, mapcount, flags) tuples. Pfns and timestamps are ignored.
 */
import { show_page_flags } from '../kernel/flag_names.js';
import { PAGE_REF_EVENT_NAMES, pageRefHasRet } from '../kernel/tracepoint.js';
import type { RunResult } from './runner.js';

/** one event as compared: "mod_and_test -1 0 1 0 uptodate|lru|swapbacked" */
export type EventKey = string;

/** a page_ref line: 1 CPU, 2 event, 3 pfn, 4 flags, 5 count, 6 mapcount, 7 val, 8 ret */
export const LINE =
  /^\s*\S.*?\[(\d+)\]\s+\S+\s+[\d.]+: page_ref_(\w+): pfn=0x([0-9a-f]+) flags=(\S+) count=(-?\d+) mapcount=(-?\d+) mapping=\S+ mt=\d+ val=(-?\d+)(?: ret=(\d+))?/;

export function eventKey(
  ev: string,
  val: number,
  ret: string,
  count: number,
  mapcount: number,
  flags: string,
): EventKey {
  return `${ev} ${val} ${ret} ${count} ${mapcount} ${flags}`;
}

/**
 * The lifecycle around position `at` of a pfn's event list: last set-1 at or before, through
 * count 0 (or only through `at`: `upToAnchor`).
 */
function lifecycle(
  evs: readonly { at: number; key: EventKey; count: number; set1: boolean }[],
  at: number,
  upToAnchor = false,
): EventKey[] {
  let start = 0;
  for (let i = 0; i < evs.length && evs[i].at <= at; i++) if (evs[i].set1) start = i;
  const out: EventKey[] = [];
  for (let i = start; i < evs.length && (!upToAnchor || evs[i].at <= at); i++) {
    out.push(evs[i].key);
    if (evs[i].count === 0 && i > start) break;
  }
  return out;
}

type PfnEvents = Map<number, { at: number; key: EventKey; count: number; set1: boolean }[]>;

/** per pfn, its events with their positions (trace line / event index) */
function realEvents(
  traceLines: Iterable<string>,
  wanted?: ReadonlySet<number>,
): {
  byPfn: PfnEvents;
  /** the line of each trace_marker text's first occurrence */
  markers: Map<string, number>;
} {
  const byPfn: PfnEvents = new Map();
  const markers = new Map<string, number>();
  let at = 0;
  for (const line of traceLines) {
    at++;
    const mark = line.indexOf('tracing_mark_write: ');
    if (mark >= 0) {
      const text = line.slice(mark + 'tracing_mark_write: '.length).trim();
      if (!markers.has(text)) markers.set(text, at);
      continue;
    }
    const m = LINE.exec(line);
    if (!m) continue;
    const pfn = parseInt(m[3], 16);
    if (wanted && !wanted.has(pfn)) continue;
    const ev = m[2];
    const count = Number(m[5]);
    const val = Number(m[7]);
    let list = byPfn.get(pfn);
    if (!list) byPfn.set(pfn, (list = []));
    list.push({
      at,
      key: eventKey(ev, val, m[8] ?? '-', count, Number(m[6]), m[4]),
      count,
      set1: ev === 'set' && val === 1,
    });
  }
  return { byPfn, markers };
}

/** the line of the marker that starts with `prefix` */
function markerAt(markers: Map<string, number>, prefix: string): number {
  for (const [text, at] of markers) if (text.startsWith(prefix)) return at;
  throw new Error(`marker '${prefix}' not found in the trace`);
}

/**
 * Real side: the trace text lines, the checkpoint marker to anchor on ("GT_SNAPSHOT tracing_off
 * tag=<tag>"), and pagemap-pfns.txt rows of that checkpoint: region -> pfns in vaddr order.
 * `upToAnchor`: each lifecycle only as far as the checkpoint.
 */
export function realLifecycles(
  traceLines: Iterable<string>,
  tag: string,
  regions: Map<string, number[]>,
  upToAnchor = false,
): Map<string, EventKey[][]> {
  const { byPfn, markers } = realEvents(traceLines, new Set([...regions.values()].flat()));
  const anchor = markerAt(markers, `GT_SNAPSHOT tracing_off tag=${tag}`);
  const out = new Map<string, EventKey[][]>();
  for (const [region, pfns] of regions)
    out.set(
      region,
      pfns.map((p) => lifecycle(byPfn.get(p) ?? [], anchor, upToAnchor)),
    );
  return out;
}

/**
 * Pages a block device's readahead inserted between positions (from, to), in insertion order
 * (= file index order within each window): a page_ref_set val=1 whose next event is
 * __filemap_add_folio's +1 with flags exactly `locked` (a tmpfs folio is swapbacked too).
 */
function readaheadInsertions(byPfn: PfnEvents, from: number, to: number): number[] {
  const found: [number, number][] = [];
  for (const [pfn, evs] of byPfn)
    evs.forEach((e, i) => {
      if (e.set1 && e.at > from && e.at < to && /^mod 1 - 2 -?\d+ locked$/.test(evs[i + 1]?.key ?? ''))
        found.push([e.at, pfn]);
    });
  return found.sort((a, b) => a[0] - b[0]).map(([, pfn]) => pfn);
}

/**
 * Real side of the pages no checkpoint region maps: the lifecycles of the pages readahead
 * inserted after the marker starting with `fromMarker` and before checkpoint `tag`, anchored there.
 */
export function realReadaheadLifecycles(
  traceLines: Iterable<string>,
  fromMarker: string,
  tag: string,
): EventKey[][] {
  const { byPfn, markers } = realEvents(traceLines);
  const anchor = markerAt(markers, `GT_SNAPSHOT tracing_off tag=${tag}`);
  return readaheadInsertions(byPfn, markerAt(markers, fromMarker), anchor).map((p) =>
    lifecycle(byPfn.get(p)!, anchor),
  );
}

/** pagemap-pfns.txt: the rows of `### checkpoint-<tag>`, region -> pfns in file (vaddr) order */
export function pagemapRegions(text: string, tag: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  let inTag = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('### ')) inTag = line.trim() === `### checkpoint-${tag}`;
    if (!inTag || line.startsWith('#') || !line.trim()) continue;
    const [region, , , pfn, present] = line.split(/\s+/);
    if (present !== '1') continue;
    let l = out.get(region);
    if (!l) out.set(region, (l = []));
    l.push(parseInt(pfn, 16));
  }
  return out;
}

function simEvents(r: RunResult): PfnEvents {
  const byPfn: PfnEvents = new Map();
  r.events.forEach((e, at) => {
    const rec = e.record;
    const ev = PAGE_REF_EVENT_NAMES[rec.type].slice('page_ref_'.length);
    let list = byPfn.get(rec.pfn);
    if (!list) byPfn.set(rec.pfn, (list = []));
    const ret = pageRefHasRet(rec.type) ? String(rec.ret) : '-';
    const k = eventKey(ev, rec.val, ret, rec.count, rec.mapcount, show_page_flags(r.profile, rec.flagsLo));
    list.push({ at, key: k, count: rec.count, set1: ev === 'set' && rec.val === 1 });
  });
  return byPfn;
}

function checkpointOf(r: RunResult, tag: string): NonNullable<ReturnType<RunResult['checkpoints']['get']>> {
  const cp = r.checkpoints.get(tag);
  if (!cp) throw new Error(`the scenario has no checkpoint ${tag}`);
  return cp;
}

/** Simulated side: region ("task:vma") -> one lifecycle per page, anchored at checkpoint `tag`. */
export function simLifecycles(
  r: RunResult,
  tag: string,
  regions: readonly string[],
  upToAnchor = false,
): Map<string, EventKey[][]> {
  const cp = checkpointOf(r, tag);
  const byPfn = simEvents(r);
  const out = new Map<string, EventKey[][]>();
  for (const region of regions) {
    const pfns = cp.regions.get(region);
    if (!pfns) throw new Error(`checkpoint ${tag} has no region ${region}`);
    out.set(
      region,
      [...pfns].map((p) => (p < 0 ? [] : lifecycle(byPfn.get(p) ?? [], cp.at - 1, upToAnchor))),
    );
  }
  return out;
}

/** Simulated side of realReadaheadLifecycles: the pages readahead inserted before checkpoint `tag` */
export function simReadaheadLifecycles(r: RunResult, tag: string): EventKey[][] {
  const cp = checkpointOf(r, tag);
  const byPfn = simEvents(r);
  return readaheadInsertions(byPfn, -1, cp.at).map((p) => lifecycle(byPfn.get(p)!, cp.at - 1));
}

export interface PageDiff {
  region: string;
  index: number;
  real: EventKey[];
  sim: EventKey[];
}

/** Per page, per position: the pages whose lifecycles differ. */
export function compareLifecycles(
  real: Map<string, EventKey[][]>,
  sim: Map<string, EventKey[][]>,
  pairs: readonly [string, string][],
): PageDiff[] {
  const diffs: PageDiff[] = [];
  for (const [realRegion, simRegion] of pairs) {
    const a = real.get(realRegion) ?? [];
    const b = sim.get(simRegion) ?? [];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const x = a[i] ?? [];
      const y = b[i] ?? [];
      if (x.join('\n') !== y.join('\n')) diffs.push({ region: realRegion, index: i, real: x, sim: y });
    }
  }
  return diffs;
}
