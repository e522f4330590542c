/**
 * The demo's story against the worked sequence of ../shared/reference/kernel-mm-flows.md §16.1
 * ("parent touches one anon page, forks, child writes it, both exit"), event by event, on the
 * profiles of the traces' own kernels (classic LRU, as the reference table assumes).
 */
import { describe, expect, it } from 'vitest';
import { PAGE_REF_EVENT_NAMES } from '../../src/kernel/tracepoint.js';
import { show_page_flags } from '../../src/kernel/flag_names.js';
import { formatDemo, runForkCowDemo } from '../../src/scenario/demo.js';
import { loadProfile } from '../../src/kernel/profiles/index.js';
import { traceProfile } from '../helpers/shared.js';

const S = 'page_ref_set';
const M = 'page_ref_mod';
const T = 'page_ref_mod_and_test';
// #, page, event, val, ret, count, raw _mapcount (6.12), flags (6.12 names)
const TABLE_16_1: Array<[string, string, number, number, number, number, string]> = [
  ['X', S, 1, 0, 1, -1, 'none'],
  ['X', M, 0, 0, 1, -1, 'uptodate'],
  ['X', M, 1, 0, 2, 0, 'uptodate|owner_2|swapbacked'],
  ['X', M, 1, 0, 3, 0, 'uptodate|owner_2|swapbacked'],
  ['X', T, -1, 0, 2, 1, 'uptodate|lru|swapbacked'],
  ['X', M, 1, 0, 3, 1, 'uptodate|lru|swapbacked'],
  ['N', S, 1, 0, 1, -1, 'none'],
  ['N', M, 1, 0, 2, 0, 'uptodate|owner_2|swapbacked'],
  ['X', T, -1, 0, 2, 0, 'uptodate|lru|swapbacked'],
  ['X', T, -1, 0, 1, 0, 'uptodate|lru|swapbacked'],
  ['N', T, -1, 0, 1, 0, 'uptodate|lru|owner_2|swapbacked'],
  ['N', T, -1, 1, 0, -1, 'uptodate|lru|owner_2|swapbacked'],
  ['X', T, -1, 1, 0, -1, 'uptodate|lru|swapbacked'],
];

function sequence(version: '6.1' | '6.12') {
  const p = traceProfile(version);
  const r = runForkCowDemo(p);
  const all = r.steps.flatMap((s) => s.events);
  // §16.1 leaves page-table pages out: drop the pfns allocated by __pte_alloc
  const tables = new Set(all.filter((e) => e.path.includes('__pte_alloc')).map((e) => e.record.pfn));
  const events = all.map((e) => e.record).filter((rec) => !tables.has(rec.pfn));
  const x = events[0].pfn;
  return events.map((e) => [
    e.pfn === x ? 'X' : 'N',
    PAGE_REF_EVENT_NAMES[e.type],
    e.val,
    e.ret,
    e.count,
    e.mapcount,
    show_page_flags(p, e.flagsLo),
  ]);
}

describe('demo = kernel-mm-flows §16.1', () => {
  it('6.12: all 13 events', () => {
    expect(sequence('6.12')).toEqual(TABLE_16_1);
  });

  it('6.1: no val=0 event; mapcount is page_mapcount(); owner_2 prints as mappedtodisk', () => {
    const expected = TABLE_16_1.filter((_, i) => i !== 1).map(([pg, ev, val, ret, count, mc, flags]) => [
      pg,
      ev,
      val,
      ret,
      count,
      mc + 1,
      flags.replace('owner_2', 'mappedtodisk'),
    ]);
    expect(sequence('6.1')).toEqual(expected);
  });

  it('Debian 6.12 (MGLRU on): folio_add_lru sets active, the drain clears it; text fits a screen per step', () => {
    const r = runForkCowDemo(loadProfile('6.12'));
    const lines = r.steps.flatMap((s) => s.events.map((e) => e.line));
    expect(lines.some((l) => l.includes('flags=uptodate|active|owner_2|swapbacked count=2'))).toBe(true);
    expect(
      lines.some(
        (l) => l.includes('page_ref_mod_and_test') && l.includes('flags=uptodate|lru|swapbacked count=2'),
      ),
    ).toBe(true);
    expect(lines.some((l) => /flags=\S*active\S*lru|flags=\S*lru\S*active/.test(l))).toBe(false);
    const text = formatDemo(r);
    for (const step of text.split('\nStep ').slice(1)) expect(step.split('\n').length).toBeLessThan(40);
    expect(text).toContain('page_mapcount(), which the seed');
  });
});
