/** The launcher (bin/folioscope.js) when its reader goes away: `folioscope run thp | head`. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/shared.js';

describe('stdout closed by the reader', () => {
  it('exits 0 without an EPIPE stack', async () => {
    const child = spawn(process.execPath, ['bin/folioscope.js', 'run', 'fork_cow'], { cwd: REPO });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // like head: read the first chunk, then close the pipe
    await new Promise<void>((done) => child.stdout.once('data', () => done()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(stderr).toContain('# final state of the'); // run's page table went to stderr whole
    expect(code).toBe(0);
  });
});
