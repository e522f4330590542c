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
 * kernel-mm-flows.md §0.7).
 */
import type { ProfileName } from '../kernel/profiles/types.js';
import { PAGE_REF_EVENT_NAMES, PageRefType } from '../kernel/tracepoint.js';
import type { TraceReadResult } from '../trace/reader.js';
import type { EventStore } from '../trace/store.js';
import { Gaps } from './gaps.js';
import { loadProfile } from '../kernel/profiles/index.js';
import { countBefore } from './refs.js';

export type InconsistencyKind =
  'lost' | 'race' | 'reordered' | 'missing' | 'negative' | 'after-free' | 'while-frozen' | 'freed-mapped';

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

/** The count after event i given the count before it (ret decides for mod_unless / freeze). */
export function countAfter(s: EventStore, i: number, before: number): number {
  const val = s.val(i);
  switch (s.type(i)) {
    case PageRefType.set:
    case PageRefType.unfreeze:
      return val;
    case PageRefType.mod_unless:
      return s.ret(i) === 1 ? before + val : before;
    case PageRefType.freeze:
      return s.ret(i) === 1 ? 0 : before;
    default:
      return before + val;
  }
}

/** The count the event itself reports (mod_and_return's ret is authoritative). */
function reported(s: EventStore, i: number): number {
  return s.type(i) === PageRefType.mod_and_return ? s.ret(i) : s.count(i);
}

/** Whether a mapcount field says "mapped", per the profile's tracepoint (§2.2). */
export function tracedMapped(profile: ProfileName | undefined, mapcount: number): boolean {
  if (profile === undefined) return false;
  // 6.1 page_mapcount(): 0 = unmapped; 6.10+ raw _mapcount: -1 = unmapped; page types are negative
  return loadProfile(profile).facts.traceMapcount === 'page_mapcount' ? mapcount > 0 : mapcount >= 0;
}

/**
 * A later event of the page with the same timestamp on another CPU that fits the model now: the
 * per-CPU ring buffers are merged by timestamp, so equal stamps can come out in either order.
 */
function reorderCandidate(s: EventStore, idx: Uint32Array, k: number, model: number): number {
  const i = idx[k];
  const ts = s.timestampNs(i);
  for (let j = k + 1; j < idx.length && s.timestampNs(idx[j]) === ts; j++) {
    if (s.cpu(idx[j]) !== s.cpu(i) && reported(s, idx[j]) === countAfter(s, idx[j], model)) return j;
  }
  return -1;
}

const enum State {
  Live,
  Free,
  Frozen,
}

export function checkConsistency(r: TraceReadResult, profile: ProfileName | undefined): ConsistencyReport {
  const s = r.store;
  const gaps = new Gaps(r);
  const out: Inconsistency[] = [];
  let speculative = 0;
  const pfns = s.pfns();
  const add = (
    kind: InconsistencyKind,
    pfn: number,
    i: number,
    expected: number,
    actual: number,
    note: string,
  ) =>
    out.push({
      kind,
      severity: kind === 'lost' || kind === 'race' || kind === 'reordered' ? 'info' : 'finding',
      pfn,
      line: s.line(i),
      event: PAGE_REF_EVENT_NAMES[s.type(i)],
      expected,
      actual,
      note,
    });
  for (const pfn of pfns) {
    let idx = s.indicesOf(pfn);
    let copied = false;
    let model = countBefore(s.type(idx[0]), s.val(idx[0]), s.ret(idx[0]), s.count(idx[0]));
    let state = State.Live;
    let frozenHead = false;
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      const type = s.type(i);
      const ret = s.ret(i);
      const refused = type === PageRefType.mod_unless && ret === 0;
      const gap = k > 0 ? gaps.between(s.line(idx[k - 1]), s.line(i)) : undefined;
      const j = gap || reported(s, i) === countAfter(s, i, model) ? -1 : reorderCandidate(s, idx, k, model);
      if (j > k) {
        // same timestamp, other CPU: the merge of the per-CPU buffers put them in the wrong order
        if (!copied) idx = idx.slice();
        copied = true;
        const moved = idx[j];
        idx.copyWithin(k + 1, k, j);
        idx[k] = moved;
        add(
          'reordered',
          pfn,
          moved,
          countAfter(s, moved, model),
          reported(s, moved),
          `applied before line ${s.line(i)}: same timestamp on another CPU`,
        );
        k--;
        continue;
      }
      // whatever happened while tracing was off is unknown: no state carries over a gap
      if (gap) state = State.Live;
      if (refused && model === 0) speculative++;
      else if (state === State.Free && type !== PageRefType.set && type !== PageRefType.unfreeze) {
        add(
          'after-free',
          pfn,
          i,
          0,
          s.count(i),
          'reference activity after the count reached 0 and before a new page_ref_set',
        );
      } else if (
        state === State.Frozen &&
        type !== PageRefType.set &&
        type !== PageRefType.unfreeze &&
        !refused &&
        !(frozenHead && type === PageRefType.mod && s.val(i) > 0)
      ) {
        // (that exception: __split_huge_page() gives the frozen head of a split THP its references
        // back with folio_ref_inc / folio_ref_add(1 + new_nr), 6.12 mm/huge_memory.c:3339-3346; 6.1
        // page_ref_inc / page_ref_add(2), :2607-2614; its tails get page_ref_unfreeze)
        add(
          'while-frozen',
          pfn,
          i,
          0,
          s.count(i),
          'count changed while frozen (after page_ref_freeze ret=1, before unfreeze)',
        );
      }
      const expected = countAfter(s, i, model);
      const actual = reported(s, i);
      if (actual !== expected) {
        if (gap) {
          add('lost', pfn, i, expected, actual, `${gap.reason} at lines ${gap.fromLine}-${gap.toLine}`);
          model = actual;
        } else if (k + 1 < idx.length && reported(s, idx[k + 1]) === countAfter(s, idx[k + 1], expected)) {
          add(
            'race',
            pfn,
            i,
            expected,
            actual,
            'count re-read after another CPU changed it; the next event agrees with the model',
          );
          model = expected;
        } else {
          add('missing', pfn, i, expected, actual, 'count jumps with no event, gap or race to explain it');
          model = actual;
        }
      } else model = expected;
      if (model < 0 || actual < 0) add('negative', pfn, i, expected, actual, 'negative reference count');
      if (type === PageRefType.set) state = s.val(i) > 0 ? State.Live : State.Free;
      else if (type === PageRefType.freeze && ret === 1) {
        state = State.Frozen;
        frozenHead = /(^|\|)head(\||$)/.test(s.flagsText(i));
      } else if (type === PageRefType.mod_and_test && ret === 1) {
        state = State.Free;
        if (tracedMapped(profile, s.mapcount(i)))
          add(
            'freed-mapped',
            pfn,
            i,
            0,
            s.mapcount(i),
            'last reference dropped while the page is still mapped',
          );
      } else if (model > 0) state = State.Live;
    }
  }
  const byKind: Partial<Record<InconsistencyKind, number>> = {};
  for (const x of out) byKind[x.kind] = (byKind[x.kind] ?? 0) + 1;
  return {
    pagesChecked: pfns.length,
    eventsChecked: s.length,
    inconsistencies: out,
    byKind,
    speculativeRefusals: speculative,
  };
}
