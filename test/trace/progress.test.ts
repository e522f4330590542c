/**
 * readTrace's progress callback (the CLI draws its progress bar from it): the bytes read so far,
 * never decreasing and never above the file, with the file's size as the total for a plain file
 * read in parts, and no total for gzip (only the inflated bytes are counted).
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readTrace } from '../../src/trace/reader.js';
import { readShared } from '../helpers/shared.js';

const dir = mkdtempSync(path.join(tmpdir(), 'folioscope-progress-'));
const text = readShared('traces', '6.12/migration_blocked/trace.txt.gz');
const body = text.slice(text.indexOf('\n', text.lastIndexOf('\n#')) + 1);
// over 32 MiB of events, so that each of two parts reports at least once
const big = text + body.repeat(Math.ceil((34 << 20) / body.length));

async function calls(file: string): Promise<[number, number | undefined][]> {
  const seen: [number, number | undefined][] = [];
  await readTrace(file, { threads: 2, onProgress: (bytes, total) => seen.push([bytes, total]) });
  return seen;
}

describe('progress', () => {
  it('a plain file: bytes so far out of its size', async () => {
    const file = path.join(dir, 'big.txt');
    writeFileSync(file, big);
    const size = statSync(file).size;
    const seen = await calls(file);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every(([, total]) => total === size)).toBe(true);
    const bytes = seen.map(([b]) => b);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
    expect(bytes.at(-1)).toBeLessThanOrEqual(size);
  });

  it('gzip: inflated bytes, no total', async () => {
    const file = path.join(dir, 'big.txt.gz');
    writeFileSync(file, gzipSync(big, { level: 1 }));
    const seen = await calls(file);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.every(([b, total]) => total === undefined && b <= big.length)).toBe(true);
  });
});
