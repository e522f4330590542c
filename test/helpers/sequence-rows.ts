/**
 * The event rows of the worked-sequence tests: a scenario on a one-CPU machine (task t on CPU 0),
 * `setup`, everything drained, `checkpoint go`, then `act`; the rows are the events after the
 * checkpoint, page-table pages (allocated by pte_alloc_one) left out, pfns named in order of appearance
 * (P = the page under test, D1, D2… = the others): "P M 1 - 2 0 uptodate|lru|swapbacked" is
 * event, val, ret, count, mapcount, flags. The profile is the traces' QEMU kernel's unless given.
 */
import { show_page_flags } from '../../src/kernel/flag_names.js';
import type { Profile } from '../../src/kernel/profiles/index.js';
import { pageRefHasRet } from '../../src/kernel/tracepoint.js';
import { parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { traceProfile } from './shared.js';

export function sequenceRows(
  version: '6.1' | '6.12',
  setup: string,
  act: string,
  machine = '',
  profile: Profile = traceProfile(version),
): string[] {
  const text = `machine cpus=1 ${machine}\ntask t comm=t cpu=0\n${setup}\ndrain\ncheckpoint go\n${act}\n`;
  const r = runScenario(parseScenario(text, 'sequence'), profile);
  const names = new Map<number, string>();
  const tables = new Set(r.events.filter((e) => e.stack.includes('pte_alloc_one')).map((e) => e.record.pfn));
  return r.events
    .slice(r.checkpoints.get('go')!.at)
    .filter((e) => !tables.has(e.record.pfn))
    .map(({ record: x }) => {
      if (!names.has(x.pfn)) names.set(x.pfn, names.size ? `D${names.size}` : 'P');
      const ev = 'SMTRUFZ'[x.type];
      const ret = pageRefHasRet(x.type) ? String(x.ret) : '-';
      return `${names.get(x.pfn)} ${ev} ${x.val} ${ret} ${x.count} ${x.mapcount} ${show_page_flags(profile, x.flagsLo)}`;
    });
}

/** how many of `events` have these frames in their stack, innermost first (others may lie between) */
export function countWithFrames(
  events: readonly { stack: readonly string[] }[],
  ...frames: string[]
): number {
  return events.filter((e) => {
    let at = -1;
    return frames.every((f) => (at = e.stack.indexOf(f, at + 1)) >= 0);
  }).length;
}
