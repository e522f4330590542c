/**
 * `folioscope replay`: replay (replay.ts), compare with the end-of-trace snapshots
 * (replay-compare.ts) for the workload's pfns and for every traced pfn, and say it for people.
 * JSON schema (stable): {profile, config, events, startedMidway, resynced, countMismatches,
 * mappingTagsKnown, beyondSnapshot: {events, pfns} (not replayed: their pfns are past the
 * snapshot's end), kinds: {kind: meaning}, workload: ScopeSummary | null, traced: ScopeSummary,
 * mismatches: [PageComparison]} (mismatches of all traced pfns, workload pfns first).
 */
import { fmtPfn } from '../kernel/mem_map.js';
import {
  comparePage,
  MISMATCH_KINDS,
  summarizeScope,
  type PageComparison,
  type ScopeSummary,
} from './replay-compare.js';
import type { Replay } from './replay.js';

export interface ReplayReport {
  profile: string;
  config: string;
  events: number;
  startedMidway: number;
  resynced: number;
  countMismatches: number;
  mappingTagsKnown: boolean;
  beyondSnapshot: { events: number; pfns: number };
  kinds: typeof MISMATCH_KINDS;
  workload: ScopeSummary | null;
  traced: ScopeSummary;
  mismatches: PageComparison[];
}

export interface GroundTruth {
  kpagecount: BigUint64Array;
  kpageflags: BigUint64Array;
}

export function compareReplay(r: Replay, truth: GroundTruth, workloadPfns?: Iterable<number>): ReplayReport {
  const all = new Map<number, PageComparison>();
  for (const pfn of r.last.keys()) {
    if (pfn >= truth.kpagecount.length || pfn >= truth.kpageflags.length) continue;
    all.set(pfn, comparePage(r, pfn, truth.kpagecount[pfn], truth.kpageflags[pfn]));
  }
  const traced = [...all.values()].sort((a, b) => a.pfn - b.pfn);
  let workload: ScopeSummary | null = null;
  const wset = new Set<number>();
  if (workloadPfns) {
    for (const p of workloadPfns) wset.add(p);
    const pages = [...wset].filter((p) => all.has(p)).map((p) => all.get(p) as PageComparison);
    workload = summarizeScope(pages, wset.size - pages.length);
  }
  const mismatches = traced.filter((c) => c.kinds.length > 0);
  mismatches.sort((a, b) => Number(wset.has(b.pfn)) - Number(wset.has(a.pfn)) || a.pfn - b.pfn);
  const k = r.kernel;
  return {
    profile: k.profile.name,
    config: k.profile.configName,
    events: r.events,
    startedMidway: r.startedMidway,
    resynced: r.resynced,
    countMismatches: r.countMismatches,
    mappingTagsKnown: r.mappingTagsKnown,
    beyondSnapshot: r.beyond,
    kinds: MISMATCH_KINDS,
    workload,
    traced: summarizeScope(traced, r.last.size - traced.length + r.beyond.pfns),
    mismatches,
  };
}

function scopeLines(name: string, s: ScopeSummary): string[] {
  const out = [
    `${name}: ${s.pages} pages, ${s.matches} match, ${s.mismatches} differ` +
      (s.untraced ? ` (${s.untraced} pfns without events or outside the snapshot)` : ''),
    `  free at the end: ${s.free['buddy-head']} heading a buddy block, ${s.free['free-not-head']} on a per-CPU list or inside a buddy block`,
  ];
  for (const [kind, n] of Object.entries(s.byKind))
    out.push(`  ${String(n).padStart(6)}  ${kind}: ${MISMATCH_KINDS[kind as keyof typeof MISMATCH_KINDS]}`);
  return out;
}

export function formatReplay(rep: ReplayReport, limit: number): string {
  const out = [
    `replayed ${rep.events} events into the ${rep.profile} model (config ${rep.config}); ` +
      `${rep.startedMidway} pages started with references taken before the trace, ` +
      `${rep.resynced} counts resynchronised, ${rep.countMismatches} event counts differ from the model (concurrent re-reads)`,
  ];
  if (!rep.mappingTagsKnown) out.push('mapping pointers are hashed: KPF_ANON not compared');
  const { events, pfns } = rep.beyondSnapshot;
  if (events > 0)
    out.push(`not replayed: ${events} events on ${pfns} pfns past the snapshot's end (no state to compare)`);
  if (rep.workload) out.push(...scopeLines("workload's pfns (pagemap-pfns.txt)", rep.workload));
  out.push(...scopeLines('all traced pfns', rep.traced));
  for (const c of rep.mismatches.slice(0, limit))
    out.push(
      `  pfn ${fmtPfn(c.pfn)} (last event line ${c.line}, count ${c.count}): ${c.kinds.join(', ')}; ` +
        `kpagecount ${c.expected.kpagecount} -> ${c.actual.kpagecount}` +
        (c.bits.length ? `; bits ${c.bits.join(',')}` : ''),
    );
  if (rep.mismatches.length > limit)
    out.push(`  ... ${rep.mismatches.length - limit} more (--json lists all)`);
  return out.join('\n') + '\n';
}
