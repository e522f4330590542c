/**
 * The references outstanding on one page, replayed from its events: each get becomes an entry
 * (owner from owners.ts, the event that took it), each put consumes entries. Pairing, in order:
 *  1. the same owner (the same task's latest entry first, as for a lookup's get+put pair; else
 *     the oldest);
 *  2. a reference that is handed over: the allocation reference becomes the PTE's in
 *     do_anonymous_page(), a fault's lookup reference becomes the PTE's in finish_fault()
 *     (mm/memory.c), and references taken before the trace have no known owner;
 *  3. only where the put's owner is unknown (or nothing of its owner is left): the same task's
 *     latest entry (right after its lookup and a reference passed on, the lookup's), else another
 *     task's latest short-lived one, else the oldest — reported as
 *     `task-order`. Without stacks, a put that finds more mapping entries than the mappings its
 *     event's mapcount leaves drops those first (the PTE's rmap goes before its reference,
 *     put-state.ts): counted as paired by owner; and a put whose page is still in a page cache
 *     (its mapping set) leaves the page cache's entries alone unless nothing else is left.
 * page_ref_freeze ret=1 keeps the entries (frozen); page_ref_unfreeze to v keeps v of them,
 * dropping the page cache's first (__remove_mapping / folio_migrate_mapping "drop the page-cache
 * refs for us", mm/vmscan.c, mm/migrate.c); page_ref_set starts over (allocation).
 */
import { PageRefType } from '../kernel/tracepoint.js';
import { lowerBound } from '../trace/pfn-index.js';
import { VAL_OVERFLOW, type EventColumns, type EventStore } from '../trace/store.js';
import { SHAPED, type InferredMigrations } from './migration-shapes.js';
import { OWNERS, type Direction, type Owner, type OwnerClassifier } from './owners.js';
import type { PutState } from './put-state.js';

export interface RefEntry {
  owner: Owner;
  /** store index of the event that took it; -1 = before the trace */
  event: number;
  pid: number;
  n: number;
}

export interface PairingStats {
  byOwner: number;
  handedOver: number;
  taskOrder: number;
  unmatched: number;
}

/** Owners as small numbers (the entries are typed arrays), in OWNERS order. */
export const OWNER_LIST = Object.keys(OWNERS) as Owner[];
const CODE = new Map(OWNER_LIST.map((o, k) => [o, k]));
const code = (o: Owner): number => CODE.get(o) as number;
const ALLOCATION = code('allocation'),
  BEFORE_TRACE = code('before-trace'),
  MAPPING = code('mapping'),
  PAGE_CACHE = code('page-cache'),
  MIGRATION = code('migration'),
  UNKNOWN = code('unknown');
/** per owner code: 1 for the owners whose reference is handed over */
const HANDED_OVER = Uint8Array.from(OWNER_LIST, (o) =>
  ['allocation', 'lookup', 'before-trace'].includes(o) ? 1 : 0,
);
const UNFREEZE_DROP_ORDER: readonly number[] = [code('page-cache'), code('swap-cache')];

/**
 * The owner of each stack's gets and puts (classifier on its frames), judged once per stack and
 * direction for all pages and trackers of a store; without stacks, the owners migration-shapes.ts
 * inferred for a migration's events and cache-shapes.ts for page-cache insertions and fault-arounds,
 * and what each put's event shows of the page (put-state.ts).
 */
export class StackOwners {
  /** stack id * 2 + (put ? 1 : 0) -> owner code + 1; 0 = not judged yet */
  private codes = new Uint8Array(0);
  readonly columns: EventColumns;
  /** InferredMigrations.owner, read for every event without a stack */
  private readonly inferredOwner: Uint8Array | undefined;

  constructor(
    readonly store: EventStore,
    readonly classifier: OwnerClassifier,
    readonly inferred?: InferredMigrations,
    readonly puts?: PutState,
    /** the lines of the trace's other events (markers), ascending */
    readonly markerLines: Uint32Array = new Uint32Array(0),
  ) {
    this.columns = store.columns();
    this.inferredOwner = inferred?.owner;
  }

  /** Whether event i's owner was inferred without a stack. */
  isInferred(i: number): boolean {
    return this.inferredOwner !== undefined && i >= 0 && this.inferredOwner[i] !== 0;
  }

  /** Whether event i's owner was inferred from one page's events (cache-shapes.ts), not a migration. */
  isShaped(i: number): boolean {
    return this.isInferred(i) && ((this.inferred as InferredMigrations).facts[i] & SHAPED) !== 0;
  }

  /** Owner code of event i's get or put; without a stack the inferred one, else 'unknown'. */
  codeOf(i: number, put: 0 | 1): number {
    const st = this.columns.stack[i];
    if (st === 0) {
      const o = this.inferredOwner === undefined ? 0 : this.inferredOwner[i];
      return o === 0 ? UNKNOWN : o - 1;
    }
    const key = (st - 1) * 2 + put;
    if (key >= this.codes.length) {
      const wider = new Uint8Array(Math.max(key + 2, this.store.stacks.size * 2));
      wider.set(this.codes);
      this.codes = wider;
    }
    if (this.codes[key] === 0) {
      const dir: Direction = put ? 'put' : 'get';
      this.codes[key] = code(this.classifier.classify(this.store.frames(st - 1), dir).owner) + 1;
    }
    return this.codes[key] - 1;
  }
}

/** Entries as parallel typed arrays: owner code, taking event, pid, references. */
class Entries {
  owner = new Uint8Array(8);
  event = new Int32Array(8);
  pid = new Int32Array(8);
  n = new Float64Array(8);
  length = 0;

  push(owner: number, event: number, pid: number, n: number): void {
    const k = this.length;
    if (k === this.owner.length) this.grow();
    this.owner[k] = owner;
    this.event[k] = event;
    this.pid[k] = pid;
    this.n[k] = n;
    this.length = k + 1;
  }

  /**
   * Removes entry k, keeping the order. A loop, not copyWithin: the entries of a page are few,
   * and four builtin calls per put cost more than moving them (remove was 41 ms of a 1.25 M
   * event analysis's profile).
   */
  remove(k: number): void {
    const end = this.length - 1;
    const { owner, event, pid, n } = this;
    for (let j = k; j < end; j++) {
      owner[j] = owner[j + 1];
      event[j] = event[j + 1];
      pid[j] = pid[j + 1];
      n[j] = n[j + 1];
    }
    this.length = end;
  }

  entry(k: number, n = this.n[k]): RefEntry {
    return { owner: OWNER_LIST[this.owner[k]], event: this.event[k], pid: this.pid[k], n };
  }

  list(): RefEntry[] {
    const out: RefEntry[] = [];
    for (let k = 0; k < this.length; k++) out.push(this.entry(k));
    return out;
  }

  private grow(): void {
    const m = this.owner.length * 2;
    const wider = <T extends Uint8Array | Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(m);
      b.set(a);
      return b;
    };
    this.owner = wider(this.owner);
    this.event = wider(this.event);
    this.pid = wider(this.pid);
    this.n = wider(this.n);
  }
}

export class RefTracker {
  /** the outstanding entries, oldest first */
  private readonly e = new Entries();
  /** what the last put consumed (owner, event, pid of each entry, n = refs taken from it) */
  private readonly consumed = new Entries();
  readonly stats: PairingStats = { byOwner: 0, handedOver: 0, taskOrder: 0, unmatched: 0 };
  private started = false;
  /** the page's two events applied before the current one (-1: none) */
  private previous = -1;
  private beforePrevious = -1;
  private current = -1;
  private readonly c: EventColumns;

  constructor(private readonly owners: StackOwners) {
    this.c = owners.columns;
  }

  /** The outstanding entries, oldest first (new objects). */
  get refs(): RefEntry[] {
    return this.e.list();
  }

  /** What the last put consumed: entry m's owner, event and pid, n = the references it took. */
  get consumedLength(): number {
    return this.consumed.length;
  }

  consumedAt(m: number): RefEntry {
    return this.consumed.entry(m);
  }

  /** Outstanding entries, and entry k's fields, without objects. */
  get length(): number {
    return this.e.length;
  }

  ownerAt(k: number): Owner {
    return OWNER_LIST[this.e.owner[k]];
  }

  eventAt(k: number): number {
    return this.e.event[k];
  }

  pidAt(k: number): number {
    return this.e.pid[k];
  }

  refsAt(k: number): number {
    return this.e.n[k];
  }

  entryAt(k: number): RefEntry {
    return this.e.entry(k);
  }

  total(): number {
    let n = 0;
    for (let k = 0; k < this.e.length; k++) n += this.e.n[k];
    return n;
  }

  /** Back to the state before any event (another page). */
  restart(): void {
    this.e.length = 0;
    this.consumed.length = 0;
    this.started = false;
    this.beforePrevious = this.previous = this.current = -1;
    this.stats.byOwner = this.stats.handedOver = this.stats.taskOrder = this.stats.unmatched = 0;
  }

  apply(i: number): void {
    this.beforePrevious = this.previous;
    this.previous = this.current;
    this.current = i;
    const c = this.c;
    const sh = c.shape[i];
    const type = c.type[sh] as PageRefType;
    const ret = c.ret[sh];
    const v = c.vals[i];
    const val = v === VAL_OVERFLOW ? this.owners.store.val(i) : v;
    if (!this.started) {
      this.started = true;
      const before = countBefore(type, val, ret, c.counts[i]);
      if (before > 0 && type !== PageRefType.set) this.e.push(BEFORE_TRACE, -1, -1, before);
    }
    switch (type) {
      case PageRefType.set:
        this.e.length = 0;
        if (val > 0) this.e.push(ALLOCATION, i, c.pid[sh], val);
        return;
      case PageRefType.mod_unless:
        if (ret === 1 && val > 0) this.get(i, val);
        return;
      case PageRefType.freeze:
        return;
      case PageRefType.unfreeze:
        return this.unfreeze(i, val);
      default:
        if (val > 0) this.get(i, val);
        else if (val < 0) this.put(i, -val);
    }
  }

  private get(i: number, n: number): void {
    this.e.push(this.owners.codeOf(i, 0), i, this.c.pid[this.c.shape[i]], n);
  }

  private put(i: number, n: number): void {
    const owner = this.owners.codeOf(i, 1);
    const pid = this.c.pid[this.c.shape[i]];
    const e = this.e;
    this.consumed.length = 0;
    // the mapping references beyond the mappings the event's mapcount leaves are this put's first
    let unmapped = owner === UNKNOWN ? this.mappingExcess(i) : 0;
    const cached = owner === UNKNOWN && this.owners.puts?.inPageCache(i) === true;
    while (n > 0) {
      let k =
        unmapped > 0 ? this.pickOwner(MAPPING, pid) : owner === UNKNOWN ? -1 : this.pickOwner(owner, pid);
      if (k >= 0) this.stats.byOwner++;
      else if ((k = owner === UNKNOWN ? -1 : this.pickHandedOver()) >= 0) this.stats.handedOver++;
      else if ((k = this.pickAny(pid, cached)) >= 0) this.stats.taskOrder++;
      else {
        this.stats.unmatched++;
        return;
      }
      const take = Math.min(n, e.n[k], unmapped > 0 ? unmapped : n);
      if (unmapped > 0) unmapped -= take;
      this.consumed.push(e.owner[k], e.event[k], e.pid[k], take);
      e.n[k] -= take;
      n -= take;
      if (e.n[k] === 0) e.remove(k);
    }
  }

  /** Mapping references outstanding beyond the mappings put i's mapcount leaves (0 if unbounded). */
  private mappingExcess(i: number): number {
    const puts = this.owners.puts;
    if (puts === undefined) return 0;
    let held = 0;
    for (let k = 0; k < this.e.length; k++) if (this.e.owner[k] === MAPPING) held += this.e.n[k];
    const bound = held === 0 ? -1 : puts.mappingsLeft(i);
    return bound < 0 ? 0 : held - bound;
  }

  /** The latest entry of `owner` taken by `pid`, else the oldest of `owner`; -1 if none. */
  private pickOwner(owner: number, pid: number): number {
    const e = this.e;
    let oldest = -1;
    for (let k = e.length - 1; k >= 0; k--) {
      if (e.owner[k] !== owner) continue;
      if (e.pid[k] === pid) return k;
      oldest = k;
    }
    return oldest;
  }

  /** The oldest entry whose reference is handed over, or -1. */
  private pickHandedOver(): number {
    for (let k = 0; k < this.e.length; k++) if (HANDED_OVER[this.e.owner[k]] === 1) return k;
    return -1;
  }

  /**
   * Right after a lookup and a reference passed on, both of `pid` in one call and the page's two
   * events before the put, the lookup's (6.12 filemap_splice_read: folio_try_get in
   * filemap_get_read_batch, splice_folio_into_pipe's get, folios_put_refs; 6.1 filemap_read,
   * copy_page_to_iter's get_page for a pipe, folio_put); else the latest entry of `pid` (a put
   * mostly drops the reference its own call took last: move_pages' follow_page(FOLL_GET) after a
   * GUP-fast reference an earlier vmsplice left, 6.1 mm/migrate.c add_page_for_migration); else
   * the latest one another task took that is not handed over
   * (a put on another task's time mostly drops a short-lived reference, e.g. an LRU batch drained
   * by whoever runs next on the CPU, mm/swap.c folio_batch_move_lru, not the reference the
   * allocation handed to a mapping); else the oldest; -1 if none. `cached`: the page is still in
   * a page cache, so the page cache's entries come last.
   */
  private pickAny(pid: number, cached: boolean): number {
    const e = this.e;
    const kept = cached ? PAGE_CACHE : -1;
    if (this.passedOn(pid)) return e.length - 2;
    for (let k = e.length - 1; k >= 0; k--) if (e.pid[k] === pid && e.owner[k] === UNKNOWN) return k;
    for (let k = e.length - 1; k >= 0; k--) if (e.pid[k] === pid && e.owner[k] !== kept) return k;
    for (let k = e.length - 1; k >= 0; k--)
      if (HANDED_OVER[e.owner[k]] === 0 && e.owner[k] !== kept) return k;
    for (let k = 0; k < e.length; k++) if (e.owner[k] !== kept) return k;
    return e.length > 0 ? 0 : -1;
  }

  /** The last two entries: the page's two events before the put, `pid`'s try_get then its get. */
  private passedOn(pid: number): boolean {
    const e = this.e;
    const get = e.length - 1,
      lookup = get - 1;
    if (lookup < 0 || e.event[get] !== this.previous || e.event[lookup] !== this.beforePrevious) return false;
    if (
      e.pid[get] !== pid ||
      e.pid[lookup] !== pid ||
      e.owner[get] !== UNKNOWN ||
      e.owner[lookup] !== UNKNOWN
    )
      return false;
    const sh = (k: number) => this.c.shape[e.event[k]];
    const { type, cpu } = this.c;
    if (type[sh(lookup)] !== PageRefType.mod_unless || type[sh(get)] === PageRefType.mod_unless) return false;
    // one call's: on one CPU, no trace marker between (a marker is a write(2), another call)
    if (cpu[sh(lookup)] !== cpu[sh(get)] || cpu[sh(get)] !== cpu[this.c.shape[this.current]]) return false;
    const s = this.owners.store;
    const lines = this.owners.markerLines;
    const m = lowerBound(lines, 0, lines.length, s.line(e.event[lookup]));
    return m === lines.length || lines[m] > s.line(this.current);
  }

  private unfreeze(i: number, val: number): void {
    const e = this.e;
    let excess = this.total() - val;
    for (const owner of UNFREEZE_DROP_ORDER) {
      for (let k = 0; k < e.length && excess > 0;) {
        if (e.owner[k] !== owner) {
          k++;
          continue;
        }
        const take = Math.min(excess, e.n[k]);
        e.n[k] -= take;
        excess -= take;
        if (e.n[k] === 0) e.remove(k);
        else k++;
      }
    }
    while (excess > 0 && e.length > 0) {
      const take = Math.min(excess, e.n[0]);
      e.n[0] -= take;
      excess -= take;
      if (e.n[0] === 0) e.remove(0);
    }
    if (excess < 0) e.push(MIGRATION, i, this.c.pid[this.c.shape[i]], -excess);
  }
}

/** The count before event i, derived from its own fields (the first event of a page). */
export function countBefore(type: PageRefType, val: number, ret: number, count: number): number {
  switch (type) {
    case PageRefType.set:
    case PageRefType.unfreeze:
      return 0;
    case PageRefType.mod_unless:
      return ret === 1 ? count - val : count;
    case PageRefType.freeze:
      return ret === 1 ? val : count;
    default:
      return count - val;
  }
}
