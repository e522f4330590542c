/**
 * trace-cmd report prints flags as hex (libtraceevent cannot resolve the PG_ enum, reference §2.5);
 * `history` decodes them with the profile. The plain ftrace text of the same run is the oracle:
 * for every page, the decoded names equal the names the kernel printed.
 */
import { describe, expect, it } from 'vitest';
import { pageHistory } from '../../src/analysis/history.js';
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
