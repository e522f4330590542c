/**
 * Byte ranges compared as little-endian words (unaligned DataView loads): the readers' test of
 * whether a line's context columns, or a field's text, repeat earlier ones. V8 checks a view's
 * map and the loop's bounds on every iteration of a loop, which made a loop of single words cost
 * three times as much as straight code (12 words: 330 against 150 instructions): the context
 * columns, compared on every line, are compared by straight code, texts by four words per
 * iteration (small enough to be inlined where they are compared).
 */

/** Words a range takes in the arrays below. */
export const RANGE_WORDS = 16;
export const MAX_RANGE = 4 * RANGE_WORDS;

/**
 * Keeps the n bytes at s (4 <= n <= MAX_RANGE) in c[at, at + RANGE_WORDS): the words at 0, 4, 8,
 * ... of the range, the last ones moved back to end at its end (overlapping the one before).
 */
export function keepRange(dv: DataView, s: number, n: number, c: Int32Array, at: number): void {
  for (let k = 0; k < RANGE_WORDS; k++) c[at + k] = dv.getInt32(s + Math.min(4 * k, n - 4), true);
}

/** Whether the n bytes at s are the ones keepRange() kept in c[at, ...) for the same n. */
export function sameRange(dv: DataView, s: number, n: number, c: Int32Array, at: number): boolean {
  const m = n - 4;
  let d =
    (dv.getInt32(s, true) ^ c[at]) |
    (dv.getInt32(s + Math.min(4, m), true) ^ c[at + 1]) |
    (dv.getInt32(s + Math.min(8, m), true) ^ c[at + 2]) |
    (dv.getInt32(s + Math.min(12, m), true) ^ c[at + 3]);
  if (d !== 0 || n <= 16) return d === 0;
  d =
    (dv.getInt32(s + Math.min(16, m), true) ^ c[at + 4]) |
    (dv.getInt32(s + Math.min(20, m), true) ^ c[at + 5]) |
    (dv.getInt32(s + Math.min(24, m), true) ^ c[at + 6]) |
    (dv.getInt32(s + Math.min(28, m), true) ^ c[at + 7]);
  if (d !== 0 || n <= 32) return d === 0;
  d =
    (dv.getInt32(s + Math.min(32, m), true) ^ c[at + 8]) |
    (dv.getInt32(s + Math.min(36, m), true) ^ c[at + 9]) |
    (dv.getInt32(s + Math.min(40, m), true) ^ c[at + 10]) |
    (dv.getInt32(s + Math.min(44, m), true) ^ c[at + 11]);
  if (d !== 0 || n <= 48) return d === 0;
  d =
    (dv.getInt32(s + Math.min(48, m), true) ^ c[at + 12]) |
    (dv.getInt32(s + Math.min(52, m), true) ^ c[at + 13]) |
    (dv.getInt32(s + Math.min(56, m), true) ^ c[at + 14]) |
    (dv.getInt32(s + Math.min(60, m), true) ^ c[at + 15]);
  return d === 0;
}

/**
 * Whether the n bytes (n >= 4) at i in `a` and at j in `b` are equal: four words per iteration,
 * the last ones moved back to end at n. A loop, not straight code: small enough for the JIT to
 * inline into its callers (texts are compared on every line; the call cost more than the loop).
 */
export function sameBytes(a: DataView, i: number, b: DataView, j: number, n: number): boolean {
  const m = n - 4;
  for (let k = 0; k < n; k += 16) {
    const k0 = Math.min(k, m),
      k1 = Math.min(k + 4, m),
      k2 = Math.min(k + 8, m),
      k3 = Math.min(k + 12, m);
    const d =
      (a.getInt32(i + k0, true) ^ b.getInt32(j + k0, true)) |
      (a.getInt32(i + k1, true) ^ b.getInt32(j + k1, true)) |
      (a.getInt32(i + k2, true) ^ b.getInt32(j + k2, true)) |
      (a.getInt32(i + k3, true) ^ b.getInt32(j + k3, true));
    if (d !== 0) return false;
  }
  return true;
}
