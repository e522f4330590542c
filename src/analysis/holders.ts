/**
 * Who holds a page's references at a given event, and why a page_ref_freeze failed (ret=0: the
 * count was not the expected one). The freezer expects the references the kernel counts for it:
 * the page cache's (and swap cache's, PG_private's) plus its own isolation or lookup reference
 * (__remove_mapping: 1 + nr, mm/vmscan.c; folio_expected_refs + 1, 6.1 mm/migrate.c;
 * mapping_evict_folio, mm/truncate.c). Every other outstanding reference is extra: those are the
 * ones that block migration, compaction or reclaim.
 */
import { PAGE_REF_EVENT_NAMES, PageRefType } from '../kernel/tracepoint.js';
import type { EventStore } from '../trace/store.js';
import { OWNERS, type Owner } from './owners.js';
import { RefTracker, type PairingStats, type RefEntry, type StackOwners } from './refs.js';

export interface Holder {
  owner: Owner;
  /** the owner in words ('pipe buffer') */
  label: string;
  refs: number;
  /** the event that took it (undefined: before the trace) */
  line: number | undefined;
  task: string | undefined;
  /** the get's tracepoint (page_ref_mod, page_ref_mod_unless: a try_get ...); undefined before the trace */
  event?: string;
  /** frames of the get, innermost first, tracepoint frames dropped; [] without stacks */
  stack: string[];
  /** a mapping restored by migration: the source pfns it moved from, newest first (migration.ts) */
  migratedFrom?: number[];
  /** the owner was inferred without stacks from the events (a migration's, migration-shapes.ts; a page-cache insertion's or fault-around's, cache-shapes.ts) */
  inferred?: boolean;
}

export interface HoldersAt {
  pfn: number;
  line: number;
  event: string;
  count: number;
  holders: Holder[];
  /** count - sum of holders: references the trace does not explain */
  unexplained: number;
  pairing: PairingStats;
}

export interface FreezeFailure extends HoldersAt {
  expected: number;
  actual: number;
  /** the freezer's stack */
  caller: string[];
  expectedHolders: Holder[];
  extra: Holder[];
}

/** Owners the freezer counts in its expected value, in the order they are matched. */
const EXPECTED_OWNERS: readonly Owner[] = ['page-cache', 'swap-cache', 'private', 'isolation', 'lookup'];
const TRACE_FRAME = /^(trace_event_raw_event_|__page_ref_)/;

export function eventStack(s: EventStore, i: number): string[] {
  const st = s.stackOf(i);
  return st === undefined ? [] : s.frames(st).filter((f) => !TRACE_FRAME.test(f));
}

export function toHolder(s: EventStore, r: RefEntry, refs: number, hasStacks: boolean): Holder {
  const known = r.event >= 0;
  const owner = r.owner === 'unknown' && !hasStacks ? 'unknown' : r.owner;
  return {
    owner,
    label: owner === 'unknown' && !hasStacks ? 'unknown (no stacks)' : OWNERS[owner],
    refs,
    line: known ? s.line(r.event) : undefined,
    task: known ? `${s.comm(r.event)}-${s.pid(r.event)}` : undefined,
    event: known ? PAGE_REF_EVENT_NAMES[s.type(r.event)] : undefined,
    stack: known ? eventStack(s, r.event) : [],
  };
}

function snapshot(
  s: EventStore,
  t: RefTracker,
  refs: RefEntry[],
  pfn: number,
  i: number,
  hasStacks: boolean,
): HoldersAt {
  const holders = refs.map((r) => toHolder(s, r, r.n, hasStacks));
  return {
    pfn,
    line: s.line(i),
    event: PAGE_REF_EVENT_NAMES[s.type(i)],
    count: s.count(i),
    holders,
    unexplained: s.count(i) - t.total(),
    pairing: { ...t.stats },
  };
}

/**
 * Splits the holders of a failed freeze into the `val` references expected and the extra ones.
 * Without stacks the split by owner stands only when the expected owners account for `val` and
 * every extra reference is one of unknown owner (then the gets that took them are named); else
 * only the arithmetic is known: count - val references of unknown owners.
 */
function splitExpected(s: EventStore, refs: RefEntry[], i: number, hasStacks: boolean) {
  const split = splitByOwner(s, refs, i, hasStacks);
  const n = s.count(i) - s.val(i);
  if (
    hasStacks ||
    (split.want === 0 && split.extraRefs === n && split.extra.every((h) => h.owner === 'unknown'))
  )
    return { expectedHolders: split.expectedHolders, extra: split.extra };
  const unknown: Holder = {
    owner: 'unknown',
    label: 'unknown (no stacks)',
    refs: n,
    line: undefined,
    task: undefined,
    stack: [],
  };
  return { expectedHolders: [], extra: n > 0 ? [unknown] : [] };
}

/** The expected owners' references up to `val` (want: what they left unfilled) and the others. */
function splitByOwner(s: EventStore, refs: RefEntry[], i: number, hasStacks: boolean) {
  let want = s.val(i);
  const pid = s.pid(i);
  const taken = new Map<RefEntry, number>();
  for (const owner of EXPECTED_OWNERS) {
    for (const r of refs) {
      if (want === 0) break;
      // a lookup counts only when the freezer took it itself (find_lock_entries before the freeze)
      if (r.owner !== owner || (owner === 'lookup' && r.pid !== pid)) continue;
      const n = Math.min(want, r.n);
      taken.set(r, n);
      want -= n;
    }
  }
  const expectedHolders: Holder[] = [];
  const extra: Holder[] = [];
  let extraRefs = 0;
  for (const r of refs) {
    const n = taken.get(r) ?? 0;
    if (n > 0) expectedHolders.push(toHolder(s, r, n, hasStacks));
    if (r.n > n) {
      extra.push(toHolder(s, r, r.n - n, hasStacks));
      extraRefs += r.n - n;
    }
  }
  return { expectedHolders, extra, want, extraRefs };
}

export interface HolderContext {
  store: EventStore;
  /** the owner of each stack's gets and puts (refs.ts) */
  owners: StackOwners;
  hasStacks: boolean;
}

/** The holders right after event `stop` of `pfn` (a store index in its list), or after its last. */
export function holdersAt(ctx: HolderContext, pfn: number, stop?: number): HoldersAt | undefined {
  const s = ctx.store;
  const idx = s.indicesOf(pfn);
  if (idx.length === 0) return undefined;
  const t = new RefTracker(ctx.owners);
  let last = idx[0];
  for (const i of idx) {
    if (stop !== undefined && i > stop) break;
    t.apply(i);
    last = i;
  }
  return snapshot(s, t, t.refs, pfn, last, ctx.hasStacks);
}

/** The references outstanding after the last event of `pfn` (empty if it has no events). */
export function refsAtEnd(ctx: HolderContext, pfn: number): RefEntry[] {
  const t = new RefTracker(ctx.owners);
  for (const i of ctx.store.indicesOf(pfn)) t.apply(i);
  return t.refs;
}

/** Every page_ref_freeze with ret=0, with its holders, in trace order. */
export function freezeFailures(ctx: HolderContext): FreezeFailure[] {
  const s = ctx.store;
  const c = ctx.owners.columns;
  const failed = new Uint8Array(c.type.length);
  for (let sh = 0; sh < failed.length; sh++)
    failed[sh] = c.type[sh] === PageRefType.freeze && c.ret[sh] === 0 ? 1 : 0;
  const ix = s.pfnIndex();
  const pfns = new Set<number>();
  for (let i = 0; i < c.n; i++) if (failed[c.shape[i]] === 1) pfns.add(s.pfn(i));
  const out: FreezeFailure[] = [];
  const t = new RefTracker(ctx.owners);
  for (const pfn of pfns) {
    t.restart();
    const idx = ix.indicesOf(pfn);
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      t.apply(i);
      if (failed[c.shape[i]] === 0) continue;
      const refs = t.refs;
      out.push({
        ...snapshot(s, t, refs, pfn, i, ctx.hasStacks),
        expected: s.val(i),
        actual: s.count(i),
        caller: eventStack(s, i),
        ...splitExpected(s, refs, i, ctx.hasStacks),
      });
    }
  }
  return out.sort((a, b) => a.line - b.line);
}
