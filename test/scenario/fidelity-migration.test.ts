/**
 * The migration_blocked workload (../shared/traces/<v>/migration_blocked) against the real traces:
 * per page of the pinned tmpfs region (from checkpoint "pinned"), the freeze signature — 6.1
 * freezes in folio_migrate_mapping (val=2 ret=0 count=3, once per pass: 10 for move_pages, 10 more
 * if compaction reaches it), 6.12 never; the whole run's failing freezes by caller; and every
 * page's events up to checkpoint "pinned" (faults, /dev/vda read-around and readahead,
 * fault-around, vmsplice and splice).
 */
import { describe, expect, it } from 'vitest';
import { PAGE_REF_EVENT_NAMES } from '../../src/kernel/tracepoint.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import {
  compareLifecycles,
  pagemapRegions,
  realLifecycles,
  simLifecycles,
} from '../../src/scenario/fidelity.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { readShared, traceProfile } from '../helpers/shared.js';

const FAILED_FREEZE = 'freeze 2 0 3 ';
const failedFreezes = (l: string[]) => l.filter((e) => e.startsWith(FAILED_FREEZE)).length;

describe.each(['6.1', '6.12'] as const)('migration_blocked fidelity, %s', (version) => {
  const run = runScenario(
    parseScenario(BUILTINS.migration_blocked, 'builtin:migration_blocked'),
    traceProfile(version),
  );

  it('pinned tmpfs pages: 6.1 freezes val=2 ret=0 count=3 in every migration pass, 6.12 never', () => {
    const regions = pagemapRegions(
      readShared('traces', version, 'migration_blocked', 'pagemap-pfns.txt'),
      'pinned',
    );
    const wanted = new Map([...regions].filter(([r]) => r === 'tmpfs_pinned'));
    const real = realLifecycles(
      readShared('traces', version, 'migration_blocked', 'trace.txt.gz').split('\n'),
      'pinned',
      wanted,
    ).get('tmpfs_pinned')!;
    const sim = simLifecycles(run, 'after_blocked_attempts', ['mb:tmpfs']).get('mb:tmpfs')!;
    expect(real).toHaveLength(64);
    expect(sim).toHaveLength(64);
    if (version === '6.1') {
      // real: 10 per page from move_pages (+10 for the pages compaction reached: 280 of 640)
      for (const l of real) expect(failedFreezes(l)).toBeGreaterThanOrEqual(10);
      for (const l of sim) expect(failedFreezes(l)).toBe(20);
    } else {
      for (const l of [...real, ...sim]) expect(failedFreezes(l)).toBe(0);
    }
  });

  it('every page up to checkpoint pinned equals the real one (6.12: but 20 pages of a slower disk read)', () => {
    const regions = pagemapRegions(
      readShared('traces', version, 'migration_blocked', 'pagemap-pfns.txt'),
      'pinned',
    );
    const trace = readShared('traces', version, 'migration_blocked', 'trace.txt.gz').split('\n');
    const real = realLifecycles(trace, 'pinned', regions, true);
    // the scenario maps /dev/vda's first 128 pages as one region, the workload names two halves
    real.set('bdev', [...real.get('bdev_pinned')!, ...real.get('bdev_unpinned')!]);
    const sim = simLifecycles(run, 'pinned', ['mb:anon', 'mb:tmpfs', 'mb:bdev'], true);
    // not vacuous: each /dev/vda page was inserted by readahead here and mapped by a fault
    for (const l of real.get('bdev')!) {
      expect(l.slice(0, 2).join(' / ')).toMatch(/^set 1 - 1 -?\d+ none \/ mod 1 - 2 -?\d+ locked$/);
      expect(l.length).toBeGreaterThanOrEqual(6);
    }
    const diffs = compareLifecycles(real, sim, [
      ['anon_pinned', 'mb:anon'],
      ['tmpfs_pinned', 'mb:tmpfs'],
      ['bdev', 'mb:bdev'],
    ]);
    // 6.12: the real disk had not finished the read of 32..63 that the fault on 24 started when the
    // fault on 32 came (32 looked up locked, 33..36 mapped one retry later, 49..63 still locked
    // when the next readahead drained them to the LRU); the model completes a fault's reads
    // before its retry, as the 6.1 trace and both stack runs show
    const slow = [32, 33, 34, 35, 36, ...Array.from({ length: 15 }, (_, i) => 49 + i)];
    expect(diffs.map((d) => `${d.region}[${d.index}]`)).toEqual(
      version === '6.1' ? [] : slow.map((i) => `bdev[${i}]`),
    );
  });

  it('failing freezes by caller match the stack run (6.1: 640 + 640 + 64; 6.12: 64 in __remove_mapping)', () => {
    const byCaller = new Map<string, number>();
    for (const e of run.events) {
      if (PAGE_REF_EVENT_NAMES[e.record.type] !== 'page_ref_freeze' || e.record.ret) continue;
      byCaller.set(e.stack[1], (byCaller.get(e.stack[1]) ?? 0) + 1); // stack[0]: page_ref_freeze
    }
    expect(Object.fromEntries(byCaller)).toEqual(
      version === '6.1' ? { folio_migrate_mapping: 1280, __remove_mapping: 64 } : { __remove_mapping: 64 },
    );
  });
});
