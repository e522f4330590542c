/**
 * A scenario as the viewer steps through it: run once on the model, with the state of every page
 * seen so far snapshotted after each statement (the way the demo, src/scenario/demo.ts, reads the
 * pages after each step: refcount, raw _mapcount, page_mapcount(), flags, type, AnonExclusive,
 * the lru_add batches' references). The simulated trace (with the model's call paths as stacks)
 * is read back by the trace reader, so the memory map and page timelines work as for a real trace.
 */
import { page_mapcount } from '../kernel/folio.js';
import { show_page_flags } from '../kernel/flag_names.js';
import type { Kernel } from '../kernel/kernel.js';
import { page_type_name } from '../kernel/page_type.js';
import type { Profile } from '../kernel/profiles/index.js';
import { formatPageRefLine } from '../kernel/trace_format.js';
import { PageAnonExclusive } from '../mm/rmap.js';
import { PageBuddy, buddy_order } from '../mm/page_alloc.js';
import { lru_add_pending } from '../mm/swap.js';
import { parseScenario, type Statement } from '../scenario/format.js';
import { formatRunTrace, runScenario, type RunResult } from '../scenario/runner.js';
import { detectFormat } from '../trace/detect.js';
import { feedLines } from '../trace/feed.js';
import { LineReader } from '../trace/lines.js';
import { result, type TraceReadResult } from '../trace/reader.js';
import type { ScenarioResponse, ScenarioStatement, StepPage, StepResponse } from './api.js';
import { MAX_WINDOW, ViewError, lowerBound } from './trace-view.js';

/** The pages seen up to one step, struct-of-arrays, ascending pfn. */
interface Snapshot {
  statement: ScenarioStatement;
  /** events [eventsFrom, eventsTo) of the run belong to this step */
  eventsFrom: number;
  eventsTo: number;
  pfns: Int32Array;
  refcount: Int32Array;
  mapcount: Int32Array;
  mappings: Int32Array;
  flagsLo: Uint32Array;
  /** index into ScenarioView.typeNames, -1 = none */
  type: Int16Array;
  anonExclusive: Uint8Array;
  batchRefs: Uint16Array;
  /** -1 = not a buddy block head */
  buddyOrder: Int8Array;
}

export class ScenarioView {
  readonly run: RunResult;
  readonly statements: ScenarioStatement[];
  private readonly snapshots: Snapshot[] = [];
  private readonly typeNames: string[] = [];

  constructor(
    text: string,
    readonly name: string,
    readonly profile: Profile,
  ) {
    const sc = parseScenario(text, name);
    const lines = text.split('\n');
    this.statements = sc.statements.map((st) => ({
      line: st.line,
      text: lines[st.line - 1].replace(/#.*/, '').trim(),
      step: null,
    }));
    const byLine = new Map(this.statements.map((s) => [s.line, s]));
    const seen = new Set<number>();
    let from = 0;
    this.run = runScenario(sc, profile, (st: Statement, r) => {
      const statement = byLine.get(st.line) as ScenarioStatement;
      statement.step = this.snapshots.length;
      for (let i = from; i < r.events.length; i++) seen.add(r.events[i].record.pfn);
      this.snapshots.push(this.snapshot(r, statement, from, seen));
      from = r.events.length;
    });
  }

  /** The simulated trace, with stacks, read back as a trace file would be. */
  async trace(): Promise<TraceReadResult> {
    const text = Buffer.from(formatRunTrace(this.run, true));
    async function* one() {
      yield text;
    }
    const fed = await feedLines(one(), (first) => new LineReader(detectFormat(first.subarray(0, 1 << 16))));
    const reader = fed.reader ?? new LineReader('unknown');
    reader.store.trim();
    return result(`scenario ${this.name} (profile ${this.profile.name})`, reader, fed.bytes);
  }

  describe(): ScenarioResponse {
    return {
      name: this.name,
      profile: this.profile.name,
      statements: this.statements,
      steps: this.snapshots.length,
    };
  }

  /** Step `step`: its statement, its trace lines, and the pages after it (touched ones first). */
  step(step: number, offset: number, limit: number): StepResponse {
    const snap = this.snapshots[step];
    if (!snap)
      throw new ViewError(404, `the scenario has steps 0..${this.snapshots.length - 1}, not ${step}`);
    const prev = this.snapshots[step - 1];
    const events = this.run.events.slice(snap.eventsFrom, snap.eventsTo);
    const touched = new Set(events.map((e) => e.record.pfn));
    const order = [...snap.pfns.keys()].sort(
      (a, b) => Number(touched.has(snap.pfns[b])) - Number(touched.has(snap.pfns[a])),
    );
    const pages = order.slice(offset, offset + Math.min(limit, MAX_WINDOW)).map((k) => {
      const p = this.page(snap, k);
      const j = prev ? lowerBound(prev.pfns, p.pfn) : -1;
      const before = j >= 0 && prev.pfns[j] === p.pfn ? this.page(prev, j) : null;
      return {
        ...p,
        touched: touched.has(p.pfn),
        before: before && { refcount: before.refcount, mapcountRaw: before.mapcountRaw, flags: before.flags },
      };
    });
    return {
      step,
      steps: this.snapshots.length,
      statement: snap.statement,
      events: events.map((e) => ({
        text: formatPageRefLine(this.profile, e.record, e.ctx).trimStart(),
        pfn: e.record.pfn,
        stack: e.stack,
      })),
      pages: { total: order.length, offset, items: pages },
    };
  }

  private page(s: Snapshot, k: number): Omit<StepPage, 'touched' | 'before'> {
    const type = s.type[k] < 0 ? null : this.typeNames[s.type[k]];
    const mappings = s.mappings[k];
    return {
      pfn: s.pfns[k],
      refcount: s.refcount[k],
      mapcountRaw: s.mapcount[k],
      mappings,
      mapcountMeaning: type
        ? `page type ${type} (page_type overlays _mapcount)`
        : mappings === 0
          ? 'not mapped'
          : `mapped ${mappings}x`,
      flags: show_page_flags(this.profile, s.flagsLo[k]),
      type,
      anonExclusive: s.anonExclusive[k] === 1,
      batchRefs: s.batchRefs[k],
      buddyOrder: s.buddyOrder[k] < 0 ? null : s.buddyOrder[k],
    };
  }

  private snapshot(
    r: RunResult,
    statement: ScenarioStatement,
    eventsFrom: number,
    seen: ReadonlySet<number>,
  ): Snapshot {
    const k: Kernel = r.machine.k;
    const pfns = Int32Array.from([...seen].sort((a, b) => a - b));
    const batch = new Map<number, number>();
    for (let cpu = 0; cpu < r.nrCpus; cpu++)
      for (const p of lru_add_pending(k, cpu)) batch.set(p, (batch.get(p) ?? 0) + 1);
    const n = pfns.length;
    const s: Snapshot = {
      statement,
      eventsFrom,
      eventsTo: r.events.length,
      pfns,
      refcount: new Int32Array(n),
      mapcount: new Int32Array(n),
      mappings: new Int32Array(n),
      flagsLo: new Uint32Array(n),
      type: new Int16Array(n),
      anonExclusive: new Uint8Array(n),
      batchRefs: new Uint16Array(n),
      buddyOrder: new Int8Array(n),
    };
    pfns.forEach((pfn, i) => {
      s.refcount[i] = k.mem.refcount[pfn];
      s.mapcount[i] = k.mem.mapcount[pfn];
      s.mappings[i] = page_mapcount(k, pfn);
      s.flagsLo[i] = k.mem.flagsLo[pfn];
      s.type[i] = this.typeId(page_type_name(k, pfn));
      s.anonExclusive[i] = PageAnonExclusive(k, pfn) ? 1 : 0;
      s.batchRefs[i] = batch.get(pfn) ?? 0;
      s.buddyOrder[i] = PageBuddy(k, pfn) ? buddy_order(k, pfn) : -1;
    });
    return s;
  }

  private typeId(name: string | undefined): number {
    if (name === undefined) return -1;
    const i = this.typeNames.indexOf(name);
    return i >= 0 ? i : this.typeNames.push(name) - 1;
  }
}
