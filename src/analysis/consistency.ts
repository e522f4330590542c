/**
 * Running-count consistency per page (reference kernel-page-descriptor-facts.md §10.2, from
 * include/linux/page_ref.h): `mod`, `mod_and_test`, `mod_and_return` add val; `set` and `unfreeze`
 * are absolute; `freeze` ret=1 leaves 0, ret=0 changes nothing; `mod_unless` ret=0 changes
 * nothing; `mod_and_return`'s ret is the new count. The `count` field is re-read after the
 * operation (mm/debug_page_ref.c), so another CPU can change it first. A mismatch is
 *  - `reordered`: a later event of the page with the same timestamp on another CPU fits first
 *    (equal stamps from the per-CPU buffers merge in either order); it is applied first;
 *  - `lost`: a tracing gap or lost-events note lies since the page's previous event (resync);
 *  - `race`: the page's next event agrees with the model again (the model is kept);
 *  - `missing`: a jump nothing explains (resync to the event's count).
 * Anomalies: a negative count; activity on a freed page before a new `set` (a refused
 * `mod_unless` there is a speculative folio_try_get and normal, only counted); changes while
 * frozen (mm/migrate.c, mm/vmscan.c freeze so that nobody else touches the count; but the split
 * of a large folio raises its frozen head with a plain add instead of an unfreeze); a page whose
 * last reference is dropped while it is still mapped (the rmap goes down before the put,
 * kernel-mm-flows.md §0.7); a mapcount below "not mapped" that page-flags.h keeps for underflows
 * (more unmaps than maps: decode-pagetype.ts), reported where the page's mapcount enters it.
 */
import type { ProfileName } from '../kernel/profiles/types.js';
import { PAGE_REF_EVENT_NAMES, PageRefType } from '../kernel/tracepoint.js';
import type { TraceReadResult } from '../trace/reader.js';
import { VAL_OVERFLOW, type EventColumns, type EventStore } from '../trace/store.js';
import type { PfnIndex } from '../trace/pfn-index.js';
import { EventGaps, Gaps } from './gaps.js';
import { loadProfile } from '../kernel/profiles/index.js';
import { decodeTraceMapcount } from '../explain/decode-pagetype.js';
import { countBefore } from './refs.js';

export type InconsistencyKind =
  | 'lost'
  | 'race'
  | 'reordered'
  | 'missing'
  | 'negative'
  | 'after-free'
  | 'while-frozen'
  | 'freed-mapped'
  | 'mapcount-underflow';

export interface Inconsistency {
  kind: InconsistencyKind;
  /** 'info' for explained mismatches (lost, race, reordered); 'finding' for the rest */
  severity: 'info' | 'finding';
  pfn: number;
  line: number;
  event: string;
  expected: number;
  actual: number;
  note: string;
}

export interface ConsistencyReport {
  pagesChecked: number;
  eventsChecked: number;
  inconsistencies: Inconsistency[];
  byKind: Partial<Record<InconsistencyKind, number>>;
  /** mod_unless ret=0 on a page at count 0: folio_try_get refusing a free or frozen page (normal) */
  speculativeRefusals: number;
}

/** The count after an event of `type` given the count before it (ret decides for mod_unless / freeze). */
export function countAfter(type: PageRefType, ret: number, val: number, before: number): number {
  switch (type) {
    case PageRefType.set:
    case PageRefType.unfreeze:
      return val;
    case PageRefType.mod_unless:
      return ret === 1 ? before + val : before;
    case PageRefType.freeze:
      return ret === 1 ? 0 : before;
    default:
      return before + val;
  }
}

/**
 * The lowest traced mapcount that is an underflow (decode-pagetype.ts; `notMapped` when none):
 * the underflows lie right below "not mapped", the page types and overflows below them.
 */
function underflowFloor(profile: ProfileName | undefined, notMapped: number): number {
  if (profile === undefined) return notMapped;
  const p = loadProfile(profile);
  const under = (m: number) => decodeTraceMapcount(p, m).pageType.outOfRange === 'underflow';
  if (!under(notMapped - 1)) return notMapped;
  let lo = -(2 ** 31); // not an underflow: the lowest word of all is a type or an overflow
  let hi = notMapped - 1; // an underflow
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (under(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The lowest mapcount field that says "mapped", per the profile's tracepoint (§2.2). */
function mappedFrom(profile: ProfileName | undefined): number {
  if (profile === undefined) return Infinity;
  // 6.1 page_mapcount(): 0 = unmapped; 6.10+ raw _mapcount: -1 = unmapped; page types are negative
  return loadProfile(profile).facts.traceMapcount === 'page_mapcount' ? 1 : 0;
}

/** Whether a mapcount field says "mapped", per the profile's tracepoint (§2.2). */
export function tracedMapped(profile: ProfileName | undefined, mapcount: number): boolean {
  return mapcount >= mappedFrom(profile);
}

/**
 * The mappings of an order-0 page a mapcount field counts, per the profile's tracepoint: 6.1
 * page_mapcount() = _mapcount + 1 (include/linux/mm.h:886), 6.12 the raw _mapcount + 1; a page
 * type's negative value counts none.
 */
export function tracedMappings(profile: ProfileName | undefined, mapcount: number): number {
  return Math.max(0, mapcount - mappedFrom(profile) + 1);
}

const enum State {
  Live,
  Free,
  Frozen,
}

/**
 * The check page by page (rank by rank of the store's pfn index, ascending), so that
 * analyzeTrace can run it in one pass over the index with the other per-page analyses. A page's
 * events are `idx[at + k]`; a reordered pair is swapped in a copy (made at the first swap), never
 * in the store's index.
 */
export class ConsistencyCheck {
  private readonly c: EventColumns;
  private readonly gaps: EventGaps;
  private readonly mapped: number;
  /**
   * events whose mapcount is an underflow, found in one pass in trace order (the per-page loop
   * would read the column at random: ~5% of the check on the bench trace); nearly always none
   */
  private readonly underflows = new Set<number>();
  /** per shape: 1 a freeze of a `head` page, 0 not, -1 not looked at yet */
  private readonly head: Int8Array;
  private readonly out: Inconsistency[] = [];
  private speculative = 0;
  private pfn = 0;
  private idx: Uint32Array = new Uint32Array(0);
  private at = 0;

  private readonly s: EventStore;
  private readonly ix: PfnIndex;

  constructor(r: TraceReadResult, profile: ProfileName | undefined) {
    this.s = r.store;
    this.ix = r.store.pfnIndex();
    this.c = r.store.columns();
    this.gaps = new EventGaps(new Gaps(r), r.store);
    this.mapped = mappedFrom(profile);
    const floor = underflowFloor(profile, this.mapped - 1);
    const mapcounts = this.c.mapcounts;
    for (let i = 0; i < mapcounts.length; i++)
      if (mapcounts[i] >= floor && mapcounts[i] < this.mapped - 1) this.underflows.add(i);
    this.head = new Int8Array(this.c.type.length).fill(-1);
  }

  private val(i: number): number {
    const v = this.c.vals[i];
    return v === VAL_OVERFLOW ? this.s.val(i) : v;
  }

  /** The count the event itself reports (mod_and_return's ret is authoritative). */
  private reported(i: number): number {
    const sh = this.c.shape[i];
    return this.c.type[sh] === PageRefType.mod_and_return ? this.c.ret[sh] : this.c.counts[i];
  }

  private after(i: number, before: number): number {
    const sh = this.c.shape[i];
    return countAfter(this.c.type[sh] as PageRefType, this.c.ret[sh], this.val(i), before);
  }

  private add(kind: InconsistencyKind, i: number, expected: number, actual: number, note: string): void {
    const s = this.s;
    this.out.push({
      kind,
      severity: kind === 'lost' || kind === 'race' || kind === 'reordered' ? 'info' : 'finding',
      pfn: this.pfn,
      line: s.line(i),
      event: PAGE_REF_EVENT_NAMES[s.type(i)],
      expected,
      actual,
      note,
    });
  }

  /**
   * A later event of the page with the same timestamp on another CPU that fits the model now: the
   * per-CPU ring buffers are merged by timestamp, so equal stamps can come out in either order.
   */
  private reorderCandidate(k: number, len: number, model: number): number {
    const { idx, at } = this;
    const { ts, shape, cpu } = this.c;
    const i = idx[at + k];
    for (let j = k + 1; j < len && ts[idx[at + j]] === ts[i]; j++) {
      const e = idx[at + j];
      if (cpu[shape[e]] !== cpu[shape[i]] && this.reported(e) === this.after(e, model)) return j;
    }
    return -1;
  }

  /** The events of the index's page `rank`. */
  page(rank: number): void {
    const { s, c, ix } = this;
    const { shape, type: types, ret: rets, counts } = c;
    this.pfn = ix.sorted[rank];
    this.idx = ix.indices;
    this.at = ix.offsets[rank];
    const len = ix.offsets[rank + 1] - this.at;
    const first = this.idx[this.at];
    let model = countBefore(s.type(first), s.val(first), s.ret(first), s.count(first));
    let state = State.Live;
    let frozenHead = false;
    let copied = false;
    let under = false;
    for (let k = 0; k < len; k++) {
      const i = this.idx[this.at + k];
      const sh = shape[i];
      const type = types[sh] as PageRefType;
      const ret = rets[sh];
      const val = this.val(i);
      const actual = type === PageRefType.mod_and_return ? ret : counts[i];
      const expected = countAfter(type, ret, val, model);
      const refused = type === PageRefType.mod_unless && ret === 0;
      const gap = k > 0 ? this.gaps.between(this.idx[this.at + k - 1], i) : undefined;
      const j = gap || actual === expected ? -1 : this.reorderCandidate(k, len, model);
      if (j > k) {
        // same timestamp, other CPU: the merge of the per-CPU buffers put them in the wrong order
        if (!copied) {
          this.idx = this.idx.slice(this.at, this.at + len);
          this.at = 0;
        }
        copied = true;
        const moved = this.idx[j];
        this.idx.copyWithin(k + 1, k, j);
        this.idx[k] = moved;
        this.add(
          'reordered',
          moved,
          this.after(moved, model),
          this.reported(moved),
          `applied before line ${s.line(i)}: same timestamp on another CPU`,
        );
        k--;
        continue;
      }
      // whatever happened while tracing was off is unknown: no state carries over a gap
      if (gap) state = State.Live;
      if (refused && model === 0) this.speculative++;
      else if (state === State.Free && type !== PageRefType.set && type !== PageRefType.unfreeze) {
        this.add(
          'after-free',
          i,
          0,
          counts[i],
          'reference activity after the count reached 0 and before a new page_ref_set',
        );
      } else if (
        state === State.Frozen &&
        type !== PageRefType.set &&
        type !== PageRefType.unfreeze &&
        !refused &&
        !(frozenHead && type === PageRefType.mod && val > 0)
      ) {
        // (that exception: __split_huge_page() gives the frozen head of a split THP its references
        // back with folio_ref_inc / folio_ref_add(1 + new_nr), 6.12 mm/huge_memory.c:3339-3346; 6.1
        // page_ref_inc / page_ref_add(2), :2607-2614; its tails get page_ref_unfreeze)
        this.add(
          'while-frozen',
          i,
          0,
          counts[i],
          'count changed while frozen (after page_ref_freeze ret=1, before unfreeze)',
        );
      }
      if (actual !== expected) {
        if (gap) {
          this.add('lost', i, expected, actual, `${gap.reason} at lines ${gap.fromLine}-${gap.toLine}`);
          model = actual;
        } else if (
          k + 1 < len &&
          this.reported(this.idx[this.at + k + 1]) === this.after(this.idx[this.at + k + 1], expected)
        ) {
          this.add(
            'race',
            i,
            expected,
            actual,
            'count re-read after another CPU changed it; the next event agrees with the model',
          );
          model = expected;
        } else {
          this.add('missing', i, expected, actual, 'count jumps with no event, gap or race to explain it');
          model = actual;
        }
      } else model = expected;
      if (model < 0 || actual < 0) this.add('negative', i, expected, actual, 'negative reference count');
      const wasUnder = under;
      under = this.underflows.size > 0 && this.underflows.has(i);
      if (under && !wasUnder)
        this.add(
          'mapcount-underflow',
          i,
          this.mapped - 1,
          c.mapcounts[i],
          'mapcount below "not mapped": unmapped more often than mapped',
        );
      if (type === PageRefType.set) state = val > 0 ? State.Live : State.Free;
      else if (type === PageRefType.freeze && ret === 1) {
        state = State.Frozen;
        frozenHead = this.isHead(sh);
      } else if (type === PageRefType.mod_and_test && ret === 1) {
        state = State.Free;
        if (c.mapcounts[i] >= this.mapped)
          this.add(
            'freed-mapped',
            i,
            0,
            c.mapcounts[i],
            'last reference dropped while the page is still mapped',
          );
      } else if (model > 0) state = State.Live;
    }
  }

  /** Whether shape `sh`'s flags include `head` (judged once per shape). */
  private isHead(sh: number): boolean {
    if (this.head[sh] < 0) this.head[sh] = /(^|\|)head(\||$)/.test(this.s.text.get(this.c.flags[sh])) ? 1 : 0;
    return this.head[sh] === 1;
  }

  report(): ConsistencyReport {
    const out = this.out;
    const byKind: Partial<Record<InconsistencyKind, number>> = {};
    for (const x of out) byKind[x.kind] = (byKind[x.kind] ?? 0) + 1;
    return {
      pagesChecked: this.ix.sorted.length,
      eventsChecked: this.s.length,
      inconsistencies: out,
      byKind,
      speculativeRefusals: this.speculative,
    };
  }
}

export function checkConsistency(r: TraceReadResult, profile: ProfileName | undefined): ConsistencyReport {
  const check = new ConsistencyCheck(r, profile);
  for (let rank = 0; rank < r.store.pfnIndex().sorted.length; rank++) check.page(rank);
  return check.report();
}
