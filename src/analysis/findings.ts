/**
 * `folioscope analyze --json`: the summary (summary.ts) plus the findings. Schema (stable):
 *
 *   events, eventsByName, pages, unparsed {count, samples[{line, text, reason}]}, lost {notes,
 *   events, uncertainCpus, uncertainPages}, profile {name, source, evidence}, ...  (TraceSummary)
 *   consistency      {pagesChecked, eventsChecked, byKind, speculativeRefusals}
 *   inconsistencies  [{kind, severity: info|finding, pfn, line, event, expected, actual, note}]
 *   freezeFailures   [{pfn, line, event, count, expected, actual, caller: stackId,
 *                      holders: [Holder], expectedHolders: [Holder], extra: [Holder],
 *                      unexplained, pairing {byOwner, handedOver, taskOrder, unmatched}}]  (byOwner
 *                      counts, without stacks, the puts paired with a mapping by the mapcount, refs.ts)
 *   leaks            [{pfn, start, end, line, unmatched: [Holder]}]  only references that should have
 *                    been dropped, ranked by owner (pipe, gup, isolation, migration, lookup, mapping,
 *                    unknown); leaks.ts
 *   leakExclusions   {excludedPages, excluded: [{owner, reason, pages, refs}]}  references expected
 *                    to persist at the end (page cache, live mappings, LRU batches ...)
 *   stacks           [[frame, ...]]  innermost first; `stack`/`caller` fields index this table
 *
 * Holder = {owner, label, refs, line (of the get; null before the trace), task, event (the get's
 * tracepoint, page_ref_mod_unless for a try_get; null before the trace), stack: stackId
 * or null, migratedFrom?: [pfn] (a leaked mapping restored by migration: its source pages),
 * inferred?: true (a trace without stacks: the owner read from a migration's events,
 * migration-shapes.ts)}. A leakExclusions reason ending ', owner inferred without stacks from a
 * migration' says the same of the references it counts. Owners and their rules: owners.ts. pfns are numbers (JSON has no hex).
 */
import type { ProfileName } from '../kernel/profiles/types.js';
import type { TraceReadResult } from '../trace/reader.js';
import { ConsistencyCheck, type ConsistencyReport, type Inconsistency } from './consistency.js';
import { freezeFailures, type FreezeFailure, type Holder, type HolderContext } from './holders.js';
import { cacheShapes } from './cache-shapes.js';
import { inferMigrations } from './migration-shapes.js';
import { unmapShapes } from './unmap-shapes.js';
import { LeakFinder, type Leak, type LeakReport } from './leaks.js';
import { OwnerClassifier } from './owners.js';
import { StackOwners } from './refs.js';
import { PutState } from './put-state.js';
import { summarize, type TraceSummary } from './summary.js';

export interface Findings {
  summary: TraceSummary;
  consistency: ConsistencyReport;
  freezeFailures: FreezeFailure[];
  leaks: Leak[];
  leakExclusions: Omit<LeakReport, 'leaks'>;
}

export function holderContext(r: TraceReadResult, profile: ProfileName | undefined): HolderContext {
  const inferred = inferMigrations(r.store, profile);
  const puts = PutState.of(r.store, profile);
  // page by page, each reader on a page's events while they are in the cache (the pages are
  // independent; unmap-shapes before cache-shapes)
  const pages: ((rank: number) => void)[] = [];
  if (inferred !== undefined && profile !== undefined)
    pages.push(unmapShapes(r.store, profile, inferred), cacheShapes(r.store, profile, inferred));
  if (puts !== undefined) pages.push((rank) => puts.page(rank));
  for (let rank = 0; pages.length > 0 && rank < r.store.pfnIndex().sorted.length; rank++)
    for (const page of pages) page(rank);
  const markerLines = Uint32Array.from(r.markers, (m) => m.line);
  const owners = new StackOwners(r.store, new OwnerClassifier(profile), inferred, puts, markerLines);
  return { store: r.store, owners, hasStacks: r.stacks.attached > 0 };
}

/**
 * Every analysis of the trace. The per-page ones (consistency, leaks) run in one pass over the
 * pfn index, so that the second finds the page's events in the cache.
 */
export function analyzeTrace(r: TraceReadResult, profileOverride?: ProfileName): Findings {
  const summary = summarize(r, profileOverride);
  const profile = summary.profile.name;
  const ctx = holderContext(r, profile);
  const leakFinder = new LeakFinder(ctx);
  const check = new ConsistencyCheck(r, profile);
  for (let rank = 0; rank < r.store.pfnIndex().sorted.length; rank++) {
    leakFinder.page(rank);
    check.page(rank);
  }
  const { leaks, ...leakExclusions } = leakFinder.report();
  return {
    summary,
    consistency: check.report(),
    freezeFailures: freezeFailures(ctx),
    leaks,
    leakExclusions,
  };
}

type JsonHolder = Omit<Holder, 'stack' | 'line' | 'task' | 'event'> & {
  line: number | null;
  task: string | null;
  event: string | null;
  stack: number | null;
};

/** Deduplicates stacks into one table so that repeated holders stay small. */
class StackTable {
  readonly list: string[][] = [];
  private readonly ids = new Map<string, number>();

  id(frames: string[]): number | null {
    if (frames.length === 0) return null;
    const key = frames.join('\n');
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(frames);
      this.ids.set(key, id);
    }
    return id;
  }

  holder(h: Holder): JsonHolder {
    return {
      ...h,
      line: h.line ?? null,
      task: h.task ?? null,
      event: h.event ?? null,
      stack: this.id(h.stack),
    };
  }
}

export function findingsJson(f: Findings): object {
  const t = new StackTable();
  const { inconsistencies, ...consistency } = f.consistency;
  return {
    ...f.summary,
    consistency,
    inconsistencies: inconsistencies satisfies Inconsistency[],
    freezeFailures: f.freezeFailures.map((x) => ({
      ...x,
      caller: t.id(x.caller),
      holders: x.holders.map((h) => t.holder(h)),
      expectedHolders: x.expectedHolders.map((h) => t.holder(h)),
      extra: x.extra.map((h) => t.holder(h)),
    })),
    leaks: f.leaks.map((l) => ({ ...l, unmatched: l.unmatched.map((h) => t.holder(h)) })),
    leakExclusions: f.leakExclusions,
    stacks: t.list,
  };
}
