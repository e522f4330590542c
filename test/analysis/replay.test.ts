/**
 * Replay of the real fork_cow and migration_blocked traces (plain runs, 6.1 and 6.12) against the
 * ground truth taken at the end (/proc/kpagecount, /proc/kpageflags) and at each checkpoint
 * (checkpoint-<tag>/pagemap-pfns.txt: kpagecount and kpageflags per page of the workload's regions,
 * read inside the tracing gap after `GT_SNAPSHOT tracing_off tag=<tag>`). Every difference the
 * replay reports must be one of the explained classes, with the counts reviewed from the data.
 */
import path from 'node:path';
import { readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { comparePage, type MismatchKind } from '../../src/analysis/replay-compare.js';
import { compareReplay, type ReplayReport } from '../../src/analysis/replay-report.js';
import { parsePagemapPfns, readKpageFile } from '../../src/analysis/replay-truth.js';
import { replayTrace } from '../../src/analysis/replay.js';
import { readTrace, type TraceReadResult } from '../../src/trace/reader.js';
import { TRACES, traceProfile } from '../helpers/shared.js';

type Version = '6.1' | '6.12';
type Workload = 'fork_cow' | 'migration_blocked';

/** Reviewed: mismatches of all traced pfns at the end, by kind (all slab pages, see below). */
const TRACED_KINDS: Record<`${Version} ${Workload}`, Partial<Record<MismatchKind, number>>> = {
  // pages freed by RCU / kfree during the trace, slab pages again when the snapshot was read
  '6.12 fork_cow': { 'reallocated-after-trace-end': 22, 'page-type-changed-after-last-event': 2 },
  '6.1 fork_cow': { 'page-type-changed-after-last-event': 4 },
  '6.1 migration_blocked': { 'page-type-changed-after-last-event': 3 },
  '6.12 migration_blocked': {
    'reallocated-after-trace-end': 45,
    'freed-now-compound-tail': 3,
    'page-type-changed-after-last-event': 1,
  },
};

/** Reviewed: per checkpoint and region, the pages of each class (region + kinds/bits -> pages). */
const CHECKPOINTS: Record<Workload, Record<string, Record<string, number>>> = {
  fork_cow: {
    // fork takes the reference (copy_present_pte: folio_get) before the rmap add: the 128 pages the
    // child did not write show mapcount 1 at their last event and kpagecount 2 in both processes
    cow: {
      'parent_anon match': 128,
      'parent_anon mapped-after-last-event': 128,
      'child_anon match': 128,
      'child_anon mapped-after-last-event': 128,
      'parent_zero no-events': 16,
    },
    after_child_exit: { 'parent_anon match': 256 },
  },
  migration_blocked: {
    // vmsplice's GUP (follow_page_pte FOLL_TOUCH) marks the pages accessed after taking its reference
    pinned: {
      'anon_pinned flags-changed-untraced REFERENCED': 64,
      'tmpfs_pinned flags-changed-untraced REFERENCED': 64,
      'bdev_pinned match': 64,
      'bdev_unpinned match': 64,
    },
    after_blocked_attempts: { 'anon_pinned match': 64, 'tmpfs_pinned match': 64 },
    after_release: { 'anon_pinned match': 64, 'tmpfs_pinned match': 64 },
  },
};

describe.each([
  ['6.1', 'fork_cow'],
  ['6.12', 'fork_cow'],
  ['6.1', 'migration_blocked'],
  ['6.12', 'migration_blocked'],
] as const)('replay %s %s', (version: Version, workload: Workload) => {
  const dir = path.join(TRACES, version, workload);
  let r: TraceReadResult;
  let rep: ReplayReport;
  beforeAll(async () => {
    r = await readTrace(path.join(dir, 'trace.txt.gz'));
    const truth = {
      kpagecount: await readKpageFile(path.join(dir, 'kpagecount.bin.gz')),
      kpageflags: await readKpageFile(path.join(dir, 'kpageflags.bin.gz')),
    };
    const pfns = parsePagemapPfns(path.join(dir, 'pagemap-pfns.txt')).filter((e) => e.present);
    rep = compareReplay(
      replayTrace(r, traceProfile(version)),
      truth,
      pfns.map((e) => e.pfn),
    );
  });

  it('follows every event: the model count after each event equals the event count', () => {
    expect(rep.events).toBe(r.store.length);
    expect(rep.countMismatches).toBe(0);
  });

  it("the workload's pages are all freed by the end: refcount 0, kpagecount 0, no LRU/mmap/anon bits", () => {
    const w = rep.workload!;
    expect(w.pages).toBe(384);
    expect(w).toMatchObject({ matches: 384, mismatches: 0, byKind: {} });
    expect(w.free['buddy-head'] + w.free['free-not-head']).toBe(384);
    // the zero page (fork_cow's *_zero regions) is not refcounted: no events
    expect(w.untraced).toBe(workload === 'fork_cow' ? 1 : 0);
  });

  it('every traced page matches or differs for an explained reason (reviewed counts)', () => {
    expect(rep.traced.byKind).toEqual(TRACED_KINDS[`${version} ${workload}`]);
    for (const c of rep.mismatches) expect(c.bits, `pfn ${c.pfn}`).toEqual(['SLAB']);
    expect(rep.traced.mismatches).toBe(rep.mismatches.length);
  });

  it('replayed up to each checkpoint, the regions match checkpoint-<tag>/pagemap-pfns.txt', () => {
    for (const d of readdirSync(dir).filter((x) => x.startsWith('checkpoint-'))) {
      const tag = d.slice('checkpoint-'.length);
      const marker = [...r.markers].find((m) => m.text.includes(`GT_SNAPSHOT tracing_off tag=${tag}`));
      expect(marker, tag).toBeDefined();
      const rp = replayTrace(r, traceProfile(version), marker!.line);
      const classes: Record<string, number> = {};
      for (const e of parsePagemapPfns(path.join(dir, d, 'pagemap-pfns.txt')).filter((x) => x.present)) {
        let key = `${e.region} no-events`;
        if (rp.last.has(e.pfn)) {
          const c = comparePage(rp, e.pfn, BigInt(e.kpagecount), e.kpageflags);
          const flagBits = c.kinds.includes('flags-changed-untraced') ? ` ${c.bits.join(',')}` : '';
          key = `${e.region} ${c.kinds.join('+') || 'match'}${flagBits}`;
        }
        classes[key] = (classes[key] ?? 0) + 1;
      }
      const want = { ...CHECKPOINTS[workload][tag] };
      // 6.1 only: filemap_map_pages maps 47 of the unpinned /dev/vda pages after their last event
      if (version === '6.1' && tag === 'pinned') {
        want['bdev_unpinned match'] = 17;
        want['bdev_unpinned mapped-after-last-event'] = 47;
      }
      expect(classes, tag).toEqual(want);
    }
  });
});
