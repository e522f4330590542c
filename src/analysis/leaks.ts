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
 *  - an allocation reference (the allocator's caller owns the page until it frees it).
 * What is left — pipe buffers, GUP pins, isolations and migrations never put back, mappings of
 * exited tasks, and references of unknown owner — is ranked by owner.
 */
import type { EventStore } from '../trace/store.js';
import { eventStack, refsAtEnd, toHolder, type HolderContext, type Holder } from './holders.js';
import { mappingOrigin, migrationLinks } from './migration.js';
import type { Owner } from './owners.js';
import { countBefore, type RefEntry } from './refs.js';

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
/** leak owners, most telling first */
const RANK: readonly Owner[] = ['pipe', 'gup', 'isolation', 'migration', 'lookup', 'mapping', 'unknown'];

function startCount(s: EventStore, i: number): number {
  return countBefore(s.type(i), s.val(i), s.ret(i), s.count(i));
}

/** pids that run exit_mmap / do_exit in the trace (their mappings are gone at the end) */
function exitedPids(s: EventStore): Set<number> {
  const out = new Set<number>();
  // judged once per distinct stack, not per event (the frames are the same)
  const exits = new Map<number, boolean>();
  for (let i = 0; i < s.length; i++) {
    const st = s.stackOf(i);
    if (st === undefined) continue;
    let exit = exits.get(st);
    if (exit === undefined) {
      exit = eventStack(s, i).some((f) => /^(exit_mmap|do_exit|mmput)\b/.test(f));
      exits.set(st, exit);
    }
    if (exit) out.add(s.pid(i));
  }
  return out;
}

/**
 * The holder to report for an outstanding entry, and why it persists (undefined: it should have
 * been dropped). A migration's remap is judged by the mapping it moved.
 */
function judge(
  ctx: HolderContext,
  links: Map<number, number>,
  exited: Set<number>,
  r: RefEntry,
): { holder: Holder; reason: string | undefined } {
  const s = ctx.store;
  const persists = PERSISTS[r.owner];
  if (persists !== undefined || r.owner !== 'mapping' || !links.has(r.event)) {
    const reason = persists ?? (r.owner === 'mapping' && !exited.has(r.pid) ? ALIVE : undefined);
    return { holder: toHolder(s, r, r.n, ctx.hasStacks), reason };
  }
  const origin = mappingOrigin(ctx, links, r.event);
  if (origin === undefined) return { holder: toHolder(s, r, r.n, ctx.hasStacks), reason: MIGRATED_UNLINKED };
  const from = { ...origin.entry, owner: 'mapping' as const, n: r.n };
  const holder = { ...toHolder(s, from, r.n, ctx.hasStacks), migratedFrom: origin.via };
  if (from.event < 0) return { holder, reason: MIGRATED_BEFORE };
  return { holder, reason: exited.has(from.pid) ? undefined : ALIVE };
}

export function findLeaks(ctx: HolderContext): LeakReport {
  const s = ctx.store;
  const exited = exitedPids(s);
  const links = migrationLinks(s);
  const leaks: Leak[] = [];
  const excluded = new Map<string, LeakExclusion>();
  let excludedPages = 0;
  for (const pfn of s.pfns()) {
    const idx = s.indicesOf(pfn);
    const start = startCount(s, idx[0]);
    const last = idx[idx.length - 1];
    const end = s.count(last);
    if (end <= start) continue;
    const held = refsAtEnd(ctx, pfn).filter((r) => r.event >= 0);
    const suspects: Holder[] = [];
    const persisting = new Map<string, LeakExclusion>();
    if (held.length === 0)
      persisting.set(NONE, { owner: 'before-trace', reason: NONE, pages: 1, refs: end - start });
    for (const r of held) {
      const { holder: h, reason } = judge(ctx, links, exited, r);
      if (reason === undefined) {
        suspects.push(h);
        continue;
      }
      const x = persisting.get(reason) ?? { owner: h.owner, reason, pages: 1, refs: 0 };
      x.refs += h.refs;
      persisting.set(reason, x);
    }
    if (suspects.length > 0) {
      suspects.sort((a, b) => RANK.indexOf(a.owner) - RANK.indexOf(b.owner));
      leaks.push({ pfn, start, end, line: s.line(last), unmatched: suspects });
      continue;
    }
    excludedPages++;
    for (const [reason, x] of persisting) {
      const t = excluded.get(reason) ?? { ...x, pages: 0, refs: 0 };
      t.pages++;
      t.refs += x.refs;
      excluded.set(reason, t);
    }
  }
  const rank = (l: Leak): number => RANK.indexOf(l.unmatched[0].owner);
  leaks.sort((a, b) => rank(a) - rank(b) || a.pfn - b.pfn);
  return { leaks, excludedPages, excluded: [...excluded.values()].sort((a, b) => b.pages - a.pages) };
}
