import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatSummary, summarize } from '../../src/analysis/summary.js';
import { readTrace } from '../../src/trace/reader.js';
import { TRACES } from '../helpers/shared.js';

const GOLDEN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../golden/analyze-6.12-fork_cow.json',
);

describe('analyze --json summary', () => {
  it('6.12/fork_cow/trace.txt.gz matches the reviewed golden file (UPDATE_GOLDEN=1 rewrites it)', async () => {
    const r = await readTrace(path.join(TRACES, '6.12/fork_cow/trace.txt.gz'));
    const s = { ...summarize(r), source: 'traces/6.12/fork_cow/trace.txt.gz' };
    const text = JSON.stringify(s, null, 2) + '\n';
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, text);
    expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
  });

  it('--profile overrides the detected profile but keeps the evidence', async () => {
    const r = await readTrace(path.join(TRACES, '6.1/fork_cow/trace.txt.gz'));
    const s = summarize(r, 'mainline');
    expect(s.profile.name).toBe('mainline');
    expect(s.profile.source).toBe('option');
    expect(s.profile.evidence.join('\n')).toMatch(/mappedtodisk/);
  });
});

describe('analyze text on binary input', () => {
  it('shows unparsed binary lines escaped, never raw control bytes, each with file and line', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'folioscope-'));
    const file = path.join(dir, 'binary.bin');
    writeFileSync(file, Buffer.from([0x1b, 0x5b, 0x32, 0x4a, 0x00, 0xff, 0x0a, 0x07, 0x41, 0x0a]));
    const text = formatSummary(summarize(await readTrace(file)));
    expect(text).toContain(`${file}:1: not an event line: \\x1b[2J\\x00\\ufffd`);
    expect(text).toContain(`${file}:2: not an event line: \\x07A`);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\x00-\x08\x1b\x7f]/);
  });
});
