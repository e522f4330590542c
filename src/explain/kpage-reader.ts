/**
 * Streaming reader for saved /proc/kpageflags and /proc/kpagecount files: arrays of little-endian
 * u64 indexed by pfn (fs/proc/page.c kpageflags_read/kpagecount_read: offset = pfn * 8).
 * Plain files are read from the first selected pfn's offset; .gz files are inflated as a stream.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { ioErrorText } from '../trace/source.js';

/** Inclusive pfn range; `last` undefined = to the end of the file. */
export interface PfnRange {
  readonly first: number;
  readonly last?: number;
}

/** A batch of consecutive entries: values[i] belongs to pfn first + i. */
export interface U64Batch {
  readonly first: number;
  readonly values: BigUint64Array;
}

/** Parses `A` or `A-B` (hex with 0x, else decimal, as page-types' parse_number does). */
export function parsePfnRange(text: string): PfnRange {
  const m = /^\s*(0x[0-9a-f]+|\d+)\s*(?:-\s*(0x[0-9a-f]+|\d+)?)?\s*$/i.exec(text);
  if (!m) throw new Error(`--pfn: expected A or A-B (decimal or 0x hex), got "${text}"`);
  const first = Number(m[1]);
  if (!text.includes('-')) return { first, last: first };
  if (m[2] === undefined) return { first };
  const last = Number(m[2]);
  if (last < first) throw new Error(`--pfn: range end ${m[2]} is below its start ${m[1]}`);
  return { first, last };
}

async function isGzip(path: string): Promise<boolean> {
  if (path.endsWith('.gz')) return true;
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

interface Source {
  readonly stream: Readable;
  readonly skipBytes: number;
  close(): void;
}

async function openSource(path: string, range: PfnRange): Promise<Source> {
  if (await isGzip(path)) {
    const file = createReadStream(path);
    const stream = file.pipe(createGunzip());
    return { stream, skipBytes: range.first * 8, close: () => (file.destroy(), stream.destroy()) };
  }
  const end = range.last === undefined ? undefined : range.last * 8 + 7;
  const stream = createReadStream(path, { start: range.first * 8, ...(end === undefined ? {} : { end }) });
  return { stream, skipBytes: 0, close: () => stream.destroy() };
}

/** Yields the entries of `range` in batches; a trailing partial u64 is an error (the kernel returns whole u64s). */
export async function* readU64File(path: string, range: PfnRange = { first: 0 }): AsyncGenerator<U64Batch> {
  let src: Source;
  try {
    src = await openSource(path, range);
  } catch (err) {
    throw new Error(`${path}: ${ioErrorText(err)}`);
  }
  let skip = src.skipBytes;
  let pfn = range.first;
  let carry = Buffer.alloc(0);
  try {
    for await (const chunk of src.stream as AsyncIterable<Buffer>) {
      let buf: Buffer = chunk;
      if (skip > 0) {
        if (buf.length <= skip) {
          skip -= buf.length;
          continue;
        }
        buf = buf.subarray(skip);
        skip = 0;
      }
      if (carry.length) buf = Buffer.concat([carry, buf]);
      let n = Math.floor(buf.length / 8);
      if (range.last !== undefined) n = Math.min(n, range.last - pfn + 1);
      if (n > 0) {
        const values = new BigUint64Array(n);
        for (let i = 0; i < n; i++) values[i] = buf.readBigUInt64LE(i * 8);
        yield { first: pfn, values };
        pfn += n;
      }
      if (range.last !== undefined && pfn > range.last) return;
      carry = Buffer.from(buf.subarray(n * 8));
    }
  } catch (err) {
    throw new Error(`${path}: ${ioErrorText(err)}`);
  } finally {
    src.close();
  }
  if (carry.length)
    throw new Error(`${path}: ${carry.length} trailing bytes after pfn ${pfn - 1}, not a whole u64`);
}

/** Re-slices a batch iterator to the batch sizes of another file (kpagecount alongside kpageflags). */
export class U64Cursor {
  private batch: BigUint64Array = new BigUint64Array(0);
  private i = 0;
  constructor(private readonly it: AsyncIterator<U64Batch>) {}

  /** The next n values; fewer if the file ends first. */
  async take(n: number): Promise<BigUint64Array> {
    const out = new BigUint64Array(n);
    let got = 0;
    while (got < n) {
      if (this.i >= this.batch.length) {
        const r = await this.it.next();
        if (r.done) return out.subarray(0, got);
        this.batch = r.value.values;
        this.i = 0;
      }
      const k = Math.min(n - got, this.batch.length - this.i);
      out.set(this.batch.subarray(this.i, this.i + k), got);
      got += k;
      this.i += k;
    }
    return out;
  }
}
