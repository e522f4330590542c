import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrace } from '../../src/trace/reader.js';
import { SAMPLES } from '../helpers/shared.js';

describe('public samples', () => {
  it('ftrace-2016-joonsoo-kim-cma.txt: [snip] lines and headerless frames are reported with line numbers', async () => {
    const r = await readTrace(path.join(SAMPLES, 'ftrace-2016-joonsoo-kim-cma.txt'));
    expect(r.store.length).toBe(3);
    expect(r.unparsed.samples.filter((u) => u.text === '[snip]').map((u) => u.line)).toEqual([11, 13, 15]);
    // the kernel_stack header of the last stack was snipped: its 10 frames cannot be attached
    const orphans = r.unparsed.samples.filter((u) => u.reason.startsWith('stack frame outside'));
    expect(orphans.map((u) => u.line)).toEqual([17, 18, 19, 20, 21, 22, 23, 24, 25, 26]);
    expect(r.unparsed.count).toBe(13);
    expect(r.stacks.attached).toBe(1);
    expect(r.store.frames(r.store.stackOf(0)!)[0]).toBe('get_page_from_freelist');
    expect(r.store.record(1)).toMatchObject({ pfn: 0x17ac9, count: 2, mapcount: 1, mt: 4, val: 1 });
    expect(r.store.flagsText(1)).toBe('0x40048');
    const m = r.markers.get(0);
    expect(m).toMatchObject({ name: 'test_pages_isolated', cpu: 1, pid: 9131, line: 14 });
    expect(m.text).toBe('start_pfn=0x17800 end_pfn=0x17c00 fin_pfn=0x17ac9 ret=fail');
  });

  it('ftrace-thp-leak-stacktrace-arm64.txt: 4-char irq field, <...> names, stack to the same cpu/pid', async () => {
    const r = await readTrace(path.join(SAMPLES, 'ftrace-thp-leak-stacktrace-arm64.txt'));
    expect(r.unparsed.count).toBe(0);
    expect(r.store.length).toBe(6);
    const c = r.store.context(5);
    expect(c).toMatchObject({ comm: '<...>', pid: 43947, cpu: 31, irqInfo: 'd...', line: 6 });
    expect(c.timestampNs).toBe(347501175000);
    expect(r.store.context(2)).toMatchObject({ comm: 'kworker/42:1', pid: 780, cpu: 42, irqInfo: '....' });
    expect(r.store.frames(r.store.stackOf(5)!).slice(0, 2)).toEqual([
      '__page_ref_mod_unless',
      'gup_pgd_range',
    ]);
    expect(r.store.stackOf(3)).toBeUndefined();
  });
});
