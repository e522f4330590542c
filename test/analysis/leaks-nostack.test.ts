/**
 * Leaks in the real traces recorded without stacks (trace.txt): every get's owner is unknown, so a
 * put is paired by task. A put on another task's time (the lru_add batch drained by whoever runs
 * next on the CPU) drops the latest short-lived reference, not the allocation's that became the
 * mapping's: the workloads leak nothing, as their stack runs say.
 */
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeTrace } from '../../src/analysis/findings.js';
import { formatFindings, formatLeaks } from '../../src/analysis/report.js';
import { readTrace } from '../../src/trace/reader.js';
import { sharedPath } from '../helpers/shared.js';

const analyze = async (v: string, w: string) =>
  analyzeTrace(await readTrace(sharedPath('traces', v, w, 'trace.txt.gz'), { threads: 1 }));

describe('leaks of traces without stacks', () => {
  it.each([
    ['6.1', 'fork_cow'],
    ['6.1', 'thp'],
    ['6.1', 'migration_blocked'],
    ['6.12', 'fork_cow'],
    ['6.12', 'thp'],
    ['6.12', 'file_mmap'],
  ])('%s %s: none (regression: 1 each, a batch drain paired with the allocation)', async (v, w) => {
    const f = await analyze(v, w);
    expect(f.summary.stacks.attached).toBe(0);
    expect(f.leaks).toEqual([]);
  });

  it("6.12 fork_cow: gtrun's page keeps its allocation reference, as kpagecount says at the end", async () => {
    // line 46 set (prep_new_page), 47 +1 (folio_add_lru on CPU 0), 3175 -1 by fork_cow-90 on CPU 0
    // (the batch's drain, PG_lru now set): the reference left is the one the PTE holds
    const f = await analyze('6.12', 'fork_cow');
    const ex = f.leakExclusions.excluded.find(
      (x) => x.reason === 'allocation reference of a page still allocated',
    );
    expect(ex).toMatchObject({ pages: 15, refs: 15 });
    const kpagecount = gunzipSync(
      readFileSync(sharedPath('traces', '6.12', 'fork_cow', 'kpagecount.bin.gz')),
    );
    expect(kpagecount.readBigUInt64LE(0x14749 * 8)).toBe(1n);
  });

  it('says when the owners are unknown for want of stacks (6.1 file_mmap: one page left unmatched)', async () => {
    const f = await analyze('6.1', 'file_mmap');
    expect(f.leaks.map((l) => l.pfn)).toEqual([0x1508f]);
    expect(formatFindings(f)).toContain("the trace has no stacks: these references' owners are unknown");
  });

  it('an empty exclusion list reads as none, not as a list header', () => {
    expect(formatLeaks([], { excludedPages: 0, excluded: [] }, 10)[1]).toBe(
      '  not counted: none (no page ends above its start holding only references expected to persist)',
    );
  });
});
