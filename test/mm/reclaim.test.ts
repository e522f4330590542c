/**
 * Reclaim and swap on the simulator, event by event: MADV_PAGEOUT of anon pages without and with a
 * swap device (zram: SWP_SYNCHRONOUS_IO; an SSD: bios completed later), swap-in from the swap cache,
 * through the zram shortcut and through VMA readahead with VM_FAULT_RETRY, memory.reclaim walking
 * the LRU lists (kernel-mm-flows.md §13's example), active-list deactivation, fork of a swap entry,
 * direct reclaim below the min watermark. Each expectation was derived from the 6.12 and 6.1 trees
 * (mm/vmscan.c shrink_folio_list, mm/swap_state.c, mm/page_io.c, mm/memory.c do_swap_page), the
 * reference only where it agrees; the comments name the step. One task on CPU 0 of a one-CPU
 * machine, everything drained before the checkpoint `go`; rows as test/helpers/sequence-rows.ts makes them.
 */
import { describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/kernel/profiles/index.js';
import { WMARK_HIGH, WMARK_LOW, WMARK_MIN, zone_watermark } from '../../src/mm/page_alloc.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { countWithFrames, sequenceRows } from '../helpers/sequence-rows.js';
import { traceProfile } from '../helpers/shared.js';

type V = '6.1' | '6.12';

const rows = (v: V, machine: string, setup: string, act: string) => sequenceRows(v, setup, act, machine);

/** the version's mapcount column for "mapped once" / "not mapped" and its PG_anon_exclusive name */
const col = (v: V) =>
  v === '6.12' ? { one: 0, none: -1, excl: 'owner_2' } : { one: 1, none: 0, excl: 'mappedtodisk' };
const ANON = 't mmap p anon 1\nt write p';

describe('MADV_PAGEOUT of an anon page', () => {
  it.each(['6.1', '6.12'] as const)(
    '%s without a swap device: add_to_swap fails, the folio is activated and put back',
    (v) => {
      const { one, excl } = col(v);
      expect(rows(v, '', ANON, 't reclaim p')).toEqual([
        `P M 1 - 2 ${one} uptodate|${excl}|swapbacked`, // folio_isolate_lru
        `P M 1 - 3 ${one} uptodate|active|${excl}|swapbacked`, // activate_locked, folio_putback_lru -> folio_add_lru
        `P T -1 0 2 ${one} uptodate|active|${excl}|swapbacked`, // folio_put of the isolation ref
      ]);
    },
  );

  it('6.12 with zram: swap cache +1, unmap -1, the write ends inside pageout (+1/-1), freed frozen; the zram swap-in skips the swap cache', () => {
    const S = 'uptodate|owner_priv_1|swapbacked';
    expect(rows('6.12', 'swap=64 swapdev=zram', ANON, 't reclaim p\nt read p')).toEqual([
      'P M 1 - 2 0 uptodate|owner_2|swapbacked', // folio_isolate_lru
      'P M 1 - 3 0 locked|uptodate|owner_2|swapbacked', // add_to_swap_cache: folio_ref_add before PG_swapcache
      'P T -1 0 2 -1 locked|uptodate|dirty|owner_priv_1|swapbacked', // try_to_unmap_one: swap PTE, not exclusive
      `P M 1 - 3 -1 uptodate|owner_priv_1|writeback|swapbacked`, // swap_writepage_bdev_sync: unlocked, end_writeback get
      `P T -1 0 2 -1 ${S}`, // __folio_end_writeback, folio_put
      `P F 2 1 0 -1 locked|${S}`, // the synchronous write: folio_trylock, __remove_mapping freezes 1 + nr
      'P S 1 - 1 -1 none', // do_swap_page: SWP_SYNCHRONOUS_IO and __swap_count == 1: vma_alloc_folio
      'P M 1 - 2 -1 locked|swapbacked', // folio_add_lru
      'P M 0 - 2 -1 locked|uptodate|swapbacked', // read done; folio_ref_add(nr_pages - 1)
    ]);
  });

  it('6.1 with zram: bdev_write_page ends the writeback before the unlock; no val=0 event', () => {
    expect(rows('6.1', 'swap=64 swapdev=zram', ANON, 't reclaim p\nt read p')).toEqual([
      'P M 1 - 2 1 uptodate|mappedtodisk|swapbacked',
      'P M 1 - 3 1 locked|uptodate|mappedtodisk|swapbacked',
      'P T -1 0 2 0 locked|uptodate|dirty|owner_priv_1|swapbacked',
      'P M 1 - 3 0 locked|uptodate|owner_priv_1|writeback|swapbacked', // zram_rw_page -> page_endio, still locked
      'P T -1 0 2 0 locked|uptodate|owner_priv_1|swapbacked',
      'P F 2 1 0 0 locked|uptodate|owner_priv_1|swapbacked',
      'P S 1 - 1 0 none',
      'P M 1 - 2 0 locked|swapbacked',
    ]);
  });

  it('6.12 with an SSD: the folio is put back under writeback, the interrupt ends it, a read fault maps it from the swap cache, exit frees the swap', () => {
    const WB = 'uptodate|owner_priv_1|writeback';
    expect(rows('6.12', 'swap=64', ANON, 't reclaim p\nt read p\nt exit')).toEqual([
      'P M 1 - 2 0 uptodate|owner_2|swapbacked',
      'P M 1 - 3 0 locked|uptodate|owner_2|swapbacked',
      'P T -1 0 2 -1 locked|uptodate|dirty|owner_priv_1|swapbacked',
      `P M 1 - 3 -1 ${WB}|reclaim|swapbacked`, // PAGE_SUCCESS under writeback: keep; folio_putback_lru
      `P T -1 0 2 -1 ${WB}|reclaim|swapbacked`,
      `P M 1 - 3 -1 ${WB}|swapbacked`, // end_swap_bio_write: not on the LRU yet (batched), so no rotation
      'P T -1 0 2 -1 uptodate|owner_priv_1|swapbacked',
      'P U 1 1 3 -1 uptodate|owner_priv_1|swapbacked', // swap_cache_get_folio: the ref becomes the PTE's
      'P M 0 - 3 -1 locked|uptodate|owner_priv_1|swapbacked', // exclusive swap PTE: writable, RMAP_EXCLUSIVE
      'P T -1 0 2 0 uptodate|lru|owner_priv_1|owner_2|swapbacked', // exit_mmap: lru_add_drain
      'P M -1 - 1 -1 locked|uptodate|lru|owner_2|swapbacked', // free_swap_cache -> folio_free_swap -> delete_from_swap_cache
      'P T -1 1 0 -1 uptodate|dirty|lru|owner_2|swapbacked', // folios_put_refs
    ]);
  });

  it('6.12 with an SSD, a write fault: lru_add_drain, then the swap cache is freed (refcount == 1 + nr) and the page reused', () => {
    expect(rows('6.12', 'swap=64', ANON, 't reclaim p\nt write p').slice(7)).toEqual([
      'P U 1 1 3 -1 uptodate|owner_priv_1|swapbacked',
      'P T -1 0 2 -1 locked|uptodate|lru|owner_priv_1|swapbacked', // write to a folio not on the LRU
      'P M -1 - 1 -1 locked|uptodate|lru|swapbacked', // should_try_to_free_swap -> folio_free_swap
      'P M 0 - 1 -1 locked|uptodate|dirty|lru|swapbacked',
    ]);
  });
});

describe('memory.reclaim: the LRU scan of kernel-mm-flows.md §13 (one anon page, an SSD)', () => {
  it.each(['6.1', '6.12'] as const)(
    '%s: kept once for its young PTE, swapped on the next scan, rotated at the end of writeback, freed on the third; then swapped in with VM_FAULT_RETRY',
    (v) => {
      const { one, none, excl } = col(v);
      const S = 'uptodate|lru|owner_priv_1|swapbacked';
      const L = 'locked|owner_priv_1|swapbacked';
      const tail = [
        `P S 1 - 1 ${none} none`, // swap_vma_readahead: __read_swap_cache_async allocates
        `P M 1 - 2 ${none} locked|swapbacked`, // add_to_swap_cache
        `P M 1 - 3 ${none} ${L}`, // folio_add_lru; the read is submitted
        `P T -1 0 2 ${none} ${L}`, // the readahead loop's folio_put
        `P T -1 0 1 ${none} locked|lru|owner_priv_1|swapbacked`, // lru_add_drain
        `P U 1 1 2 ${none} locked|lru|owner_priv_1|swapbacked`, // the faulting entry again
        `P T -1 0 1 ${none} ${S}`, // folio_lock_or_retry waited for the read: VM_FAULT_RETRY, folio_put
        `P U 1 1 2 ${none} ${S}`, // the retry: swap_cache_get_folio
      ];
      if (v === '6.12') tail.push(`P M 0 - 2 ${none} locked|${S}`);
      expect(rows(v, 'swap=64', ANON, 't reclaim_memory 1\nt read p')).toEqual([
        `P U 1 1 2 ${one} uptodate|lru|${excl}|swapbacked`, // isolate_lru_folios at priority 0 (SCAN_EQUAL)
        `P T -1 0 1 ${one} referenced|uptodate|lru|${excl}|swapbacked`, // young PTE: PG_referenced, KEEP
        `P U 1 1 2 ${one} referenced|uptodate|lru|${excl}|swapbacked`, // the next pass: referenced, not young -> RECLAIM
        `P M 1 - 3 ${one} locked|uptodate|${excl}|swapbacked`, // add_to_swap
        `P T -1 0 2 ${none} locked|uptodate|dirty|owner_priv_1|swapbacked`, // try_to_unmap_one
        `P T -1 0 1 ${none} uptodate|lru|owner_priv_1|writeback|reclaim|swapbacked`, // move_folios_to_lru
        `P M 1 - 2 ${none} uptodate|lru|owner_priv_1|writeback|swapbacked`, // folio_rotate_reclaimable: lru_move_tail batch
        `P M 1 - 3 ${none} uptodate|lru|owner_priv_1|writeback|swapbacked`, // folio_end_writeback's own get/put
        `P T -1 0 2 ${none} ${S}`,
        `P T -1 0 1 ${none} ${S}`, // the next shrink_inactive_list's lru_add_drain: to the tail
        `P U 1 1 2 ${none} ${S}`,
        `P F 2 1 0 ${none} locked|uptodate|owner_priv_1|swapbacked`, // clean swap cache folio: freed frozen
        ...tail,
      ]);
    },
  );

  it('6.12: a page two young PTEs map is activated, the anon active list is then aged (PG_workingset), and swapped on the full-walk retry', () => {
    const r = rows('6.12', 'swap=64', `${ANON}\nt fork c cpu=0\nc read p`, 't reclaim_memory 1');
    expect(r.slice(0, 6)).toEqual([
      'P U 1 1 3 1 uptodate|lru|swapbacked',
      'P T -1 0 2 1 referenced|uptodate|lru|active|swapbacked', // folio_check_references: 2 referenced PTEs -> ACTIVATE
      'P U 1 1 3 1 referenced|uptodate|lru|active|swapbacked', // shrink_lruvec: inactive_is_low -> shrink_active_list
      'P T -1 0 2 1 referenced|uptodate|lru|workingset|swapbacked', // deactivated
      'P U 1 1 3 1 referenced|uptodate|lru|workingset|swapbacked', // do_try_to_free_pages' memcg_full_walk retry
      'P M 1 - 4 1 locked|uptodate|workingset|swapbacked', // add_to_swap, then one unmap per process
    ]);
    expect(r[6]).toBe('P T -1 0 3 0 locked|uptodate|dirty|workingset|owner_priv_1|swapbacked');
    expect(r[7]).toBe('P T -1 0 2 -1 locked|uptodate|dirty|workingset|owner_priv_1|swapbacked');
  });
});

describe('fork of a swap entry (copy_nonpresent_pte: swap_duplicate, the entry no longer exclusive)', () => {
  it('6.12 zram: two PTEs on the slot skip the zram shortcut; the child maps it shared; the parent write copies', () => {
    const r = rows('6.12', 'swap=64 swapdev=zram', ANON, 't reclaim p\nt fork c cpu=0\nc read p\nt write p');
    expect(r.slice(6)).toEqual([
      'P S 1 - 1 -1 none', // __swap_count == 2: swapin_readahead (the read itself is synchronous)
      'P M 1 - 2 -1 locked|swapbacked',
      'P M 1 - 3 -1 locked|owner_priv_1|swapbacked',
      'P T -1 0 2 -1 uptodate|owner_priv_1|swapbacked',
      'P T -1 0 1 -1 uptodate|lru|owner_priv_1|swapbacked',
      'P U 1 1 2 -1 uptodate|lru|owner_priv_1|swapbacked', // not locked: no retry
      'P M 0 - 2 -1 locked|uptodate|lru|owner_priv_1|swapbacked', // refcount 2, not exclusive: read-only, RMAP_NONE
      'P U 1 1 3 0 uptodate|lru|owner_priv_1|swapbacked', // the parent's write fault
      'P M 0 - 3 0 locked|uptodate|lru|owner_priv_1|swapbacked',
      'P M 1 - 4 1 uptodate|lru|owner_priv_1|swapbacked', // do_wp_page: shared, folio_get + wp_page_copy
      'D1 S 1 - 1 -1 none',
      'D1 M 1 - 2 0 uptodate|owner_2|swapbacked',
      'P T -1 0 3 0 uptodate|lru|owner_priv_1|swapbacked',
      'P T -1 0 2 0 uptodate|lru|owner_priv_1|swapbacked',
    ]);
  });
});

describe('memory pressure', () => {
  it('watermarks of a 4096-page zone: min_free_kbytes = sqrt(16 MiB in KiB * 16) = 512 KiB', () => {
    const r = runScenario(parseScenario('machine pages=8192 cpus=1\n', 'w'), traceProfile('6.12'));
    const k = r.machine.k;
    expect([WMARK_MIN, WMARK_LOW, WMARK_HIGH].map((w) => zone_watermark(k, w))).toEqual([128, 160, 192]);
  });

  it.each(['6.1', '6.12'] as const)(
    '%s: an allocation below the min watermark reclaims directly; anon pages are swapped out and faulted back',
    (v) => {
      const text =
        'machine pages=8192 cpus=1 swap=4096\ntask t comm=t cpu=0\nt mmap a anon 4096\nt write a\nt read a 0..63\n';
      const r = runScenario(parseScenario(text, 'p'), traceProfile(v));
      const direct = r.events.filter((e) => e.stack.includes('try_to_free_pages'));
      expect(direct.length).toBeGreaterThan(0);
      for (const e of direct) expect(e.stack).toContain('__alloc_pages_direct_reclaim');
      const swapped = r.events.filter(
        (e) => e.stack[0] === 'add_to_swap_cache' && e.stack.includes('add_to_swap'),
      );
      const swapins = r.events.filter((e) => e.stack.includes('do_swap_page'));
      expect(swapped.length).toBeGreaterThan(100);
      expect(swapins.length).toBeGreaterThan(0);
    },
  );

  it('without a swap device anon pages are never reclaimed: a machine smaller than the mapping runs out of memory', () => {
    const text = 'machine pages=8192 cpus=1\ntask t comm=t cpu=0\nt mmap a anon 4096\nt write a\n';
    expect(() => runScenario(parseScenario(text, 'p'), traceProfile('6.12'))).toThrow(
      /p:4: touch: __alloc_pages: out of memory for an order-0 page.*OOM killer is not modelled/,
    );
  });

  it('lru_gen=n keeps the classic LRU on the Debian 6.12 config; the QEMU kernels have no CONFIG_LRU_GEN to switch on', () => {
    const text = (g: string) =>
      `machine pages=8192 cpus=1 swap=4096 ${g}\ntask t comm=t cpu=0\nt mmap a anon 64\nt write a\nt reclaim_memory 8\n`;
    const classic = runScenario(parseScenario(text('lru_gen=n'), 'p'), loadProfile('6.12'));
    expect(classic.events.some((e) => e.stack.includes('shrink_inactive_list'))).toBe(true);
    expect(classic.events.some((e) => e.stack.includes('evict_folios'))).toBe(false);
    expect(() => runScenario(parseScenario(text('lru_gen=y'), 'p'), traceProfile('6.12'))).toThrow(
      /^p:1: lru_gen: the 6.12 profile's config has no CONFIG_LRU_GEN$/,
    );
    // 0 asks for nothing, so it is accepted everywhere
    expect(() => runScenario(parseScenario(text('lru_gen=0'), 'p'), traceProfile('6.12'))).not.toThrow();
  });
});

describe('the reclaim built-in', () => {
  it.each(['6.1', '6.12'] as const)('%s: goes through every path its comments name', (v) => {
    const r = runScenario(parseScenario(BUILTINS.reclaim, 'builtin:reclaim'), traceProfile(v));
    const count = (...frames: string[]) => countWithFrames(r.events, ...frames);
    const before = r.checkpoints.get('reclaimed')!.at;
    const direct = r.events.slice(0, before).filter((e) => e.stack.includes('try_to_free_pages'));
    expect(direct.some((e) => e.stack[0] === 'add_to_swap_cache')).toBe(true); // anon swapped out
    expect(direct.some((e) => e.stack[1] === '__remove_mapping' && e.record.ret === 1)).toBe(true); // freed
    expect(count('folio_end_writeback', 'bio_endio')).toBeGreaterThan(0); // the SSD's completions
    expect(count('swap_vma_readahead', 'do_swap_page')).toBeGreaterThan(0);
    expect(r.events.some((e) => e.stack[0] === 'folio_put' && e.stack[1] === 'do_swap_page')).toBe(true); // VM_FAULT_RETRY
    expect(count('delete_from_swap_cache', 'folio_free_swap', 'do_swap_page')).toBeGreaterThan(0);
    expect(count('shrink_folio_list', 'memory_reclaim')).toBeGreaterThan(0);
    // 6.1 free_swap_and_cache(), 6.12 free_swap_and_cache_nr()
    expect(
      count(v === '6.1' ? 'free_swap_and_cache' : 'free_swap_and_cache_nr', 'exit_mmap'),
    ).toBeGreaterThan(0);
  });
});
