/** Hand-made inputs for header variants the real traces do not contain. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readTrace } from '../../src/trace/reader.js';

const dir = mkdtempSync(path.join(tmpdir(), 'folioscope-variants-'));
let n = 0;
function file(text: string, gz = false): string {
  const f = path.join(dir, `t${n++}.txt${gz ? '.gz' : ''}`);
  writeFileSync(f, gz ? gzipSync(text) : text);
  return f;
}

const P = 'pfn=0x1a2b flags=uptodate|lru count=2 mapcount=0 mapping=00000000acab31da mt=1 val=1';
const PT = 'pfn=0x1a2b flags=uptodate|lru count=1 mapcount=0 mapping=00000000acab31da mt=1 val=-1 ret=0';

describe('ftrace header variants', () => {
  it('no tgid column, 5-char irq (trace_pipe, no header), gzip', async () => {
    const r = await readTrace(
      file(`           <...>-4242    [001] d..1.  1234.000001: page_ref_mod: ${P}\n`, true),
    );
    expect(r.format).toBe('ftrace');
    expect(r.unparsed.count).toBe(0);
    expect(r.store.context(0)).toMatchObject({
      comm: '<...>',
      pid: 4242,
      tgid: -1,
      cpu: 1,
      irqInfo: 'd..1.',
    });
    expect(r.store.context(0).timestampNs).toBe(1234000001000);
    expect(r.store.record(0)).toMatchObject({
      type: 1,
      pfn: 0x1a2b,
      count: 2,
      mapcount: 0,
      mt: 1,
      val: 1,
      ret: 0,
    });
  });

  it('tgid column with (-------), task names with spaces, dashes and slashes, no irq field', async () => {
    const text = [
      `    Web Content-1234    (-------) [000]     5.000001: page_ref_mod: ${P}`,
      `  kworker/u9:1-30      (     30) [001] .....     5.000002: page_ref_mod_and_test: ${PT}`,
      `     my-task-x-77      (     70) [002] .N...     5.000003: page_ref_mod: ${P}`,
    ].join('\n');
    const r = await readTrace(file(text + '\n'));
    expect(r.unparsed.count).toBe(0);
    expect(r.store.context(0)).toMatchObject({ comm: 'Web Content', pid: 1234, tgid: -1, irqInfo: '' });
    expect(r.store.context(1)).toMatchObject({ comm: 'kworker/u9:1', pid: 30, tgid: 30, cpu: 1 });
    expect(r.store.context(2)).toMatchObject({ comm: 'my-task-x', pid: 77, tgid: 70, cpu: 2 });
  });

  it('latency format: %8.8s-%-7d %3d + LAT, relative µs', async () => {
    const text = [
      '# tracer: nop',
      '#                    _------=> CPU#',
      '#     cmd     pid    |||||| time  |   caller',
      `   gtrun-88        0.....    5us : page_ref_mod: ${P}`,
      `fork_cow-89        1d..1.   12us+: page_ref_mod_and_test: ${PT}`,
    ].join('\n');
    const r = await readTrace(file(text));
    expect(r.unparsed.samples).toEqual([]);
    expect(r.store.context(0)).toMatchObject({
      comm: 'gtrun',
      pid: 88,
      cpu: 0,
      irqInfo: '.....',
      timestampNs: 5000,
    });
    expect(r.store.context(1)).toMatchObject({
      comm: 'fork_cow',
      pid: 89,
      cpu: 1,
      irqInfo: 'd..1.',
      timestampNs: 12000,
    });
  });

  it('LOST events and CPU buffer started lines are reported and make the CPU uncertain', async () => {
    const text = [
      '##### CPU 2 buffer started ####',
      `            a-1       [002] .....     1.000000: page_ref_mod: ${P}`,
      'CPU:1 [LOST 128 EVENTS]',
      `            b-2       [001] .....     1.000001: page_ref_mod: ${P.replace('0x1a2b', '0x99')}`,
      '[snip]',
    ].join('\n');
    const r = await readTrace(file(text));
    expect(r.lost).toEqual([
      { cpu: 2, events: undefined, line: 1, kind: 'buffer-started' },
      { cpu: 1, events: 128, line: 3, kind: 'lost' },
    ]);
    expect(r.uncertainCpus).toEqual([1, 2]);
    expect(r.unparsed.samples).toEqual([{ line: 5, text: '[snip]', reason: 'not an event line' }]);
  });

  it('stacks from two CPUs interleave: each goes to the event of its own cpu and pid', async () => {
    const text = [
      `            a-10      [000] .....     1.000000: page_ref_mod: ${P}`,
      `            b-20      [001] .....     1.000001: page_ref_mod: ${P}`,
      '            b-20      [001] .....     1.000005: <stack trace>',
      ' => trace_event_raw_event_page_ref_mod_template',
      ' => __page_ref_mod+0x56/0xa0',
      ' => from_b <ffffffff815c8f46>',
      '            a-10      [000] .....     1.000006: <stack trace>',
      ' => trace_event_raw_event_page_ref_mod_template',
      ' => __page_ref_mod',
      ' => from_a [some_module]',
      '            c-30      [000] .....     1.000007: <stack trace>',
      ' => orphan',
    ].join('\n');
    const r = await readTrace(file(text));
    expect(r.unparsed.count).toBe(0);
    expect(r.store.frames(r.store.stackOf(0)!)).toEqual([
      'trace_event_raw_event_page_ref_mod_template',
      '__page_ref_mod',
      'from_a [some_module]',
    ]);
    expect(r.store.frames(r.store.stackOf(1)!)[1]).toBe('__page_ref_mod+0x56/0xa0');
    expect(r.store.frames(r.store.stackOf(1)!)[2]).toBe('from_b');
    expect(r.stacks).toMatchObject({ blocks: 3, attached: 2 });
    expect(r.stacks.unattached.samples[0].line).toBe(11);
  });
});

describe('trace-cmd report', () => {
  it('raw hex flags, (nil) mapping, print: tracing_mark_write, kernel_stack frames with addresses', async () => {
    const text = [
      'cpus=2',
      '           gtrun-101   [000]    14.229996: page_ref_set:         pfn=0x12a00 flags=locked|0x8 count=1 mapcount=-1 mapping=(nil) mt=0 val=1',
      '           gtrun-101   [000]    14.230706: kernel_stack:         <stack trace >',
      '=> trace_event_raw_event_page_ref_mod_template (ffffffff8118aef5)',
      '=> __page_ref_set (ffffffff8118accd)',
      '           gtrun-101   [000]    14.230707: page_ref_mod:         pfn=0x12a01 flags=0x2013c count=2 mapcount=0 mapping=0xffff888100abcde1 mt=1 val=1',
      '           gtrun-191   [000]   244.100333: print:                tracing_mark_write: GT_WORKLOAD_START x',
    ].join('\n');
    const r = await readTrace(file(text));
    expect(r.format).toBe('trace-cmd');
    expect(r.unparsed.count).toBe(0);
    expect(r.header.cpus).toBe(2);
    expect(r.store.flagsText(0)).toBe('locked|0x8');
    expect(r.store.flagsText(1)).toBe('0x2013c');
    expect(r.store.record(0).mapping).toBe(0);
    expect(r.store.record(1).mapping & 3).toBe(1); // PAGE_MAPPING_ANON visible in the raw pointer
    expect(r.store.frames(r.store.stackOf(0)!)).toEqual([
      'trace_event_raw_event_page_ref_mod_template',
      '__page_ref_set',
    ]);
    expect(r.markers.get(0)).toMatchObject({ name: 'tracing_mark_write', text: 'GT_WORKLOAD_START x' });
  });
});

describe('perf script', () => {
  it('page_ref:page_ref_mod lines with callchains ended by a blank line', async () => {
    const text = [
      '        fork_cow    89 [001]    14.928967: page_ref:page_ref_mod_and_test: ' + PT,
      '\tffffffff8118afb0 trace_event_raw_event_page_ref_mod_and_test_template+0xa0 ([kernel.kallsyms])',
      '\tffffffff8118ad53 __page_ref_mod_and_test+0x43 ([kernel.kallsyms])',
      '',
      '  Web Content  1234/1240 [000]    14.928970:        page_ref:page_ref_mod: ' + P,
      '',
    ].join('\n');
    const r = await readTrace(file(text));
    expect(r.format).toBe('perf');
    expect(r.unparsed.samples).toEqual([]);
    expect(r.store.context(0)).toMatchObject({ comm: 'fork_cow', pid: 89, cpu: 1 });
    expect(r.store.frames(r.store.stackOf(0)!)).toEqual([
      'trace_event_raw_event_page_ref_mod_and_test_template+0xa0',
      '__page_ref_mod_and_test+0x43',
    ]);
    expect(r.store.context(1)).toMatchObject({ comm: 'Web Content', pid: 1240, tgid: 1234, cpu: 0 });
    expect(r.store.stackOf(1)).toBeUndefined();
  });
});

describe('bad input', () => {
  it('a missing file is a TraceInputError naming the file', async () => {
    await expect(readTrace(path.join(dir, 'nope.txt'))).rejects.toThrow(/nope\.txt: no such file/);
  });
});
