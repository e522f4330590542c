/** Facts read straight off a trace's text with a regex: what the tests compare the store's answers with. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/** count= and mapcount= of every page_ref event of `pfn`, in trace order. */
export function tracedCounts(text: string, pfn: number): { count: number; mapcount: number }[] {
  const re = new RegExp(`page_ref_\\w+: pfn=0x${pfn.toString(16)} .*? count=(-?\\d+) mapcount=(-?\\d+)`, 'g');
  return [...text.matchAll(re)].map((m) => ({ count: Number(m[1]), mapcount: Number(m[2]) }));
}

/**
 * A copy of a stack run with its stack lines removed, in a temporary file: ftrace's '<stack trace>'
 * and ' => f' lines, trace-cmd report's 'kernel_stack: <stack trace >' and '=> f (addr)' lines.
 */
export function stacksHidden(file: string): string {
  const text = gunzipSync(readFileSync(file)).toString('latin1');
  const hidden = path.join(mkdtempSync(path.join(tmpdir(), 'nostack-')), 'trace.txt');
  writeFileSync(hidden, text.replace(/^.*<stack trace ?>\n|^[ \t]*=> .*\n/gm, ''), 'latin1');
  return hidden;
}

/**
 * A stack run rewritten as `perf script` prints a tracepoint record with its kernel callchain, in
 * a temporary file: the sample line `comm pid [cpu] ts: page_ref:<event>: <fields>`, then one
 * `\t<addr> <sym>+0x10 ([kernel.kallsyms])` line per frame of the `<stack trace>` block that
 * ftrace attached to it (the last record of the block's cpu and pid: blocks of other CPUs can
 * come between), and a blank line. The markers keep their ftrace name (tracing_mark_write).
 */
export function asPerfScript(file: string): string {
  const head = /^\s*(.+?)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+\S+\s+(\d+\.\d+): (\S+)(?: (.*))?$/;
  const records: string[][] = [];
  const last = new Map<string, string[]>();
  let frames: string[] | undefined;
  for (const line of gunzipSync(readFileSync(file)).toString('latin1').split('\n')) {
    const m = head.exec(line);
    if (m) {
      const [, comm, pid, cpu, ts, event, fields] = m;
      if (event === '<stack') {
        frames = last.get(`${cpu}:${pid}`);
        continue;
      }
      const name = event.startsWith('page_ref_') ? `page_ref:${event.slice(0, -1)}:` : event;
      const record = [
        `${comm.padStart(16)} ${pid.padStart(5)} [${cpu.padStart(3, '0')}] ${ts.padStart(12)}: ${name} ${fields}`,
      ];
      records.push(record);
      last.set(`${cpu}:${pid}`, record);
      frames = undefined;
    } else if (line.startsWith(' => ') && frames)
      frames.push(
        `\tffffffff81${(0x100000 + frames.length * 16).toString(16)} ${line.slice(4)}+0x10 ([kernel.kallsyms])`,
      );
  }
  const perf = path.join(mkdtempSync(path.join(tmpdir(), 'perf-')), 'perf-script.txt');
  writeFileSync(perf, records.map((r) => r.join('\n') + '\n\n').join(''), 'latin1');
  return perf;
}
