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
