/**
 * The text a kernel prints for page_ref events in /sys/kernel/tracing/trace:
 * trace_print_context() + "<event>: " + TP_printk (kernel/trace/trace_output.c,
 * include/trace/events/page_ref.h; identical in 6.1 and 6.12), and the file's header block
 * (kernel/trace/trace.c print_func_help_header[_irq]).
 *
 * Options mirror the tracefs ones: record-tgid (the `(  tgid)` column) and irq-info (the 5-char
 * latency field; `irqInfo: 4` is the pre-5.13 layout without the migrate-disable column and with
 * a 5-wide pid, as in older kernels' traces).
 */
import type { Profile } from './profiles/index.js';
import { show_page_flags } from './flag_names.js';
import { PAGE_REF_EVENT_NAMES, pageRefHasRet, type PageRefRecord, type TraceContext } from './tracepoint.js';

export interface TraceFormatOptions {
  /** options/record-tgid */
  tgid: boolean;
  /** options/irq-info: 5 (5.13+), 4 (older kernels) or 0 (off) */
  irqInfo: 5 | 4 | 0;
}

export const DEFAULT_TRACE_FORMAT: TraceFormatOptions = { tgid: true, irqInfo: 5 };

/**
 * %p of a kernel pointer with hash-ptr on (the default): NULL prints as 16 zeros, anything else as
 * a 32-bit siphash id zero-padded to 16 digits (lib/vsprintf.c ptr_to_id). The model cannot know
 * the boot's siphash key, so it uses a fixed mix of the mapping id: same mapping, same text.
 */
export function hashedPointer(mapping: number): string {
  if (mapping === 0) return '0000000000000000';
  let h = Math.imul(mapping ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h = (h ^ (h >>> 16)) >>> 0;
  return `00000000${h.toString(16).padStart(8, '0')}`;
}

function padStart(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

function padEnd(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** trace_print_time(): " %5lu.%06lu" from ns2usecs() (rounded to the nearest microsecond) */
export function formatTimestamp(ns: number): string {
  const us = Math.floor((ns + 500) / 1000);
  const secs = Math.floor(us / 1e6);
  const rem = us - secs * 1e6;
  return ` ${padStart(String(secs), 5)}.${String(rem).padStart(6, '0')}`;
}

/** trace_print_context(): comm-pid, [tgid], [cpu], irq-info, timestamp, ": " */
export function formatContext(ctx: Readonly<TraceContext>, opts: TraceFormatOptions): string {
  const comm = ctx.comm.slice(0, 15); // TASK_COMM_LEN 16 with the NUL
  let s = `${padStart(comm, 16)}-${padEnd(String(ctx.pid), opts.irqInfo === 4 ? 5 : 7)} `;
  if (opts.tgid) s += ctx.tgid ? `(${padStart(String(ctx.tgid), 7)}) ` : '(-------) ';
  s += `[${String(ctx.cpu).padStart(3, '0')}] `;
  if (opts.irqInfo) s += ctx.irqInfo.slice(0, opts.irqInfo).padEnd(opts.irqInfo, '.');
  return `${s}${formatTimestamp(ctx.timestampNs)}: `;
}

/** TP_printk of both page_ref classes */
export function formatPageRefFields(p: Profile, r: Readonly<PageRefRecord>): string {
  let s =
    `pfn=0x${r.pfn.toString(16)} flags=${show_page_flags(p, r.flagsLo)} count=${r.count}` +
    ` mapcount=${r.mapcount} mapping=${hashedPointer(r.mapping)} mt=${r.mt} val=${r.val}`;
  if (pageRefHasRet(r.type)) s += ` ret=${r.ret}`;
  return s;
}

/** One full line, as `cat trace` prints it (without the newline). */
export function formatPageRefLine(
  p: Profile,
  r: Readonly<PageRefRecord>,
  ctx: Readonly<TraceContext>,
  opts: TraceFormatOptions = DEFAULT_TRACE_FORMAT,
): string {
  return `${formatContext(ctx, opts)}${PAGE_REF_EVENT_NAMES[r.type]}: ${formatPageRefFields(p, r)}`;
}

/**
 * The header of the trace file for the nop tracer: "# tracer: nop", the entries line
 * (print_event_info) and the column help (print_func_help_header[_irq], kernel/trace/trace.c).
 */
export function formatTraceHeader(
  opts: TraceFormatOptions,
  entries: { inBuffer: number; written: number; cpus: number },
): string {
  const lines = [
    '# tracer: nop',
    '#',
    `# entries-in-buffer/entries-written: ${entries.inBuffer}/${entries.written}   #P:${entries.cpus}`,
    '#',
  ];
  const tgid = opts.tgid;
  if (opts.irqInfo === 4) {
    // pre-5.13 kernels (no migrate-disable column, 5-wide pid), as their trace files show it
    if (tgid)
      throw new Error(
        'formatTraceHeader: the pre-5.13 (4-char irq-info) layout is modelled without record-tgid',
      );
    lines.push(
      '#                              _-----=> irqs-off',
      '#                             / _----=> need-resched',
      '#                            | / _---=> hardirq/softirq',
      '#                            || / _--=> preempt-depth',
      '#                            ||| /     delay',
      '#           TASK-PID   CPU#  ||||    TIMESTAMP  FUNCTION',
      '#              | |       |   ||||       |         |',
    );
  } else if (opts.irqInfo === 0) {
    lines.push(`#           TASK-PID    ${tgid ? '   TGID   ' : ''} CPU#     TIMESTAMP  FUNCTION`);
    lines.push(`#              | |      ${tgid ? '     |    ' : ''}   |         |         |`);
  } else {
    const pad = ' '.repeat(tgid ? 12 : 2);
    lines.push(`#                            ${pad}  _-----=> irqs-off/BH-disabled`);
    lines.push(`#                            ${pad} / _----=> need-resched`);
    lines.push(`#                            ${pad}| / _---=> hardirq/softirq`);
    lines.push(`#                            ${pad}|| / _--=> preempt-depth`);
    lines.push(`#                            ${pad}||| / _-=> migrate-disable`);
    lines.push(`#                            ${pad}|||| /     delay`);
    lines.push(`#           TASK-PID  ${tgid ? '     TGID   ' : '  '} CPU#  |||||  TIMESTAMP  FUNCTION`);
    lines.push(`#              | |    ${tgid ? '       |    ' : '  '}   |   |||||     |         |`);
  }
  return lines.join('\n') + '\n';
}
