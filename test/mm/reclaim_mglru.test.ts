/**
 * Reclaim with the multi-gen LRU (CONFIG_LRU_GEN, on by default in Debian's 6.12: the default 6.12
 * profile; Debian's 6.1 builds it but leaves it off: lru_gen=y turns it on), event by event. No
 * real trace has MGLRU reclaim — the traces' QEMU kernels are built without CONFIG_LRU_GEN — so
 * every expectation here was derived by hand from the 6.12 and 6.1 trees (mm/vmscan.c,
 * include/linux/mm_inline.h, mm/rmap.c, mm/swap.c; the comments name the step and the line) and
 * the simulator checked against it. One task on CPU 0 of a one-CPU machine, everything drained
 * before the checkpoint `go`; rows as test/helpers/sequence-rows.ts makes them.
 */
import { describe, expect, it } from 'vitest';
import { show_page_flags } from '../../src/kernel/flag_names.js';
import { loadProfile, type Profile } from '../../src/kernel/profiles/index.js';
import { lruvec_of } from '../../src/mm/lru.js';
import { folio_lru_gen } from '../../src/mm/lru_gen.js';
import { Pte, find_vma } from '../../src/mm/mm_types.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario, type RunResult } from '../../src/scenario/runner.js';
import { countWithFrames, sequenceRows } from '../helpers/sequence-rows.js';
import { traceProfile } from '../helpers/shared.js';

/** the rows of a scenario on the Debian config of `v` (MGLRU on for 6.12, `lru_gen=y` turns it on for 6.1) */
const rows = (v: '6.1' | '6.12', machine: string, setup: string, act: string) =>
  sequenceRows(v, setup, act, machine, loadProfile(v));

const run = (v: '6.1' | '6.12', text: string) => runScenario(parseScenario(text, 'mglru'), loadProfile(v));

/** one page's events after checkpoint `go`: "U 1 3 referenced|uptodate|lru <isolate_folio" (type, val, count, flags, first frame past the helpers) */
function pageRows(r: RunResult, p: Profile, pfn: number): string[] {
  const out: string[] = [];
  for (const e of r.events.slice(r.checkpoints.get('go')!.at)) {
    if (e.record.pfn !== pfn) continue;
    const x = e.record;
    const fn = e.stack.find(
      (f) =>
        ![
          'folio_try_get',
          'folio_try_get_rcu',
          'folio_put',
          'folios_put_refs',
          'page_ref_dec_and_test',
          'release_pages',
          '__folio_batch_add_and_move',
          'page_ref_freeze',
        ].includes(f),
    );
    out.push(`${'SMTRUFZ'[x.type]} ${x.val} ${x.count} ${show_page_flags(p, x.flagsLo)} <${fn}`);
  }
  return out;
}

const ANON = 't mmap p anon 1\nt write p';

describe('memory.reclaim of one anon page (an SSD of 128 slots)', () => {
  it('6.12: no reference until the aging has made two generations; isolated once the walk cleared its young PTE, swapped, rotated to the oldest generation, freed; swapped in active', () => {
    // the fault added it active (folio_add_lru in lru_gen_in_fault, mm/swap.c:511) to max_seq 3
    // (lru_gen_add_folio, include/linux/mm_inline.h:253). memory.reclaim asks for 32 pages, a
    // walk is set at once (proactive: lru_gen_shrink_node mm/vmscan.c:4985). Priorities 12..1 scan
    // nothing (1 page >> priority); at 0 evict_folios finds the oldest generations empty and
    // try_to_inc_min_seq moves min_seq to 2, which leaves MIN_NR_GENS: nothing. The memcg_full_walk
    // retry (:6350): at 11 out of cold folios -> try_to_inc_max_seq walks the mm (force_scan: the
    // first iteration, :3016), clearing the PTE's young bit, max_seq 4 (-1: the lruvec's turn
    // ends, :4747); at 10 the oldest generation holds nothing (old * 4 < total, :4715): max_seq 5,
    // the mm is not walked again (not used since, get_next_mm :2824). At 0 try_to_inc_min_seq
    // makes the page's generation 3 the oldest. The next round of memory_reclaim:
    const S = 'uptodate|lru|owner_priv_1|swapbacked';
    expect(rows('6.12', 'swap=128', ANON, 't reclaim_memory 1\nt read p')).toEqual([
      'P U 1 1 2 0 uptodate|lru|owner_2|swapbacked', // isolate_folio (:4357): folio_try_get
      'P M 1 - 3 0 locked|uptodate|owner_2|swapbacked', // its PTE is old: RECLAIM; add_to_swap
      'P T -1 0 2 -1 locked|uptodate|dirty|owner_priv_1|swapbacked', // try_to_unmap_one
      'P T -1 0 1 -1 uptodate|lru|owner_priv_1|writeback|reclaim|swapbacked', // under writeback: kept, move_folios_to_lru (:4632), max_seq - 1
      'P M 1 - 2 -1 uptodate|lru|owner_priv_1|writeback|swapbacked', // end of writeback: folio_rotate_reclaimable
      'P M 1 - 3 -1 uptodate|lru|owner_priv_1|writeback|swapbacked', // folio_end_writeback's own get
      `P T -1 0 2 -1 ${S}`,
      `P T -1 0 1 -1 ${S}`, // the retry's lru_gen_shrink_node: lru_add_drain -> lru_move_tail: min_seq, tail
      `P U 1 1 2 -1 ${S}`, // two agings later (the mm not walked), isolated from the oldest generation
      'P F 2 1 0 -1 locked|uptodate|owner_priv_1|swapbacked', // clean swap cache folio: freed frozen
      'P S 1 - 1 -1 none', // the read fault: swap_vma_readahead allocates
      'P M 1 - 2 -1 locked|swapbacked', // add_to_swap_cache
      'P M 1 - 3 -1 locked|active|owner_priv_1|swapbacked', // folio_add_lru in the fault: PG_active
      'P T -1 0 2 -1 locked|active|owner_priv_1|swapbacked', // the readahead loop's folio_put
      'P T -1 0 1 -1 locked|lru|owner_priv_1|swapbacked', // lru_add_drain: lru_gen_add_folio clears PG_active
      'P U 1 1 2 -1 locked|lru|owner_priv_1|swapbacked',
      `P T -1 0 1 -1 ${S}`, // VM_FAULT_RETRY
      `P U 1 1 2 -1 ${S}`,
      `P M 0 - 2 -1 locked|${S}`,
    ]);
  });

  it('6.1 with lru_gen=y: the mm (one page, under MIN_LRU_BATCH) is never walked, so the first eviction finds the PTE young: look-around gives the isolated folio PG_referenced, ACTIVATE', () => {
    // 6.1 enters from shrink_lruvec (mm/vmscan.c:5922 lru_gen_shrink_lruvec); should_skip_mm
    // (:3446) skips an mm with fewer than MIN_LRU_BATCH pages even when forced
    const S = 'uptodate|lru|owner_priv_1|swapbacked';
    expect(rows('6.1', 'swap=128 lru_gen=y', ANON, 't reclaim_memory 1')).toEqual([
      'P U 1 1 2 1 uptodate|lru|mappedtodisk|swapbacked', // isolate_folio (:4811)
      // folio_referenced_one: a young PTE -> lru_gen_look_around (mm/rmap.c:832), whose loop clears
      // it and, the folio having no generation, sets PG_referenced (mm/vmscan.c:4693); then
      // folio_check_references sees both: ACTIVATE; evict_folios puts it back active (:5067)
      'P T -1 0 1 1 uptodate|lru|active|mappedtodisk|swapbacked',
      'P U 1 1 2 1 uptodate|lru|mappedtodisk|swapbacked', // after two more agings: the PTE is old now
      'P M 1 - 3 1 locked|uptodate|mappedtodisk|swapbacked', // add_to_swap
      'P T -1 0 2 0 locked|uptodate|dirty|owner_priv_1|swapbacked',
      'P T -1 0 1 0 uptodate|lru|owner_priv_1|writeback|reclaim|swapbacked',
      'P M 1 - 2 0 uptodate|lru|owner_priv_1|writeback|swapbacked',
      'P M 1 - 3 0 uptodate|lru|owner_priv_1|writeback|swapbacked',
      `P T -1 0 2 0 ${S}`,
      `P T -1 0 1 0 ${S}`,
      `P U 1 1 2 0 ${S}`,
      'P F 2 1 0 0 locked|uptodate|owner_priv_1|swapbacked',
    ]);
  });

  it('6.12 with 64 slots: fewer than MIN_LRU_BATCH free (63) make get_swappiness 0, so anon is neither scanned nor aged', () => {
    // get_swappiness() (mm/vmscan.c:2665): mem_cgroup_get_nr_swap_pages < MIN_LRU_BATCH -> 0
    expect(rows('6.12', 'swap=64', ANON, 't reclaim_memory 1')).toEqual([]);
  });
});

/** a block device read with read() (generation min_seq + 1, PG_referenced), its pages 56..71 then mapped by one fault's fault-around */
const MAPPED_FILE = `task t comm=t cpu=0
t open f file 128
t fread f
t mmap m file 72 of=f
t read m 63..64
drain
checkpoint go
`;

describe('lru_gen_look_around(): the rmap walk of one young PTE ages its neighbours', () => {
  it('6.1: the first 64 file pages are isolated; the first mapped one (56) activates 64..71 through folio_activate (fewer than PAGEVEC_SIZE) and marks 57..63 referenced, so they are kept', () => {
    const p = loadProfile('6.1');
    const r = run('6.1', `machine cpus=1 lru_gen=y\n${MAPPED_FILE}t reclaim_memory 1\ndrain\n`);
    const m = r.checkpoints.get('go')!.regions.get('t:m')!;
    expect([...m].filter((pfn) => pfn >= 0).length).toBe(16); // fault-around mapped 56..71
    // 0..55: unmapped, clean: isolated (:4811) and freed by __remove_mapping
    const freed = r.events.filter((e) => e.record.type === 5 && e.stack.includes('evict_folios')).length;
    expect(freed).toBe(56);
    const kept = [
      'U 1 3 referenced|uptodate|lru|mappedtodisk <isolate_folio', // PG_referenced kept the refs (:4836)
      'T -1 2 uptodate|lru|active|mappedtodisk <move_folios_to_lru', // rejected: active (:5067)
    ];
    expect(pageRows(r, p, m[56])).toEqual(kept); // ACTIVATE (PG_referenced from its look-around)
    expect(pageRows(r, p, m[57])).toEqual(kept); // mapped and PG_referenced: keep_locked (:1686)
    expect(pageRows(r, p, m[63])).toEqual(kept);
    // 64..71: young, generation 1 != max_seq's, 8 < PAGEVEC_SIZE and no walk: folio_activate
    // (+1, the activate batch: mm/vmscan.c:4708); 6.1 leaves their refs; the drain moves them to
    // max_seq (lru_activate -> lru_gen_add_folio: 6.1 clears only PG_active)
    const neighbour = [
      'M 1 3 referenced|uptodate|lru|mappedtodisk <folio_activate',
      'T -1 2 referenced|uptodate|lru|mappedtodisk <folio_batch_move_lru',
    ];
    for (let i = 64; i < 72; i++) expect(pageRows(r, p, m[i]), `m[${i}]`).toEqual(neighbour);
  });

  it('6.12 without the walk (lru_gen=1), in direct reclaim: the neighbours lose their refs and go to the activate batch; drained by the next reclaim', () => {
    const p = loadProfile('6.12');
    const text = `machine pages=8192 cpus=1 swap=4096 lru_gen=1\n${MAPPED_FILE}t mmap a anon 3900\nt write a\n`;
    const r = run('6.12', text);
    const m = r.checkpoints.get('go')!.regions.get('t:m')!;
    const kept = [
      'U 1 3 referenced|uptodate|lru <isolate_folio',
      'T -1 2 uptodate|lru|active <move_folios_to_lru',
    ];
    // 56: its PTE is cleared first and was young (mm/vmscan.c:4087): KEEP (folio_check_references
    // sets PG_referenced); 57..63: PG_referenced from 56's look-around: keep_locked (:1111)
    for (let i = 56; i < 64; i++) expect(pageRows(r, p, m[i]), `m[${i}]`).toEqual(kept);
    // 64..71: folio_clear_lru_refs + folio_activate (:4159-4160) without a walk; the next
    // lru_gen_shrink_node's lru_add_drain runs lru_activate: max_seq
    const neighbour = ['M 1 3 uptodate|lru <folio_activate', 'T -1 2 uptodate|lru <folio_batch_move_lru'];
    for (let i = 64; i < 72; i++) expect(pageRows(r, p, m[i]), `m[${i}]`).toEqual(neighbour);
  });

  it('6.12 memory.reclaim: the walk set at once (proactive) takes the neighbours: promoted by folio_update_gen, no reference', () => {
    const p = loadProfile('6.12');
    const r = run('6.12', `machine cpus=1\n${MAPPED_FILE}t reclaim_memory 1\ndrain\n`);
    const m = r.checkpoints.get('go')!.regions.get('t:m')!;
    for (let i = 56; i < 64; i++)
      expect(pageRows(r, p, m[i]), `m[${i}]`).toEqual([
        'U 1 3 referenced|uptodate|lru <isolate_folio',
        'T -1 2 uptodate|lru|active <move_folios_to_lru',
      ]);
    for (let i = 64; i < 72; i++) expect(pageRows(r, p, m[i]), `m[${i}]`).toEqual([]);
    // update_batch_size + reset_batch_size in evict_folios (:4637): the eight pages now count in max_seq's generation
    const k = r.machine.k;
    const l = lruvec_of(k);
    for (let i = 64; i < 72; i++) expect(folio_lru_gen(k, l, m[i])).toBe(l.maxSeq % 4);
  });
});

/** the accessed bits of a region's PTEs ('y' young, 'o' old) and its folios' generations */
function ptes(r: RunResult, region: string): { young: string; gens: number[] } {
  const k = r.machine.k;
  const l = lruvec_of(k);
  const vma = find_vma(r.machine.task('t').mm!, region)!;
  return {
    young: [...vma.pte].map((x) => (x & Pte.OLD ? 'o' : 'y')).join(''),
    gens: [...vma.pfn].map((f) => folio_lru_gen(k, l, f)),
  };
}

const AGE = `task t comm=t cpu=0
t mmap p anon 8
t write p
drain
checkpoint go
t lru_gen_age
t read p 0..3
t lru_gen_age
`;

describe('the aging (echo + ... > /sys/kernel/debug/lru_gen: try_to_inc_max_seq, force_scan)', () => {
  it('6.12: the walk clears the young PTEs and promotes their folios to max_seq without a reference; the classic sizes follow', () => {
    const r = run('6.12', `machine cpus=1 swap=128\n${AGE}`);
    expect(r.events.length).toBe(r.checkpoints.get('go')!.at); // no page_ref event at all
    // first aging: all 8 PTEs cleared (walk_pte_range mm/vmscan.c:3437), the folios already in
    // max_seq 3; max_seq 4 (min_seq 1: MAX_NR_GENS reached, inc_min_seq). The reads make 0..3 young
    // again; the second aging clears them and moves their folios to generation 4 % 4 = 0
    // (folio_update_gen :3157, the walk's batch :3209); max_seq 5, and seq 3 is now inactive (:3868)
    expect(ptes(r, 'p')).toEqual({ young: 'oooooooo', gens: [0, 0, 0, 0, 3, 3, 3, 3] });
    const l = lruvec_of(r.machine.k);
    expect([l.maxSeq, ...l.minSeq]).toEqual([5, 2, 2]);
    expect([...l.size.slice(0, 2)]).toEqual([4, 4]); // NR_INACTIVE_ANON, NR_ACTIVE_ANON
  });

  it('6.1 (lru_gen=y): an mm mapping fewer than MIN_LRU_BATCH pages is not walked even when forced (should_skip_mm :3446)', () => {
    const r = run('6.1', `machine cpus=1 swap=128 lru_gen=y\n${AGE}`);
    expect(ptes(r, 'p')).toEqual({ young: 'yyyyyyyy', gens: [3, 3, 3, 3, 3, 3, 3, 3] });
    expect(lruvec_of(r.machine.k).maxSeq).toBe(5);
  });

  it('6.12 without LRU_GEN_MM_WALK (lru_gen=1): the aging only counts the iteration (iterate_mm_list_nowalk :3036)', () => {
    const r = run('6.12', `machine cpus=1 swap=128 lru_gen=1\n${AGE}`);
    expect(ptes(r, 'p').young).toBe('yyyyyyyy');
  });

  it('6.12: without swap the anon VMA is skipped (should_skip_vma :3272); unforced aging of MAX_NR_GENS generations is -ERANGE (run_aging :5414)', () => {
    expect(ptes(run('6.12', `machine cpus=1\n${AGE}`), 'p').young).toBe('yyyyyyyy');
    expect(() => run('6.12', `machine cpus=1 swap=128\n${AGE}t lru_gen_age force_scan=0\n`)).toThrow(
      /^mglru:10: lru_gen_age: .*-ERANGE/,
    );
    expect(() => run('6.1', `machine cpus=1\n${AGE}`)).toThrow(/^mglru:7: lru_gen_age: .*MGLRU is off/);
  });
});

describe('MADV_PAGEOUT and migration of a folio of a young generation', () => {
  it('6.12 without swap: the rows of the classic LRU, but the drain clears PG_active (lru_gen_add_folio of an active folio, include/linux/mm_inline.h:272)', () => {
    const act = 't reclaim p\ndrain';
    const classic = sequenceRows('6.12', ANON, act, '', traceProfile('6.12'));
    const mglru = rows('6.12', '', ANON, act);
    expect(mglru.slice(0, 3)).toEqual(classic.slice(0, 3));
    expect(classic[3]).toBe('P T -1 0 1 0 uptodate|lru|active|owner_2|swapbacked');
    expect(mglru[3]).toBe('P T -1 0 1 0 uptodate|lru|owner_2|swapbacked');
  });

  it('6.12 move_pages: folio_isolate_lru -> lru_gen_del_folio sets PG_active (max_seq, include/linux/mm_inline.h:297); folio_migrate_flags moves it (mm/migrate.c:700)', () => {
    expect(rows('6.12', '', ANON, 't migrate p\ndrain')).toEqual([
      'P M 1 - 2 0 uptodate|owner_2|swapbacked', // folio_isolate_lru: folio_get before lruvec_del_folio
      'D1 S 1 - 1 -1 none',
      'P T -1 0 1 -1 locked|uptodate|dirty|active|swapbacked', // try_to_migrate_one: PG_active from the isolation
      'D1 M 1 - 2 -1 locked|uptodate|dirty|active|swapbacked', // folio_add_lru(dst): PG_active moved over
      'D1 T -1 0 1 -1 locked|uptodate|dirty|lru|swapbacked', // drained: max_seq, PG_active cleared
      'D1 M 1 - 2 -1 locked|uptodate|dirty|lru|swapbacked',
      'D1 T -1 0 1 0 uptodate|dirty|lru|owner_2|swapbacked',
      'P T -1 1 0 -1 uptodate|dirty|swapbacked', // src freed: folio_test_clear_active left nothing
    ]);
  });

  it('MADV_PAGEOUT: 6.1 makes the PTE old (mm/madvise.c:467), 6.12 leaves it young', () => {
    for (const [v, young] of [
      ['6.1', 'o'],
      ['6.12', 'y'],
    ] as const) {
      const r = run(v, `machine cpus=1\ntask t comm=t cpu=0\n${ANON}\ncheckpoint go\nt reclaim p\n`);
      expect(ptes(r, 'p').young, v).toBe(young);
    }
  });
});

describe('the reclaim built-in on the default configs', () => {
  it('6.12 (MGLRU): direct reclaim and memory.reclaim go through lru_gen_shrink_node and evict_folios', () => {
    const r = run('6.12', BUILTINS.reclaim);
    const count = (...frames: string[]) => countWithFrames(r.events, ...frames);
    const before = r.checkpoints.get('reclaimed')!.at;
    const direct = r.events.slice(0, before).filter((e) => e.stack.includes('try_to_free_pages'));
    expect(direct.some((e) => e.stack[1] === 'isolate_folio')).toBe(true);
    expect(direct.some((e) => e.stack[0] === 'add_to_swap_cache' && e.stack.includes('evict_folios'))).toBe(
      true,
    );
    expect(direct.some((e) => e.stack[1] === '__remove_mapping' && e.record.ret === 1)).toBe(true);
    expect(count('isolate_folio', 'lru_gen_shrink_node', 'try_to_free_pages')).toBeGreaterThan(0);
    expect(count('isolate_folio', 'lru_gen_shrink_node', 'memory_reclaim')).toBeGreaterThan(0);
    expect(count('shrink_inactive_list')).toBe(0); // no classic LRU scan
    expect(count('folio_end_writeback', 'bio_endio')).toBeGreaterThan(0);
    expect(count('swap_vma_readahead', 'do_swap_page')).toBeGreaterThan(0);
  });

  it('6.1 and the QEMU kernels keep the classic LRU', () => {
    for (const p of [loadProfile('6.1'), traceProfile('6.12')]) {
      const r = runScenario(parseScenario(BUILTINS.reclaim, 'builtin:reclaim'), p);
      expect(r.events.some((e) => e.stack.includes('evict_folios'))).toBe(false);
      expect(r.events.some((e) => e.stack.includes('shrink_inactive_list'))).toBe(true);
    }
  });
});
