/**
 * Leaks: pages whose count at their last event is above the count before their first one, and
 * whose outstanding gets (refs.ts pairing) include a reference whose owner should have dropped it
 * by then. References expected to persist at the end are excluded and counted by reason:
 *  - the page cache's (a file still cached keeps it until truncate or reclaim, mm/filemap.c),
 *  - the swap cache's and PG_private's (mm/swap_state.c, fs/buffer.c),
 *  - a per-CPU LRU batch's (dropped by the next lru_add_drain, mm/swap.c),
 *  - a page-table mapping of a task that does not exit in the trace (exit_mmap would drop it);
 *    a mapping restored by migration belongs to the task that mapped the source folio, not to
 *    the migrating task (migration.ts follows it back),
 *  - an allocation reference (the allocator's caller owns the page until it frees it),
 *  - a lookup in flight when the trace ends: a try_get (page_ref_mod_unless) of unknown owner, or
 *    a lookup's, in the run of one task's events that ends the trace (tracing stopped inside the
 *    call: a speculative lookup, filemap_get_entry's folio_try_get or fault-around's, is put or
 *    handed on before the call returns, mm/filemap.c).
 * What is left — pipe buffers, GUP pins, isolations and migrations never put back, mappings of
 * exited tasks, and references of unknown owner — is ranked by owner. Without stacks, the owners
 * of a migration's references are inferred from the events (migration-shapes.ts, unmap-shapes.ts),
 * those of page-cache insertions, faults, LRU adds and isolations too (cache-shapes.ts), and say so.
 */
import { PageRefType } from '../kernel/tracepoint.js';
import type { PfnIndex } from '../trace/pfn-index.js';
import type { EventColumns, EventStore } from '../trace/store.js';
import { eventStack, toHolder, type HolderContext, type Holder } from './holders.js';
import { MappingOrigins, migrationLinks, type MigrationLinks } from './migration.js';
import type { Owner } from './owners.js';
import { countBefore, RefTracker, type RefEntry, type StackOwners } from './refs.js';

export interface Leak {
  pfn: number;
  /** count before the page's first event and at its last */
  start: number;
  end: number;
  /** line of the last event */
  line: number;
  /** outstanding references that should have been dropped, ranked owner first */
  unmatched: Holder[];
}

export interface LeakExclusion {
  owner: Owner;
  reason: string;
  pages: number;
  refs: number;
}

export interface LeakReport {
  leaks: Leak[];
  /** pages ending above their start count whose outstanding references all persist legitimately */
  excludedPages: number;
  excluded: LeakExclusion[];
}

const PERSISTS: Partial<Record<Owner, string>> = {
  'page-cache': 'page cache of a file still cached',
  'swap-cache': 'swap cache entry still present',
  private: 'PG_private data still attached',
  'lru-batch': 'per-CPU LRU batch not drained yet',
  allocation: 'allocation reference of a page still allocated',
  'before-trace': 'taken before the trace started',
};
const NONE = 'no get of the trace outstanding (the count rose through page_ref_set or unfreeze)';
const ALIVE = 'mapping of a task that does not exit in the trace';
const MIGRATED_BEFORE = 'mapping moved by migration, mapped before the trace (its task is not known)';
const MIGRATED_UNLINKED = 'mapping restored by migration whose source page was not identified';
const IN_FLIGHT = "lookup in flight when the trace ends (its task's events end the trace)";
/** said of a reason whose owner migration-shapes.ts inferred in a trace without stacks */
const INFERRED = ', owner inferred without stacks from a migration';
/** said of a reason whose owner cache-shapes.ts inferred from one page's events */
const SHAPED =
  ", owner inferred without stacks from the page's own events (a page-cache insertion, a fault, a fork, an LRU add or isolation)";
/** leak owners, most telling first */
const RANK: readonly Owner[] = ['pipe', 'gup', 'isolation', 'migration', 'lookup', 'mapping', 'unknown'];

/** pids that run exit_mmap / do_exit / mmput in the trace (their mappings are gone at the end) */
function exitedPids(s: EventStore): Set<number> {
  const out = new Set<number>();
  if (s.stacks.size === 0) return out;
  const c = s.columns();
  // judged once per distinct stack, not per event (the frames are the same): 1 no, 2 exits
  const exits = new Uint8Array(s.stacks.size);
  for (let i = 0; i < c.n; i++) {
    const st = c.stack[i];
    if (st === 0) continue;
    if (exits[st - 1] === 0)
      exits[st - 1] = eventStack(s, i).some((f) => /^(exit_mmap|do_exit|mmput)\b/.test(f)) ? 2 : 1;
    if (exits[st - 1] === 2) out.add(c.pid[c.shape[i]]);
  }
  return out;
}

/** Why an outstanding entry that is not a migration's remap persists (undefined: it should have been dropped). */
function persists(owner: Owner, pid: number, exited: Set<number>): string | undefined {
  return PERSISTS[owner] ?? (owner === 'mapping' && !exited.has(pid) ? ALIVE : undefined);
}

/**
 * A mapping reference taken by a migration's remap, judged by the mapping it moved: why it
 * persists, or (it should have been dropped) the holder to report.
 */
function judgeRemap(
  ctx: HolderContext,
  origins: MappingOrigins,
  exited: Set<number>,
  r: RefEntry,
): Holder | string {
  const origin = origins.of(r.event);
  if (origin === undefined) return MIGRATED_UNLINKED;
  const { entry } = origin;
  if (entry.event < 0) return MIGRATED_BEFORE;
  if (!exited.has(entry.pid)) return ALIVE;
  const from = { ...entry, owner: 'mapping' as const, n: r.n };
  const holder: Holder = { ...toHolder(ctx.store, from, r.n, ctx.hasStacks), migratedFrom: origin.via };
  if (ctx.owners.isInferred(r.event)) holder.inferred = true;
  return holder;
}

/**
 * One page's references that persist, by reason in order of first sight; reused across pages
 * (`size` resets, the arrays stay: emptying them dropped their storage, two allocations a page).
 */
class Persisting {
  readonly reasons: string[] = [];
  readonly owners: Owner[] = [];
  readonly refs: number[] = [];
  size = 0;
  /** reason -> the same reason said of an owner inferred from a migration, and from a cache shape (made once per reason) */
  private readonly inferred = new Map<string, string>();
  private readonly shaped = new Map<string, string>();

  /** `reason`, or the reason of an owner inferred without stacks (of event `event`) */
  reason(reason: string, owners: StackOwners, event: number): string {
    if (!owners.isInferred(event)) return reason;
    const shaped = owners.isShaped(event);
    const made = shaped ? this.shaped : this.inferred;
    let r = made.get(reason);
    if (r === undefined) made.set(reason, (r = reason + (shaped ? SHAPED : INFERRED)));
    return r;
  }

  add(reason: string, owner: Owner, refs: number): void {
    for (let k = 0; k < this.size; k++) {
      if (this.reasons[k] !== reason) continue;
      this.refs[k] += refs;
      return;
    }
    this.reasons[this.size] = reason;
    this.owners[this.size] = owner;
    this.refs[this.size++] = refs;
  }
}

/** Leaks page by page (rank by rank of the store's pfn index, ascending), like ConsistencyCheck. */
export class LeakFinder {
  private readonly c: EventColumns;
  private readonly ix: PfnIndex;
  private readonly exited: Set<number>;
  private readonly links: MigrationLinks;
  private readonly origins: MappingOrigins;
  private readonly leaks: Leak[] = [];
  private readonly excluded = new Map<string, LeakExclusion>();
  private excludedPages = 0;
  private readonly t: RefTracker;
  private readonly persisting = new Persisting();
  /** the first event of the run of one task's events that ends the trace, and that task */
  private readonly finalRun: number;
  private readonly finalPid: number;

  constructor(private readonly ctx: HolderContext) {
    const s = ctx.store;
    this.c = ctx.owners.columns;
    this.ix = s.pfnIndex();
    this.exited = exitedPids(s);
    this.links = ctx.owners.inferred?.links ?? migrationLinks(s);
    this.origins = new MappingOrigins(ctx, this.links);
    this.t = new RefTracker(ctx.owners);
    const { pid, shape, n } = this.c;
    this.finalPid = n > 0 ? pid[shape[n - 1]] : -1;
    let k = n;
    while (k > 0 && pid[shape[k - 1]] === this.finalPid) k--;
    this.finalRun = k;
  }

  /** Whether entry `event` (of `owner`, by `pid`) is a lookup the end of the trace cut off. */
  private inFlight(owner: Owner, event: number, pid: number): boolean {
    if (event < this.finalRun || pid !== this.finalPid) return false;
    return (
      owner === 'lookup' || (owner === 'unknown' && this.ctx.store.type(event) === PageRefType.mod_unless)
    );
  }

  /** The index's page `rank`. */
  page(rank: number): void {
    const { ctx, c, ix, t, persisting, links } = this;
    const s = ctx.store;
    const from = ix.offsets[rank];
    const to = ix.offsets[rank + 1];
    const first = ix.indices[from];
    const start = countBefore(s.type(first), s.val(first), s.ret(first), c.counts[first]);
    const last = ix.indices[to - 1];
    const end = c.counts[last];
    if (end <= start) return;
    t.restart();
    for (let k = from; k < to; k++) t.apply(ix.indices[k]);
    let suspects: Holder[] | undefined;
    persisting.size = 0;
    let held = 0;
    for (let k = 0; k < t.length; k++) {
      const event = t.eventAt(k);
      if (event < 0) continue;
      held++;
      const owner = t.ownerAt(k);
      if (owner === 'mapping' && links.has(event)) {
        const r = t.entryAt(k);
        const judged = judgeRemap(ctx, this.origins, this.exited, r);
        if (typeof judged !== 'string') (suspects ??= []).push(judged);
        else persisting.add(persisting.reason(judged, ctx.owners, event), 'mapping', r.n);
        continue;
      }
      const reason =
        persists(owner, t.pidAt(k), this.exited) ??
        (this.inFlight(owner, event, t.pidAt(k)) ? IN_FLIGHT : undefined);
      const inferred = ctx.owners.isInferred(event);
      if (reason === undefined) {
        const holder = toHolder(s, t.entryAt(k), t.refsAt(k), ctx.hasStacks);
        if (inferred) holder.inferred = true;
        (suspects ??= []).push(holder);
      } else persisting.add(persisting.reason(reason, ctx.owners, event), owner, t.refsAt(k));
    }
    if (held === 0) persisting.add(NONE, 'before-trace', end - start);
    if (suspects !== undefined) {
      suspects.sort((a, b) => RANK.indexOf(a.owner) - RANK.indexOf(b.owner));
      this.leaks.push({ pfn: ix.sorted[rank], start, end, line: s.line(last), unmatched: suspects });
      return;
    }
    this.excludedPages++;
    for (let k = 0; k < persisting.size; k++) {
      const reason = persisting.reasons[k];
      let x = this.excluded.get(reason);
      if (x === undefined)
        this.excluded.set(reason, (x = { owner: persisting.owners[k], reason, pages: 0, refs: 0 }));
      x.pages++;
      x.refs += persisting.refs[k];
    }
  }

  report(): LeakReport {
    const rank = (l: Leak): number => RANK.indexOf(l.unmatched[0].owner);
    const leaks = this.leaks.sort((a, b) => rank(a) - rank(b) || a.pfn - b.pfn);
    const excluded = [...this.excluded.values()].sort((a, b) => b.pages - a.pages);
    return { leaks, excludedPages: this.excludedPages, excluded };
  }
}

export function findLeaks(ctx: HolderContext): LeakReport {
  const leaks = new LeakFinder(ctx);
  for (let rank = 0; rank < ctx.store.pfnIndex().sorted.length; rank++) leaks.page(rank);
  return leaks.report();
}
