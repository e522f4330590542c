/** `folioscope replay` through main(): the report, and bad input naming the file (exit 2). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { TRACES } from '../helpers/shared.js';

const dir = path.join(TRACES, '6.12', 'fork_cow');
const args = (kpagecount: string, trace = path.join(dir, 'trace.txt.gz')): string[] => [
  'replay',
  trace,
  '--kpagecount',
  kpagecount,
  '--kpageflags',
  path.join(dir, 'kpageflags.bin.gz'),
  '--pfns',
  path.join(dir, 'pagemap-pfns.txt'),
];

describe('folioscope replay', () => {
  it("reports the workload's pages against the snapshot, with the kernel.config beside the traces", async () => {
    const r = await runCli(args(path.join(dir, 'kpagecount.bin.gz')));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`config ${path.join(TRACES, '6.12', 'kernel.config')}`);
    expect(r.stdout).toContain("workload's pfns (pagemap-pfns.txt): 384 pages, 384 match, 0 differ");
    expect(r.stdout).toContain('reallocated-after-trace-end');
  });

  it('exits 2 naming a missing snapshot file', async () => {
    const missing = path.join(dir, 'no-such-kpagecount.bin');
    const r = await runCli(args(missing));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`folioscope replay: ${missing}: no such file`);
  });

  it("replays only the snapshot's pfns: a damaged pfn= far past its end is counted, not modelled", async () => {
    const text = gunzipSync(readFileSync(path.join(dir, 'trace.txt.gz'))).toString('latin1');
    const damaged = path.join(mkdtempSync(path.join(tmpdir(), 'folioscope-')), 'trace.txt');
    // the first event's pfn becomes 2^40: a mem_map of that size cannot exist (and need not)
    writeFileSync(damaged, text.replace(/pfn=0x[0-9a-f]+/, 'pfn=0x10000000000'), 'latin1');
    const r = await runCli(args(path.join(dir, 'kpagecount.bin.gz'), damaged));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("not replayed: 1 events on 1 pfns past the snapshot's end");
    expect(r.stdout).toContain("workload's pfns (pagemap-pfns.txt): 384 pages, 384 match, 0 differ");
  });

  it('exits 2 on an empty snapshot file (it would compare no page)', async () => {
    const empty = path.join(mkdtempSync(path.join(tmpdir(), 'folioscope-')), 'kpagecount.bin');
    writeFileSync(empty, '');
    const r = await runCli(args(empty));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`folioscope replay: ${empty}: empty, expected a u64 per pfn`);
  });
});
