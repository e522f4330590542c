/**
 * analyzeTraceParallel (parallel.ts) must find exactly what analyzeTrace finds: every real trace
 * (ftrace text with and without stacks, both kernels) read in parts into shared columns, analysed
 * both ways, the JSON compared whole; and once through the compiled worker thread.
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeTrace, findingsJson } from '../../src/analysis/findings.js';
import { analyzeTraceParallel } from '../../src/analysis/parallel.js';
import { result, type TraceReadResult } from '../../src/trace/reader.js';
import { planSplit, readSplit } from '../../src/trace/split.js';
import { compiledDist } from '../helpers/compiled.js';
import { readShared, TRACES } from '../helpers/shared.js';

const dir = mkdtempSync(path.join(tmpdir(), 'folioscope-parallel-'));

/** ftrace text traces (with stacks and without) of every workload and kernel, relative to TRACES. */
const FILES = ['6.1', '6.12'].flatMap((v) =>
  readdirSync(path.join(TRACES, v), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'info')
    .flatMap((d) =>
      readdirSync(path.join(TRACES, v, d.name))
        .filter((f) => f === 'trace.txt.gz' || f === 'trace-stack.txt.gz')
        .map((f) => `${v}/${d.name}/${f}`),
    ),
);

/** The trace as a plain file read in two parts: its columns are shared memory, as for a large file. */
async function readShared2(rel: string, read: typeof readSplit = readSplit): Promise<TraceReadResult> {
  const file = path.join(dir, rel.replaceAll('/', '_').replace(/\.gz$/, ''));
  writeFileSync(file, readShared('traces', rel));
  const plan = await planSplit(file, 2, 0);
  return result(file, await read(file, plan!, undefined, false), plan!.size);
}

describe('analysis on two threads', () => {
  it('covers the ftrace traces of both kernels', () => {
    expect(FILES.length).toBeGreaterThanOrEqual(22);
  });

  it.each(FILES)('%s: the same findings as on one thread', async (rel) => {
    const r = await readShared2(rel);
    expect(r.store.shared(), 'the columns are shared (the two-thread path runs)').toBeDefined();
    const two = await analyzeTraceParallel(r, undefined, { minEvents: 0, worker: false });
    expect(JSON.stringify(findingsJson(two))).toBe(JSON.stringify(findingsJson(analyzeTrace(r))));
  });

  it('a small or unshared store is analysed on one thread', async () => {
    const r = await readShared2('6.1/thp/trace.txt.gz');
    const one = JSON.stringify(findingsJson(analyzeTrace(r)));
    expect(JSON.stringify(findingsJson(await analyzeTraceParallel(r)))).toBe(one);
  });

  it('the compiled analyzer runs the worker thread and finds the same', async () => {
    const out = compiledDist();
    const compiled = (await import(
      path.join(out, 'analysis/parallel.js')
    )) as typeof import('../../src/analysis/parallel.js');
    const split = (await import(
      path.join(out, 'trace/split.js')
    )) as typeof import('../../src/trace/split.js');
    const findings = (await import(
      path.join(out, 'analysis/findings.js')
    )) as typeof import('../../src/analysis/findings.js');
    const r = await readShared2('6.12/migration_blocked/trace.txt.gz', split.readSplit);
    const two = await compiled.analyzeTraceParallel(r, undefined, { minEvents: 0, worker: true });
    expect(JSON.stringify(findings.findingsJson(two))).toBe(
      JSON.stringify(findings.findingsJson(findings.analyzeTrace(r))),
    );
  }, 120_000);
});
