/**
 * The `boot` built-in against the real boot traces (../shared/traces/<v>/boot), 6.1 and 6.12.
 *
 * The boot traces have no markers, no checkpoints and no stacks, so pages are found by their events,
 * the same way on both sides (boot_gen.ts bootPageNames): busybox's pages by their index in the file,
 * the other tmpfs pages by their order of insertion (the initramfs unpacking), anonymous pages by
 * process (pid 1, then the programs in order) and order of allocation, the vDSO page, the block-device
 * page. Each is compared over its whole life (from its page_ref_set val=1, or from the trace's start,
 * to the put that frees it or the trace's end) as (event, val, ret, count, mapcount, flags), with
 * PageHistories. Kernel pages (set 1, a put to 0, nothing else: slab, kernel stacks, page-table
 * levels above the PTE, the ring buffer) cannot be matched one by one without stacks: they are
 * compared by class, (allocating task, freeing task, compound), and the events by name.
 *
 * What is fitted: the programs' page touches and the kernel-page stand-ins are generated from these
 * very traces (boot_gen.ts); the first test checks that the built-in's generated part is what the
 * generator makes of them. The kernel-page classes are equal by construction (the stand-ins are the
 * real count minus the model's); the pages that can be matched are not: their events come from the
 * model's paths (exec, faults, fork, COW, exit, the LRU batches, the page cache).
 */
import { describe, expect, it } from 'vitest';
import { PAGE_REF_EVENT_NAMES } from '../../src/kernel/tracepoint.js';
import { generateBoot, type BootTrace } from '../../src/scenario/boot.js';
import { bootPageNames, kernelLives } from '../../src/scenario/boot_pages.js';
import { BOOT_PROGRAMS } from '../../src/scenario/boot_programs.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { parseScenario } from '../../src/scenario/format.js';
import {
  PageHistories,
  readKeyedTrace,
  simKeyedTrace,
  type KeyedTrace,
} from '../../src/scenario/page_history.js';
import { runScenario } from '../../src/scenario/runner.js';
import { readBack } from '../helpers/readback.js';
import { sharedLines, traceProfile } from '../helpers/shared.js';

/** busybox's size in pages (the last file of the initramfs) */
const BUSYBOX_PAGES = 484;

/** each named page's life, as compared: its keys over its whole life */
function pageLives(t: KeyedTrace): Map<string, string> {
  const h = new PageHistories(t);
  const names = bootPageNames(t, BUSYBOX_PAGES);
  const out = new Map<string, string>();
  names.forEach((name, i) => {
    if (name === undefined || out.has(name)) return;
    out.set(name, h.keysOf([h.untilFreed(h.lifeAt(t.pfn[i], i))]).join('\n'));
  });
  return out;
}

/** a page name's class: bb, tmpfs, anon[<process>], vdso, bdev */
const classOf = (name: string) => name.replace(/\[\d+\]$|@\d+$/, '').replace(/\.\d+\]$/, ']');

/** kernel page lives by (allocating task, freeing task or -, compound), tasks by comm */
function kernelClasses(t: KeyedTrace): Record<string, number> {
  const comm = new Map<number, string>();
  for (let i = 0; i < t.pid.length; i++) comm.set(t.pid[i], t.comms[t.comm[i]]);
  const out: Record<string, number> = {};
  for (const l of kernelLives(t)) {
    const k = `${comm.get(l.setter)} ${l.freer < 0 ? '-' : comm.get(l.freer)}${l.compound ? ' head' : ''}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** events by tracepoint name */
function byEvent(t: KeyedTrace): Record<string, number> {
  const out: Record<string, number> = {};
  for (const type of t.type) out[PAGE_REF_EVENT_NAMES[type]] = (out[PAGE_REF_EVENT_NAMES[type]] ?? 0) + 1;
  return out;
}

const RACE =
  "two CPUs at once: the shell's lru_add_drain on CPU 0 had put the page on the LRU (PG_lru) when the child's COW on CPU 1 took its reference, and dropped the batch's reference only after it; the model runs one statement at a time, the child's COW before the drain";

interface Expected {
  /** pages compared, by class (anon[p]: process p's, 0 the shell) */
  pages: Record<string, number>;
  /** class -> pages whose lives differ, with the cause */
  known: Record<string, [number, string]>;
  events: Record<string, number>;
  /** kernel page lives (stand-ins and the model's page tables, free_reserved_area) */
  kernel: number;
}

const EXPECTED: Record<BootTrace, Expected> = {
  // 6.1's trace starts after the unpacking: 420 of busybox's pages show up, the script, no tmpfs
  // insertions; mount3's PATH search (two failed execs) shows as each exec's argument page
  '6.1': {
    pages: {
      bb: 420,
      tmpfs: 1,
      vdso: 1,
      'anon[0]': 35,
      'anon[1]': 17,
      'anon[2]': 19,
      'anon[3]': 21,
      'anon[4]': 18,
      'anon[5]': 18,
      'anon[6]': 18,
      'anon[7]': 18,
      'anon[8]': 17,
    },
    known: { 'anon[0]': [1, RACE] },
    events: { page_ref_set: 1331, page_ref_mod_and_test: 6603, page_ref_mod: 887, page_ref_mod_unless: 4863 },
    kernel: 1150,
  },
  // 6.12's from trace_init: the unpacking's 2589 tmpfs pages (busybox the last 484), the block device's
  // partition-table page; no failed exec shows (alloc_bprm opens the file first)
  '6.12': {
    pages: {
      bb: 484,
      tmpfs: 2105,
      bdev: 1,
      vdso: 1,
      'anon[0]': 33,
      'anon[1]': 17,
      'anon[2]': 17,
      'anon[3]': 17,
      'anon[4]': 17,
      'anon[5]': 18,
      'anon[6]': 21,
      'anon[7]': 18,
      'anon[8]': 21,
    },
    known: {},
    events: {
      page_ref_set: 31677,
      page_ref_mod_and_test: 24375,
      page_ref_mod: 10847,
      page_ref_mod_unless: 4865,
    },
    kernel: 28908,
  },
};

describe.each(['6.1', '6.12'] as const)('boot fidelity, %s', (v) => {
  const profile = traceProfile(v);
  const real = readKeyedTrace(sharedLines('traces', v, 'boot', 'trace.txt.gz'));
  const run = runScenario(parseScenario(BUILTINS.boot, 'builtin:boot'), profile);
  const sim = simKeyedTrace(run);
  const want = EXPECTED[v];

  it("the built-in's generated part is what boot_gen.ts makes of the real trace", () => {
    expect(generateBoot(v, profile, real)).toBe(BOOT_PROGRAMS[v].trim());
  });

  it('the simulated trace reads back through analyze with no inconsistency', async () => {
    const f = await readBack(run);
    expect(f.consistency.inconsistencies).toEqual([]);
    expect(f.consistency.eventsChecked).toBe(run.events.length);
  });

  it('the same events by name as the real trace', () => {
    expect(byEvent(real)).toEqual(want.events);
    expect(byEvent(sim)).toEqual(want.events);
  });

  it('the same kernel pages by (allocating task, freeing task, compound)', () => {
    const a = kernelClasses(real);
    expect(Object.values(a).reduce((x, y) => x + y, 0)).toBe(want.kernel);
    expect(kernelClasses(sim)).toEqual(a);
  });

  it('every page it can match equals the real one over its whole life but for the differences listed', () => {
    const a = pageLives(real);
    const b = pageLives(sim);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    const count: Record<string, number> = {};
    const got: Record<string, number> = {};
    for (const [name, keys] of a) {
      const c = classOf(name);
      count[c] = (count[c] ?? 0) + 1;
      if (b.get(name) !== keys) got[c] = (got[c] ?? 0) + 1;
    }
    expect(count).toEqual(want.pages);
    expect(got).toEqual(Object.fromEntries(Object.entries(want.known).map(([k, [n]]) => [k, n])));
  });
});
