/**
 * decode's file inputs through main(): a missing, damaged or empty file is bad input (exit 2) with
 * one line naming the file, not a usage error (no usage text after it, as for the trace commands).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { SAMPLES } from '../helpers/shared.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'folioscope-'));

describe('decode: bad input files', () => {
  it('kpageflags: a missing file', async () => {
    const missing = path.join(tmp, 'none.bin');
    const r = await runCli(['decode', 'kpageflags', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `folioscope decode kpageflags: ${missing}: no such file, and not a number (give a kpageflags file or a 0x… value)\n`,
    );
  });

  it('kpageflags: a .gz that is not gzip', async () => {
    const bad = path.join(tmp, 'kpageflags.gz');
    writeFileSync(bad, 'garbage\n');
    const r = await runCli(['decode', 'kpageflags', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `folioscope decode kpageflags: ${bad}: gzip data is corrupt (incorrect header check)\n`,
    );
  });

  it('dump-page: a missing file, a file without a dump_page block', async () => {
    const missing = path.join(tmp, 'none.txt');
    let r = await runCli(['decode', 'dump-page', missing]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`folioscope decode dump-page: ${missing}: no such file\n`);
    r = await runCli(['decode', 'dump-page', path.join(SAMPLES, 'page-owner.txt')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `folioscope decode dump-page: no dump_page block in ${path.join(SAMPLES, 'page-owner.txt')}\n`,
    );
  });
});
