/** A simulated run's trace written to a file and read back through the analyzer, as `folioscope analyze` reads it. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { analyzeTrace } from '../../src/analysis/findings.js';
import { formatRunTrace, type RunResult } from '../../src/scenario/runner.js';
import { readTrace } from '../../src/trace/reader.js';

export async function readBack(run: RunResult): Promise<ReturnType<typeof analyzeTrace>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'folioscope-run-'));
  try {
    const file = path.join(dir, 'run.txt');
    writeFileSync(file, formatRunTrace(run, false));
    return analyzeTrace(await readTrace(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
