/**
 * Readahead windows (mm/readahead.c) on the model's virtio disk (ra_pages 32, io_pages 320), worked
 * out by hand from the 6.1 and 6.12 sources: which pages each read or fault reads ahead, and where
 * PG_readahead (shown as `reclaim`) lands. The two releases agree on plain sequential reads and
 * differ on a miss just past the window.
 */
import { describe, expect, it } from 'vitest';
import { show_page_flags } from '../../src/kernel/flag_names.js';
import { loadProfile } from '../../src/kernel/profiles/index.js';
import { PAGE_REF_EVENT_NAMES } from '../../src/kernel/tracepoint.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';

/** per step: the file indices read ahead, and those newly marked PG_readahead */
function windows(v: '6.1' | '6.12', ...steps: string[]): { read: number[]; marked: number[] }[] {
  const text = ['task t comm=t cpu=0', 't open d file 64', 't mmap m file 64 of=d'];
  steps.forEach((s, i) => text.push(s, `checkpoint s${i}`));
  const run = runScenario(parseScenario(text.join('\n'), 'ra.txt'), loadProfile(v));
  const k = run.machine.k;
  const marked = new Set<number>();
  let from = 0;
  return steps.map((_, i) => {
    const to = run.checkpoints.get(`s${i}`)!.at;
    const w = { read: [] as number[], marked: [] as number[] };
    for (const e of run.events.slice(from, to)) {
      const index = k.mem.index[e.record.pfn];
      if (
        PAGE_REF_EVENT_NAMES[e.record.type] === 'page_ref_set' &&
        e.stack.includes('page_cache_ra_unbounded')
      )
        w.read.push(index);
      if (/\breclaim\b/.test(show_page_flags(run.profile, e.record.flagsLo)) && !marked.has(index)) {
        marked.add(index);
        w.marked.push(index);
      }
    }
    from = to;
    return w;
  });
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe.each(['6.1', '6.12'] as const)('readahead windows, %s', (v) => {
  it('a 4-page read at 0: get_init_ra_size(4, 32) = 8 pages, the mark at 8 - 4', () => {
    expect(windows(v, 't fread d 0..3')).toEqual([{ read: range(0, 7), marked: [4] }]);
  });

  it('the next read reaches the mark: the window moves on, ramped up to 16, marked at its start', () => {
    expect(windows(v, 't fread d 0..3', 't fread d 4..7')).toEqual([
      { read: range(0, 7), marked: [4] },
      { read: range(8, 23), marked: [8] },
    ]);
  });

  it('an mmap fault on an uncached page: read-around of ra_pages from index - 16, the last quarter async', () => {
    expect(windows(v, 't read m 20..20')).toEqual([{ read: range(4, 35), marked: [28] }]);
  });
});

describe('a synchronous miss just past the window (the mark at 4 skipped)', () => {
  it('6.1 ondemand_readahead: index == start + size is sequential, ramped and merged: 32 pages, mark 24', () => {
    expect(windows('6.1', 't fread d 0..3', 't fread d 8..9')[1]).toEqual({
      read: range(8, 39),
      marked: [24],
    });
  });
  it('6.12 page_cache_sync_ra: 8 cached pages behind it, from the start: min(2 * 8 + 2, 32) pages, mark at the end', () => {
    expect(windows('6.12', 't fread d 0..3', 't fread d 8..9')[1]).toEqual({
      read: range(8, 25),
      marked: [25],
    });
  });
});
