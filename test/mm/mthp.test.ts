/**
 * kernel-mm-flows.md §12.5 (mTHP anonymous fault), §5.2 (6.12 fork batching of large folios) and §7
 * (zap batching) on the simulator, event by event, against what 6.12 mm/memory.c alloc_anon_folio /
 * do_anonymous_page, copy_present_ptes, zap_present_ptes and mm/rmap.c folio_add_new_anon_rmap /
 * __folio_remove_rmap do; the order choice of alloc_anon_folio (the knobs, the aligned block inside
 * the VMA and free of PTEs); 6.1, which has no per-size knobs, and its per-PTE fork of a
 * PTE-mapped THP.
 */
import { describe, expect, it } from 'vitest';
import { show_page_flags } from '../../src/kernel/flag_names.js';
import { folio_order, page_folio } from '../../src/kernel/folio.js';
import { pageRefHasRet } from '../../src/kernel/tracepoint.js';
import { deferred_split_queue, folio_test_partially_mapped } from '../../src/mm/huge_split.js';
import { vm_events } from '../../src/mm/vmstat.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario, type RunResult } from '../../src/scenario/runner.js';
import { traceProfile } from '../helpers/shared.js';

function run(version: '6.1' | '6.12', body: string): RunResult {
  const text = `machine cpus=1\ntask t comm=t cpu=0\n${body}\n`;
  return runScenario(parseScenario(text, 'mthp'), traceProfile(version));
}

/** the pfns of t's region at a checkpoint */
function pfns(r: RunResult, tag: string, region = 't:m'): Int32Array {
  const p = r.checkpoints.get(tag)?.regions.get(region);
  if (!p) throw new Error(`no ${region} at ${tag}`);
  return p;
}

/** one pfn's events from event index `from`: "M 15 - 16 -1 uptodate|head" */
function rows(r: RunResult, pfn: number, from = 0): string[] {
  return r.events
    .slice(from)
    .filter((e) => e.record.pfn === pfn)
    .map(({ record: x }) => {
      const ret = pageRefHasRet(x.type) ? String(x.ret) : '-';
      return `${'SMTRUFZ'[x.type]} ${x.val} ${ret} ${x.count} ${x.mapcount} ${show_page_flags(r.profile, x.flagsLo)}`;
    });
}

const ON = 'sysfs hugepages-64kB always';

describe('6.12 mTHP fault (hugepages-64kB/enabled=always)', () => {
  it('one order-4 folio: set 1 (flags none), +15, +1 drained at once; every page mapped once, exclusive', () => {
    const r = run('6.12', `${ON}\nt mmap m anon 16\nt write m\ncheckpoint go`);
    const p = pfns(r, 'go');
    const head = p[0];
    expect([...p]).toEqual(Array.from({ length: 16 }, (_, j) => head + j));
    expect(rows(r, head)).toEqual([
      'S 1 - 1 -1 none',
      'M 15 - 16 -1 uptodate|head', // folio_ref_add(folio, nr_pages - 1)
      'M 1 - 17 0 uptodate|owner_2|head|swapbacked', // folio_add_lru_vma
      'T -1 0 16 0 uptodate|lru|owner_2|head|swapbacked', // a large folio drains the batch at once
    ]);
    const k = r.machine.k;
    const m = k.mem;
    expect(folio_order(k, head)).toBe(4);
    expect(m.largeMapcount[head + 1]).toBe(15);
    expect(m.nrPagesMapped[head + 1]).toBe(16);
    expect(m.entireMapcount[head + 1]).toBe(-1);
    const excl = 1 << k.profile.bits.get('anon_exclusive')!;
    for (let j = 0; j < 16; j++) {
      expect(m.mapcount[head + j]).toBe(0);
      expect(m.flagsLo[head + j] & excl).toBe(excl);
    }
    expect(m.flagsLo[head + 1] & (1 << k.profile.bits.get('large_rmappable')!)).not.toBe(0);
    // the 15 other stores hit writable PTEs: no event on any tail
    for (let j = 1; j < 16; j++) expect(rows(r, head + j)).toEqual([]);
  });

  it('the order: the highest allowed whose aligned block lies in the VMA and has no PTE yet', () => {
    // m starts 8 pages past a 64 KiB boundary: pages 0..7 take an order-3 folio, 8..23 an order-4
    const r = run(
      '6.12',
      `${ON}\nsysfs hugepages-32kB always\nt mmap m anon 24\nt write m 0..0\nt write m 8..8\ncheckpoint go`,
    );
    const k = r.machine.k;
    const p = pfns(r, 'go');
    expect([folio_order(k, p[0]), folio_order(k, p[8])]).toEqual([3, 4]);
    // a block with a PTE already: 16 KiB folios where the 64 KiB block is partly populated
    const r2 = run(
      '6.12',
      't mmap m anon 16\nt write m 3..3\nsysfs hugepages-64kB always\nsysfs hugepages-16kB always\n' +
        't write m 5..5\nt write m 9..9\ncheckpoint go',
    );
    const p2 = pfns(r2, 'go');
    const k2 = r2.machine.k;
    expect([3, 4, 9].map((i) => folio_order(k2, page_folio(k2, p2[i])))).toEqual([0, 2, 2]);
    expect([p2[4] + 1, p2[8] + 1]).toEqual([p2[5], p2[9]]); // pages 4..7 are one folio, 8..11 another
    expect(p2[0]).toBe(-1); // and nothing else was faulted in
  });

  it('the knobs: madvise needs MADV_HUGEPAGE, inherit follows the global enabled, never is off', () => {
    const order = (body: string) => {
      const r = run('6.12', `t mmap m anon 16\n${body}\nt write m 0..0\ncheckpoint go`);
      return folio_order(r.machine.k, pfns(r, 'go')[0]);
    };
    expect(order('sysfs hugepages-64kB madvise')).toBe(0);
    expect(order('sysfs hugepages-64kB madvise\nt madvise m hugepage')).toBe(4);
    expect(order('sysfs hugepages-64kB inherit\nt madvise m hugepage')).toBe(4); // global madvise
    expect(order('sysfs hugepages-64kB inherit')).toBe(0);
    expect(order('sysfs hugepages-64kB inherit\nsysfs enabled always')).toBe(4);
    expect(order('sysfs hugepages-64kB inherit\nsysfs enabled never\nt madvise m hugepage')).toBe(0);
    expect(order(`${ON}\nsysfs hugepages-64kB never`)).toBe(0);
  });

  it('fork: one +16; a COW of one page: +1, -1, -1 and no reuse; exit and munmap put runs', () => {
    const r = run(
      '6.12',
      `${ON}\nt mmap m anon 16\nt write m\nt fork c cpu=0\ncheckpoint forked\nc write m 5..5\ncheckpoint cow\nc exit\nt munmap m`,
    );
    const k = r.machine.k;
    const head = pfns(r, 'forked')[0];
    const F = 'uptodate|lru|head|swapbacked';
    expect(rows(r, head).slice(4)).toEqual([
      'M 16 - 32 0 uptodate|lru|owner_2|head|swapbacked', // copy_present_ptes: folio_ref_add(nr)
      `M 1 - 33 1 ${F}`, // do_wp_page: wp_can_reuse_anon_folio refuses a large folio
      `T -1 0 32 1 ${F}`, // wp_page_copy: the old PTE's reference
      `T -1 0 31 1 ${F}`, // and do_wp_page's
      `T -5 0 26 0 ${F}`, // the child's exit: pages 0..4, then 6..15
      `T -10 0 16 0 ${F}`,
      `T -16 1 0 -1 ${F}`, // the parent's munmap
    ]);
    expect(pfns(r, 'cow', 'c:m')[5]).not.toBe(head + 5);
    expect(k.mem.refcount[head]).toBe(0);
  });

  it('after the COW the parent still maps page 5: not partially mapped, not queued', () => {
    const r = run(
      '6.12',
      `${ON}
t mmap m anon 16
t write m
t fork c cpu=0
c write m 5..5`,
    );
    const k = r.machine.k;
    const head = r.machine.task('t').mm!.vmas[0].pfn[0];
    expect([k.mem.mapcount[head + 5], k.mem.mapcount[head + 4]]).toEqual([0, 1]);
    expect(k.mem.largeMapcount[head + 1]).toBe(30);
    expect(k.mem.nrPagesMapped[head + 1]).toBe(16);
    expect(deferred_split_queue(k).size).toBe(0);
  });

  it('fork leaves each page mapped twice and not exclusive: _large_mapcount 31', () => {
    const r = run('6.12', `${ON}\nt mmap m anon 16\nt write m\nt fork c cpu=0`);
    const k = r.machine.k;
    const head = r.machine.task('t').mm!.vmas[0].pfn[0];
    const excl = 1 << k.profile.bits.get('anon_exclusive')!;
    expect(k.mem.largeMapcount[head + 1]).toBe(31);
    expect(k.mem.nrPagesMapped[head + 1]).toBe(16);
    for (let j = 0; j < 16; j++)
      expect([k.mem.mapcount[head + j], k.mem.flagsLo[head + j] & excl]).toEqual([1, 0]);
  });

  it('munmap of part of an mTHP: one run of -n, the folio queued as partially mapped', () => {
    const r = run('6.12', `${ON}\nt mmap m anon 16\nt write m\ncheckpoint go\nt munmap m 4..9`);
    const k = r.machine.k;
    const head = pfns(r, 'go')[0];
    expect(rows(r, head, r.checkpoints.get('go')!.at)).toEqual([
      'T -6 0 10 0 uptodate|lru|owner_2|head|swapbacked',
    ]);
    expect(k.mem.nrPagesMapped[head + 1]).toBe(10);
    expect(k.mem.largeMapcount[head + 1]).toBe(9);
    expect([...deferred_split_queue(k)]).toEqual([head]);
    expect(folio_test_partially_mapped(k, head)).toBe(true);
    expect(vm_events(k).get('thp_deferred_split_page')).toBeUndefined(); // counted for PMD size only
  });
});

describe('6.1 has no mTHP', () => {
  it('the per-size knob does not exist: an error naming the line', () => {
    expect(() => run('6.1', `t mmap m anon 16\n${ON}`)).toThrow(
      /mthp:4: Linux 6\.1\.\d+ has no \/sys\/kernel\/mm\/transparent_hugepage\/hugepages-64kB\/enabled \(no per-size mTHP knobs before 6\.8\)/,
    );
  });
});

describe('fork of a PTE-mapped PMD THP (after a partial munmap)', () => {
  const body =
    't mmap m anon 512\nt madvise m hugepage\nt write m\nt munmap m 128..383\ncheckpoint go\nt fork c cpu=0';
  it('6.12: one folio_ref_add per run of PTEs (+128, +128)', () => {
    const r = run('6.12', body);
    const head = pfns(r, 'go')[0];
    expect(rows(r, head, r.checkpoints.get('go')!.at).map((x) => x.split(' ').slice(0, 4).join(' '))).toEqual(
      ['M 128 - 384', 'M 128 - 512'],
    );
  });
  it('6.1: copy_present_pte takes +1 per PTE', () => {
    const r = run('6.1', body);
    const head = pfns(r, 'go')[0];
    const after = rows(r, head, r.checkpoints.get('go')!.at);
    expect(after).toHaveLength(256);
    expect(after.every((x, j) => x.startsWith(`M 1 - ${257 + j} `))).toBe(true);
  });
});
