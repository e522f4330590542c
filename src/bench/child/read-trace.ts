/**
 * Child process of the trace-read benchmark: reads one trace and prints what the parent reports
 * as JSON. A process of its own, so that its time and peak RSS compare with grep's and awk's.
 */
import { readFileSync } from 'node:fs';
import { readTrace } from '../../trace/reader.js';

/**
 * Peak RSS of this process: VmHWM, not getrusage's maxRSS, which on Linux keeps the high-water
 * mark of the parent that forked us across exec (the bench parent holds the generated text: it
 * reported 391 MB for a child whose own peak was 123 MB).
 */
function peakRssBytes(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'latin1'));
    if (kb) return Number(kb[1]) * 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS * 1024;
}

const [file, threads] = process.argv.slice(2);
const r = await readTrace(file, { threads: Number(threads) });
const s = r.store;
process.stdout.write(
  JSON.stringify({
    events: s.length,
    unparsed: r.unparsed.count,
    bytesPerEvent: s.bytesPerEvent(),
    tableBytes: s.tableBytes(),
    maxRssBytes: peakRssBytes(),
  }) + '\n',
);
