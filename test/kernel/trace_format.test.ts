/**
 * The formatter against real kernel output: for page_ref lines of the real 6.1 and 6.12 traces,
 * put a model page into the state the line implies before the operation, run the page_ref
 * function that fires that event, format the record with the line's context, and require the
 * same bytes (the hashed `mapping` pointer aside: the model cannot know the boot's siphash key).
 */
import { describe, expect, it } from 'vitest';
import { parse_page_flags } from '../../src/kernel/flag_names.js';
import { Kernel } from '../../src/kernel/kernel.js';
import {
  page_ref_add,
  page_ref_add_unless,
  page_ref_freeze,
  page_ref_sub_and_test,
  page_ref_unfreeze,
  set_page_count,
} from '../../src/kernel/page_ref.js';
import { PAGE_REF_EVENT_NAMES, type PageRefRecord, type TraceContext } from '../../src/kernel/tracepoint.js';
import { formatContext, formatPageRefLine, formatTraceHeader } from '../../src/kernel/trace_format.js';
import { readShared, traceProfile } from '../helpers/shared.js';

const LINE =
  /^(.{16})-(\d+)\s+\(\s*(\d+)\) \[(\d{3})\] (.{5}) +(\d+)\.(\d{6}): (page_ref_\w+): pfn=0x([0-9a-f]+) flags=(\S+) count=(-?\d+) mapcount=(-?\d+) mapping=([0-9a-f]{16}) mt=(\d+) val=(-?\d+)(?: ret=(\d))?$/;

function replay(version: '6.1' | '6.12', workload: string, limit: number) {
  const profile = traceProfile(version);
  const k = new Kernel({ profile, nrPages: 0x100000 });
  let captured: { rec: PageRefRecord; ctx: TraceContext } | undefined;
  k.tracer.subscribe((rec, ctx) => (captured = { rec: { ...rec }, ctx: { ...ctx } }));
  const text = readShared('traces', version, workload, 'trace.txt.gz');
  const mismatches: string[] = [];
  let checked = 0;
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [
      ,
      comm,
      pid,
      tgid,
      cpu,
      irq,
      secs,
      usecs,
      event,
      pfnHex,
      flags,
      count,
      mapcount,
      mapping,
      mt,
      val,
      ret,
    ] = m;
    const pfn = parseInt(pfnHex, 16);
    const v = Number(val);
    const after = Number(count);
    const r = ret === undefined ? 0 : Number(ret);
    const flagsLo = parse_page_flags(profile, flags);
    expect(flagsLo, `flags ${flags} must decode with profile ${version}`).toBeDefined();
    // the state before the operation
    const before: Record<string, number> = {
      page_ref_set: 7,
      page_ref_mod: after - v,
      page_ref_mod_and_test: after - v,
      page_ref_mod_unless: r ? after - v : after,
      page_ref_freeze: r ? v : after,
      page_ref_unfreeze: 0,
    };
    k.mem.refcount[pfn] = before[event];
    k.mem.flagsLo[pfn] = flagsLo!;
    // 6.1 prints page_mapcount() = _mapcount + 1 for these pages; 6.12 the raw _mapcount
    k.mem.mapcount[pfn] = profile.facts.traceMapcount === 'raw' ? Number(mapcount) : Number(mapcount) - 1;
    k.mem.mapping[pfn] = mapping === '0000000000000000' ? 0 : 4;
    k.mem.pageblockMt[pfn >>> 9] = Number(mt);
    Object.assign(k.tracer.ctx, {
      comm: comm.trim(),
      pid: Number(pid),
      tgid: Number(tgid),
      cpu: Number(cpu),
      irqInfo: irq,
      timestampNs: Number(secs) * 1e9 + Number(usecs) * 1e3,
    });
    captured = undefined;
    switch (event as (typeof PAGE_REF_EVENT_NAMES)[number]) {
      case 'page_ref_set':
        set_page_count(k, pfn, v);
        break;
      case 'page_ref_mod':
        page_ref_add(k, pfn, v);
        break;
      case 'page_ref_mod_and_test':
        page_ref_sub_and_test(k, pfn, -v);
        break;
      case 'page_ref_mod_unless':
        page_ref_add_unless(k, pfn, v, 0);
        break;
      case 'page_ref_freeze':
        page_ref_freeze(k, pfn, v);
        break;
      case 'page_ref_unfreeze':
        page_ref_unfreeze(k, pfn, v);
        break;
      default:
        throw new Error(`unexpected event ${event}`);
    }
    expect(captured).toBeDefined();
    const ours = formatPageRefLine(profile, captured!.rec, captured!.ctx);
    const masked = ours.replace(/mapping=[0-9a-f]{16}/, `mapping=${mapping}`);
    if (masked !== line) mismatches.push(`${line}\n${masked}`);
    if (++checked >= limit) break;
  }
  return { checked, mismatches, text };
}

describe('page_ref trace lines are byte-identical to the real kernel', () => {
  for (const [version, workload] of [
    ['6.1', 'fork_cow'],
    ['6.12', 'fork_cow'],
    ['6.1', 'migration_blocked'],
    ['6.12', 'migration_blocked'],
  ] as const) {
    it(`${version} ${workload}`, () => {
      const { checked, mismatches } = replay(version, workload, 20000);
      expect(checked).toBeGreaterThan(4000);
      expect(mismatches.slice(0, 5)).toEqual([]);
    });
  }

  it('the header block matches the real file (tgid, 5-char irq-info)', () => {
    const text = readShared('traces', '6.12', 'fork_cow', 'trace.txt.gz');
    const header = text.split('\n').slice(0, 12).join('\n') + '\n';
    expect(formatTraceHeader({ tgid: true, irqInfo: 5 }, { inBuffer: 5457, written: 5457, cpus: 2 })).toBe(
      header,
    );
  });
});

describe('other tracefs layouts', () => {
  // Public trace files: "bash-887   [000] .... 11824.891592: sys_enter: ..." under the pre-5.13 header
  const OLD = `# tracer: nop
#
# entries-in-buffer/entries-written: 2/2   #P:1
#
#                              _-----=> irqs-off
#                             / _----=> need-resched
#                            | / _---=> hardirq/softirq
#                            || / _--=> preempt-depth
#                            ||| /     delay
#           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION
#              | |       |   ||||       |         |
`;
  it('4-char irq-info (pre-5.13): header and a 5-wide pid', () => {
    expect(formatTraceHeader({ tgid: false, irqInfo: 4 }, { inBuffer: 2, written: 2, cpus: 1 })).toBe(OLD);
    const ctx = { comm: 'bash', pid: 887, tgid: 887, cpu: 0, irqInfo: '....', timestampNs: 11824891592000 };
    expect(formatContext(ctx, { tgid: false, irqInfo: 4 })).toBe(
      '            bash-887   [000] .... 11824.891592: ',
    );
  });

  // irq-info off: "[%03d] " is followed directly by trace_print_time()'s " %5lu.%06lu"
  it('no tgid, 5-char irq-info: the context columns of trace_print_context()', () => {
    const ctx = {
      comm: 'kworker/u8:2',
      pid: 12345678,
      tgid: 0,
      cpu: 1,
      irqInfo: 'dNh1.',
      timestampNs: 5_000_000_499,
    };
    expect(formatContext(ctx, { tgid: false, irqInfo: 5 })).toBe(
      '    kworker/u8:2-12345678 [001] dNh1.     5.000000: ',
    );
    expect(formatContext(ctx, { tgid: true, irqInfo: 0 })).toBe(
      '    kworker/u8:2-12345678 (-------) [001]      5.000000: ',
    );
  });
});
