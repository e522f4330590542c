/**
 * The memory map's colour of each traced page: its state after its last event. A trace shows a
 * page only through its page_ref events, so the state is read from that evidence, in order:
 *  1. freeze-failed / leaked: the analyses' findings (holders.ts, leaks.ts) win over the rest;
 *  2. frozen: the last event is a successful page_ref_freeze never unfrozen;
 *  3. free: the count is 0 (the last put freed it to the allocator);
 *  4. slab / page-table / typed: the traced mapcount is a page_type (decode-pagetype.ts: 6.12
 *     PGTY_slab, PGTY_table ...), 6.1 PG_slab is set, or the stack of the page's allocation
 *     (page_ref_set) names the allocator;
 *  6. page-cache: a page-cache reference is outstanding (owners.ts), or the page is on the file
 *     LRU or uptodate without PG_swapbacked (folio_is_file_lru() = !folio_test_swapbacked(),
 *     6.12 include/linux/mm_inline.h);
 *  7. anon: PG_swapbacked (anonymous pages; without stacks also shmem pages cached before the trace);
 *  8. other: an allocated page none of that describes.
 */
import { hexFlagsDecoder } from '../analysis/history.js';
import { refsAtEnd, type HolderContext } from '../analysis/holders.js';
import { decodeTraceMapcount } from '../explain/decode-pagetype.js';
import { loadProfile, type Profile } from '../kernel/profiles/index.js';
import type { ProfileName } from '../kernel/profiles/types.js';
import { PageRefType } from '../kernel/tracepoint.js';
import { PAGE_STATES, type PageStateName } from './api.js';

/** Allocation frames that tell what a page was allocated for. */
const ALLOCATORS: readonly { frame: string; state: PageStateName; cite: string }[] = [
  { frame: 'allocate_slab', state: 'slab', cite: '6.1/6.12 mm/slub.c: allocate_slab() -> alloc_slab_page()' },
  { frame: 'pte_alloc_one', state: 'page-table', cite: '6.1/6.12 arch/x86/mm/pgtable.c: pte_alloc_one()' },
  { frame: '__pmd_alloc', state: 'page-table', cite: '6.1/6.12 mm/memory.c: __pmd_alloc()' },
  { frame: '__pud_alloc', state: 'page-table', cite: '6.1/6.12 mm/memory.c: __pud_alloc()' },
];

export const STATE_INDEX: Readonly<Record<PageStateName, number>> = Object.fromEntries(
  PAGE_STATES.map((s, i) => [s, i]),
) as Record<PageStateName, number>;

export interface PageStates {
  /** traced pfns, ascending */
  pfns: Float64Array;
  /** STATE_INDEX per pfn, parallel to `pfns` */
  states: Uint8Array;
}

export function classifyPages(
  ctx: HolderContext,
  profile: ProfileName | undefined,
  freezeFailed: ReadonlySet<number>,
  leaked: ReadonlySet<number>,
): PageStates {
  const s = ctx.store;
  const pfns = Float64Array.from(s.pfns());
  const states = new Uint8Array(pfns.length);
  const names = flagNames(profile);
  const p = profile ? loadProfile(profile) : undefined;
  let alloc: PageStateName | undefined;
  const allocator = new Map<number, PageStateName | undefined>();
  for (let k = 0; k < pfns.length; k++) {
    const pfn = pfns[k];
    const idx = s.indicesOf(pfn);
    const last = idx[idx.length - 1];
    let state: PageStateName;
    if (freezeFailed.has(pfn)) state = 'freeze-failed';
    else if (leaked.has(pfn)) state = 'leaked';
    else if (s.type(last) === PageRefType.freeze && s.ret(last) === 1) state = 'frozen';
    else if (s.count(last) === 0) state = 'free';
    else {
      const flags = names(s.flagsText(last));
      const typed = p && pageTypeState(p, s.mapcount(last));
      // 6.1 slab pages carry PG_slab (include/linux/page-flags.h PAGEFLAG(Slab, slab, PF_NO_TAIL))
      if (typed) state = typed;
      else if (flags.has('slab')) state = 'slab';
      else if ((alloc = allocationState(ctx, idx, allocator))) state = alloc;
      else if (refsAtEnd(ctx, pfn).some((r) => r.owner === 'page-cache')) state = 'page-cache';
      else if (flags.has('swapbacked')) state = 'anon';
      else if (flags.has('lru') || flags.has('uptodate')) state = 'page-cache';
      else state = 'other';
    }
    states[k] = STATE_INDEX[state];
  }
  return { pfns, states };
}

/** The state a traced mapcount that is a page_type stands for (undefined: a mapcount). */
function pageTypeState(p: Profile, mapcount: number): PageStateName | undefined {
  const t = decodeTraceMapcount(p, mapcount).pageType;
  if (t.kind !== 'type') return undefined;
  return t.type === 'slab'
    ? 'slab'
    : t.type === 'table'
      ? 'page-table'
      : t.type === 'buddy'
        ? 'free'
        : 'typed';
}

/** What the stack of the page's last page_ref_set (its allocation) says it was allocated for. */
function allocationState(
  ctx: HolderContext,
  idx: Uint32Array,
  memo: Map<number, PageStateName | undefined>,
): PageStateName | undefined {
  const s = ctx.store;
  for (let j = idx.length - 1; j >= 0; j--) {
    if (s.type(idx[j]) !== PageRefType.set) continue;
    const st = s.stackOf(idx[j]);
    if (st === undefined) return undefined;
    if (!memo.has(st)) {
      const frames = new Set(s.frames(st));
      memo.set(st, ALLOCATORS.find((a) => frames.has(a.frame))?.state);
    }
    return memo.get(st);
  }
  return undefined;
}

/** flags text -> the PG_ names in it (hex flags of trace-cmd/perf decoded with the profile), memoised */
export function flagNames(profile: ProfileName | undefined): (text: string) => ReadonlySet<string> {
  const decode = profile ? hexFlagsDecoder(loadProfile(profile)) : () => undefined;
  const memo = new Map<string, ReadonlySet<string>>();
  return (text) => {
    let names = memo.get(text);
    if (!names) {
      const plain = decode(text) ?? text;
      names = new Set(plain.split('|').filter((n) => n !== '' && n !== 'none'));
      memo.set(text, names);
    }
    return names;
  };
}
