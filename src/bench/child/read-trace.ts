/**
 * Child process of the trace-read benchmark: reads one trace and prints what the parent reports
 * as JSON. A process of its own, so that its time and peak RSS compare with grep's and awk's.
 */
import { readTrace } from '../../trace/reader.js';

const [file, threads] = process.argv.slice(2);
const r = await readTrace(file, { threads: Number(threads) });
const s = r.store;
process.stdout.write(
  JSON.stringify({
    events: s.length,
    unparsed: r.unparsed.count,
    bytesPerEvent: s.bytesPerEvent(),
    tableBytes: s.tableBytes(),
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  }) + '\n',
);
