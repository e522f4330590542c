import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/analysis/summary.js';
import { PAGE_REF_EVENT_NAMES } from '../../src/kernel/tracepoint.js';
import { readTrace } from '../../src/trace/reader.js';
import { TRACES } from '../helpers/shared.js';
import { parseNotes } from './notes.js';

/** Every trace text file of every workload of both kernels, with its notes.txt figures. */
const cases: { version: string; workload: string; file: string }[] = [];
for (const version of ['6.1', '6.12']) {
  for (const workload of readdirSync(path.join(TRACES, version))) {
    const dir = path.join(TRACES, version, workload);
    if (!existsSync(path.join(dir, 'notes.txt'))) continue;
    for (const f of readdirSync(dir))
      if (/^trace.*\.txt\.gz$/.test(f)) cases.push({ version, workload, file: f });
  }
}

describe('real traces from /work/shared/traces', () => {
  it('finds the trace files', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('$version/$workload/$file matches notes.txt', async ({ version, workload, file }) => {
    const dir = path.join(TRACES, version, workload);
    const expected = parseNotes(path.join(dir, 'notes.txt')).get(file.replace(/\.gz$/, ''));
    expect(expected, 'notes.txt has figures for this file').toBeDefined();
    const r = await readTrace(path.join(dir, file));
    const s = summarize(r);
    expect(r.unparsed.samples).toEqual([]);
    expect(r.unparsed.count).toBe(0);
    expect(r.lost).toEqual([]);
    expect(s.eventsByName).toEqual(expected!.counts);
    expect(s.profile.name).toBe(version);

    const st = r.store;
    if (expected!.stackBlocks !== undefined || file.includes('stack')) {
      expect(r.stacks.blocks).toBe(expected!.stackBlocks ?? st.length);
      expect(r.stacks.attached).toBe(r.stacks.blocks);
      expect(r.stacks.unattached.count).toBe(0);
      for (let i = 0; i < st.length; i++) {
        const id = st.stackOf(i);
        expect(id, `event at line ${st.line(i)} has a stack`).toBeDefined();
        const frames = st.frames(id!);
        const cls = /^trace_event_raw_event_page_ref_mod(_and_test)?_template$/;
        const fn = `__${PAGE_REF_EVENT_NAMES[st.type(i)]}`;
        if (!cls.test(frames[0]) || frames[1] !== fn) {
          expect.fail(`line ${st.line(i)}: stack starts ${frames.slice(0, 2).join(' ')}, expected ${fn}`);
        }
      }
    } else {
      expect(r.stacks.blocks).toBe(0);
    }
  });
});
