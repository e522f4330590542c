/**
 * The analysis commands through main() on real traces: history, holders, check, analyze
 * (--fail-on, --json schema) and their exit codes (0 ok, 1 findings asked for, 2 bad input).
 * Tracing gaps and lost events are informational; only unexplained count jumps are findings.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { TRACES } from '../helpers/shared.js';

const GOLDEN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../golden');
const FORK_COW = path.join(TRACES, '6.12/fork_cow/trace-stack.txt.gz');
const BLOCKED = path.join(TRACES, '6.12/migration_blocked/trace-stack.txt.gz');

function golden(name: string, text: string): string {
  const file = path.join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
  return readFileSync(file, 'utf8');
}

/** Three events on one page; the third count jumps by 3 with no event to explain it. */
function brokenTrace(): string {
  const ev = (t: string, name: string, count: number) =>
    `           gtrun-101     (    101) [000] .....    14.22999${t}: ${name}: pfn=0x12a00 flags=none count=${count} mapcount=-1 mapping=0000000000000000 mt=0 val=1`;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'folioscope-')), 'broken.txt');
  writeFileSync(
    file,
    [
      '# tracer: nop',
      ev('6', 'page_ref_set', 1),
      ev('7', 'page_ref_mod', 2),
      ev('8', 'page_ref_mod', 5),
      '',
    ].join('\n'),
  );
  return file;
}

describe('history', () => {
  // pfn 0x7ff60: the parent's page, forked (count 2), written by the child (do_wp_page: get,
  // copy, two puts -> 1), freed by the parent's exit_mmap (kernel-mm-flows.md §16.1)
  it('prints the timeline of a COW-ed page of 6.12 fork_cow (reviewed golden)', async () => {
    const r = await runCli(['history', FORK_COW, '--pfn', '0x7ff60']);
    expect(r.code).toBe(0);
    const text = r.stdout.replace(FORK_COW, '<trace>');
    expect(text).toBe(golden('history-6.12-fork_cow-0x7ff60.txt', text));
    expect(text).toMatch(/copy_page_range/);
    expect(text).toMatch(/fork_cow-103 +page_ref_mod +1 +3 +1 .*\(mapped 2x/);
  });
});

describe('holders', () => {
  it('--line: the failed freeze of pfn 0x71760 is held by page cache, pipe and isolation', async () => {
    const r = await runCli(['holders', BLOCKED, '--pfn', '0x71760', '--line', '393438']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pfn 0x71760 after line 393438 \(page_ref_freeze\): count 3, 3 holders/);
    const owners = [...r.stdout.matchAll(/^ +1 {2}(\S.*?) +taken at line/gm)].map((m) => m[1]);
    expect(owners).toEqual(['page cache', 'pipe buffer', 'LRU isolation']);
    // how much to trust the pairing: every put of this page was paired by its owner
    expect(r.stdout).toMatch(
      /puts paired: 10 by owner, 0 with a handed-over reference, 0 by task order \(owner unknown\), 0 unmatched/,
    );
  });

  it('--at: after MADV_PAGEOUT unmapped it, the page cache and the pipe still hold it', async () => {
    const r = await runCli(['holders', BLOCKED, '--pfn', '0x71760', '--at', '255.0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pfn 0x71760 after line 399003 \(page_ref_mod_and_test\): count 2, 2 holders/);
    const owners = [...r.stdout.matchAll(/^ +1 {2}(\S.*?) +taken at line/gm)].map((m) => m[1]);
    expect(owners).toEqual(['page cache', 'pipe buffer']);
  });
});

describe('check', () => {
  it('exits 0 when the only mismatches are tracing gaps (informational)', async () => {
    const r = await runCli(['check', BLOCKED]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0 findings in 8909 pages/);
    expect(r.stdout).toMatch(/by kind: lost 18/);
  });

  it('exits 1 on a count jump nothing explains', async () => {
    const file = brokenTrace();
    const r = await runCli(['check', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/1 finding in 1 page/);
    expect(r.stdout).toContain(`${file}:4: pfn 0x12a00 missing (finding): page_ref_mod expected 3, found 5`);
  });
});

describe('analyze --fail-on', () => {
  it.each([
    [[], 0],
    [['--fail-on', 'inconsistencies'], 0],
    [['--fail-on', 'leaks'], 0],
    [['--fail-on', 'freeze-failures'], 1],
    [['--fail-on', 'leaks,freeze-failures'], 1],
  ])(
    '6.12 migration_blocked %j -> exit %i (64 freeze failures, no findings, no leaks)',
    async (args, code) => {
      expect((await runCli(['analyze', BLOCKED, ...args])).code).toBe(code);
    },
  );

  it('exits 1 for inconsistencies on a trace with a finding', async () => {
    expect((await runCli(['analyze', brokenTrace(), '--fail-on', 'inconsistencies'])).code).toBe(1);
  });
});

describe('bad input exits 2 naming the file or option', () => {
  it.each(['analyze', 'check', 'history', 'holders'])('%s: missing file', async (cmd) => {
    const extra = cmd === 'history' ? ['--pfn', '1'] : [];
    const r = await runCli([cmd, '/nonexistent/trace.txt', ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`folioscope ${cmd}: /nonexistent/trace.txt`));
  });

  it.each(['analyze', 'check', 'history', 'holders'])(
    '%s: a file that is not a trace at all',
    async (cmd) => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'folioscope-')), 'notes.bin');
      writeFileSync(file, Buffer.from('PK\x03\x04\x00\x1b[2J\nsecond line\n', 'latin1'));
      const extra = cmd === 'history' ? ['--pfn', '1'] : [];
      const r = await runCli([cmd, file, ...extra]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `folioscope ${cmd}: ${file}: not a trace: none of its 2 lines is ftrace, trace-cmd report or perf script text (line 1: PK\\x03\\x04\\x00\\x1b[2J)\n`,
      );
    },
  );

  it.each(['history', 'holders'])('%s: malformed --pfn', async (cmd) => {
    const r = await runCli([cmd, BLOCKED, '--pfn', '0xZZ']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/option '--pfn <pfn>' argument '0xZZ' is invalid/);
  });
});

describe('analyze --json schema (src/analysis/findings.ts) on 6.12 migration_blocked trace-stack', () => {
  interface JsonHolder {
    owner: string;
    refs: number;
    stack: number | null;
  }
  interface JsonFailure {
    pfn: number;
    line: number;
    expected: number;
    actual: number;
    holders: JsonHolder[];
    extra: JsonHolder[];
  }

  it('has the summary, findings and a stack table; each freeze failure has exactly one pipe holder extra', async () => {
    const r = await runCli(['analyze', BLOCKED, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown> & {
      freezeFailures: JsonFailure[];
      stacks: string[][];
    };
    expect(j).toMatchObject({
      events: 46510,
      eventsByName: { page_ref_freeze: 758, page_ref_unfreeze: 502, tracing_mark_write: 22 },
      pages: 8909,
      unparsed: { count: 0, samples: [] },
      lost: { events: 0 },
      profile: { name: '6.12' },
      leaks: [],
    });
    expect(j.inconsistencies).toHaveLength(18);
    expect(j.freezeFailures).toHaveLength(64);
    for (const x of j.freezeFailures) {
      expect(Object.keys(x)).toEqual(
        expect.arrayContaining(['pfn', 'line', 'expected', 'actual', 'holders', 'extra']),
      );
      expect([x.expected, x.actual]).toEqual([2, 3]);
      expect(x.extra.map((h) => [h.owner, h.refs])).toEqual([['pipe', 1]]);
      for (const h of x.holders)
        expect(Object.keys(h)).toEqual(expect.arrayContaining(['owner', 'refs', 'stack']));
      expect(j.stacks[x.extra[0].stack ?? -1][0]).toBe('splice_folio_into_pipe');
    }
  });

  it('lists unparsed lines with their line numbers', async () => {
    const file = brokenTrace();
    writeFileSync(file, readFileSync(file, 'utf8') + 'this is not an event\n');
    const j = JSON.parse((await runCli(['analyze', file, '--json'])).stdout) as {
      unparsed: { count: number; samples: { line: number }[] };
    };
    expect(j.unparsed.count).toBe(1);
    expect(j.unparsed.samples[0].line).toBe(5);
  });
});
