/**
 * The fast path of plain ftrace lines (fast-line.ts) must read exactly what the general path reads:
 * every line that path takes, every line it refuses (the general path then reads it from its start),
 * wherever a chunk of the input ends. The general path alone is LineReader.line() called per line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../src/trace/detect.js';
import { feedLines } from '../../src/trace/feed.js';
import { LineReader } from '../../src/trace/lines.js';
import { readTrace, result, type TraceReadResult } from '../../src/trace/reader.js';
import { readDump } from '../helpers/read-dump.js';
import { readShared } from '../helpers/shared.js';

const dir = mkdtempSync(path.join(tmpdir(), 'folioscope-fast-'));

/** The text through LineReader.line() only: lines split at newlines, as feedLines() hands them. */
function generalPath(file: string, text: Buffer): TraceReadResult {
  const reader = new LineReader(detectFormat(text.subarray(0, 1 << 16)));
  let s = 0;
  for (let e = text.indexOf(0x0a); e >= 0; s = e + 1, e = text.indexOf(0x0a, s)) reader.line(text, s, e);
  if (s < text.length) reader.line(text, s, text.length);
  reader.end();
  reader.store.trim();
  return result(file, reader, text.length);
}

/** The text in chunks of `size` bytes through feedLines() (the fast path, and lines cut by chunks). */
async function inChunks(file: string, text: Buffer, size: number): Promise<TraceReadResult> {
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < text.length; at += size) yield Buffer.from(text.subarray(at, at + size));
  }
  const fed = await feedLines(chunks(), (first) => new LineReader(detectFormat(first.subarray(0, 1 << 16))));
  fed.reader!.store.trim();
  return result(file, fed.reader!, fed.bytes);
}

async function expectSameReads(name: string, text: Buffer): Promise<TraceReadResult> {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  const general = readDump(generalPath(file, text));
  const read = await readTrace(file, { threads: 1 });
  expect(readDump(read), `${name}: readTrace`).toEqual(general);
  for (const size of [4093, 65536]) {
    expect(readDump(await inChunks(file, text, size)), `${name}: chunks of ${size}`).toEqual(general);
  }
  return read;
}

/** A deterministic PRNG (xorshift32), so that a failure names a reproducible input. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const MUTATION_BYTES = [
  ' ',
  ' ',
  '0',
  '9',
  '1',
  'a',
  'f',
  'x',
  '=',
  ':',
  '-',
  '.',
  '(',
  ']',
  '\r',
  '\t',
  '|',
  'Z',
];

/**
 * One line in five changed the way a damaged or hand-edited trace is: a byte deleted, inserted or
 * replaced, the line cut short, a piece of it doubled, two words swapped, a number made longer,
 * a run of spaces widened or narrowed, something appended.
 */
function mutated(text: string, seed: number): string {
  const rnd = random(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  return text
    .split('\n')
    .map((line) => {
      if (rnd() >= 0.2) return line;
      const at = Math.floor(rnd() * (line.length + 1));
      const other = Math.floor(rnd() * (line.length + 1));
      switch (Math.floor(rnd() * 9)) {
        case 0:
          return line.slice(0, at) + line.slice(at + 1);
        case 1:
          return line.slice(0, at) + pick(MUTATION_BYTES) + line.slice(at);
        case 2:
          return line.slice(0, at) + pick(MUTATION_BYTES) + line.slice(at + 1);
        case 3:
          return line.slice(0, at);
        case 4:
          return line.slice(0, at) + line.slice(Math.min(at, other), Math.max(at, other)) + line.slice(at);
        case 5: {
          const w = line.split(' ');
          const i = Math.floor(rnd() * w.length),
            j = Math.floor(rnd() * w.length);
          [w[i], w[j]] = [w[j], w[i]];
          return w.join(' ');
        }
        case 6:
          return line.replace(/\d/, (d) => d.repeat(1 + Math.floor(rnd() * 12)));
        case 7:
          return line.replace(/ +/, (m) => (rnd() < 0.5 ? m + ' ' : m.slice(1)));
        default:
          return line + pick([' ', '\r', ' ret=1', ' x', '  ']);
      }
    })
    .join('\n');
}

describe('the fast path of plain ftrace lines', () => {
  it.each([
    '6.12/file_mmap/trace.txt.gz',
    '6.1/thp/trace.txt.gz',
    '6.12/fork_cow/trace-stack.txt.gz',
    '6.1/fork_cow/trace-cmd-report-stack.txt.gz',
  ])('%s: reads what the general path reads', async (rel) => {
    const read = await expectSameReads(
      rel.replaceAll('/', '_'),
      Buffer.from(readShared('traces', rel), 'latin1'),
    );
    expect(read.unparsed.count).toBe(0);
    expect(read.store.length).toBeGreaterThan(1000);
  });

  it.each([1, 2, 3])('damaged lines (seed %i): each read as the general path reads it', async (seed) => {
    const text = mutated(readShared('traces', '6.12/fork_cow/trace-stack.txt.gz'), seed);
    const read = await expectSameReads(`mutated-${seed}.txt`, Buffer.from(text, 'latin1'));
    expect(read.unparsed.count, 'the damage shows as unparsed lines').toBeGreaterThan(100);
  });

  it('CRLF line ends', async () => {
    const text = readShared('traces', '6.12/thp/trace.txt.gz').replaceAll('\n', '\r\n');
    const read = await expectSameReads('crlf.txt', Buffer.from(text, 'latin1'));
    expect(read.unparsed.count).toBe(0);
  });
});
