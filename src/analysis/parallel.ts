/**
 * analyzeTrace() on two threads, for a large file read in parts (its columns and pfn index are in
 * shared memory, EventStore.shared()). The analyses' critical path is the owner inference of a
 * trace without stacks (migration-shapes.ts, cache-shapes.ts) and then the leak search, which
 * needs its owners; the consistency check and the summary do not. So a worker thread infers the
 * owners while this thread summarizes and checks; then each searches part of the pages for leaks
 * (the worker the later ranks, this thread the first ones and the failed freezes), and the parts
 * merge into what one thread finds (LeakFinder.merge). The result equals analyzeTrace()'s.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ProfileName } from '../kernel/profiles/types.js';
import type { TraceReadResult } from '../trace/reader.js';
import { lowerBound } from '../trace/pfn-index.js';
import { detectProfile } from '../trace/profile-detect.js';
import { EventStore, type SharedStore } from '../trace/store.js';
import { ConsistencyCheck } from './consistency.js';
import { analyzeTrace, contextWith, inferOwners, type Findings } from './findings.js';
import { freezeFailures } from './holders.js';
import { LeakFinder, type LeakPart } from './leaks.js';
import { InferredLinks, type InferredLinksData, type InferredMigrations } from './migration-shapes.js';
import { summarize } from './summary.js';

/** Below this many events a worker's start-up (~60-80 ms of CPU) costs more than it saves. */
export const PARALLEL_MIN_EVENTS = 200_000;
/**
 * This thread's share of the events whose pages it searches for leaks: it also finds the failed
 * freezes' holders (about a third of the leak search on the 240 MB bench trace), and both start
 * the search when the worker's inference is done.
 */
const MAIN_SHARE = 0.35;

/** What the worker is asked: the store, and the pages from rank `from` on. */
export interface AnalysisRequest {
  store: SharedStore;
  profile: ProfileName | undefined;
  hasStacks: boolean;
  from: number;
}

/** InferredMigrations as plain data. */
export interface InferredData {
  owner: Uint8Array;
  facts: Uint8Array;
  links: InferredLinksData;
  destinations: number;
}

export type AnalysisReply = { inferred: InferredData | undefined } | { leaks: LeakPart } | { error: string };

const WORKER = new URL('./analysis-worker.js', import.meta.url);

const toData = (m: InferredMigrations | undefined): InferredData | undefined =>
  m && { owner: m.owner, facts: m.facts, links: m.links.data(), destinations: m.destinations };

const fromData = (d: InferredData | undefined): InferredMigrations | undefined =>
  d && { ...d, links: InferredLinks.of(d.links, d.facts) };

/**
 * The worker's side: infers the owners, `post`s them, then searches pages [from, end) for leaks
 * and posts what it found.
 */
export function workerSide(req: AnalysisRequest, post: (m: AnalysisReply) => void): void {
  const s = EventStore.fromShared(req.store);
  const inferred = inferOwners(s, req.profile);
  post({ inferred: toData(inferred) });
  const leaks = new LeakFinder(contextWith(s, req.profile, inferred, req.hasStacks));
  leaks.pages(req.from, s.pfnIndex().sorted.length);
  post({ leaks: leaks.part() });
}

/** The worker's replies in order, as promises (a failure rejects the ones not settled yet). */
class Replies {
  private readonly waiting: { resolve: (m: AnalysisReply) => void; reject: (e: Error) => void }[] = [];
  private readonly early: AnalysisReply[] = [];
  private failed: Error | undefined;

  put(m: AnalysisReply): void {
    if ('error' in m) return this.fail(new Error(`analysis worker: ${m.error}`));
    const w = this.waiting.shift();
    if (w) w.resolve(m);
    else this.early.push(m);
  }

  fail(e: Error): void {
    this.failed ??= e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  next(): Promise<AnalysisReply> {
    const m = this.early.shift();
    if (m) return Promise.resolve(m);
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
}

/** The first rank whose events start at or after `share` of the store's. */
function splitRank(offsets: Uint32Array, share: number): number {
  const pages = offsets.length - 1;
  return lowerBound(offsets, 0, pages, offsets[pages] * share);
}

export interface ParallelOptions {
  minEvents?: number;
  /** run the worker's side on a worker thread (default: when the compiled worker exists; not under vitest) */
  worker?: boolean;
}

/** analyzeTrace(), on two threads when the store is large and shared; the same findings. */
export async function analyzeTraceParallel(
  r: TraceReadResult,
  profileOverride?: ProfileName,
  opts: ParallelOptions = {},
): Promise<Findings> {
  if (r.store.length < (opts.minEvents ?? PARALLEL_MIN_EVENTS)) return analyzeTrace(r, profileOverride);
  const useWorker = opts.worker ?? existsSync(fileURLToPath(WORKER));
  // started first: its isolate boots while this thread builds the pfn index and the summary
  const w = useWorker ? new Worker(WORKER) : undefined;
  const store = r.store.shared();
  if (store === undefined) {
    await w?.terminate();
    return analyzeTrace(r, profileOverride);
  }
  const replies = new Replies();
  // the worker's inference is the critical path: it starts before the summary (which detects the profile again)
  const profile = profileOverride ?? detectProfile(r.store).profile;
  const from = splitRank(store.index.offsets, MAIN_SHARE);
  const req: AnalysisRequest = { store, profile, hasStacks: r.stacks.attached > 0, from };
  if (w) {
    w.on('message', (m: AnalysisReply) => replies.put(m));
    w.on('error', (e) => replies.fail(e));
    w.on('exit', (code) => replies.fail(new Error(`analysis worker exited with code ${code}`)));
    w.postMessage(req);
  } else workerSide(structuredClone(req), (m) => replies.put(structuredClone(m)));
  const summary = summarize(r, profileOverride);
  const check = new ConsistencyCheck(r, profile);
  for (let rank = 0; rank < store.index.offsets.length - 1; rank++) check.page(rank);
  const inferred = (await replies.next()) as { inferred: InferredData | undefined };
  const ctx = contextWith(r.store, profile, fromData(inferred.inferred), r.stacks.attached > 0);
  const leakFinder = new LeakFinder(ctx);
  leakFinder.pages(0, from);
  const freezes = freezeFailures(ctx);
  leakFinder.merge(((await replies.next()) as { leaks: LeakPart }).leaks);
  const { leaks, ...leakExclusions } = leakFinder.report();
  return { summary, consistency: check.report(), freezeFailures: freezes, leaks, leakExclusions };
}
