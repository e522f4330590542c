/**
 * The references outstanding on one page, replayed from its events: each get becomes an entry
 * (owner from owners.ts, the event that took it), each put consumes entries. Pairing, in order:
 *  1. the same owner (the same task's latest entry first, as for a lookup's get+put pair; else
 *     the oldest);
 *  2. a reference that is handed over: the allocation reference becomes the PTE's in
 *     do_anonymous_page(), a fault's lookup reference becomes the PTE's in finish_fault()
 *     (mm/memory.c), and references taken before the trace have no known owner;
 *  3. only where the put's owner is unknown (or nothing of its owner is left): the same task's
 *     latest entry, else the oldest — reported as `task-order`.
 * page_ref_freeze ret=1 keeps the entries (frozen); page_ref_unfreeze to v keeps v of them,
 * dropping the page cache's first (__remove_mapping / folio_migrate_mapping "drop the page-cache
 * refs for us", mm/vmscan.c, mm/migrate.c); page_ref_set starts over (allocation).
 */
import { PageRefType } from '../kernel/tracepoint.js';
import type { EventStore } from '../trace/store.js';
import { type Direction, type Owner, type OwnerClassifier } from './owners.js';

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

const HANDED_OVER: ReadonlySet<Owner> = new Set(['allocation', 'lookup', 'before-trace']);
const UNFREEZE_DROP_ORDER: readonly Owner[] = ['page-cache', 'swap-cache'];

export class RefTracker {
  refs: RefEntry[] = [];
  /** what the last put consumed (owner, event, pid of each entry, n = refs taken from it) */
  lastConsumed: RefEntry[] = [];
  readonly stats: PairingStats = { byOwner: 0, handedOver: 0, taskOrder: 0, unmatched: 0 };
  private started = false;
  private readonly ownerCache = new Map<number, Owner>();

  constructor(
    private readonly store: EventStore,
    private readonly classifier: OwnerClassifier,
  ) {}

  total(): number {
    let n = 0;
    for (const r of this.refs) n += r.n;
    return n;
  }

  /** Owner of event i's get or put; 'unknown' without a stack. */
  ownerOf(i: number, dir: Direction): Owner {
    const st = this.store.stackOf(i);
    if (st === undefined) return 'unknown';
    const key = st * 2 + (dir === 'get' ? 0 : 1);
    let o = this.ownerCache.get(key);
    if (o === undefined) {
      o = this.classifier.classify(this.store.frames(st), dir).owner;
      this.ownerCache.set(key, o);
    }
    return o;
  }

  reset(): void {
    this.refs = [];
    this.started = false;
  }

  apply(i: number): void {
    const s = this.store;
    const type = s.type(i);
    const val = s.val(i);
    const ret = s.ret(i);
    if (!this.started) {
      this.started = true;
      const before = countBefore(type, val, ret, s.count(i));
      if (before > 0 && type !== PageRefType.set)
        this.refs.push({ owner: 'before-trace', event: -1, pid: -1, n: before });
    }
    switch (type) {
      case PageRefType.set:
        this.refs = val > 0 ? [{ owner: 'allocation', event: i, pid: s.pid(i), n: val }] : [];
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
    this.refs.push({ owner: this.ownerOf(i, 'get'), event: i, pid: this.store.pid(i), n });
  }

  private put(i: number, n: number): void {
    const owner = this.ownerOf(i, 'put');
    const pid = this.store.pid(i);
    this.lastConsumed = [];
    while (n > 0) {
      let k = owner === 'unknown' ? -1 : this.pick((r) => r.owner === owner, pid);
      if (k >= 0) this.stats.byOwner++;
      else if ((k = owner === 'unknown' ? -1 : this.pick((r) => HANDED_OVER.has(r.owner), -2)) >= 0)
        this.stats.handedOver++;
      else if ((k = this.pick(() => true, pid)) >= 0) this.stats.taskOrder++;
      else {
        this.stats.unmatched++;
        return;
      }
      const take = Math.min(n, this.refs[k].n);
      this.lastConsumed.push({ ...this.refs[k], n: take });
      this.refs[k].n -= take;
      n -= take;
      if (this.refs[k].n === 0) this.refs.splice(k, 1);
    }
  }

  /** Latest entry of `pid` that matches, else the oldest that matches (pid -2: oldest only). */
  private pick(match: (r: RefEntry) => boolean, pid: number): number {
    let oldest = -1;
    for (let k = this.refs.length - 1; k >= 0; k--) {
      const r = this.refs[k];
      if (!match(r)) continue;
      if (r.pid === pid) return k;
      oldest = k;
    }
    return oldest;
  }

  private unfreeze(i: number, val: number): void {
    let excess = this.total() - val;
    for (const owner of UNFREEZE_DROP_ORDER) {
      for (let k = 0; k < this.refs.length && excess > 0;) {
        const r = this.refs[k];
        if (r.owner !== owner) {
          k++;
          continue;
        }
        const take = Math.min(excess, r.n);
        r.n -= take;
        excess -= take;
        if (r.n === 0) this.refs.splice(k, 1);
        else k++;
      }
    }
    while (excess > 0 && this.refs.length > 0) {
      const r = this.refs[0];
      const take = Math.min(excess, r.n);
      r.n -= take;
      excess -= take;
      if (r.n === 0) this.refs.shift();
    }
    if (excess < 0) this.refs.push({ owner: 'migration', event: i, pid: this.store.pid(i), n: -excess });
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
