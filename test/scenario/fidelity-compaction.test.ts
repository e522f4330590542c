/**
 * The built-in compaction scenario against the real 6.12 compaction workload
 * (../shared/traces/6.12/compaction, compaction.c: 8192 anon pages written, 3 of every 4 released
 * with one MADV_DONTNEED each, 2048 tmpfs pages mapped shared and written, compact_memory).
 *
 * Compared: the lifecycle of every page of the workload's two regions at both checkpoints
 * (before_compact: the sources; after_compact: the same pages, the migrated ones replaced by their
 * destinations), as a multiset per region. Which virtual page sits in which pageblock follows the
 * real machine's free lists (the one pageblock the real compaction reached, 0x200, holds virtual
 * pages 1780..4592 of the anon region, every fourth pfn), which the simulated machine does not
 * reproduce, while compaction works on pageblocks; so pages are matched by lifecycle, not by index.
 * Outside the comparison: the pages the whole-machine compaction moved that are not the workload's
 * (isolate_movable_page's tries on slab pages, gtrun's and the page cache's folios, all of node 1:
 * the model has one zone).
 *
 * What the real run did, and the simulated one must do too: the free scanner found one free block
 * (0x147e0, order 5, the last 32 pages of a pageblock; the 6144 released pages sat on CPU 0's PCP
 * list, pcp->high 7005, out of its sight); the first 32 pages isolated were migrated, the other 96
 * of their pageblock were isolated together (finish_pageblock) and put back when compaction_alloc
 * found nothing more (-ENOMEM); every other page stayed. The scenario's gtrun stand-in puts the
 * end of what its allocator has handed out at the same place in a pageblock (see builtins.ts).
 */
import { describe, expect, it } from 'vitest';
import { PAGE_REF_EVENT_NAMES } from '../../src/kernel/tracepoint.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { type EventKey, pagemapRegions, realLifecycles, simLifecycles } from '../../src/scenario/fidelity.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario, type RunResult } from '../../src/scenario/runner.js';
import { readShared, traceProfile } from '../helpers/shared.js';

const REGIONS = [
  ['anon_fragmented', 'cmp:a'],
  ['tmpfs_shared', 'cmp:s'],
] as const;
const TAGS = ['before_compact', 'after_compact'] as const;

const run = (version: '6.1' | '6.12'): RunResult =>
  runScenario(parseScenario(BUILTINS.compaction, 'builtin:compaction'), traceProfile(version));

const sorted = (ls: readonly EventKey[][]) => ls.map((l) => l.join('\n')).sort();

/** lifecycles by what compaction did to the page; `u`: the mapcount field of an unmapped page */
function fate(l: readonly EventKey[], u: number): string {
  if (l[0].startsWith(`set 1 - 1 ${u} none`) && l[1]?.startsWith(`mod 1 - 2 ${u} locked|uptodate|dirty`))
    return 'destination';
  if (!l.some((e) => e.startsWith(`mod_unless 1 1 2 ${u + 1} `))) return 'untouched';
  return l.some((e) => e.startsWith(`mod_and_test -1 0 1 ${u} locked`)) ? 'migrated' : 'put back';
}

function fates(ls: readonly EventKey[][], u = -1): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of ls) out[fate(l, u)] = (out[fate(l, u)] ?? 0) + 1;
  return out;
}

/** pages of `after` that were not in `before`: the migration targets */
function targets(before: readonly number[], after: readonly number[]): number[] {
  const had = new Set(before);
  return after.filter((p) => !had.has(p)).sort((a, b) => a - b);
}

/** a naturally aligned block of 2^order pages ending where a pageblock ends */
function oneBlockAtPageblockEnd(pfns: readonly number[]): boolean {
  const n = pfns.length;
  return (
    n > 0 &&
    (n & (n - 1)) === 0 &&
    pfns[0] % n === 0 &&
    pfns.every((p, i) => p === pfns[0] + i) &&
    (pfns[0] + n) % 512 === 0
  );
}

describe('compaction fidelity, 6.12', () => {
  const sim = run('6.12');
  const trace = readShared('traces', '6.12', 'compaction', 'trace.txt.gz').split('\n');
  const pagemap = readShared('traces', '6.12', 'compaction', 'pagemap-pfns.txt.gz');

  it.each(TAGS)('checkpoint %s: every page of both regions has a real lifecycle (multisets equal)', (tag) => {
    const real = realLifecycles(trace, tag, pagemapRegions(pagemap, tag));
    const ours = simLifecycles(
      sim,
      tag,
      REGIONS.map(([, r]) => r),
    );
    for (const [realRegion, simRegion] of REGIONS) {
      const a = real.get(realRegion)!;
      const b = ours.get(simRegion)!.filter((l) => l.length);
      expect(a).toHaveLength(2048);
      expect(sorted(b)).toEqual(sorted(a));
    }
    // not vacuous: each fate the real run shows, in its numbers (tmpfs pages all stayed)
    const anon = real.get('anon_fragmented')!;
    expect(fates(anon)).toEqual(
      tag === 'before_compact'
        ? { untouched: 1920, migrated: 32, 'put back': 96 }
        : { untouched: 1920, destination: 32, 'put back': 96 },
    );
    expect(fates(real.get('tmpfs_shared')!)).toEqual({ untouched: 2048 });
    expect(new Set(sorted(anon)).size).toBe(tag === 'before_compact' ? 4 : 5);
  });

  it("the free scanner's targets: one order-5 block at a pageblock's end, in both runs", () => {
    const region = (tag: string) => pagemapRegions(pagemap, tag).get('anon_fragmented')!;
    const real = targets(region('before_compact'), region('after_compact'));
    expect(real[0]).toBe(0x147e0);
    expect(oneBlockAtPageblockEnd(real)).toBe(true);
    const simRegion = (tag: string) =>
      [...sim.checkpoints.get(tag)!.regions.get('cmp:a')!].filter((p) => p >= 0);
    const ours = targets(simRegion('before_compact'), simRegion('after_compact'));
    expect(ours).toHaveLength(32);
    expect(oneBlockAtPageblockEnd(ours)).toBe(true);
  });

  it('the compaction and MADV_DONTNEED stacks are the real stack run’s', () => {
    const lines = readShared('traces', '6.12', 'compaction', 'trace-stack.txt.gz').split('\n');
    const stackPagemap = (tag: string) =>
      `### checkpoint-${tag}\n` +
      readShared('traces', '6.12', 'compaction', 'stack-run', `checkpoint-${tag}`, 'pagemap-pfns.txt.gz');
    const workload = new Set(TAGS.flatMap((t) => [...pagemapRegions(stackPagemap(t), t).values()].flat()));
    const real = realStacks(lines);
    const ours = simStacks(sim);
    for (const phase of ['compact', 'dontneed'] as const) {
      // every stack the simulated phase shows, the real one shows (on some page of the machine)
      const realAll = new Set(real[phase].map((s) => s.key));
      expect([...new Set(ours[phase].map((s) => s.key))].filter((k) => !realAll.has(k))).toEqual([]);
      // and every stack the real phase shows on the workload's pages, the simulated one shows
      const oursAll = new Set(ours[phase].map((s) => s.key));
      const realWorkload = new Set(real[phase].filter((s) => workload.has(s.pfn)).map((s) => s.key));
      expect([...realWorkload].filter((k) => !oursAll.has(k))).toEqual([]);
    }
    // not vacuous: isolation, target, unmap, lru add (+ its drain), remap, the puts of both
    // folios, putback (+ its drain and put); the zap's drain and its flush
    expect(new Set(ours.compact.map((s) => s.key)).size).toBe(10);
    expect(new Set(ours.dontneed.map((s) => s.key)).size).toBe(2);
  });
});

describe('compaction on the 6.1 rules (no 6.1 trace of this workload)', () => {
  const sim = run('6.1');
  const lifecycles = (tag: string) =>
    simLifecycles(sim, tag, ['cmp:a'])
      .get('cmp:a')!
      .filter((l) => l.length);

  it('the same pages move and stay; the targets get their refcount at isolation, the destinations drain at once', () => {
    expect(fates(lifecycles('before_compact'), 0)).toEqual({ untouched: 1920, migrated: 32, 'put back': 96 });
    const dsts = lifecycles('after_compact').filter((l) => fate(l, 0) === 'destination');
    expect(dsts).toHaveLength(32);
    // migrate_folio_move(): folio_add_lru(dst), then lru_add_drain() since src was mapped (6.1 :1212)
    for (const l of dsts)
      expect(l.slice(1, 3)).toEqual([
        'mod 1 - 2 0 locked|uptodate|dirty|swapbacked',
        'mod_and_test -1 0 1 0 locked|uptodate|dirty|lru|swapbacked',
      ]);
    // split_map_pages(): all 32 page_ref_set before the first unmap; 6.12 compaction_alloc: one per unmap
    const at = (r: RunResult, fn: string) => r.events.flatMap((e, i) => (e.stack.includes(fn) ? [i] : []));
    const sets61 = [...at(sim, 'split_map_pages')];
    expect(sets61).toHaveLength(32);
    expect(Math.max(...sets61)).toBeLessThan(Math.min(...at(sim, 'try_to_migrate')));
    const r612 = run('6.12');
    const sets612 = at(r612, 'compaction_alloc');
    expect(sets612).toHaveLength(32);
    expect(Math.max(...sets612)).toBeGreaterThan(Math.min(...at(r612, 'try_to_migrate')));
  });
});

/** one traced event of the workload's task with its frames (innermost first, up to the syscall) */
interface Stacked {
  pfn: number;
  key: string;
}

const EVENT = /\s(\S+?)-\d+\s.*?page_ref_(\w+): pfn=0x([0-9a-f]+)/;

/**
 * The real stack run's events of the compaction task, split by the workload's markers into the
 * MADV_DONTNEED phase and the compact_memory phase; frames after the tracepoint's own two
 * (trace_event_raw_event_*, __page_ref_*), up to do_syscall_64.
 */
function realStacks(lines: readonly string[]): Record<'compact' | 'dontneed', Stacked[]> {
  const out: Record<'compact' | 'dontneed', Stacked[]> = { compact: [], dontneed: [] };
  let phase: 'compact' | 'dontneed' | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.includes('tracing_mark_write: ')) {
      if (line.includes('free 3 of every 4')) phase = 'dontneed';
      else if (line.includes('compaction: compact_memory')) phase = 'compact';
      else if (line.includes('GT_CHECKPOINT_BEGIN')) phase = undefined;
      continue;
    }
    const m = EVENT.exec(line);
    if (!m || !phase || m[1] !== 'compaction' || !lines[i + 1]?.includes('<stack trace>')) continue;
    const frames: string[] = [];
    for (let j = i + 2; lines[j]?.startsWith(' => '); j++) frames.push(lines[j].slice(4));
    const end = frames.indexOf('do_syscall_64');
    out[phase].push({ pfn: parseInt(m[3], 16), key: `${m[2]} ${frames.slice(2, end).join(' < ')}` });
  }
  return out;
}

/** the same from the simulated run: the compaction task's events by the syscall they come from */
function simStacks(r: RunResult): Record<'compact' | 'dontneed', Stacked[]> {
  const out: Record<'compact' | 'dontneed', Stacked[]> = { compact: [], dontneed: [] };
  for (const e of r.events) {
    if (e.ctx.comm !== 'compaction') continue;
    const phase = e.stack.includes('sysctl_compaction_handler')
      ? 'compact'
      : e.stack.includes('__x64_sys_madvise')
        ? 'dontneed'
        : undefined;
    if (!phase) continue;
    const ev = PAGE_REF_EVENT_NAMES[e.record.type].slice('page_ref_'.length);
    out[phase].push({ pfn: e.record.pfn, key: `${ev} ${e.stack.join(' < ')}` });
  }
  return out;
}
