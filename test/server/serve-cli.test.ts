/**
 * `folioscope serve` in-process: prints the URL on stdout, answers, stops on SIGINT with exit 0;
 * usage and input errors exit 2 with a message.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { InfoResponse } from '../../src/server/api.js';
import { runCli } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';
import { getJson } from './fetch.js';

/** Starts `serve args`, waits for the URL line, and returns it with the pending exit code. */
async function serve(args: string[]): Promise<{ url: string; code: Promise<number>; stderr: () => string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    stdout += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    stderr += String(s);
    return true;
  });
  process.exitCode = undefined;
  const code = main(['node', 'folioscope', 'serve', ...args]);
  for (let i = 0; i < 600 && !/\n/.test(stdout); i++) await new Promise((r) => setTimeout(r, 50));
  const url = /^(http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(stdout)?.[1];
  if (!url) throw new Error(`no URL on stdout: ${stdout} ${stderr}`);
  return { url, code, stderr: () => stderr };
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('folioscope serve', () => {
  it('serves a trace on 127.0.0.1 and exits 0 on SIGINT', async () => {
    const trace = sharedPath('traces', '6.12', 'fork_cow', 'trace.txt.gz');
    const before = process.listenerCount('SIGINT');
    const s = await serve([trace, '--port', '0']);
    const info = await getJson<InfoResponse>(s.url, '/api/info');
    expect(info.status).toBe(200);
    expect(info.body).toMatchObject({ mode: 'trace', source: trace, profile: '6.12' });
    expect(s.stderr()).toContain('Ctrl-C to stop');
    expect(process.listenerCount('SIGINT')).toBe(before + 1);
    process.emit('SIGINT');
    expect(await s.code).toBe(0);
    expect(process.listenerCount('SIGINT')).toBe(before);
    await expect(fetch(s.url)).rejects.toThrow();
  });

  it('serves a built-in scenario with --profile', async () => {
    const s = await serve(['--scenario', 'seed002', '--profile', '6.1', '--port', '0']);
    const info = await getJson<InfoResponse>(s.url, '/api/info');
    expect(info.body).toMatchObject({
      mode: 'scenario',
      profile: '6.1',
      scenario: { name: 'builtin:seed002', steps: 7 },
    });
    process.emit('SIGTERM');
    expect(await s.code).toBe(0);
  });

  it('usage and input errors exit 2 with a message', async () => {
    const trace = sharedPath('traces', '6.12', 'fork_cow', 'trace.txt.gz');
    const cases: [string[], RegExp][] = [
      [[], /give a trace file or --scenario/],
      [[trace, '--scenario', 'seed002'], /one of them/],
      [['--scenario', 'nope'], /'nope' is neither a file nor a built-in/],
      [['/nonexistent/trace.txt'], /no such file/],
      [[trace, '--port', '70000'], /expected a port/],
      [['--scenario', 'seed002', '--profile', '5.4'], /expected one of/],
    ];
    const bad = join(mkdtempSync(join(tmpdir(), 'folioscope-sc-')), 'bad.sc');
    writeFileSync(bad, 'task A comm=a\nA frobnicate page\n');
    cases.push([['--scenario', bad], new RegExp(`${bad}:2: `)]);
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = String((taken.address() as AddressInfo).port);
    cases.push([['--scenario', 'seed002', '--port', port], /EADDRINUSE \(try --port 0\)/]);
    try {
      for (const [args, message] of cases) {
        const r = await runCli(['serve', ...args]);
        expect([args, r.code]).toEqual([args, 2]);
        expect(r.stderr).toMatch(message);
      }
    } finally {
      taken.close();
    }
  });
});
