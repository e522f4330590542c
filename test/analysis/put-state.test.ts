/**
 * Puts of traces without stacks paired by what their events show (put-state.ts): every path that
 * drops a PTE's reference removes the PTE's rmap first, so a put that finds more mapping references
 * outstanding than the mappings its mapcount leaves drops one of them; the page cache's references
 * are put once the page's mapping is cleared, so a put that still shows one leaves them alone.
 */
import { describe, expect, it } from 'vitest';
import { tracedMappings } from '../../src/analysis/consistency.js';
import { analyzeTrace, holderContext } from '../../src/analysis/findings.js';
import { holdersAt, refsAtEnd, type Holder } from '../../src/analysis/holders.js';
import type { ProfileName } from '../../src/kernel/profiles/types.js';
import { readTrace } from '../../src/trace/reader.js';
import type { EventStore } from '../../src/trace/store.js';
import { sharedPath } from '../helpers/shared.js';
import { stacksHidden } from '../helpers/trace-text.js';
import { trace, type Ev } from './handmade.js';

const mappingRefs = (hs: readonly { owner: string; refs?: number; n?: number }[]): number =>
  hs.filter((h) => h.owner === 'mapping').reduce((a, h) => a + (h.refs ?? h.n ?? 0), 0);

/** store index of `pfn`'s event at a line */
const at = (s: EventStore, pfn: number, line: number): number =>
  [...s.indicesOf(pfn)].find((i) => s.line(i) === line) as number;

/** A large folio's references are on its head for every subpage's PTE: its mapcount bounds nothing. */
const isHead = (s: EventStore, i: number): boolean => /\bhead\b/.test(s.flagsText(i));

const PLAIN: [ProfileName, string][] = [
  ...['boot', 'file_mmap', 'fork_cow', 'migration_blocked', 'soak', 'thp'].map(
    (w) => ['6.1', w] as [ProfileName, string],
  ),
  ...['boot', 'compaction', 'file_mmap', 'fork_cow', 'migration_blocked', 'thp'].map(
    (w) => ['6.12', w] as [ProfileName, string],
  ),
];

describe('mapping references never outnumber the mappings the traced mapcount counts', () => {
  // regression: 6.1 migration_blocked 278 freezes and 126 page ends, 6.12 51 and 135, each one
  // mapping reference on an unmapped page (the unmap's put paired with another get by task order)
  it('every plain trace: at each freeze failure, each leak and each page end', async () => {
    const seen: Record<string, { holders: number; over: number; head: number }> = {};
    for (const [v, w] of PLAIN) {
      const r = await readTrace(sharedPath('traces', v, w, 'trace.txt.gz'), { threads: 1 });
      const s = r.store;
      const f = analyzeTrace(r, v);
      const ctx = holderContext(r, v);
      const n = { holders: 0, over: 0, head: 0 };
      const judge = (i: number, refs: number): void => {
        if (refs === 0) return;
        if (isHead(s, i)) n.head++;
        else {
          n.holders += refs;
          if (refs > tracedMappings(v, s.mapcount(i))) n.over++;
        }
      };
      for (const x of f.freezeFailures) judge(at(s, x.pfn, x.line), mappingRefs(x.holders));
      for (const l of f.leaks) judge(at(s, l.pfn, l.line), mappingRefs(l.unmatched));
      for (const pfn of s.pfns()) {
        const idx = s.indicesOf(pfn);
        judge(idx[idx.length - 1], mappingRefs(refsAtEnd(ctx, pfn)));
      }
      seen[`${v} ${w}`] = n;
    }
    const over = Object.values(seen).reduce((a, n) => a + n.over, 0);
    const checked = Object.values(seen).reduce((a, n) => a + n.holders, 0);
    expect([over, seen]).toEqual([0, expect.anything()]);
    expect(checked).toBeGreaterThan(0);
    // the traces whose pages end with mapping references (6.1 boot and soak: fault-arounds; the
    // migration_blocked and compaction ones: restored by migration)
    expect(
      Object.entries(seen)
        .filter(([, n]) => n.holders > 0)
        .map(([k]) => k),
    ).toEqual([
      '6.1 boot',
      '6.1 migration_blocked',
      '6.1 soak',
      '6.12 boot',
      '6.12 compaction',
      '6.12 migration_blocked',
    ]);
  });

  // the mapping reference of the page's fault (6.1 next_uptodate_page's try_get handed to the PTE,
  // 6.12 filemap_map_pages' folio_ref_inc) until try_to_migrate_one's put, the mapcount unmapped
  it.each([
    ['6.1', '0x635c', 11406, 11405, 2910],
    ['6.12', '0x64b01', 38832, 22424, 3389],
  ] as const)(
    '%s migration_blocked pfn %s: no mapping at the freeze at line %i, the unmap at line %i dropped it',
    async (v, hex, freeze, unmap, mapped) => {
      const pfn = Number(hex);
      const r = await readTrace(sharedPath('traces', v, 'migration_blocked', 'trace.txt.gz'), { threads: 1 });
      const s = r.store;
      const f = analyzeTrace(r, v).freezeFailures.find((x) => x.pfn === pfn && x.line === freeze);
      expect(tracedMappings(v, s.mapcount(at(s, pfn, freeze)))).toBe(0);
      expect(f?.holders.map((h) => h.owner)).not.toContain('mapping');
      const ctx = holderContext(r, v);
      const mappings = (stop: number) =>
        (holdersAt(ctx, pfn, stop) as { holders: Holder[] }).holders
          .filter((h) => h.owner === 'mapping')
          .map((h) => h.line);
      expect(tracedMappings(v, s.mapcount(at(s, pfn, unmap)))).toBe(0);
      expect([mappings(at(s, pfn, unmap) - 1), mappings(at(s, pfn, unmap))]).toEqual([[mapped], []]);
    },
  );

  // regression: 660 of the 6.1 freezes and 51 of the 6.12 ones listed one mapping more
  it.each([
    ['6.1', 'trace-stack.txt.gz', 1344],
    ['6.1', 'trace-cmd-report-stack.txt.gz', 1344],
    ['6.12', 'trace-stack.txt.gz', 64],
    ['6.12', 'trace-cmd-report-stack.txt.gz', 64],
  ] as const)(
    "%s migration_blocked %s with its stacks hidden: no freeze lists more mappings than its stacks, each its page cache's (%i freezes)",
    async (v, file, freezes) => {
      const path = sharedPath('traces', v, 'migration_blocked', file);
      const a = analyzeTrace(await readTrace(path, { threads: 1 }), v).freezeFailures;
      const b = analyzeTrace(await readTrace(stacksHidden(path), { threads: 1 }), v).freezeFailures;
      expect([a.length, b.map((x) => x.pfn)]).toEqual([freezes, a.map((x) => x.pfn)]);
      const more = b.filter((x, k) => mappingRefs(x.holders) > mappingRefs(a[k].holders));
      expect(more.map((x) => x.line)).toEqual([]);
      // the page cache's reference listed wherever the stacks list it (regression: 660 and 51 did
      // not, its entry paired with readahead's put of the allocation reference)
      const cache = (hs: Holder[]) => hs.filter((h) => h.owner === 'page-cache').length;
      expect(a.every((x) => cache(x.holders) === 1)).toBe(true);
      expect(b.filter((x, k) => cache(x.holders) !== cache(a[k].holders)).map((x) => x.line)).toEqual([]);
    },
  );
});

/** 6.1 events on pfn 0x2000 with mapping M: a PTE's reference, another task's get, then puts. */
const M = '00000000deadbeef';
const ev = (e: Partial<Ev> & Pick<Ev, 'ev' | 'val' | 'count' | 'mapcount'>): Ev => ({
  pfn: 0x2000,
  flags: 'uptodate|lru',
  mapping: M,
  ...e,
});
/**
 * pid 10's fault-around try_get, the PTE keeping it (next_uptodate_page: the next event shows one
 * more mapping, cache-shapes.ts), then pid 20's get (a GUP) with the page mapped once.
 */
const mapped = (flags = 'uptodate|lru'): Ev[] => [
  ev({ ev: 'mod_unless', val: 1, ret: 1, count: 2, mapcount: 0, flags }),
  ev({ ev: 'mod', val: 1, count: 3, mapcount: 1, pid: 20, flags }),
];
const put = (count: number, mapcount: number, pid: number, flags = 'uptodate|lru'): Ev =>
  ev({ ev: 'mod_and_test', val: -1, ret: 0, count, mapcount, pid, flags });

async function holders(events: Ev[], profile: ProfileName, stopAt: number) {
  const r = await trace(events);
  const idx = [...r.store.indicesOf(0x2000)];
  const h = holdersAt(holderContext(r, profile), 0x2000, idx[stopAt]) as { holders: Holder[] };
  return h.holders.map((x) => `${x.owner}${x.task === undefined ? '' : ` ${x.task}`}`);
}

describe('a put on an unmapped page drops the mapping reference (hand-made, 6.1)', () => {
  it("pid 20's put with the page unmapped is the unmap's: pid 20's get stays", async () => {
    const h = await holders([...mapped(), put(2, 0, 20)], '6.1', 2);
    expect(h).toEqual(['before-trace', 'unknown task-20']);
  });

  it("with the page still mapped, the put is pid 20's own (task order)", async () => {
    const h = await holders([...mapped(), put(2, 1, 20)], '6.1', 2);
    expect(h).toEqual(['before-trace', 'mapping task-10']);
  });

  it("the last put of pid 20's run at one mapcount is the PTE's (the gather drains the LRU batches first)", async () => {
    const events = [...mapped(), put(2, 0, 20), put(1, 0, 20)];
    expect(await holders(events, '6.1', 2)).toEqual(['before-trace', 'mapping task-10']);
    expect(await holders(events, '6.1', 3)).toEqual(['before-trace']);
  });

  it("a large folio's head is left to task order (its references count every subpage's PTE)", async () => {
    const head = 'uptodate|lru|head';
    const h = await holders([...mapped(head), put(2, 0, 20, head)], '6.1', 2);
    expect(h).toEqual(['before-trace', 'mapping task-10']);
  });
});

describe("a put on a page still in the page cache leaves the cache's reference (hand-made, 6.1)", () => {
  // __filemap_add_folio's folio_ref_add while mapping is NULL (cache-shapes.ts), folio_add_lru, the
  // batch's drain, then readahead_folio's put of the allocation reference (mpage_readahead)
  const cached: Ev[] = [
    { ev: 'set', pfn: 0x2000, val: 1, count: 1, mapcount: 0 },
    ev({ ev: 'mod', val: 1, count: 2, mapcount: 0, flags: 'locked', mapping: undefined }),
    ev({ ev: 'mod', val: 1, count: 3, mapcount: 0, flags: 'locked' }),
    put(2, 0, 10, 'locked|lru'),
  ];
  it('the put with the mapping set drops the allocation reference', async () => {
    expect(await holders([...cached, put(1, 0, 10, 'uptodate|lru')], '6.1', 4)).toEqual([
      'page-cache task-10',
    ]);
  });

  it('the put after page_cache_delete cleared the mapping may drop it', async () => {
    const deleted = put(1, 0, 10, 'uptodate|lru');
    deleted.mapping = undefined;
    expect(await holders([...cached, deleted], '6.1', 4)).toEqual(['allocation task-10']);
  });
});
