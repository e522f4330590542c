/**
 * Interning for the event store: byte ranges of the input (task names, flags text, mapping
 * pointers, stack frames) become small integer ids without creating a string per line, and
 * fixed-arity integer tuples (event shapes, stacks) become ids the same way. Open addressing,
 * tables grow at 50% load.
 *
 * Byte ranges are hashed and compared four bytes at a time (unaligned little-endian DataView
 * loads, FNV-1a over 32-bit words, the last length % 4 bytes singly): flags texts are 20-80 bytes
 * and mostly differ from the previous line's, so a bytewise scan of them was the reader's largest
 * cost.
 */

import { sameBytes } from './words.js';

const EMPTY = -1;
const SP = 0x20,
  LF = 0x0a;
const FNV_BASIS = 0x811c9dc5 | 0,
  FNV_PRIME = 0x01000193;
/** a 32-bit word with a space in each byte (to test a word for a space) */
const SPACES = 0x20202020,
  NEWLINES = 0x0a0a0a0a,
  ONES = 0x01010101,
  HIGHS = 0x80808080 | 0;

/** caller slots of internLast() and findToken() */
const SLOTS = 4;

/** Table slot of a hash: the word-wise FNV leaves the high bits best mixed. */
function slotOf(h: number, mask: number): number {
  return (h ^ (h >>> 16)) & mask;
}

/** A DataView over a byte array, cached by the array it was made for. */
export class Views {
  private of: Uint8Array | undefined;
  private v: DataView = new DataView(new ArrayBuffer(0));
  on(buf: Uint8Array): DataView {
    if (buf !== this.of) {
      this.v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.of = buf;
    }
    return this.v;
  }
}

/** The hash of buf[start, end) used by every ByteInterner method. */
function hashRange(buf: Uint8Array, dv: DataView, start: number, end: number): number {
  let h = FNV_BASIS;
  let i = start;
  for (; i + 4 <= end; i += 4) h = Math.imul(h ^ dv.getInt32(i, true), FNV_PRIME);
  for (; i < end; i++) h = Math.imul(h ^ buf[i], FNV_PRIME);
  return h;
}

function grow<T extends Int32Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

export interface InternedBytes {
  pool: Uint8Array;
  starts: Int32Array;
  lens: Int32Array;
}

export interface InternedTuples {
  data: Int32Array;
  starts: Int32Array;
  lens: Int32Array;
}

/** Byte-range -> id. Ids are dense from 0; `get(id)` decodes the text once (UTF-8). */
export class ByteInterner {
  private pool = new Uint8Array(1 << 16);
  private poolView: DataView = new DataView(this.pool.buffer);
  private readonly views = new Views();
  private poolLen = 0;
  private starts = new Int32Array(256);
  private lens = new Int32Array(256);
  private hashes = new Int32Array(256);
  private table = new Int32Array(1024).fill(EMPTY);
  private readonly strings: string[] = [];
  /** per caller slot, the id it got last (internLast, findToken) */
  private readonly last = new Int32Array(SLOTS).fill(EMPTY);
  /** per findToken() slot, the id found before the last one */
  private readonly before = new Int32Array(SLOTS).fill(EMPTY);
  /** what findToken() found last: the token's id (-1: a text not interned yet) and hash */
  tokenId = EMPTY;
  tokenHash = 0;

  get size(): number {
    return this.strings.length;
  }

  intern(buf: Uint8Array, start: number, end: number): number {
    const dv = this.views.on(buf);
    const h = hashRange(buf, dv, start, end);
    const id = this.find(buf, dv, start, end, h);
    return id >= 0 ? id : this.insert(buf, start, end, h);
  }

  /**
   * intern() for a field that mostly repeats from one line to the next (task name, irq flags):
   * checked against the text `slot` returned last before hashing.
   */
  internLast(buf: Uint8Array, start: number, end: number, slot: number): number {
    const id = this.last[slot];
    const len = end - start;
    if (id >= 0 && this.lens[id] === len && this.equal(id, buf, this.views.on(buf), start, len)) return id;
    return (this.last[slot] = this.intern(buf, start, end));
  }

  /**
   * Finds the token at `p` (up to a space, a newline or `e`) without interning it: returns its
   * end (p when empty); `tokenId` is its id, or -1 for a text not interned yet (see
   * internToken), `tokenHash` its hash. The text `slot` found last is tried first: its length
   * says where the token would end, so a different token is usually rejected by a byte or a word.
   */
  findToken(buf: Uint8Array, dv: DataView, p: number, e: number, slot: number): number {
    for (let k = 0; k < 2; k++) {
      const id = k === 0 ? this.last[slot] : this.before[slot];
      if (id < 0) break;
      const len = this.lens[id];
      const q = p + len;
      if (q <= e && (q === e || buf[q] === SP) && this.equal(id, buf, dv, p, len)) {
        if (k === 1) this.remember(slot, id);
        this.tokenId = id;
        return q;
      }
    }
    // hashRange() while finding the space: whole words until one holds a space or a newline
    // (the fast path reads past its line's end), then bytes
    let h = FNV_BASIS;
    let q = p;
    for (; q + 4 <= e; q += 4) {
      const w = dv.getInt32(q, true);
      const x = w ^ SPACES,
        y = w ^ NEWLINES;
      if ((((x - ONES) & ~x) | ((y - ONES) & ~y)) & HIGHS) break;
      h = Math.imul(h ^ w, FNV_PRIME);
    }
    for (; q < e; q++) {
      const c = buf[q];
      if (c === SP || c === LF) break;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    this.tokenHash = h;
    this.tokenId = q > p ? this.find(buf, dv, p, q, h) : -1;
    if (this.tokenId >= 0) this.remember(slot, this.tokenId);
    return q;
  }

  /** Text `id` becomes the last of `slot`, the last one the one before it. */
  private remember(slot: number, id: number): void {
    this.before[slot] = this.last[slot];
    this.last[slot] = id;
  }

  /**
   * The id of a token findToken() found at [p, end) with tokenId `id` and tokenHash `h`: a text
   * not interned then is interned now (looked up again: the line's other token may have added it).
   */
  internToken(buf: Uint8Array, p: number, end: number, slot: number, id: number, h: number): number {
    if (id >= 0) return id;
    const found = this.find(buf, this.views.on(buf), p, end, h);
    const got = found >= 0 ? found : this.insert(buf, p, end, h);
    this.remember(slot, got);
    return got;
  }

  internString(s: string): number {
    const b = Buffer.from(s, 'utf8');
    return this.intern(b, 0, b.length);
  }

  get(id: number): string {
    return this.strings[id];
  }

  /** The texts as plain data (for postMessage): text `id` is `pool[starts[id], +lens[id])`. */
  data(): InternedBytes {
    const n = this.strings.length;
    return {
      pool: this.pool.slice(0, this.poolLen),
      starts: this.starts.slice(0, n),
      lens: this.lens.slice(0, n),
    };
  }

  /** Bytes held by the interner's tables (for the memory report). */
  byteSize(): number {
    let text = 0;
    for (const s of this.strings) text += 16 + 2 * s.length;
    return this.pool.byteLength + this.starts.byteLength * 3 + this.table.byteLength + text;
  }

  /** The id of buf[start, end) with hash h, or -1. */
  private find(buf: Uint8Array, dv: DataView, start: number, end: number, h: number): number {
    const mask = this.table.length - 1;
    const len = end - start;
    // the step to the next slot runs before the first probe too: a collision met only after the
    // JIT had compiled this (never seen before) deoptimized it
    for (let slot = (slotOf(h, mask) - 1) & mask; ;) {
      slot = (slot + 1) & mask;
      const id = this.table[slot];
      if (id === EMPTY) return EMPTY;
      if (this.hashes[id] === h && this.lens[id] === len && this.equal(id, buf, dv, start, len)) return id;
    }
  }

  /** Whether text `id` is buf[start, start + len) (`len` its length). */
  private equal(id: number, buf: Uint8Array, dv: DataView, start: number, len: number): boolean {
    const p = this.starts[id];
    if (len >= 4) return sameBytes(this.poolView, p, dv, start, len);
    for (let i = 0; i < len; i++) if (this.pool[p + i] !== buf[start + i]) return false;
    return true;
  }

  private insert(buf: Uint8Array, start: number, end: number, h: number): number {
    let slot = slotOf(h, this.table.length - 1);
    while (this.table[slot] !== EMPTY) slot = (slot + 1) & (this.table.length - 1);
    const id = this.strings.length;
    const len = end - start;
    if (this.poolLen + len > this.pool.length) {
      this.pool = grow(this.pool, this.poolLen + len);
      this.poolView = new DataView(this.pool.buffer);
    }
    this.pool.set(buf.subarray(start, end), this.poolLen);
    this.starts = grow(this.starts, id + 1);
    this.lens = grow(this.lens, id + 1);
    this.hashes = grow(this.hashes, id + 1);
    this.starts[id] = this.poolLen;
    this.lens[id] = len;
    this.hashes[id] = h;
    this.poolLen += len;
    this.strings.push(Buffer.from(buf.buffer, buf.byteOffset + start, len).toString('utf8'));
    this.table[slot] = id;
    if ((id + 1) * 2 > this.table.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(EMPTY);
    const mask = table.length - 1;
    for (let id = 0; id < this.strings.length; id++) {
      let slot = slotOf(this.hashes[id], mask);
      while (table[slot] !== EMPTY) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }
}

/**
 * Integer tuples -> id. Variable length is allowed (stacks); fixed-arity users (event shapes) just
 * always pass the same length.
 */
export class TupleInterner {
  private data = new Int32Array(1024);
  private dataLen = 0;
  private starts = new Int32Array(256);
  private lens = new Int32Array(256);
  private hashes = new Int32Array(256);
  private table = new Int32Array(1024).fill(EMPTY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Interns `tuple[0..len)`. */
  intern(tuple: Int32Array | readonly number[], len: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < len; i++) h = Math.imul(h ^ tuple[i], 0x01000193) ^ (h >>> 15);
    const mask = this.table.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const id = this.table[slot];
      if (id === EMPTY) return this.insert(tuple, len, h, slot);
      if (this.hashes[id] === h && this.lens[id] === len && this.equal(id, tuple, len)) return id;
    }
  }

  /** Element `k` of tuple `id`. */
  at(id: number, k: number): number {
    return this.data[this.starts[id] + k];
  }

  length(id: number): number {
    return this.lens[id];
  }

  byteSize(): number {
    return this.data.byteLength + this.starts.byteLength * 3 + this.table.byteLength;
  }

  /** The tuples as plain data (for postMessage): tuple `id` is `data[starts[id], +lens[id])`. */
  tuples(): InternedTuples {
    const n = this.count;
    return {
      data: this.data.slice(0, this.dataLen),
      starts: this.starts.slice(0, n),
      lens: this.lens.slice(0, n),
    };
  }

  private equal(id: number, tuple: Int32Array | readonly number[], len: number): boolean {
    const p = this.starts[id];
    for (let i = 0; i < len; i++) if (this.data[p + i] !== tuple[i]) return false;
    return true;
  }

  private insert(tuple: Int32Array | readonly number[], len: number, h: number, slot: number): number {
    const id = this.count++;
    this.data = grow(this.data, this.dataLen + len);
    for (let i = 0; i < len; i++) this.data[this.dataLen + i] = tuple[i];
    this.starts = grow(this.starts, id + 1);
    this.lens = grow(this.lens, id + 1);
    this.hashes = grow(this.hashes, id + 1);
    this.starts[id] = this.dataLen;
    this.lens[id] = len;
    this.hashes[id] = h;
    this.dataLen += len;
    this.table[slot] = id;
    if (this.count * 2 > this.table.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(EMPTY);
    const mask = table.length - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = this.hashes[id] & mask;
      while (table[slot] !== EMPTY) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }
}
