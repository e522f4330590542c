/**
 * Reading a file in parts (split.ts) must give exactly what one thread gives: same events, contexts,
 * stacks, markers, line numbers and counts, wherever the cut falls, including inside a stack block
 * and between an event and its stack.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTrace, result, type TraceReadResult } from '../../src/trace/reader.js';
import { planAt, planSplit, readSplit } from '../../src/trace/split.js';
import { compiledDist } from '../helpers/compiled.js';
import { readDump as dump } from '../helpers/read-dump.js';
import { readShared, REPO } from '../helpers/shared.js';

const dir = mkdtempSync(path.join(tmpdir(), 'folioscope-split-'));

function plain(rel: string): string {
  const f = path.join(dir, rel.replaceAll('/', '_').replace(/\.gz$/, ''));
  writeFileSync(f, readShared('traces', rel));
  return f;
}

async function split(file: string, cuts: (size: number) => number[]): Promise<TraceReadResult> {
  const plan = await planAt(file, cuts);
  expect(plan?.offsets.length, 'a cut was found').toBeGreaterThan(0);
  return result(file, await readSplit(file, plan!, undefined, false), plan!.size);
}

describe('reading in parts', () => {
  it.each([
    '6.12/fork_cow/trace-stack.txt.gz',
    '6.12/file_mmap/trace-cmd-report-stack.txt.gz',
    '6.1/migration_blocked/trace.txt.gz',
    '6.12/thp/trace-cmd-report.txt.gz',
  ])('%s: 2 and 3 parts equal one thread', async (rel) => {
    const file = plain(rel);
    const one = dump(await readTrace(file, { threads: 1 }));
    expect(dump(await split(file, (n) => [n / 2]))).toEqual(one);
    expect(dump(await split(file, (n) => [n / 3, (2 * n) / 3]))).toEqual(one);
  });

  it('parts with more events than their estimate leave the shared columns and are copied', async () => {
    const file = plain('6.1/migration_blocked/trace.txt.gz');
    const one = dump(await readTrace(file, { threads: 1 }));
    const plan = await planAt(file, (n) => [n / 3, (2 * n) / 3]);
    expect(plan!.offsets).toHaveLength(2);
    expect(Math.min(...plan!.events), 'parts of more events than a region holds').toBeGreaterThan(5000);
    // regions of 4096 + 5% of the estimate: the first part, then only the middle one, overflow
    for (const events of [
      [0, 0, 0],
      [plan!.events[0], 0, plan!.events[2]],
    ]) {
      const r = await readSplit(file, { ...plan!, events }, undefined, false);
      expect(dump(result(file, r, plan!.size)), `estimates ${events}`).toEqual(one);
    }
  });

  it('a cut inside a stack block, between an event and its stack, and after a nested stack', async () => {
    const ev = (comm: string, pid: number, cpu: number, t: number, val: number) =>
      `${comm.padStart(16)}-${String(pid).padEnd(7)} (${String(pid).padStart(7)}) [00${cpu}] ..... ` +
      `${t.toFixed(6).padStart(12)}: page_ref_mod: pfn=0x${(0x1000 + Math.round(t * 1e6)).toString(16)} flags=lru ` +
      `count=2 mapcount=0 mapping=00000000acab31da mt=1 val=${val}`;
    const stack = (comm: string, pid: number, cpu: number, t: number, fns: string[]) => [
      `${comm.padStart(16)}-${String(pid).padEnd(7)} (${String(pid).padStart(7)}) [00${cpu}] ..... ` +
        `${t.toFixed(6).padStart(12)}: <stack trace>`,
      ...fns.map((f) => ` => ${f}`),
    ];
    const lines = [
      '# tracer: nop',
      ev('outer', 10, 0, 1.000001, 1),
      ev('irq', 20, 0, 1.000002, 1),
      ...stack('irq', 20, 0, 1.000003, ['a', 'b', 'c']),
      ...stack('outer', 10, 0, 1.000004, ['d', 'e']),
      ev('other', 30, 1, 1.000005, -1),
      ...stack('other', 30, 1, 1.000006, ['f', 'g', 'h', 'i']),
      // nine events on cpu 0 push pid 40's first event out of the queue before its late stack
      ev('x', 40, 0, 1.00001, 1),
      ...Array.from({ length: 9 }, (_, k) => ev('y', 50 + k, 0, 1.00002 + k / 1e6, 1)),
      ...stack('x', 40, 0, 1.00003, ['j']),
      ev('z', 60, 1, 1.00004, 1),
      ...stack('z', 60, 1, 1.00005, ['k', 'l']),
    ];
    const text = lines.join('\n') + '\n';
    const file = path.join(dir, 'nested.txt');
    writeFileSync(file, text);
    const one = await readTrace(file, { threads: 1 });
    expect(one.unparsed.count).toBe(0);
    expect(one.stacks.blocks).toBe(5);
    expect(one.stacks.attached).toBe(4);
    expect(one.stacks.unattached.count).toBe(1);
    // cut at every line start and inside every line (then the cut moves to the next event line)
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0 && i + 1 < text.length; i = text.indexOf('\n', i + 1))
      starts.push(i + 1);
    const lastEvent = text.lastIndexOf('\n', text.lastIndexOf('<stack trace>')) + 1;
    for (const s of starts.slice(1)) {
      for (const cut of [s, s + 5]) {
        if (cut > lastEvent) expect((await planAt(file, () => [cut]))?.offsets).toEqual([]);
        else expect(dump(await split(file, () => [cut])), `cut at ${cut}`).toEqual(dump(one));
      }
    }
    expect(dump(await split(file, () => starts.slice(1, -1)))).toEqual(dump(one));
  });

  it('a cut finds the next event line beyond a first window and gives up past the last', async () => {
    const ev = (t: string) =>
      `           gtrun-108     (    108) [000] .....    ${t}: page_ref_mod: pfn=0x1a2b flags=lru ` +
      'count=2 mapcount=0 mapping=00000000acab31da mt=1 val=1';
    // a stack block of ~124 KB: the next event line lies past the 64 KiB window, inside 1 MiB
    const frames = Array.from({ length: 5000 }, (_, k) => ` => frame_${k}+0x10/0x20`);
    const text =
      [
        ev('13.511053'),
        `           gtrun-108     (    108) [000] .....    13.511054: <stack trace>`,
        ...frames,
        ev('13.511055'),
      ].join('\n') + '\n';
    const file = path.join(dir, 'long-stack.txt');
    writeFileSync(file, text);
    const second = text.lastIndexOf('\n', text.length - 2) + 1;
    expect((await planAt(file, () => [text.indexOf(' => frame_1+')]))?.offsets).toEqual([second]);
    expect((await planAt(file, () => [second + 1]))?.offsets).toEqual([]);
    expect(dump(await split(file, () => [100]))).toEqual(dump(await readTrace(file, { threads: 1 })));
  });

  it('damaged lines and a change of column layout read the same whatever layout a part learns first', async () => {
    // each part learns the column layout from its own first event line: a layout must never change
    // what a line says (head.ts parseContextAt), only how fast it is read
    const P = 'pfn=0x1a2b flags=uptodate|lru count=2 mapcount=0 mapping=00000000acab31da mt=1 val=1';
    const lines = [
      `           gtrun-108     (    108) [000] .....    13.511053: page_ref_mod: ${P}`,
      `           gtrun-108     a    108) [000] .....    13.511054: page_ref_mod: ${P}`,
      `           gtrun-108     (   -108) [000] .....    13.511055: page_ref_mod: ${P}`,
      `           gtrun-108     (---(---) [000] .....    13.511056: page_ref_mod: ${P}`,
      `           gtrun-108     (-------) [000] .N..:    13.511057: page_ref_mod: ${P}`,
      `       x [1]-108     (    108) [001] .....    13.511058: page_ref_mod: ${P}`,
      `            init-1       [001] .N...     13.511059: page_ref_mod: ${P}`,
      `            init-1       a001] .N...     13.511060: page_ref_mod: ${P}`,
      `            init-1       [001] .N..:     13.511061: page_ref_mod: ${P}`,
      `       x [7]-1       [001] .N...     13.511062: page_ref_mod: ${P}`,
      `            init-1       [001]     13.511063: page_ref_mod: ${P}`,
      `           gtrun-108     (    108) [000] .....    13.511064: page_ref_mod: ${P}`,
    ];
    const text = lines.join('\n') + '\n';
    const file = path.join(dir, 'damaged.txt');
    writeFileSync(file, text);
    const one = dump(await readTrace(file, { threads: 1 }));
    for (let at = text.indexOf('\n') + 1; at < text.length; at = text.indexOf('\n', at) + 1) {
      const plan = await planAt(file, () => [at]);
      if (plan?.offsets[0] !== at) continue; // not an event line: the cut moves on
      expect(
        dump(result(file, await readSplit(file, plan, undefined, false), plan.size)),
        `cut at ${at}`,
      ).toEqual(one);
    }
  });

  it('perf script callchains and CRLF line ends, cut anywhere', async () => {
    const P = 'pfn=0x1a2b flags=uptodate|lru count=2 mapcount=0 mapping=00000000acab31da mt=1 val=1';
    const sample = (comm: string, pid: number, t: number, chain: string[]) => [
      `${comm.padStart(16)} ${String(pid).padStart(7)} [001] ${t.toFixed(6).padStart(12)}: page_ref:page_ref_mod: ${P}`,
      ...chain.map((f, k) => `\tffffffff8118a${k}b0 ${f}+0x${k}0 ([kernel.kallsyms])`),
      '',
    ];
    const lines = [
      ...sample('fork_cow', 89, 14.1, ['trace_event_raw_event_page_ref_mod_template', '__page_ref_mod']),
      ...sample('Web Content', 1240, 14.2, []),
      ...sample('fork_cow', 89, 14.3, ['a', 'b', 'c']),
      ...sample('kworker/0:1', 7, 14.4, ['d']),
    ];
    for (const eol of ['\n', '\r\n']) {
      const text = lines.join(eol);
      const file = path.join(dir, `perf${eol.length}.txt`);
      writeFileSync(file, text);
      const one = await readTrace(file, { threads: 1 });
      expect(one.format).toBe('perf');
      expect(one.unparsed.count).toBe(0);
      expect(one.store.length).toBe(4);
      const last = text.lastIndexOf('kworker') - 16;
      for (let cut = 1; cut < text.length; cut += 7) {
        if (cut > last) continue;
        expect(dump(await split(file, () => [cut])), `cut at ${cut}`).toEqual(dump(one));
      }
    }
  });

  it('the compiled reader uses a worker thread and gives the same result', async () => {
    const out = compiledDist();
    const compiled = (await import(
      path.join(out, 'trace/split.js')
    )) as typeof import('../../src/trace/split.js');
    const reader = (await import(
      path.join(out, 'trace/reader.js')
    )) as typeof import('../../src/trace/reader.js');
    const file = plain('6.1/soak/trace-stack.txt.gz');
    const plan = await compiled.planSplit(file, 2, 0);
    const viaWorker = reader.result(file, await compiled.readSplit(file, plan!), plan!.size);
    expect(dump(viaWorker)).toEqual(dump(await readTrace(file, { threads: 1 })));
  }, 120_000);

  it('gzip and small files are read on one thread', async () => {
    expect(await planSplit(path.join(REPO, '../shared/traces/6.12/boot/trace.txt.gz'), 2, 0)).toBeUndefined();
    expect((await planSplit(plain('6.12/boot/trace.txt.gz'), 2))?.offsets).toEqual([]);
    expect((await planSplit(plain('6.12/boot/trace.txt.gz'), 2, 0))?.offsets).toHaveLength(1);
  });
});
