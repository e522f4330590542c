import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/analysis/summary.js';
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
