/**
 * The store's per-pfn index (pfn-index.ts) against the obvious grouping: the same pfns ascending
 * and the same event indices in trace order, on a real trace and on pfns that need the high part
 * (>= 2^32, and the corrupt >= 2^64 that take the comparison-sort path).
 */
import { describe, expect, it } from 'vitest';
import { PfnIndex } from '../../src/trace/pfn-index.js';
import { readTrace } from '../../src/trace/reader.js';
import { sharedPath } from '../helpers/shared.js';

function naive(pfns: number[]): Map<number, number[]> {
  const by = new Map<number, number[]>();
  pfns.forEach((p, i) => {
    const list = by.get(p);
    if (list) list.push(i);
    else by.set(p, [i]);
  });
  return new Map([...by].sort((a, b) => a[0] - b[0]));
}

function indexOf(pfns: number[]): PfnIndex {
  const lo = new Uint32Array(pfns.map((p) => p >>> 0));
  const hi = new Map<number, number>();
  pfns.forEach((p, i) => p > 0xffffffff && hi.set(i, Math.floor(p / 0x100000000)));
  return new PfnIndex(pfns.length, lo, hi);
}

function expectSame(pfns: number[], index: PfnIndex): void {
  const want = naive(pfns);
  expect(index.pfns()).toEqual([...want.keys()]);
  for (const [p, idx] of want) expect([...index.indicesOf(p)], `pfn ${p}`).toEqual(idx);
  // looked up out of order too (the index remembers the last rank)
  for (const p of [...want.keys()].reverse()) expect(index.indicesOf(p).length).toBe(want.get(p)!.length);
  expect(index.indicesOf(-5).length).toBe(0);
}

describe('PfnIndex', () => {
  it('groups a real trace like a Map of lists', async () => {
    const r = await readTrace(sharedPath('traces', '6.12/migration_blocked/trace.txt.gz'));
    const s = r.store;
    const pfns = Array.from({ length: s.length }, (_, i) => s.pfn(i));
    expectSame(pfns, indexOf(pfns));
    expect(s.pfns()).toEqual([...naive(pfns).keys()]);
  });

  it('orders pfns by their high part, and corrupt ones of 2^64 and more', () => {
    const wide = [0x1_0000_0005, 7, 0x2_0000_0000, 7, 0xffff_ffff, 0x1_0000_0005, 3, 0x2_0000_0000, 0];
    expectSame(wide, indexOf(wide));
    const corrupt = [2 ** 70, 5, 2 ** 55, 2 ** 70, 5, 0x1_0000_0000, 2 ** 66];
    expectSame(corrupt, indexOf(corrupt));
  });

  it('an empty store and a single pfn', () => {
    expectSame([], indexOf([]));
    expectSame([9, 9, 9], indexOf([9, 9, 9]));
  });
});
