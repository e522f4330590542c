/**
 * The migration rule of src/scenario/page_history.ts (found from events alone, for traces without
 * stacks) against the call paths: on every real stack run and on the simulated runs, each source
 * it links was freed by migrate_pages (migrate_pages_batch / migrate_folio_done frames) into a
 * destination that migration allocated, and every used page migrate_pages freed is linked; on the
 * runs without migration it links nothing.
 */
import { describe, expect, it } from 'vitest';
import { PageRefType } from '../../src/kernel/tracepoint.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { parseScenario } from '../../src/scenario/format.js';
import { PageHistories, readKeyedTrace, simKeyedTrace } from '../../src/scenario/page_history.js';
import { runScenario } from '../../src/scenario/runner.js';
import { readShared, traceProfile } from '../helpers/shared.js';

/** frames of migrate_pages' final put of a source (6.1 and 6.12 mm/migrate.c) */
const FREES_SOURCE = /^(migrate_pages_batch|migrate_folio_done|migrate_folio_move|unmap_and_move)$/;
/** frames under which a migration gives up on a destination or a source */
const GIVES_UP = /undo|compaction_free|putback|release_free/;

/** [links, links whose frames disagree, migrate_pages frees of used pages not linked] */
function check(h: PageHistories): [number, number, number] {
  const { t } = h;
  const stacks = t.stacks!;
  const links = h.migrations();
  const linked = new Set<number>();
  let wrong = 0;
  for (const [src, dst] of links) {
    const free = src.events.find(
      (i) => t.count[i] === 0 && t.type[i] === PageRefType.mod_and_test && t.val[i] < 0,
    )!;
    linked.add(free);
    const first = dst.events[1];
    if (!stacks[free].some((f) => FREES_SOURCE.test(f)) || !stacks[first].some((f) => /migrat/.test(f)))
      wrong++;
  }
  let missed = 0;
  for (let i = 0; i < t.pfn.length; i++) {
    if (t.count[i] !== 0 || t.type[i] !== PageRefType.mod_and_test || t.val[i] >= 0) continue;
    if (!stacks[i].some((f) => FREES_SOURCE.test(f)) || stacks[i].some((f) => GIVES_UP.test(f))) continue;
    // an unused destination (allocated, then put back) is no source
    if (h.lifeAt(t.pfn[i], i).events.length <= 2) continue;
    if (!linked.has(i)) missed++;
  }
  return [links.length, wrong, missed];
}

const stackRun = (version: '6.1' | '6.12', workload: string) =>
  new PageHistories(
    readKeyedTrace(readShared('traces', version, workload, 'trace-stack.txt.gz').split('\n')),
  );

describe('migration links found without stacks', () => {
  it.each([
    ['6.1', 'migration_blocked', 1771],
    ['6.12', 'migration_blocked', 2522],
    ['6.12', 'compaction', 512],
  ] as const)('%s %s stack run: every link and every migrate_pages free agree with the frames', (v, w, n) => {
    expect(check(stackRun(v, w))).toEqual([n, 0, 0]);
  });

  it.each(['6.1', '6.12'] as const)(
    '%s migration_blocked simulated: the same against the model paths',
    (v) => {
      const run = runScenario(parseScenario(BUILTINS.migration_blocked, 'builtin'), traceProfile(v));
      const [links, wrong, missed] = check(new PageHistories(simKeyedTrace(run)));
      expect([wrong, missed]).toEqual([0, 0]);
      // move_pages of 64 anon and 64 tmpfs pages, and compaction of the /dev/vda pages
      expect(links).toBeGreaterThan(128);
    },
  );

  it.each([
    ['6.1', 'fork_cow'],
    ['6.12', 'fork_cow'],
    ['6.1', 'file_mmap'],
    ['6.12', 'file_mmap'],
    ['6.1', 'thp'],
    ['6.12', 'thp'],
  ] as const)('%s %s (no migration): no link', (v, w) => {
    expect(check(stackRun(v, w))).toEqual([0, 0, 0]);
  });
});
