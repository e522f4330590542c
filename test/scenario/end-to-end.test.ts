/**
 * Simulator -> trace text -> reader -> analyzer, as a user would chain `folioscope run --stacks`
 * and `folioscope holders` / `check`: the simulated stacks must name the kernel's functions the
 * way the real traces do, so the analyzer's owner rules (taken from real stacks) attribute the
 * simulated references as they attribute the real ones. For migration_blocked that is what
 * test/analysis/migration-blocked.test.ts asserts on the real 6.1 and 6.12 traces: one extra
 * reference, the pipe buffer's, at every failed freeze; page cache + LRU isolation expected.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeTrace, holderContext } from '../../src/analysis/findings.js';
import { holdersAt } from '../../src/analysis/holders.js';
import { PageRefType } from '../../src/kernel/tracepoint.js';
import { loadProfile } from '../../src/kernel/profiles/index.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { parseScenario } from '../../src/scenario/format.js';
import { formatRunTrace, runScenario } from '../../src/scenario/runner.js';
import { readTrace } from '../../src/trace/reader.js';

const dir = mkdtempSync(path.join(tmpdir(), 'folioscope-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** THP splits (not in any real trace): the deferred split of a partially unmapped THP, and a
 * debugfs split of one mapped by PMD in the parent and by PTEs in the child */
const THP_SPLITS = `machine cpus=2 seed=1
task t comm=thp cpu=1
t mmap a anon 512
t madvise a hugepage
t write a
t munmap a 128..383
t deferred_split_scan
t mmap b anon 512
t madvise b hugepage
t write b 0..0
t fork c cpu=0
c write b 3..3
t split_huge_pages b 0..511
c exit
t exit
`;

/**
 * The reclaim built-in with the other LRU than the version's Debian default: MGLRU on 6.1
 * (lru_gen=y), the classic lists on 6.12 (lru_gen=n). No real trace has MGLRU reclaim.
 */
const reclaimOtherLru = (version: '6.1' | '6.12') =>
  BUILTINS.reclaim.replace('swap=4096\n', `swap=4096 lru_gen=${version === '6.1' ? 'y' : 'n'}\n`);

/**
 * MGLRU's look-around without the page-table walk (lru_gen=1) in direct reclaim: mapped file
 * pages beside the isolated ones go through folio_activate (the activate batch)
 */
const LOOK_AROUND = `machine pages=8192 cpus=1 swap=4096 lru_gen=1
task t comm=t cpu=0
t open f file 128
t fread f
t mmap m file 72 of=f
t read m 63..64
t mmap a anon 3900
t write a
t exit
`;

const traces = new Map<string, ReturnType<typeof readTrace>>();

/** the scenario's simulated trace with stacks, written and read back (once per scenario and version) */
function simulatedTrace(name: string, version: '6.1' | '6.12') {
  const key = `${name}-${version}`;
  let t = traces.get(key);
  if (!t) {
    const extra: Record<string, string> = {
      thp_splits: THP_SPLITS,
      reclaim_other_lru: reclaimOtherLru(version),
      look_around: LOOK_AROUND,
    };
    const text = extra[name] ?? BUILTINS[name];
    const run = runScenario(parseScenario(text, `builtin:${name}`), loadProfile(version));
    const file = path.join(dir, `${key}.txt`);
    writeFileSync(file, formatRunTrace(run, true));
    traces.set(key, (t = readTrace(file)));
  }
  return t;
}

async function simulated(name: string, version: '6.1' | '6.12') {
  return analyzeTrace(await simulatedTrace(name, version));
}

describe.each(['6.1', '6.12'] as const)('simulated traces read back and analysed, %s', (version) => {
  it('migration_blocked: every failed freeze has one extra holder, the pipe buffer, as in the real trace', async () => {
    const f = await simulated('migration_blocked', version);
    expect(f.freezeFailures.length).toBe(version === '6.1' ? 640 + 640 + 64 : 64);
    const byFreezer = new Map<string, number>();
    for (const x of f.freezeFailures) {
      expect(x, `line ${x.line}`).toMatchObject({ expected: 2, actual: 3, unexplained: 0 });
      expect(x.extra.map((h) => [h.owner, h.refs])).toEqual([['pipe', 1]]);
      expect(x.expectedHolders.map((h) => h.owner).sort()).toEqual(['isolation', 'page-cache']);
      // the real stacks: page_ref_freeze < __remove_mapping | (__)folio_migrate_mapping
      expect(x.caller[0]).toBe('page_ref_freeze');
      byFreezer.set(x.caller[1], (byFreezer.get(x.caller[1]) ?? 0) + 1);
    }
    expect(Object.fromEntries(byFreezer)).toEqual(
      version === '6.1' ? { folio_migrate_mapping: 1280, __remove_mapping: 64 } : { __remove_mapping: 64 },
    );
  });

  it.each(['reclaim', 'reclaim_other_lru'])(
    '%s: every folio freed by __remove_mapping is held by its LRU isolation and the swap cache or page cache alone; nothing leaks',
    async (name) => {
      const r = await simulatedTrace(name, version);
      const f = analyzeTrace(r);
      const ctx = holderContext(r, f.summary.profile.name);
      const s = r.store;
      const byHolders = new Map<string, number>();
      for (let i = 0; i < s.length; i++) {
        if (s.type(i) !== PageRefType.freeze || s.ret(i) !== 1) continue;
        const frames = s.frames(s.stackOf(i)!);
        if (!frames.includes('__remove_mapping')) continue;
        // right before the freeze: what it finds (val = the count it expects)
        const at = holdersAt(ctx, s.pfn(i), i - 1)!;
        expect(at.unexplained, `line ${s.line(i)}`).toBe(0);
        expect(at.count, `line ${s.line(i)}`).toBe(s.val(i));
        const key = at.holders
          .map((h) => `${h.owner}:${h.refs}`)
          .sort()
          .join(' ');
        byHolders.set(key, (byHolders.get(key) ?? 0) + 1);
      }
      // the freeze's 1 + nr: the reclaimer's isolation reference and the cache's (mm/vmscan.c __remove_mapping)
      expect([...byHolders.keys()].sort()).toEqual(['isolation:1 page-cache:1', 'isolation:1 swap-cache:1']);
      expect(byHolders.get('isolation:1 swap-cache:1')).toBeGreaterThan(500);
      expect(f.freezeFailures).toEqual([]);
      expect(f.leaks).toEqual([]);
    },
  );

  it("look_around (MGLRU without the walk): the activate batch's references are the LRU batch's; freezes held by isolation + page cache; nothing leaks", async () => {
    const r = await simulatedTrace('look_around', version);
    const f = analyzeTrace(r);
    const ctx = holderContext(r, f.summary.profile.name);
    const s = r.store;
    let activates = 0;
    const byHolders = new Set<string>();
    for (let i = 0; i < s.length; i++) {
      const frames = s.frames(s.stackOf(i)!);
      if (frames.includes('lru_gen_look_around')) activates++;
      if (s.type(i) !== PageRefType.freeze || s.ret(i) !== 1 || !frames.includes('__remove_mapping'))
        continue;
      const at = holdersAt(ctx, s.pfn(i), i - 1)!;
      expect(at.unexplained, `line ${s.line(i)}`).toBe(0);
      byHolders.add(
        at.holders
          .map((h) => `${h.owner}:${h.refs}`)
          .sort()
          .join(' '),
      );
    }
    expect(activates).toBe(8); // m[64..71] (test/mm/reclaim_mglru.test.ts)
    // the swapped-out anon folios are freed at exit, not by a second eviction
    expect([...byHolders]).toEqual(['isolation:1 page-cache:1']);
    expect(f.consistency.inconsistencies).toEqual([]);
    expect(f.leaks).toEqual([]);
  });

  it('thp_migration: at the blocked THP move, the holders name the pipe beside its mapping and isolation', async () => {
    // No modelled path fails a freeze on a large anon folio: 6.12 __migrate_folio's precheck and 6.1
    // folio_migrate_mapping's compare (and can_split_folio before a split's freeze) see the extra
    // reference first. So this asks at the last undo of the blocked move_pages of b, before its putback.
    const r = await simulatedTrace('thp_migration', version);
    const s = r.store;
    const frames = (i: number) => s.frames(s.stackOf(i)!);
    const putback = Array.from({ length: s.length }, (_, i) => i).find((i) =>
      frames(i).includes('putback_movable_pages'),
    )!;
    const head = s.pfn(putback);
    const undo = [...s.indicesOf(head)]
      .filter((i) => i < putback && frames(i).includes('remove_migration_pte'))
      .at(-1)!;
    expect(frames(undo)).toContain('remove_migration_pmd');
    const at = holdersAt(holderContext(r, version), head, undo)!;
    expect(at.unexplained).toBe(0);
    expect(at.holders.map((h) => [h.owner, h.refs]).sort()).toEqual([
      ['isolation', 1],
      ['mapping', 1],
      ['pipe', 1],
    ]);
    expect(at.holders.find((h) => h.owner === 'pipe')!.stack.some((f) => f.includes('vmsplice'))).toBe(true);
  });

  it.each([
    'fork_cow',
    'migration_blocked',
    'seed002',
    'compaction',
    'thp',
    'thp_splits',
    'reclaim',
    'thp_migration',
    'reclaim_other_lru',
  ])('%s: check finds no inconsistency', async (name) => {
    const f = await simulated(name, version);
    expect(f.consistency.inconsistencies).toEqual([]);
    expect(f.consistency.eventsChecked).toBeGreaterThan(0);
  });
});
