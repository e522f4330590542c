/**
 * Benchmarks of the model (issue: foundation): page_ref operations per second untraced and traced
 * into records, trace lines formatted per second, bytes per page, memory for a 16 GiB machine.
 * Each throughput is printed with a baseline measured in the same run (a bare Int32Array
 * increment loop; a plain template string of the same fields), never asserted in tests.
 */
import { Kernel } from '../kernel/kernel.js';
import { MemMap } from '../kernel/mem_map.js';
import { page_ref_dec_and_test, page_ref_inc } from '../kernel/page_ref.js';
import type { PageRefRecord } from '../kernel/tracepoint.js';
import { formatPageRefLine } from '../kernel/trace_format.js';

const PAGES = 1 << 16;

function time(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function best(runs: number, fn: () => void): number {
  let t = Infinity;
  for (let i = 0; i < runs; i++) t = Math.min(t, time(fn));
  return t;
}

const rate = (n: number, s: number) => `${(n / s / 1e6).toFixed(1)} M/s`;

export async function bench(): Promise<void> {
  console.log('model benchmark (page_ref API, tracing, formatting, mem_map)');
  const k = new Kernel({ profile: '6.12', nrPages: PAGES });
  const ops = 20_000_000;
  const refs = k.mem.refcount;
  const untraced = best(3, () => {
    for (let i = 0; i < ops / 2; i++) {
      const pfn = i & (PAGES - 1);
      page_ref_inc(k, pfn);
      page_ref_dec_and_test(k, pfn);
    }
  });
  const bare = best(3, () => {
    for (let i = 0; i < ops / 2; i++) {
      const pfn = i & (PAGES - 1);
      refs[pfn]++;
      if (--refs[pfn] === 0) refs[0] |= 0;
    }
  });
  console.log(
    `page_ref ops untraced: ${rate(ops, untraced)} (goal >= 20 M/s); ${(untraced / bare).toFixed(1)}x a bare Int32Array loop`,
  );

  // traced into a columnar record store, as the analyzer keeps events
  const n = 2_000_000;
  const cols = {
    pfn: new Uint32Array(n),
    count: new Int32Array(n),
    val: new Int32Array(n),
    type: new Uint8Array(n),
  };
  let at = 0;
  const unsubscribe = k.tracer.subscribe((r) => {
    cols.pfn[at] = r.pfn;
    cols.count[at] = r.count;
    cols.val[at] = r.val;
    cols.type[at++] = r.type;
  });
  const traced = best(3, () => {
    at = 0;
    for (let i = 0; i < n / 2; i++) {
      const pfn = i & (PAGES - 1);
      page_ref_inc(k, pfn);
      page_ref_dec_and_test(k, pfn);
    }
  });
  unsubscribe();
  console.log(
    `page_ref ops traced to records: ${rate(n, traced)}; ${(traced / untraced / (n / ops)).toFixed(1)}x untraced`,
  );

  // formatting, against a template string of the same numbers
  const rec: PageRefRecord = {
    type: 2,
    pfn: 0x5e434,
    flagsLo: 0x2012c,
    flagsHi: 0,
    count: 1,
    mapcount: 0,
    mapping: 8,
    mt: 1,
    val: -1,
    ret: 0,
  };
  const ctx = { comm: 'fork_cow', pid: 89, tgid: 89, cpu: 1, irqInfo: '.....', timestampNs: 8_416_184_000 };
  const lines = 500_000;
  let sink = 0;
  const formatted = best(3, () => {
    for (let i = 0; i < lines; i++) sink += formatPageRefLine(k.profile, rec, ctx).length;
  });
  const plain = best(3, () => {
    for (let i = 0; i < lines; i++) {
      sink +=
        `${ctx.comm}-${ctx.pid} [${ctx.cpu}] ${ctx.timestampNs}: pfn=0x${rec.pfn.toString(16)} count=${rec.count} mapcount=${rec.mapcount} val=${rec.val} ret=${rec.ret}`
          .length;
    }
  });
  console.log(
    `trace lines formatted: ${rate(lines, formatted)}; ${(formatted / plain).toFixed(1)}x a plain template string (${sink > 0 ? 'ok' : ''})`,
  );

  // memory: bytes per page and the heap a 16 GiB machine (4 Mi pages) needs
  const before = process.memoryUsage();
  const big = new MemMap(4 * 1024 * 1024);
  const after = process.memoryUsage();
  const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`;
  console.log(
    `mem_map: ${(big.byteLength() / big.nrPages).toFixed(2)} bytes per page (goal <= 64, sizeof(struct page)); ` +
      `4 Mi pages: ${mb(big.byteLength())} of typed arrays, +${mb(after.arrayBuffers - before.arrayBuffers)} array buffers, ` +
      `+${mb(after.heapUsed - before.heapUsed)} JS heap (budget 256 MB)`,
  );
}
