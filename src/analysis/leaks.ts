/**
 * References still held at the end of the trace: pages whose count at their last event is above
 * the count before their first one, with the gets that no put paired with (refs.ts), their
 * owners and stacks. A page the workload still uses at the end is listed too; the owners say
 * whether that is expected (page cache, mapping) or not (a pipe or GUP reference nobody dropped).
 */
import type { EventStore } from '../trace/store.js';
import { holdersAt, type HolderContext, type Holder } from './holders.js';
import { countBefore } from './refs.js';

export interface Leak {
  pfn: number;
  /** count before the page's first event and at its last */
  start: number;
  end: number;
  /** line of the last event */
  line: number;
  /** references taken during the trace and still outstanding */
  unmatched: Holder[];
}

function startCount(s: EventStore, i: number): number {
  return countBefore(s.type(i), s.val(i), s.ret(i), s.count(i));
}

export function findLeaks(ctx: HolderContext): Leak[] {
  const s = ctx.store;
  const out: Leak[] = [];
  for (const pfn of s.pfns()) {
    const idx = s.indicesOf(pfn);
    const first = idx[0];
    const last = idx[idx.length - 1];
    const start = startCount(s, first);
    const end = s.count(last);
    if (end <= start) continue;
    const h = holdersAt(ctx, pfn);
    out.push({
      pfn,
      start,
      end,
      line: s.line(last),
      unmatched: h ? h.holders.filter((x) => x.line !== undefined) : [],
    });
  }
  return out;
}
