/** The project compiled by tsc into a fresh directory, for tests of what only compiled code does (worker threads). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from './shared.js';

/** Compiles src (tsconfig.build.json) into a new temporary directory and returns it. */
export function compiledDist(): string {
  const out = mkdtempSync(path.join(tmpdir(), 'folioscope-dist-'));
  execFileSync(
    process.execPath,
    [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
    { cwd: REPO },
  );
  return out;
}
