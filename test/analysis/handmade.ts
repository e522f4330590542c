/** Small hand-made ftrace traces for the analysis unit tests. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTrace, type TraceReadResult } from '../../src/trace/reader.js';

export interface Ev {
  ev: 'set' | 'mod' | 'mod_and_test' | 'mod_unless' | 'freeze' | 'unfreeze' | 'mod_and_return';
  pfn?: number;
  val: number;
  ret?: number;
  count: number;
  mapcount?: number;
  cpu?: number;
  pid?: number;
  ts?: number;
  /** innermost first, without the tracepoint frames */
  stack?: string[];
  flags?: string;
  /** the mapping pointer as printed (default NULL) */
  mapping?: string;
}

let t = 100;

function head(pid: number, cpu: number, ts: number): string {
  const task = `task-${pid}`.padStart(16);
  return `${task}     (${String(pid).padStart(7)}) [${String(cpu).padStart(3, '0')}] .....  ${ts.toFixed(6).padStart(11)}: `;
}

export function marker(text: string, pid = 1): string {
  return head(pid, 0, (t += 0.000001)) + `tracing_mark_write: ${text}`;
}

export function line(e: Ev): string[] {
  const ts = e.ts ?? (t += 0.000001);
  const pid = e.pid ?? 10;
  const cpu = e.cpu ?? 0;
  const ret = e.ret === undefined ? '' : ` ret=${e.ret}`;
  const out = [
    head(pid, cpu, ts) +
      `page_ref_${e.ev}: pfn=0x${(e.pfn ?? 0x1000).toString(16)} flags=${e.flags ?? 'none'} count=${e.count} mapcount=${e.mapcount ?? -1} mapping=${e.mapping ?? '0000000000000000'} mt=0 val=${e.val}${ret}`,
  ];
  if (e.stack) {
    const cls = e.ret === undefined ? 'mod' : 'mod_and_test';
    out.push(head(pid, cpu, ts) + '<stack trace>');
    out.push(` => trace_event_raw_event_page_ref_${cls}_template`, ` => __page_ref_${e.ev}`);
    for (const f of e.stack) out.push(` => ${f}`);
  }
  return out;
}

export async function trace(lines: (Ev | string)[]): Promise<TraceReadResult> {
  const text = ['# tracer: nop', '#', ...lines.flatMap((l) => (typeof l === 'string' ? [l] : line(l)))].join(
    '\n',
  );
  const dir = mkdtempSync(path.join(tmpdir(), 'folioscope-'));
  const file = path.join(dir, 'trace.txt');
  writeFileSync(file, text + '\n');
  return readTrace(file);
}
