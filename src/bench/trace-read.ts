/**
 * Analyzer throughput (issue 3 §4): builds a large ftrace text file from a real trace (pfns and
 * timestamps shifted per copy), then times, in the same run and as whole processes,
 * `grep -c page_ref`, an awk per-pfn sum of val, `folioscope analyze <file>` end to end (the CLI
 * executed as an installed `folioscope` is, through its shebang and so with the launcher's malloc
 * tunables: read, summary and findings, text printed), and readTrace() alone on one thread, on all cores and
 * on a gzip of the file (the usual form of shared traces: read on one thread, inflated by zlib).
 * Prints wall MB/s, CPU seconds (less stretched by other processes' load) and wall ratios, never
 * asserts times. Goal: analyze >= 400 MB/s on 2 cores, <= ~4x grep -c. Also timed: analyze of the
 * file's first 64 KB, i.e. what any run costs before the input's size counts (node's start, the
 * modules), and the rate of the big file after that much.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { createGzip, gunzipSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE = path.resolve(ROOT, '../shared/traces/6.12/migration_blocked/trace.txt.gz');
const TARGET_BYTES = 220 * 1024 * 1024;

const AWK_SUM =
  '/page_ref_/ { p = ""; v = 0; for (i = NF; i > 0; i--) { if ($i ~ /^pfn=/) p = $i; else if ($i ~ /^val=/) v = substr($i, 5) + 0 } s[p] += v } END { n = 0; for (k in s) n++; print n }';

async function generate(file: string): Promise<void> {
  const text = existsSync(SOURCE)
    ? gunzipSync(readFileSync(SOURCE)).toString('latin1')
    : '            a-1       [000] .....     1.000000: page_ref_mod: pfn=0x1000 flags=uptodate|lru count=2 mapcount=0 mapping=00000000acab31da mt=1 val=1\n';
  const header = text.slice(0, text.indexOf('\n', text.lastIndexOf('\n#')) + 1);
  const body = text.slice(header.length);
  const out = createWriteStream(file);
  out.write(header);
  let written = header.length;
  for (let copy = 0; written < TARGET_BYTES; copy++) {
    const shift = copy * 0x100000;
    const chunk = body
      .replace(/pfn=0x([0-9a-f]+)/g, (_, h: string) => `pfn=0x${(parseInt(h, 16) + shift).toString(16)}`)
      .replace(/ (\d+)\.(\d{6}): /g, (_, s: string, us: string) => ` ${Number(s) + copy * 1000}.${us}: `);
    if (!out.write(chunk)) await new Promise<void>((res) => out.once('drain', () => res()));
    written += chunk.length;
  }
  await new Promise<void>((res, rej) => out.end((err?: Error | null) => (err ? rej(err) : res())));
}

interface ChildReport {
  events: number;
  unparsed: number;
  bytesPerEvent: number;
  tableBytes: number;
  maxRssBytes: number;
}

/**
 * CPU seconds (user + system) of this process's waited-for children, from /proc/self/stat
 * (cutime, cstime in 100 Hz ticks); NaN where there is no /proc. On a shared machine a process's
 * CPU time says more than its wall time, which other processes' load stretches.
 */
function childrenCpu(): number {
  try {
    const f = readFileSync('/proc/self/stat', 'latin1').split(') ')[1].split(' ');
    return (Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return NaN;
  }
}

/** Wall and CPU seconds of one whole process, and its stdout. */
function run(cmd: string, args: string[]): { seconds: number; cpu: number; out: string } {
  const t0 = performance.now();
  const c0 = childrenCpu();
  const out = execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  return { seconds: (performance.now() - t0) / 1000, cpu: childrenCpu() - c0, out: out.toString() };
}

/** Wall and CPU seconds of the runs of one command. */
class Runs {
  readonly wall: number[] = [];
  readonly cpu: number[] = [];
  add(r: { seconds: number; cpu: number }): number {
    this.wall.push(r.seconds);
    this.cpu.push(r.cpu);
    return r.seconds;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ROUNDS = 5;
const CHILD = fileURLToPath(new URL('./child/read-trace.js', import.meta.url));
const CLI = path.join(ROOT, 'bin/folioscope.js');

export async function bench(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'folioscope-bench-'));
  const file = path.join(dir, 'trace.txt');
  try {
    await generate(file);
    await pipeline(createReadStream(file), createGzip(), createWriteStream(`${file}.gz`));
    const small = path.join(dir, 'small.txt');
    const head = Buffer.alloc(1 << 16);
    const fd = openSync(file, 'r');
    const got = readSync(fd, head, 0, head.length, 0);
    closeSync(fd);
    writeFileSync(small, head.subarray(0, head.lastIndexOf(0x0a, got - 1) + 1));
    const mb = statSync(file).size / 1e6;
    const threads = Math.min(4, availableParallelism());
    const t = { grep: new Runs(), awk: new Runs(), cli: new Runs(), small: new Runs() };
    const read = { one: new Runs(), par: new Runs(), gz: new Runs() };
    const ratio = { grep: [] as number[], awk: [] as number[], one: [] as number[], small: [] as number[] };
    const afterStart: number[] = [];
    let report: ChildReport | undefined;
    const loadBefore = loadavg()[0];
    // interleaved rounds, so that a change in the machine's load hits all commands alike
    for (let k = 0; k < ROUNDS; k++) {
      const grep = t.grep.add(run('grep', ['-c', 'page_ref', file]));
      const awk = t.awk.add(run('awk', [AWK_SUM, file]));
      const cli = t.cli.add(run(CLI, ['analyze', file]));
      const start = t.small.add(run(CLI, ['analyze', small]));
      const one = read.one.add(run(process.execPath, [CHILD, file, '1']));
      const par = run(process.execPath, [CHILD, file, String(threads)]);
      read.par.add(par);
      read.gz.add(run(process.execPath, [CHILD, `${file}.gz`, '1']));
      report = JSON.parse(par.out) as ChildReport;
      ratio.grep.push(cli / grep);
      ratio.awk.push(cli / awk);
      ratio.small.push(start / grep);
      afterStart.push(cli - start);
      ratio.one.push(one / par.seconds);
    }
    const r = report as ChildReport;
    const rate = (x: Runs) =>
      `${median(x.wall).toFixed(2)} s (${(mb / median(x.wall)).toFixed(0)} MB/s), cpu ${median(x.cpu).toFixed(2)} s`;
    const rows = [
      ['input', `${mb.toFixed(0)} MB, ${r.events.toLocaleString('en-US')} page_ref events`],
      ['grep -c page_ref', rate(t.grep)],
      ['awk per-pfn sum', rate(t.awk)],
      [`folioscope analyze`, `${rate(t.cli)} (goal >= 400 MB/s on 2 cores; ${threads} threads here)`],
      ['  ratio to grep -c', `${median(ratio.grep).toFixed(2)}x (goal <= ~4x)`],
      ['  ratio to awk', `${median(ratio.awk).toFixed(2)}x`],
      [
        '  start-up (64 KB)',
        `${median(t.small.wall).toFixed(2)} s, ${median(ratio.small).toFixed(2)}x grep -c on the whole file`,
      ],
      ['  after start-up', `${(mb / median(afterStart)).toFixed(0)} MB/s`],
      ['readTrace, 1 thread', rate(read.one)],
      [`readTrace, ${threads} threads`, rate(read.par)],
      [
        `  speed-up on ${threads} threads`,
        `${median(ratio.one).toFixed(2)}x 1 thread's speed (paired rounds)`,
      ],
      [
        'readTrace, gzip',
        `${rate(read.gz)}, ${(statSync(`${file}.gz`).size / 1e6).toFixed(0)} MB compressed`,
      ],
      ['store bytes/event', `${r.bytesPerEvent.toFixed(3)} + tables ${(r.tableBytes / 1e6).toFixed(1)} MB`],
      ['peak RSS', `${(r.maxRssBytes / 1e6).toFixed(0)} MB`],
      ['unparsed lines', String(r.unparsed)],
    ];
    const load = `load average ${loadBefore.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`;
    console.log(`trace-read benchmark (whole processes, medians of ${ROUNDS} interleaved rounds; ${load})`);
    for (const [k, v] of rows) console.log(`  ${k.padEnd(22)} ${v}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
