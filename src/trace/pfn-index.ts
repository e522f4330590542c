/**
 * The store's events grouped by pfn, for the per-page analyses: the distinct pfns ascending and,
 * per pfn, its event indices in trace order.
 *
 * Built by a stable LSD radix sort of the event indices by pfn into typed arrays, not a Map from
 * pfn to a list: on these machines the index's cost is mostly first-touched memory (a page fault
 * per 4 KiB, ~10 us each on the loaded 2-core VMs), and the sort touches only its index arrays and
 * the per-pfn tables (1.25 M events, 232 k pfns: ~12 MB instead of ~30 MB for a hash table with
 * its growth copies, or a Map).
 */

/** pfns with a high part: 16-bit digits of the low and the high part */
const BITS = 16,
  RADIX = 1 << BITS;
/**
 * Pfn ranges up to 2^20 (4 GiB of memory) are sorted in one counting pass, larger ones in two
 * passes of half the bits: a 12-bit digit's table stays in the L1 cache, a 16-bit one does not.
 */
const ONE_PASS_BITS = 20;

/**
 * One stable counting-sort pass of `from` (undefined: 0..n-1) into `to` by the digit of each
 * index's key at `shift`; false (and nothing written) when every key has the same digit there.
 */
function pass(from: Uint32Array | undefined, to: Uint32Array, key: Uint32Array, shift: number): boolean {
  const n = to.length;
  const count = new Uint32Array(RADIX + 1);
  for (let j = 0; j < n; j++) count[((key[from ? from[j] : j] >>> shift) & (RADIX - 1)) + 1]++;
  for (let k = 0; k < RADIX; k++) if (count[k + 1] === n) return false;
  for (let k = 0; k < RADIX; k++) count[k + 1] += count[k];
  for (let j = 0; j < n; j++) {
    const i = from ? from[j] : j;
    to[count[(key[i] >>> shift) & (RADIX - 1)]++] = i;
  }
  return true;
}

/** Event indices ordered by pfn, stable, and a spare array of n + 1 (for the offsets) if any. */
interface Sorted {
  order: Uint32Array;
  spare: Uint32Array | undefined;
}

/**
 * One stable counting-sort pass of `from` (undefined: 0..n-1) into `to` by the `bits`-bit digit of
 * pfn - min at `shift`.
 */
function digitPass(
  pfnLo: Uint32Array,
  from: Uint32Array | undefined,
  to: Uint32Array,
  min: number,
  shift: number,
  bits: number,
): void {
  const n = pfnLo.length;
  const mask = 2 ** bits - 1;
  const count = new Uint32Array(mask + 2);
  for (let j = 0; j < n; j++) count[(((pfnLo[j] - min) >>> shift) & mask) + 1]++;
  for (let k = 0; k <= mask; k++) count[k + 1] += count[k];
  if (from === undefined) {
    for (let i = 0; i < n; i++) to[count[((pfnLo[i] - min) >>> shift) & mask]++] = i;
  } else {
    for (let j = 0; j < n; j++) {
      const i = from[j];
      to[count[((pfnLo[i] - min) >>> shift) & mask]++] = i;
    }
  }
}

/**
 * Events whose pfns have no high part, by pfn - min: one pass for a range up to 2^20, else two
 * of half the bits each. The first pass's array, garbage after the second, is left for the
 * offsets (its pages are resident: on these machines a fresh page costs ~10 us).
 */
function sortLow(pfnLo: Uint32Array, min: number, range: number): Sorted {
  const n = pfnLo.length;
  const width = Math.max(1, 32 - Math.clz32(range));
  const order = new Uint32Array(n);
  if (width <= ONE_PASS_BITS) {
    digitPass(pfnLo, undefined, order, min, 0, width);
    return { order, spare: undefined };
  }
  const low = Math.ceil(width / 2);
  const first = new Uint32Array(n + 1);
  digitPass(pfnLo, undefined, first, min, 0, low);
  digitPass(pfnLo, first.subarray(0, n), order, min, low, width - low);
  return { order, spare: first };
}

/** Event indices 0..n-1 ordered by pfn, stable (trace order within a pfn). */
function sortByPfn(n: number, pfnLo: Uint32Array, pfnHi: ReadonlyMap<number, number>): Sorted {
  if (pfnHi.size === 0) {
    let min = 0xffffffff;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const p = pfnLo[i];
      if (p < min) min = p;
      if (p > max) max = p;
    }
    return sortLow(pfnLo.subarray(0, n), n === 0 ? 0 : min, n === 0 ? 0 : max - min);
  }
  let top = 0;
  for (const h of pfnHi.values()) top = Math.max(top, h);
  if (top > 0xffffffff) {
    // pfns of 2^64 and more (a corrupt trace): the high part does not fit a Uint32 key column
    const pfn = (i: number): number => (pfnHi.get(i) ?? 0) * 0x100000000 + pfnLo[i];
    const order = Uint32Array.from({ length: n }, (_, i) => i).sort((x, y) => pfn(x) - pfn(y) || x - y);
    return { order, spare: undefined };
  }
  // least significant digit first: pfnLo's two halves, then the high part's
  const hi = new Uint32Array(n);
  for (const [i, h] of pfnHi) hi[i] = h;
  let from: Uint32Array | undefined;
  let to: Uint32Array = new Uint32Array(n);
  for (const key of [pfnLo, hi]) {
    for (let shift = 0; shift < 32; shift += BITS) {
      if (!pass(from, to, key, shift)) continue;
      const spare = from;
      from = to;
      to = spare ?? new Uint32Array(n);
    }
  }
  return { order: from ?? Uint32Array.from({ length: n }, (_, i) => i), spare: undefined };
}

/** The first position in sorted[lo, hi) whose value is not below `x` (hi if every one is). */
export function lowerBound(sorted: Uint32Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class PfnIndex {
  /** distinct pfns ascending (rank -> pfn) */
  readonly sorted: Float64Array;
  /** events of rank r: indices[offsets[r], offsets[r + 1]) */
  readonly offsets: Uint32Array;
  readonly indices: Uint32Array;
  /** rank of the pfn looked up last: the analyses walk the pfns in order */
  private last = -1;
  private list: number[] | undefined;

  /** Groups events [0, n) whose pfn is pfnLo[i] + 2^32 * pfnHi.get(i) (absent: 0). */
  constructor(n: number, pfnLo: Uint32Array, pfnHi: ReadonlyMap<number, number>) {
    const { order: b, spare } = sortByPfn(n, pfnLo, pfnHi);
    this.indices = b;
    // sized for the worst case (every event its own pfn): pages never written cost nothing
    const sorted = new Float64Array(n);
    const offsets = spare ?? new Uint32Array(n + 1);
    let m = 0;
    let prev = -1;
    for (let j = 0; j < n; j++) {
      const i = b[j];
      const p = pfnHi.size === 0 ? pfnLo[i] : (pfnHi.get(i) ?? 0) * 0x100000000 + pfnLo[i];
      if (p === prev) continue;
      offsets[m] = j;
      sorted[m++] = prev = p;
    }
    offsets[m] = n;
    this.sorted = sorted.subarray(0, m);
    this.offsets = offsets.subarray(0, m + 1);
  }

  /** The distinct pfns ascending, as a new array (copied from one built once). */
  pfns(): number[] {
    if (!this.list) {
      // pushed: Array.from(typed array) iterates slowly, and new Array(n > 100 k) is a dictionary
      this.list = [];
      for (let r = 0; r < this.sorted.length; r++) this.list.push(this.sorted[r]);
    }
    return this.list.slice();
  }

  /** Event indices of `pfn` in trace order (empty when it has none). */
  indicesOf(pfn: number): Uint32Array {
    const r = this.rank(pfn);
    return r < 0 ? this.indices.subarray(0, 0) : this.indices.subarray(this.offsets[r], this.offsets[r + 1]);
  }

  /** The rank of `pfn` (its events: indices[offsets[rank], offsets[rank + 1])), or -1. */
  rank(pfn: number): number {
    const s = this.sorted;
    const next = this.last + 1;
    if (next < s.length && s[next] === pfn) return (this.last = next);
    if (next > 0 && s[next - 1] === pfn) return next - 1;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] < pfn) lo = mid + 1;
      else if (s[mid] > pfn) hi = mid - 1;
      else return (this.last = mid);
    }
    return -1;
  }
}
