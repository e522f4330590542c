/**
 * Byte sources for the readers: a file path or `-` for stdin, gzip detected by its magic bytes and
 * inflated by a zlib stream, delivered as Buffers. Nothing holds the whole file.
 *
 * zlib's stream already inflates on libuv's pool while the reader parses. Inflating on a worker
 * thread instead (batches handed back and forth) was measured slower: 240 MB trace gzipped, 2
 * loaded cores, 7 paired whole-process runs: 1.19x wall, 1.19x cpu.
 */
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** A problem with the input itself (missing file, unreadable, not a trace): exit code 2. */
export class TraceInputError extends Error {
  override readonly name = 'TraceInputError';
}

/** A failed open or read in words (the errno, or zlib's complaint), for `path: why` messages. */
export function ioErrorText(err: unknown): string {
  const { code, message } = err as NodeJS.ErrnoException;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return code?.startsWith('Z_') ? `gzip data is corrupt (${message})` : message;
}

async function openFile(path: string): Promise<Readable> {
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new TraceInputError(`${path}: is a directory, expected a trace file`);
  } catch (err) {
    if (err instanceof TraceInputError) throw err;
    throw new TraceInputError(`${path}: ${ioErrorText(err)}`);
  }
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/** Chunks of the decompressed input. `path` '-' reads stdin. */
export async function* inputChunks(path: string, stdin: Readable = process.stdin): AsyncGenerator<Buffer> {
  const raw = path === '-' ? stdin : await openFile(path);
  const it = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  if (first.done) return;
  const head = first.value;
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    const feed = (async () => {
      try {
        let r: IteratorResult<Buffer> = first;
        while (!r.done) {
          if (!gunzip.write(r.value)) await new Promise((res) => gunzip.once('drain', res));
          r = await it.next();
        }
        gunzip.end();
      } catch (err) {
        gunzip.destroy(err as Error);
      }
    })();
    try {
      for await (const chunk of gunzip) yield chunk as Buffer;
    } catch (err) {
      throw new TraceInputError(`${path}: gzip data is corrupt (${(err as Error).message})`);
    }
    await feed;
    return;
  }
  yield head;
  for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
}

const RANGE_CHUNK = 1 << 22;
/**
 * The first chunk is small, so that the parser meets a line split across chunks (the carry in
 * feedLines, a new buffer for the DataViews) before the JIT optimizes it: after a 4 MiB first
 * chunk, that path deoptimized the parser's largest functions and each was compiled again.
 */
const FIRST_CHUNK = 1 << 16;

/**
 * Bytes [start, end) of a plain file, read synchronously into one reused buffer: no stream, no
 * Buffer per chunk. Each chunk is valid only until the next is requested (feedLines copies what it
 * keeps). Yields to the event loop between chunks so that progress and worker messages get through.
 */
export async function* fileRange(path: string, start: number, end: number): AsyncGenerator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(RANGE_CHUNK, Math.max(1, end - start)));
    for (let pos = start; pos < end;) {
      const want = pos === start ? FIRST_CHUNK : buf.length;
      const n = readSync(fd, buf, 0, Math.min(want, end - pos), pos);
      if (n === 0) break;
      pos += n;
      yield buf.subarray(0, n);
      await new Promise((res) => setImmediate(res));
    }
  } finally {
    closeSync(fd);
  }
}
