/**
 * The real migration_blocked traces (trace-stack, 6.1 and 6.12): the workload holds pages in
 * unread pipes (vmsplice of anon and tmpfs pages, splice of /dev/vda page cache), so every failed
 * freeze must name the pipe buffer as the extra holder. Each trace is parsed once.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeTrace, findingsJson, type Findings } from '../../src/analysis/findings.js';
import { readTrace } from '../../src/trace/reader.js';
import { TRACES } from '../helpers/shared.js';

const GOLDEN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../golden');

/** The reviewed part of `analyze --json`: findings, one freeze failure per line, leaks counted. */
function goldenText(f: Findings): string {
  const j = findingsJson(f) as Record<string, unknown> & { freezeFailures: object[]; leaks: object[] };
  const head = {
    profile: f.summary.profile.name,
    events: f.summary.events,
    consistency: j.consistency,
    inconsistencies: j.inconsistencies,
    leaks: j.leaks.length,
    stacks: j.stacks,
  };
  // holders = expectedHolders + extra, and pairing statistics: left out of the reviewed file
  const ff = j.freezeFailures.map((x) =>
    JSON.stringify(x, (k, v: unknown) => (k === 'holders' || k === 'pairing' ? undefined : v)),
  );
  return JSON.stringify(head, null, 1) + '\n' + ff.join('\n') + '\n';
}

describe.each(['6.1', '6.12'] as const)('%s migration_blocked trace-stack', (version) => {
  let f: Findings;
  beforeAll(async () => {
    f = analyzeTrace(await readTrace(path.join(TRACES, version, 'migration_blocked/trace-stack.txt.gz')));
  });

  it('every failed freeze has exactly one extra reference: the pipe buffer', () => {
    expect(f.freezeFailures.length).toBe(version === '6.1' ? 640 + 640 + 64 : 64);
    for (const x of f.freezeFailures) {
      expect(x, `line ${x.line}`).toMatchObject({ expected: 2, actual: 3, unexplained: 0 });
      expect(x.extra.map((h) => [h.owner, h.refs])).toEqual([['pipe', 1]]);
      expect(x.expectedHolders.map((h) => h.owner).sort()).toEqual(['isolation', 'page-cache']);
    }
    // the syscall that made the pipe hold the page: vmsplice (anon, tmpfs) or splice (/dev/vda)
    const via = new Set(
      f.freezeFailures.map((x) =>
        x.extra[0].stack.some((s) => /vmsplice/.test(s))
          ? 'vmsplice'
          : x.extra[0].stack.some((s) => /splice/.test(s))
            ? 'splice'
            : 'other',
      ),
    );
    expect([...via].sort()).toEqual(version === '6.1' ? ['splice', 'vmsplice'] : ['splice']);
  });

  it('the count arithmetic has no unexplained finding (6.12 mismatches all lie across checkpoints)', () => {
    expect(f.consistency.inconsistencies.filter((x) => x.severity === 'finding')).toEqual([]);
    for (const x of f.consistency.inconsistencies) expect(x.note).toMatch(/GT_SNAPSHOT tracing_off/);
  });

  it(`matches the reviewed golden file (UPDATE_GOLDEN=1 rewrites it)`, () => {
    const file = path.join(GOLDEN, `analyze-${version}-migration_blocked-stack.txt`);
    const text = goldenText(f);
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});
