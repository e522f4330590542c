import { describe, expect, it } from 'vitest';
import { checkConsistency } from '../../src/analysis/consistency.js';
import { marker, trace } from './handmade.js';

const kinds = async (lines: Parameters<typeof trace>[0], profile: '6.1' | '6.12' = '6.12') => {
  const c = checkConsistency(await trace(lines), profile);
  return { kinds: c.inconsistencies.map((x) => x.kind), c };
};

describe('consistency: running count per page', () => {
  it('accepts every event type with its ret semantics', async () => {
    const { kinds: k } = await kinds([
      { ev: 'set', val: 1, count: 1 },
      { ev: 'mod', val: 2, count: 3 },
      { ev: 'mod_and_test', val: -1, ret: 0, count: 2 },
      { ev: 'mod_and_return', val: 1, ret: 3, count: 3 },
      { ev: 'mod_unless', val: 1, ret: 1, count: 4 },
      { ev: 'freeze', val: 5, ret: 0, count: 4 },
      { ev: 'freeze', val: 4, ret: 1, count: 0 },
      { ev: 'unfreeze', val: 2, count: 2 },
      { ev: 'mod_and_test', val: -2, ret: 1, count: 0 },
    ]);
    expect(k).toEqual([]);
  });

  it('a count that nothing explains is missing, with its line', async () => {
    const { c } = await kinds([
      { ev: 'set', val: 1, count: 1 },
      { ev: 'mod', val: 1, count: 5 },
      { ev: 'mod', val: 1, count: 6 },
    ]);
    expect(c.inconsistencies).toMatchObject([{ kind: 'missing', expected: 2, actual: 5, line: 4 }]);
  });

  it('a jump across a GT_SNAPSHOT tracing_off/on gap is lost events, not an anomaly', async () => {
    const { kinds: k } = await kinds([
      { ev: 'set', val: 1, count: 1 },
      marker('GT_SNAPSHOT tracing_off tag=x'),
      marker('GT_SNAPSHOT tracing_on_again tag=x'),
      { ev: 'mod', val: 1, count: 4 },
    ]);
    expect(k).toEqual(['lost']);
  });

  it('a count re-read after another CPU changed it is a race when the next event agrees', async () => {
    const { kinds: k } = await kinds([
      { ev: 'set', val: 1, count: 1 },
      { ev: 'mod', val: 1, count: 3, cpu: 0 },
      { ev: 'mod', val: 1, count: 3, cpu: 1 },
    ]);
    expect(k).toEqual(['race']);
  });

  it('equal timestamps on two CPUs merged in the wrong order are reordered, not missing', async () => {
    const { kinds: k } = await kinds([
      { ev: 'set', val: 1, count: 1 },
      { ev: 'mod', val: 1, count: 3, cpu: 0, ts: 200 },
      { ev: 'mod', val: 1, count: 2, cpu: 1, ts: 200 },
      { ev: 'mod_and_test', val: -1, ret: 0, count: 2, ts: 201 },
    ]);
    expect(k).toEqual(['reordered']);
  });

  it('flags activity after the count reached 0, but not a refused speculative get', async () => {
    const { kinds: k, c } = await kinds([
      { ev: 'set', val: 1, count: 1 },
      { ev: 'mod_and_test', val: -1, ret: 1, count: 0 },
      { ev: 'mod_unless', val: 1, ret: 0, count: 0 },
      { ev: 'mod', val: 1, count: 1 },
    ]);
    expect(k).toEqual(['after-free']);
    expect(c.speculativeRefusals).toBe(1);
  });

  it('flags changes while frozen; unfreeze and a new set are fine', async () => {
    const { kinds: k } = await kinds([
      { ev: 'set', val: 2, count: 2 },
      { ev: 'freeze', val: 2, ret: 1, count: 0 },
      { ev: 'mod', val: 1, count: 1 },
      { ev: 'unfreeze', val: 2, count: 2 },
    ]);
    expect(k).toEqual(['while-frozen']);
  });

  it("the split of a THP raises its frozen head with a plain add: no finding (a small page's is one)", async () => {
    const split = (flags: string) => [
      { ev: 'set' as const, val: 1, count: 1, flags: 'none' },
      { ev: 'mod_unless' as const, val: 1, ret: 1, count: 2, flags },
      { ev: 'mod_and_test' as const, val: -1, ret: 0, count: 1, flags },
      { ev: 'freeze' as const, val: 1, ret: 1, count: 0, flags: `locked|${flags}` },
      // __split_huge_page(): folio_ref_inc on the head (PG_head already cleared), remap, put
      { ev: 'mod' as const, val: 1, count: 1, flags: 'locked|uptodate|lru|swapbacked' },
      { ev: 'mod' as const, val: 1, count: 2, flags: 'locked|uptodate|lru|swapbacked' },
      { ev: 'mod_and_test' as const, val: -1, ret: 0, count: 1, flags: 'uptodate|lru|swapbacked' },
    ];
    expect((await kinds(split('uptodate|lru|head|swapbacked'))).kinds).toEqual([]);
    expect((await kinds(split('uptodate|lru|swapbacked'))).kinds).toEqual(['while-frozen']);
  });

  it('flags a negative count', async () => {
    const { kinds: k } = await kinds([
      { ev: 'set', val: 1, count: 1 },
      { ev: 'mod', val: -2, count: -1 },
    ]);
    expect(k).toEqual(['negative']);
  });

  it('flags a page freed while mapped, per profile mapcount semantics', async () => {
    // the set's mapcount is the profile's "not mapped": 6.12 raw _mapcount -1, 6.1 page_mapcount() 0
    const free = (unmapped: number, mapcount: number) => [
      { ev: 'set' as const, val: 1, count: 1, mapcount: unmapped },
      { ev: 'mod_and_test' as const, val: -1, ret: 1, count: 0, mapcount },
    ];
    expect((await kinds(free(-1, 0), '6.12')).kinds).toEqual(['freed-mapped']);
    expect((await kinds(free(-1, -1), '6.12')).kinds).toEqual([]);
    expect((await kinds(free(0, 0), '6.1')).kinds).toEqual([]);
    expect((await kinds(free(0, 1), '6.1')).kinds).toEqual(['freed-mapped']);
  });

  it('flags a mapcount underflow where it starts, per profile, and not a page type', async () => {
    const events = (mapcounts: number[]) =>
      mapcounts.map((mapcount, k) => ({
        ev: k === 0 ? ('set' as const) : ('mod' as const),
        val: 1,
        count: k + 1,
        mapcount,
      }));
    // 6.12 raw _mapcount: -1 unmapped, -2 an underflow (top byte 0xff), 0xf5000000 the slab type
    const r612 = await kinds(events([-1, -2, -3, 0, -2]), '6.12');
    expect(r612.kinds).toEqual(['mapcount-underflow', 'mapcount-underflow']);
    expect((await kinds(events([-184549376, -184549376]), '6.12')).kinds).toEqual([]);
    // 6.1 page_mapcount(): 0 unmapped, -1 an underflow (_mapcount -2), -128 PageBuddy
    expect((await kinds(events([0, -1, -1]), '6.1')).kinds).toEqual(['mapcount-underflow']);
    expect((await kinds(events([-128, -128]), '6.1')).kinds).toEqual([]);
  });
});
