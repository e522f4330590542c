/**
 * Replay of a real trace into the model: every page_ref event is applied through the page_ref.h
 * function that fires it (include/linux/page_ref.h, reference §10.2) — set and unfreeze set the
 * count, mod adds val, mod_and_test subtracts -val, mod_unless adds only when ret says the add
 * happened, freeze zeroes the count when ret = 1 — and the state the event only snapshots is set
 * as untraced state: flags, the raw _mapcount (6.1 traces page_mapcount() = raw + 1 for small
 * pages, 6.12 the raw word incl. page types; §2.2) and the mapping. Where the model's count before
 * an event differs from the one the event implies (the page's first event, or a count the trace
 * did not see change), the count is resynchronised and counted.
 */
import { Kernel } from '../kernel/kernel.js';
import {
  page_ref_add,
  page_ref_add_unless,
  page_ref_freeze,
  page_ref_sub,
  page_ref_sub_and_test,
  page_ref_unfreeze,
  folio_ref_sub_return,
  set_page_count,
} from '../kernel/page_ref.js';
import type { Profile } from '../kernel/profiles/index.js';
import { PageRefType } from '../kernel/tracepoint.js';
import { traceFlagsDecoder } from '../explain/profile-decoders.js';
import type { TraceReadResult } from '../trace/reader.js';
import type { EventStore } from '../trace/store.js';
import { countBefore } from './refs.js';

export interface Replay {
  kernel: Kernel;
  store: EventStore;
  /** store index of each replayed pfn's last event */
  last: Map<number, number>;
  events: number;
  /** pfns whose first replayed event found a count the trace never set (taken before the trace) */
  startedMidway: number;
  /** later events whose implied count before differed from the model's (concurrent re-reads) */
  resynced: number;
  /** events whose count field differs from the model's count after applying them */
  countMismatches: number;
  /** true when the mapping pointers are printed raw, so their PAGE_MAPPING_* tag bits are known */
  mappingTagsKnown: boolean;
  /** events (and their distinct pfns) at or beyond `nrPages`: not replayed */
  beyond: { events: number; pfns: number };
}

/** Applies event i through the page_ref function that fires it. */
function applyEvent(k: Kernel, s: EventStore, i: number, pfn: number): void {
  const val = s.val(i);
  const ret = s.ret(i);
  switch (s.type(i)) {
    case PageRefType.set:
      return set_page_count(k, pfn, val);
    case PageRefType.mod:
      return val >= 0 ? page_ref_add(k, pfn, val) : page_ref_sub(k, pfn, -val);
    case PageRefType.mod_and_test:
      page_ref_sub_and_test(k, pfn, -val);
      return;
    case PageRefType.mod_and_return:
      folio_ref_sub_return(k, pfn, -val);
      return;
    case PageRefType.mod_unless:
      // u is not traced: the event's ret says whether atomic_add_unless added
      page_ref_add_unless(k, pfn, val, ret === 1 ? k.mem.refcount[pfn] - 1 : k.mem.refcount[pfn]);
      return;
    case PageRefType.freeze:
      page_ref_freeze(k, pfn, val);
      return;
    case PageRefType.unfreeze:
      return page_ref_unfreeze(k, pfn, val);
  }
}

/**
 * Replays the events of `r` (those before line `stopLine`, when given) into a new Kernel of
 * `profile` with page_ref tracing off (the events are the trace). Only pfns below `nrPages` are
 * modelled (the snapshot's: nothing else can be compared, and one damaged pfn= must not ask for
 * a mem_map of 2^40 pages); the events of the others are counted in `beyond`.
 */
export function replayTrace(
  r: TraceReadResult,
  profile: Profile,
  stopLine?: number,
  nrPages = Infinity,
): Replay {
  const s = r.store;
  let maxPfn = 0;
  for (const p of s.pfns()) if (p < nrPages) maxPfn = Math.max(maxPfn, p);
  const beyond = new Set<number>();
  const k = new Kernel({ profile, nrPages: maxPfn + 1, debugPageRef: false, debugVm: false });
  const decoder = traceFlagsDecoder(profile);
  const flagsOf = new Map<string, number>();
  const raw61 = profile.facts.traceMapcount === 'page_mapcount';
  const out: Replay = {
    kernel: k,
    store: s,
    last: new Map(),
    events: 0,
    startedMidway: 0,
    resynced: 0,
    countMismatches: 0,
    mappingTagsKnown: false,
    beyond: { events: 0, pfns: 0 },
  };
  const mappingIds = new Map<string, number>();
  for (let i = 0; i < s.length; i++) {
    if (stopLine !== undefined && s.line(i) >= stopLine) break;
    const pfn = s.pfn(i);
    if (pfn >= nrPages) {
      out.beyond.events++;
      beyond.add(pfn);
      continue;
    }
    const before = countBefore(s.type(i), s.val(i), s.ret(i), s.count(i));
    const seen = out.last.has(pfn);
    if (k.mem.refcount[pfn] !== before) {
      if (!seen) out.startedMidway++;
      else out.resynced++;
      k.mem.refcount[pfn] = before;
    }
    applyEvent(k, s, i, pfn);
    if (k.mem.refcount[pfn] !== s.count(i)) out.countMismatches++;
    const ft = s.flagsText(i);
    let lo = flagsOf.get(ft);
    if (lo === undefined) flagsOf.set(ft, (lo = decoder.decode(ft)?.lo ?? 0));
    k.mem.flagsLo[pfn] = lo;
    k.mem.mapcount[pfn] = raw61 ? s.mapcount(i) - 1 : s.mapcount(i);
    k.mem.mapping[pfn] = mappingId(s.mappingText(i), mappingIds, out);
    out.last.set(pfn, i);
    out.events++;
  }
  out.beyond.pfns = beyond.size;
  return out;
}

/**
 * The mapping as a model id: 0 for NULL, else a per-text id with the PAGE_MAPPING_* tag bits
 * (include/linux/page-flags.h: 1 anon, 2 movable, 3 KSM) when the pointer is printed raw
 * (trace-cmd `0xffff…`, ftrace with nohash-ptr); a hashed `%p` hides them.
 */
function mappingId(text: string, ids: Map<string, number>, out: Replay): number {
  if (text === '(nil)' || /^0+$/.test(text)) return 0;
  let id = ids.get(text);
  if (id !== undefined) return id;
  const raw = /^(?:0x)?(ffff[0-9a-f]{12})$/.exec(text);
  if (raw) out.mappingTagsKnown = true;
  id = (ids.size + 1) * 4 + (raw ? parseInt(raw[1].slice(-1), 16) & 3 : 0);
  ids.set(text, id);
  return id;
}
