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
import { migrationLinks } from '../../src/analysis/migration.js';
import { frameFunction } from '../../src/analysis/owners.js';
import { readTrace, type TraceReadResult } from '../../src/trace/reader.js';
import { TRACES } from '../helpers/shared.js';
import { asPerfScript } from '../helpers/trace-text.js';

const GOLDEN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../golden');

/**
 * The reviewed summary of `analyze --json`: the head (findings), the freeze failures per
 * class (expected/actual, the freezer's two innermost frames, the extra holders' owners and first
 * frames) with counts, and the first failures in full. The per-failure assertions live in the
 * test above, so a behaviour change shows up as a small diff here.
 */
function goldenText(f: Findings): string {
  const j = findingsJson(f) as Record<string, unknown> & {
    freezeFailures: Record<string, unknown>[];
    leaks: object[];
    stacks: string[][];
  };
  const classes = new Map<string, number>();
  for (const x of f.freezeFailures) {
    const key = [
      `expected ${x.expected} actual ${x.actual}`,
      `freezer ${x.caller.slice(0, 2).join(' < ')}`,
      `extra ${x.extra.map((h) => `${h.owner}x${h.refs}@${h.stack[0] ?? '?'}`).join(', ')}`,
    ].join('; ');
    classes.set(key, (classes.get(key) ?? 0) + 1);
  }
  const head = {
    profile: f.summary.profile.name,
    events: f.summary.events,
    consistency: j.consistency,
    inconsistencies: j.inconsistencies,
    leaks: j.leaks.length,
    freezeFailures: f.freezeFailures.length,
    freezeFailureClasses: Object.fromEntries([...classes].sort((a, b) => b[1] - a[1])),
  };
  // holders = expectedHolders + extra, and pairing statistics: left out of the reviewed file
  const first = j.freezeFailures
    .slice(0, 3)
    .map((x) => JSON.stringify(x, (k, v: unknown) => (k === 'holders' || k === 'pairing' ? undefined : v)));
  const used = new Set<number>();
  JSON.stringify(j.freezeFailures.slice(0, 3), (k, v: unknown) => {
    if ((k === 'stack' || k === 'caller') && typeof v === 'number') used.add(v);
    return v;
  });
  const stacks = [...used].sort((a, b) => a - b).map((id) => `stack ${id}: ${j.stacks[id].join(' < ')}`);
  return [JSON.stringify(head, null, 1), '# first failures', ...first, '# their stacks', ...stacks, ''].join(
    '\n',
  );
}

describe.each(['6.1', '6.12'] as const)('%s migration_blocked trace-stack', (version) => {
  let f: Findings;
  let r: TraceReadResult;
  beforeAll(async () => {
    r = await readTrace(path.join(TRACES, version, 'migration_blocked/trace-stack.txt.gz'));
    f = analyzeTrace(r);
  });

  // Ground truth (stack-run/kpagecount.bin): every page that ends with a migration-restored
  // mapping is still mapped at the end (kpagecount 1-2): those mappings belong to live tasks whose
  // pages compact_memory moved, not to the exited workload. The workload closes its pipes and exits.
  it('reports no leaks: migrated mappings follow their source page (regression: 1918 / 424 leaks)', () => {
    expect(f.leaks).toEqual([]);
    const byReason = Object.fromEntries(f.leakExclusions.excluded.map((x) => [x.reason, [x.pages, x.refs]]));
    expect(byReason).toEqual(
      version === '6.1'
        ? {
            'page cache of a file still cached': [1485, 1485],
            'mapping moved by migration, mapped before the trace (its task is not known)': [424, 425],
            'allocation reference of a page still allocated': [10, 10],
          }
        : {
            'mapping moved by migration, mapped before the trace (its task is not known)': [1918, 1918],
            'page cache of a file still cached': [274, 274],
            'allocation reference of a page still allocated': [6, 6],
          },
    );
  });

  it('links each migration destination to a source with the same mapping pointer', () => {
    const s = r.store;
    const links = migrationLinks(s);
    expect(links.size).toBe(version === '6.1' ? 701 : 2263);
    for (const [get, src] of links) {
      const before = [...s.indicesOf(src)].filter((i) => i < get).map((i) => s.mappingText(i));
      const named = before.filter((m) => !/^0+$/.test(m));
      expect(named.at(-1), `line ${s.line(get)}`).toBe(s.mappingText(get));
    }
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

  it('perf script text of the same run (kernel callchains) names the same holders', async () => {
    const perf = await readTrace(
      asPerfScript(path.join(TRACES, version, 'migration_blocked/trace-stack.txt.gz')),
    );
    expect(perf.format).toBe('perf');
    expect(perf.stacks).toMatchObject({ blocks: r.store.length, attached: r.store.length });
    const g = analyzeTrace(perf);
    // the perf file has no header and a blank line after each record: compare all but lines
    const failure = (x: Findings['freezeFailures'][number]) => ({
      pfn: x.pfn,
      expected: x.expected,
      actual: x.actual,
      extra: x.extra.map((h) => [h.owner, h.refs, h.stack.map(frameFunction)]),
      expectedHolders: x.expectedHolders.map((h) => h.owner).sort(),
    });
    expect(g.freezeFailures.map(failure)).toEqual(f.freezeFailures.map(failure));
    expect(g.leaks.map((l) => l.pfn)).toEqual(f.leaks.map((l) => l.pfn));
    expect(g.consistency.byKind).toEqual(f.consistency.byKind);
  });

  it(`matches the reviewed golden file (UPDATE_GOLDEN=1 rewrites it)`, () => {
    const file = path.join(GOLDEN, `analyze-${version}-migration_blocked-stack.txt`);
    const text = goldenText(f);
    if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
    expect(text).toBe(readFileSync(file, 'utf8'));
  });
});
