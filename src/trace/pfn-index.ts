/**
 * The store's events grouped by pfn, for the per-page analyses: the distinct pfns ascending and,
 * per pfn, its event indices in trace order.
 *
 * Built by a stable LSD radix sort of the event indices by pfn (16-bit digits), not a Map from
 * pfn to a list: on these machines the index's cost is mostly first-touched memory (a page fault
 * per 4 KiB), and the sort touches only its two index arrays and the per-pfn tables (1.25 M
 * events, 232 k pfns: ~13 MB instead of ~30 MB for a hash table with its growth copies, or a Map).
 */

/** 16-bit digits: two passes for pfns below 2^32 (8 and 11 bits, more passes, were not faster) */
const BITS = 16,
  RADIX = 1 << BITS;

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

/** Event indices 0..n-1 ordered by pfn, stable (trace order within a pfn). */
function sortByPfn(n: number, pfnLo: Uint32Array, pfnHi: ReadonlyMap<number, number>): Uint32Array {
  let top = 0;
  for (const h of pfnHi.values()) top = Math.max(top, h);
  if (top > 0xffffffff) {
    // pfns of 2^64 and more (a corrupt trace): the high part does not fit a Uint32 key column
    const pfn = (i: number): number => (pfnHi.get(i) ?? 0) * 0x100000000 + pfnLo[i];
    return Uint32Array.from({ length: n }, (_, i) => i).sort((x, y) => pfn(x) - pfn(y) || x - y);
  }
  // least significant digit first: pfnLo's two halves, then the high part's
  const keys = [pfnLo];
  if (top > 0) {
    const hi = new Uint32Array(n);
    for (const [i, h] of pfnHi) hi[i] = h;
    keys.push(hi);
  }
  let from: Uint32Array | undefined;
  let to: Uint32Array = new Uint32Array(n);
  for (const key of keys) {
    for (let shift = 0; shift < 32; shift += BITS) {
      if (!pass(from, to, key, shift)) continue;
      const spare = from;
      from = to;
      to = spare ?? new Uint32Array(n);
    }
  }
  return from ?? Uint32Array.from({ length: n }, (_, i) => i);
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
    const b = sortByPfn(n, pfnLo, pfnHi);
    this.indices = b;
    // sized for the worst case (every event its own pfn): pages never written cost nothing
    const sorted = new Float64Array(n);
    const offsets = new Uint32Array(n + 1);
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

  /** The rank of `pfn`, or -1. */
  private rank(pfn: number): number {
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
