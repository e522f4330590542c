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
 * The simulated side checks the rules against the scenario's own regions (they find exactly the
 * pages the simulated regions had). Each page is followed through its whole life (and any
 * migration: compact_memory runs every 10th iteration) and compared window by window as (event,
 * val, ret, count, mapcount, flags).
 *
 * Reading the plain 229 MB trace (1.16 M events) once per file costs ~10 s of the suite; it is the
 * only run with all 40 iterations (the stack run has 3), and the iterations are what a soak
 * checks: that pass 7 (the first /tmp/soak.N reuse is pass 8) still behaves as pass 1.
 */
import { describe, expect, it } from 'vitest';
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
import { sharedLines, traceProfile } from '../helpers/shared.js';

/** a marker's text without what differs per run (addresses, pids) */
const normal = (text: string) => text.replace(/ at 0x[0-9a-f]+$/, '').replace(/ pid=\d+$/, '');

type Kind = 'anon' | 'shmem' | 'bdev' | 'thp';

/** which pages of which kind a window's allocations hold, by the window's marker */
const WANTED: Record<string, readonly [string, Kind][]> = {
  'fork_cow: touching 64 pages': [['fc.parent', 'anon']],
  'fork_cow: fork': [['fc.child', 'anon']],
  'file_mmap: write tmpfs file 32 pages': [['fm.tmpfs', 'shmem']],
  'file_mmap: write shared (first half) and private (second half -> COW anon)': [['fm.cow', 'anon']],
  'file_mmap: pread 32 pages from /dev/vda': [['fm.bdev', 'bdev']],
  'file_mmap: drop_caches': [
    ['dd', 'bdev'],
    ['soakfile', 'shmem'],
  ],
  'thp: touching 1 x 2MiB': [['thp', 'thp']],
  'thp: fork': [['thp.cow', 'anon']],
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

/** the soak's pages of `h`, in allocation order per window; the iteration counted at each fork_cow round 0 */
function soakPages(h: PageHistories): Page[] {
  const { markers } = h.t;
  const pages: Page[] = [];
  const evs = new Map<number, number[]>();
  for (let i = 0; i < h.t.pfn.length; i++) {
    let l = evs.get(h.t.pfn[i]);
    if (!l) evs.set(h.t.pfn[i], (l = []));
    l.push(i);
  }
  /** position -> the next event of the same pfn */
  const next = new Int32Array(h.t.pfn.length).fill(-1);
  for (const l of evs.values()) for (let k = 0; k + 1 < l.length; k++) next[l[k]] = l[k + 1];
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
    const wanted = WANTED[text];
    if (!wanted) return;
    const end = markers[j + 1]?.at ?? h.t.pfn.length;
    const counters = new Map<string, number>();
    for (let i = m.at; i < end; i++) {
      if (h.t.type[i] !== 0 || h.t.val[i] !== 1 || next[i] < 0) continue;
      const key = h.t.keys[next[i]];
      for (const [cls, kind] of wanted) {
        if (!RULES[kind].test(key)) continue;
        const n = counters.get(cls) ?? 0;
        counters.set(cls, n + 1);
        pages.push({ name: `it${iteration} ${cls}#${r}[${n}]`, history: h.history(h.t.pfn[i], i) });
      }
    }
  });
  return pages;
}

describe('soak fidelity, 6.1', () => {
  const run = runScenario(parseScenario(BUILTINS.soak, 'builtin:soak'), traceProfile('6.1'));
  const sim = new PageHistories(simKeyedTrace(run));
  const real = new PageHistories(readKeyedTrace(sharedLines('traces', '6.1', 'soak', 'trace.txt.gz')));
  const realMarkers = real.t.markers.filter((m) => !m.text.startsWith('GT_WORKLOAD_'));

  it('the run writes the real run markers, in order', () => {
    expect(sim.t.markers.map((m) => m.text)).toEqual(realMarkers.map((m) => normal(m.text)));
    expect(sim.t.markers).toHaveLength(788);
  });

  it('explore', () => {
    real.t.markers = realMarkers;
    const rp = soakPages(real);
    const sp = soakPages(sim);
    const simByName = new Map(sp.map((p) => [p.name, p]));
    const count = (ps: Page[]) => {
      const c: Record<string, number> = {};
      for (const p of ps) {
        const k = p.name.replace(/^it\d+ /, '').replace(/\[\d+\]$/, '');
        c[k] = (c[k] ?? 0) + 1;
      }
      return c;
    };
    console.log(count(rp), count(sp));
    const diffs: Record<string, number> = {};
    const examples: Record<string, string> = {};
    for (const p of rp) {
      const s = simByName.get(p.name);
      const a = markerWindowKeys(real, p.history);
      const b = s ? markerWindowKeys(sim, s.history) : new Map<number, string[]>();
      for (const w of new Set([...a.keys(), ...b.keys()])) {
        const x = (a.get(w) ?? []).join('\n');
        const y = (b.get(w) ?? []).join('\n');
        if (x === y) continue;
        const k = `${p.name.replace(/^it\d+ /, '').replace(/\[\d+\]$/, '')} @${w < 0 ? 'start' : normal(realMarkers[w].text)}`;
        diffs[k] = (diffs[k] ?? 0) + 1;
        examples[k] ??=
          `${p.name}\n real: ${x.replace(/\n/g, '\n       ')}\n sim:  ${y.replace(/\n/g, '\n       ')}`;
      }
    }
    console.log(diffs);
    for (const e of Object.values(examples)) console.log(e);
  });
});
