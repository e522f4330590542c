/**
 * Reader throughput: builds a large ftrace text file from a real trace (pfns and timestamps shifted
 * per copy), then times, in the same run, `grep -c page_ref`, an awk per-pfn sum of val, and
 * readTrace() over it. Prints ratios, never asserts times. Goal: >= 400 MB/s, <= ~4x grep -c.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { readTrace } from '../trace/reader.js';

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

function timeCmd(cmd: string, args: string[]): number {
  const t0 = performance.now();
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 26 });
  return (performance.now() - t0) / 1000;
}

export async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'folioscope-bench-'));
  const file = path.join(dir, 'trace.txt');
  try {
    await generate(file);
    const mb = statSync(file).size / 1e6;
    const grep = timeCmd('grep', ['-c', 'page_ref', file]);
    const awk = timeCmd('awk', [AWK_SUM, file]);
    const t0 = performance.now();
    const r = await readTrace(file);
    const ours = (performance.now() - t0) / 1000;
    const s = r.store;
    const rows = [
      ['input', `${mb.toFixed(0)} MB, ${s.length.toLocaleString('en-US')} page_ref events`],
      ['grep -c page_ref', `${grep.toFixed(2)} s (${(mb / grep).toFixed(0)} MB/s)`],
      ['awk per-pfn sum', `${awk.toFixed(2)} s (${(mb / awk).toFixed(0)} MB/s)`],
      ['readTrace', `${ours.toFixed(2)} s (${(mb / ours).toFixed(0)} MB/s)`],
      ['ratio to grep -c', `${(ours / grep).toFixed(2)}x (goal <= ~4x)`],
      ['ratio to awk', `${(ours / awk).toFixed(2)}x`],
      [
        'store bytes/event',
        `${s.bytesPerEvent().toFixed(3)} + tables ${(s.tableBytes() / 1e6).toFixed(1)} MB`,
      ],
      ['unparsed lines', String(r.unparsed.count)],
    ];
    console.log('trace-read benchmark');
    for (const [k, v] of rows) console.log(`  ${k.padEnd(20)} ${v}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
