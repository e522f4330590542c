/**
 * Chunks to lines: a LineReader reads each chunk's lines in place (LineReader.lines); only a
 * line split across two chunks is copied.
 */
import type { LineReader } from './lines.js';

const PROGRESS_STEP = 1 << 24;

/**
 * Feeds every line of `chunks` to the reader `make` returns for the first chunk. Calls
 * `onProgress` with the bytes read so far after the first chunk (so that the call has run before
 * the JIT optimizes this loop, see source.ts FIRST_CHUNK), then about every 16 MiB. Returns the
 * reader (undefined for empty input) and the byte count.
 */
export async function feedLines(
  chunks: AsyncIterable<Buffer>,
  make: (first: Buffer) => LineReader,
  onProgress?: (bytes: number) => void,
): Promise<{ reader: LineReader | undefined; bytes: number }> {
  let reader: LineReader | undefined;
  let carry: Buffer | undefined;
  let bytes = 0;
  let nextProgress = 0;
  for await (const chunk of chunks) {
    reader ??= make(chunk);
    bytes += chunk.length;
    let s = 0;
    if (carry) {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      const joined = Buffer.concat([carry, chunk.subarray(0, nl)]);
      reader.line(joined, 0, joined.length);
      carry = undefined;
      s = nl + 1;
    }
    s = reader.lines(chunk, s);
    if (s < chunk.length) carry = Buffer.from(chunk.subarray(s));
    if (onProgress && bytes >= nextProgress) {
      onProgress(bytes);
      nextProgress += PROGRESS_STEP;
    }
  }
  if (reader && carry) reader.line(carry, 0, carry.length);
  reader?.end();
  return { reader, bytes };
}
