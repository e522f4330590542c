/**
 * The built-in soak scenario against the real 6.1 soak run (../shared/traces/6.1/soak: soak.sh 40),
 * iteration by iteration and window by window between the sub-workloads' own trace_marker lines.
 *
 * The real run has no checkpoints (no pagemap), so the pages of the modelled regions are found by
 * their events, the same way on both sides, in the marker window where they were allocated: a
 * page_ref_set val=1 whose next event is
 * - anon: do_anonymous_page / wp_page_copy's folio_add_lru (+1 to 2, mapped once, swapbacked):
 *   fork_cow's 64 pages (window "touching") and the child's 32 COW copies ("fork") of each round,
 *   file_mmap's 16 private COW copies ("write shared ..."), thp's child's COW copy ("fork");
 * - shmem: shmem_add_to_page_cache's +1 (to 2, locked|referenced|swapbacked, unmapped): the 32
 *   pages file_mmap's write() puts in /tmp/fm_test ("write tmpfs file"), the /tmp/soak.N page the
 *   shell's echo writes ("drop_caches", whose window runs to the next iteration's fork_cow);
 * - block device: __filemap_add_folio's +1 with flags exactly `locked` (readahead of /dev/vda):
 *   file_mmap's pread + mmap ("pread"), dd's 16 reads ("drop_caches");
 * - THP: the PMD fault's +1 on a head ("thp: touching").
 * Both sides must find the same pages, class by class and name by name (iteration, round, index
 * in allocation order). Each page is followed through its whole life (and any
 * migration: compact_memory runs every 10th iteration) and compared window by window as (event,
 * val, ret, count, mapcount, flags).
 *
 * Reading the plain 229 MB trace (1.16 M events) once per file (with the 40-pass run: ~25 s here) is the
 * price of the only run with all 40 iterations (the stack run has 3), and the iterations are what a soak
 * checks: that pass 7 (the first /tmp/soak.N reuse is pass 8) still behaves as pass 1.
 */
import { describe, expect, it } from 'vitest';
import { PageRefType } from '../../src/kernel/tracepoint.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { parseScenario } from '../../src/scenario/format.js';
import {
  markerWindowKeys,
  PageHistories,
  readKeyedTrace,
  simKeyedTrace,
  type Life,
} from '../../src/scenario/page_history.js';
import { runScenario } from '../../src/scenario/runner.js';
import { readBack } from '../helpers/readback.js';
import { sharedLines, traceProfile } from '../helpers/shared.js';

/** a marker's text without what differs per run (addresses, pids) */
const normal = (text: string) => text.replace(/ at 0x[0-9a-f]+$/, '').replace(/ pid=\d+$/, '');

type Kind = 'anon' | 'shmem' | 'bdev' | 'thp';

/** which pages of which kind a window's allocations hold, by the window's marker */
const WANTED: Record<string, readonly [string, Kind][]> = {
  'fork_cow: touching 64 pages': [['fc.parent', 'anon']],

  'file_mmap: write tmpfs file 32 pages': [['fm.tmpfs', 'shmem']],
  'file_mmap: write shared (first half) and private (second half -> COW anon)': [['fm.cow', 'anon']],
  'file_mmap: pread 32 pages from /dev/vda': [['fm.bdev', 'bdev']],
  'file_mmap: drop_caches': [
    ['dd', 'bdev'],
    ['soakfile', 'shmem'],
  ],
  'thp: touching 1 x 2MiB': [['thp', 'thp']],
};

/**
 * COW copies, found through the page they copy (a window's allocations also hold the stack pages
 * parent and child copy after fork): wp_page_copy allocates the copy, adds it to the LRU, and
 * puts the old page last (6.1 mm/memory.c:wp_page_copy), so the copy is the last allocation on
 * the CPU of the old page's first put in the window, on the CPU that writes the closing marker.
 */
const COPIES: Record<string, readonly [string, string, RegExp]> = {
  // the old page's put after page_remove_rmap: mapped once more (a drain's put sees it mapped twice)
  'fork_cow: fork': ['fc.child', 'fc.parent', /^mod_and_test -1 0 \d+ 1 /],
  'thp: fork': ['thp.cow', 'thp', /^mod_and_test -1 /],
};

const RULES: Record<Kind, RegExp> = {
  anon: /^mod 1 - 2 1 (\S*\|)?swapbacked$/,
  shmem: /^mod 1 - 2 0 locked\|referenced\|swapbacked$/,
  bdev: /^mod 1 - 2 -?\d+ locked$/,
  thp: /^mod 1 - 2 \d+ \S*head\S*$/,
};

interface Page {
  /** "it3 fc.parent#1[5]": iteration, class, round, index in allocation order */
  name: string;
  history: Life[];
}

/** a page's history, each life only through the event that freed it */
const lives = (h: PageHistories, at: number): Life[] =>
  h.history(h.t.pfn[at], at).map((l) => h.untilFreed(l));

/** the soak's pages of `h`, in allocation order per window; an iteration starts at fork_cow's first round */
function soakPages(h: PageHistories): Page[] {
  const { markers, keys, cpu, pfn } = h.t;
  const pages: Page[] = [];
  /** position -> the next event of the same pfn */
  const next = new Int32Array(pfn.length).fill(-1);
  const last = new Map<number, number>();
  for (let i = pfn.length - 1; i >= 0; i--) {
    next[i] = last.get(pfn[i]) ?? -1;
    last.set(pfn[i], i);
  }
  const set1 = (i: number) => h.t.type[i] === PageRefType.set && h.t.val[i] === 1;
  let iteration = -1;
  const round = new Map<string, number>();
  markers.forEach((m, j) => {
    const text = normal(m.text);
    if (text === 'fork_cow: touching 64 pages' && (round.get(text) ?? 2) === 2) {
      iteration++;
      round.clear();
    }
    const r = round.get(text) ?? 0;
    round.set(text, r + 1);
    const end = markers[j + 1]?.at ?? pfn.length;
    const name = (cls: string, n: number) => `it${iteration} ${cls}#${r}[${n}]`;
    const copies = COPIES[text];
    if (copies) {
      const [cls, of, put] = copies;
      const onCpu = cpu[end - 1];
      pages
        .filter((p) => p.name.startsWith(`it${iteration} ${of}#${r}[`))
        .forEach((old, n) => {
          const first = old.history[0].events.find(
            (i) => i >= m.at && i < end && cpu[i] === onCpu && put.test(keys[i]),
          );
          let at = first ?? m.at;
          while (at > m.at && !(set1(at) && cpu[at] === onCpu)) at--;
          if (at > m.at) pages.push({ name: name(cls, n), history: lives(h, at) });
        });
    }
    const counters = new Map<string, number>();
    for (let i = m.at; i < end; i++) {
      if (!set1(i) || next[i] < 0) continue;
      for (const [cls, kind] of WANTED[text] ?? []) {
        if (!RULES[kind].test(keys[next[i]])) continue;
        const n = counters.get(cls) ?? 0;
        counters.set(cls, n + 1);
        pages.push({ name: name(cls, n), history: lives(h, i) });
      }
    }
  });
  return pages;
}

/** per page class (iteration, round and index aside) */
const classOf = (name: string) => name.replace(/^it\d+ /, '').replace(/#\d+\[\d+\]$/, '');

const LRU_BATCH =
  "where in its CPU's lru_add batch (6.1: PAGEVEC_SIZE 15) the page was queued, so which event drains it: the batch also holds what the processes the model leaves out queued (cat, sh -c, each program's exec); the stand-ins are one count per program read off the real trace, whose fills vary by 1 to 3 from pass to pass (fork_cow's parent 10 to 12, file_mmap 11 to 14, fork_cow's second child 0 to 8)";
const DD_CLOSE =
  "dd's close of /dev/vda meets pages whose readahead is still in flight (locked): the real find_lock_entries puts them back (+1 -1) and truncate_inode_pages_range's second pass waits for them; the sim's reads have completed";
const FAULT_AROUND =
  "file_mmap's mappings' place in their page tables (the real run has no pagemap to read it from): which pages each fault-around window maps, and so the readahead marks the faults meet";
const COMPACTION =
  'compact_memory (every 10th pass): which /tmp/soak.N pages it migrates (the real run migrates in some passes a page the sim isolates and puts back, and leaves alone others the sim migrates): not investigated';
const THP_PASSES =
  "in the passes with thp, which event takes the /tmp/soak.N page off CPU 0's batch (thp's child on CPU 0, compact_memory's lru_add_drain_all): not investigated";

/**
 * (page class, window) -> how many (page, window) pairs differ, with the cause. Window = the
 * marker the events follow.
 */
const KNOWN: Record<string, [number, string]> = {
  'fc.parent @fork_cow: touching 64 pages': [185, LRU_BATCH],
  'fc.parent @fork_cow: fork': [304, LRU_BATCH],
  'fc.parent @fork_cow: child wrote 32 pages': [58, LRU_BATCH],
  'fc.parent @fork_cow: child reaped; parent still holds 64 pages': [116, LRU_BATCH],
  'fc.parent @GT_CHECKPOINT_BEGIN cow': [3, LRU_BATCH],
  'fc.parent @GT_CHECKPOINT_BEGIN after_child_exit': [3, LRU_BATCH],
  'fc.child @fork_cow: fork': [70, LRU_BATCH],
  'fc.child @fork_cow: child wrote 32 pages': [63, LRU_BATCH],
  'fc.child @GT_CHECKPOINT_BEGIN cow': [7, LRU_BATCH],
  'fm.tmpfs @file_mmap: write tmpfs file 32 pages': [169, LRU_BATCH],
  'fm.tmpfs @file_mmap: read shared+private mappings': [436, FAULT_AROUND],
  'fm.tmpfs @file_mmap: write shared (first half) and private (second half -> COW anon)': [100, LRU_BATCH],
  'fm.tmpfs @file_mmap: munmap': [330, FAULT_AROUND],
  'fm.cow @file_mmap: write shared (first half) and private (second half -> COW anon)': [215, LRU_BATCH],
  'fm.cow @file_mmap: pread 32 pages from /dev/vda': [215, LRU_BATCH],
  'fm.bdev @file_mmap: pread 32 pages from /dev/vda': [421, FAULT_AROUND],
  'fm.bdev @file_mmap: munmap': [34, FAULT_AROUND],
  'fm.bdev @file_mmap: unlink tmpfs file': [32, FAULT_AROUND],
  'dd @file_mmap: drop_caches': [72, DD_CLOSE],
  // the first pass's page, which the thp pass takes off CPU 0's batch before thp's first marker
  'soakfile @file_mmap: drop_caches': [1, THP_PASSES],
  'soakfile @thp: touching 1 x 2MiB': [1, THP_PASSES],
  'soakfile @GT_CHECKPOINT_BEGIN thp_forked': [2, THP_PASSES],
  'soakfile @thp: munmap all': [6, COMPACTION],
};

describe('soak fidelity, 6.1', () => {
  const run = runScenario(parseScenario(BUILTINS.soak, 'builtin:soak'), traceProfile('6.1'));
  const sim = new PageHistories(simKeyedTrace(run));
  const realTrace = readKeyedTrace(sharedLines('traces', '6.1', 'soak', 'trace.txt.gz'));
  // gtrun's own markers bracket the workload; the rest are the sub-workloads'
  const real = new PageHistories({
    ...realTrace,
    markers: realTrace.markers.filter((m) => !m.text.startsWith('GT_WORKLOAD_')),
  });
  const realPages = soakPages(real);
  const simPages = soakPages(sim);

  it('the simulated trace reads back with no inconsistency and no leak', async () => {
    const f = await readBack(run);
    expect(f.consistency.inconsistencies).toEqual([]);
    expect(f.consistency.eventsChecked).toBe(run.events.length);
    // every file is truncated and every task exits: nothing holds a page at the end
    expect(f.leaks).toEqual([]);
  });

  it('the run writes the real run markers, in order: 19 per iteration, 7 more in the 4 with thp', () => {
    expect(sim.t.markers.map((m) => m.text)).toEqual(real.t.markers.map((m) => normal(m.text)));
    // fork_cow 2 x 4 + its 2 checkpoints' BEGIN, file_mmap 7 + 2; thp 4 + 3
    expect(sim.t.markers).toHaveLength(40 * 19 + 4 * 7);
  });

  it('the same pages of each class in both: 40 iterations, thp in 4', () => {
    const count = (ps: Page[]) => {
      const c: Record<string, number> = {};
      for (const p of ps) c[classOf(p.name)] = (c[classOf(p.name)] ?? 0) + 1;
      return c;
    };
    // dd: 256 pages read and 47 (i = 0) / 48 more read ahead; file_mmap's /dev/vda: 32 + 32 mapped + 32 ahead
    const want = {
      'fc.parent': 40 * 128,
      'fc.child': 40 * 64,
      'fm.tmpfs': 40 * 32,
      'fm.cow': 40 * 16,
      'fm.bdev': 40 * 96,
      dd: 12144,
      soakfile: 40,
      thp: 4,
      'thp.cow': 4,
    };
    expect(count(realPages)).toEqual(want);
    expect(count(simPages)).toEqual(want);
    expect(simPages.map((p) => p.name)).toEqual(realPages.map((p) => p.name));
  });

  it('every page, window by window, equals the real one but for the differences listed', () => {
    const simByName = new Map(simPages.map((p) => [p.name, p]));
    const got: Record<string, number> = {};
    let compared = 0;
    let equalPages = 0;
    for (const p of realPages) {
      const a = markerWindowKeys(real, p.history);
      const b = markerWindowKeys(sim, simByName.get(p.name)!.history);
      let same = true;
      for (const w of new Set([...a.keys(), ...b.keys()])) {
        compared++;
        if ((a.get(w) ?? []).join('\n') === (b.get(w) ?? []).join('\n')) continue;
        same = false;
        const k = `${classOf(p.name)} @${w < 0 ? 'start' : normal(real.t.markers[w].text)}`;
        got[k] = (got[k] ?? 0) + 1;
      }
      if (same) equalPages++;
    }
    expect(got).toEqual(Object.fromEntries(Object.entries(KNOWN).map(([k, [n]]) => [k, n])));
    // not vacuous: (page, window) pairs compared and pages equal through their whole lives
    // of 25632 pages, 24009 equal through their whole lives; 2843 (page, window) pairs of 53292 differ
    expect([compared, equalPages]).toEqual([53292, 24009]);
    expect(Object.values(got).reduce((a, b) => a + b, 0)).toBe(
      Object.values(KNOWN).reduce((a, [n]) => a + n, 0),
    );
  });
});
