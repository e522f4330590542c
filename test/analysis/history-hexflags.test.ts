/**
 * trace-cmd report prints flags as hex (libtraceevent cannot resolve the PG_ enum, reference §2.5);
 * `history` decodes them with the profile. The plain ftrace text of the same run is the oracle:
 * for every page, the decoded names equal the names the kernel printed.
 */
import { describe, expect, it } from 'vitest';
import { mapcountMeaning, pageHistory } from '../../src/analysis/history.js';
import { readTrace } from '../../src/trace/reader.js';
import { TRACES, traceProfile } from '../helpers/shared.js';

describe('history decodes trace-cmd hex flags like the kernel prints them', () => {
  for (const v of ['6.1', '6.12'] as const) {
    it(`${v} fork_cow: trace-cmd-report.txt.gz vs trace.txt.gz`, async () => {
      const ftrace = await readTrace(`${TRACES}/${v}/fork_cow/trace.txt.gz`);
      const tcmd = await readTrace(`${TRACES}/${v}/fork_cow/trace-cmd-report.txt.gz`);
      const p = traceProfile(v);
      const pfns = [...new Set(Array.from({ length: 200 }, (_, i) => ftrace.store.pfn(i * 17)))];
      let compared = 0;
      for (const pfn of pfns) {
        const a = pageHistory(ftrace, pfn, v, p).flatMap((e) => (e.kind === 'event' ? [e.flags] : []));
        const b = pageHistory(tcmd, pfn, v, p).flatMap((e) =>
          e.kind === 'event' ? [e.flagsDecoded ?? e.flags] : [],
        );
        expect(b).toEqual(a);
        compared += a.length;
      }
      expect(compared).toBeGreaterThan(500);
    });
  }
});

// page-flags.h: 6.1 keeps page_mapcount() -1..-127 for underflows (PAGE_MAPCOUNT_RESERVE) and
// clears a PG_ bit under 0xf0000000 for a type; 6.12 puts PGTY_ in the top byte, 0xff meaning an
// underflow (PGTY_mapcount_underflow). The slab value is the one the real 6.12 traces show.
describe("history: what an event's mapcount= means", () => {
  it.each([
    ['6.1', 0, 'not mapped'],
    ['6.1', 2, 'mapped 2x (page_mapcount)'],
    ['6.1', -3, 'mapcount underflow (page_mapcount -3)'],
    ['6.1', -128, 'page type buddy (page_mapcount -128)'],
    ['6.12', -1, 'not mapped'],
    ['6.12', 1, 'mapped 2x (raw _mapcount 1)'],
    ['6.12', -5, 'mapcount underflow (raw _mapcount -5)'],
    ['6.12', -2147483648, 'mapcount overflow (raw _mapcount -2147483648)'],
    ['6.12', -184549376, 'page type slab (raw _mapcount -184549376)'],
  ] as const)('%s mapcount=%d: %s', (profile, m, meaning) => {
    expect(mapcountMeaning(profile, m)).toBe(meaning);
  });
});
