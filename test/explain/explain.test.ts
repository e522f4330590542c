/**
 * explain on real data: every accessor of the generated 6.1 and 6.12 headers (Debian trees) is
 * found with its exact invocation and line; seed 004's names per profile; a spot check against
 * the C preprocessor; `--kernel-src` on the Debian 6.12 headers gives the built-in answers.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { explainAll, explainName, profileSource, type Explanation } from '../../src/explain/explain.js';
import { treeSource } from '../../src/explain/explain-tree.js';
import { MMFLAGS_H, PAGE_FLAGS_H } from '../../src/explain/kernelsrc/index.js';
import { evalConditions } from '../../src/kernel/profiles/config.js';
import { loadProfile } from '../../src/kernel/profiles/index.js';
import { runCli } from '../helpers/cli.js';
import { cppFunctionDefinitions } from './cpp-oracle.js';
import { debianConfig, haveDebianTrees, tarball, type Series } from './kernel-trees.js';

const found = (name: string, src = profileSource(loadProfile('6.12'))): Explanation[] =>
  explainName(src, name).filter((e): e is Explanation => e.found);

describe.each(['6.1', '6.12'] as const)('explain, profile %s', (version) => {
  const p = loadProfile(version);
  const src = profileSource(p);

  it('finds every accessor of the profile with its exact invocation text and line', () => {
    for (const a of p.accessors.values()) {
      const entries = found(a.name, src);
      expect(
        entries.map((e) => [e.invocation, e.line]),
        a.name,
      ).toContainEqual([a.invocation.text, a.invocation.line]);
      const e = entries.find((x) => x.line === a.invocation.line)!;
      expect([e.generated, e.chain, e.template, e.enabled]).toEqual([true, a.chain, a.template, true]);
    }
    for (const h of p.header.handWritten)
      if (evalConditions(h.cond, p.config)) expect(found(h.name, src).map((e) => e.line)).toContain(h.line);
  });

  it('--all lists every accessor and hand-written function the config enables', () => {
    const names = new Set(explainAll(src).map((e) => e.name));
    for (const a of p.accessors.keys()) expect(names.has(a)).toBe(true);
  });
});

describe("seed 004's names", () => {
  it.each([
    [
      '6.12',
      'folio_test_active',
      'FOLIO_FLAG(active, FOLIO_HEAD_PAGE)',
      518,
      ['FOLIO_FLAG', 'FOLIO_TEST_FLAG'],
    ],
    [
      '6.12',
      'folio_test_lru',
      'PAGEFLAG(LRU, lru, PF_HEAD)',
      516,
      ['PAGEFLAG', 'TESTPAGEFLAG', 'FOLIO_TEST_FLAG'],
    ],
    ['6.12', 'PageBuddy', 'PAGE_TYPE_OPS(Buddy, buddy, buddy)', 1016, ['PAGE_TYPE_OPS']],
    ['6.12', '__SetPageBuddy', 'PAGE_TYPE_OPS(Buddy, buddy, buddy)', 1016, ['PAGE_TYPE_OPS']],
    ['6.1', 'folio_test_active', 'PAGEFLAG(Active, active, PF_HEAD)', 483, ['PAGEFLAG', 'TESTPAGEFLAG']],
    ['6.1', 'folio_test_lru', 'PAGEFLAG(LRU, lru, PF_HEAD)', 481, ['PAGEFLAG', 'TESTPAGEFLAG']],
    ['6.1', 'PageBuddy', 'PAGE_TYPE_OPS(Buddy, buddy)', 979, ['PAGE_TYPE_OPS']],
    ['6.1', '__SetPageBuddy', 'PAGE_TYPE_OPS(Buddy, buddy)', 979, ['PAGE_TYPE_OPS']],
  ] as const)('%s %s <- %s at line %d', (version, name, invocation, line, chain) => {
    const [e] = found(name, profileSource(loadProfile(version)));
    expect([e.invocation, e.line, e.file, e.chain]).toEqual([invocation, line, PAGE_FLAGS_H, chain]);
  });

  it('what they test', () => {
    expect(found('folio_test_active')[0].tests).toContain('test_bit(PG_active)');
    expect(found('folio_test_active')[0].tests).toContain('bit 8 on profile 6.12');
    expect(found('PageBuddy')[0].tests).toBe('page_type >> 24 == PGTY_buddy (0xf0)');
    const b61 = found('PageBuddy', profileSource(loadProfile('6.1')))[0];
    expect(b61.tests).toBe('PageType(page, PG_buddy 0x80): (page_type & (0xf0000000 | 0x80)) == 0xf0000000');
    expect(found('SetPageDirty')[0].policy?.checks).toBe(
      'PF_POISONED_CHECK: VM_BUG_ON_PGFLAGS(PagePoisoned(page)), i.e. flags == -1 on the head',
    );
    expect(found('SetPageReclaim')[0].policy?.checks).toContain('VM_BUG_ON_PGFLAGS(1 && PageTail(page))');
    expect(found('PageReclaim')[0].policy?.checks).toContain('redirected to the head');
  });

  // page-flags.h 6.1:672/678, 6.12:704/710; mainline dropped PAGE_MAPPING_MOVABLE (PG_movable_ops)
  it('the mapping-bit tests __PageMovable / __folio_test_movable, hand-written, gone in mainline', () => {
    const [page] = found('__PageMovable');
    expect(page).toMatchObject({ generated: false, line: 710 });
    expect(page.tests).toBe('((unsigned long)page->mapping & PAGE_MAPPING_FLAGS) == PAGE_MAPPING_MOVABLE');
    expect(found('__folio_test_movable', profileSource(loadProfile('6.1')))[0]).toMatchObject({ line: 672 });
    const [ml] = explainName(profileSource(loadProfile('mainline')), '__PageMovable');
    expect(ml).toMatchObject({ found: false, reason: 'not-in-source' });
  });

  // every function page-flags.h writes out is explained, not only the accessor-shaped ones
  it.each([
    ['6.1', 954, 652],
    ['6.12', 965, 684],
  ] as const)('%s helpers page_has_type (:%d), folio_mapping_flags (:%d): hand-written', (version, a, b) => {
    const src = profileSource(loadProfile(version));
    expect(['page_has_type', 'folio_mapping_flags'].map((n) => found(n, src)[0])).toMatchObject([
      { generated: false, line: a },
      { generated: false, line: b, tests: '((unsigned long)folio->mapping & PAGE_MAPPING_FLAGS) != 0' },
    ]);
  });

  it('a name of another version: PageActive in 6.12 points to 6.1', () => {
    const [e] = explainName(profileSource(loadProfile('6.12')), 'PageActive');
    expect(e).toMatchObject({ found: false, reason: 'not-in-source' });
    if (e.found) return;
    expect(e.elsewhere).toContainEqual({
      profile: '6.1',
      invocation: 'PAGEFLAG(Active, active, PF_HEAD)',
      line: 483,
      generated: true,
    });
  });

  it('spot check against gcc -E (6.12): the seed names are defined on those lines', () => {
    if (!haveDebianTrees()) return;
    for (const version of ['6.12'] as const) {
      const dir = extract(version);
      const defs = cppFunctionDefinitions(
        readFileSync(join(dir, PAGE_FLAGS_H), 'utf8'),
        debianConfig(version),
      );
      for (const name of ['folio_test_active', 'folio_test_lru', 'PageBuddy', '__SetPageBuddy']) {
        const [e] = found(name, profileSource(loadProfile(version)));
        expect(defs.has(`${name}@${e.line}`), `${version} ${name}@${e.line}`).toBe(true);
      }
    }
  });
});

const tmp = mkdtempSync(join(tmpdir(), 'folioscope-explain-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The two headers of a Debian tarball, alone in a temp dir (no Makefile, no .config). */
const extracted = new Map<Series, string>();
function extract(version: Series): string {
  const done = extracted.get(version);
  if (done) return done;
  const top = `linux-source-${version}`;
  const dir = join(tmp, top);
  mkdirSync(tmp, { recursive: true });
  execFileSync('tar', ['-xJf', tarball(version), '-C', tmp, `${top}/${PAGE_FLAGS_H}`, `${top}/${MMFLAGS_H}`]);
  extracted.set(version, dir);
  return dir;
}

describe('explain --kernel-src', () => {
  const strip = (e: Explanation) => ({ ...e, source: '' });

  it('the Debian 6.12 headers give the same answers as the built-in 6.12 profile', () => {
    if (!haveDebianTrees()) return;
    const dir = extract('6.12');
    const cfgFile = join(tmp, 'config-6.12');
    writeFileSync(
      cfgFile,
      execFileSync('xz', ['-dc', '/usr/src/linux-config-6.12/config.amd64_none_amd64.xz']),
    );
    const started = performance.now();
    const tree = treeSource(dir, cfgFile);
    const fromTree = explainAll(tree);
    expect(performance.now() - started).toBeLessThan(1000);
    const builtin = profileSource(loadProfile('6.12', { config: debianConfig('6.12'), name: cfgFile }));
    expect(fromTree.map(strip)).toEqual(
      explainAll(builtin).map((e) => strip({ ...e, tests: e.tests.replace(builtin.label, tree.label) })),
    );
  });

  it('without a config, conditions stay unevaluated and every variant is shown', () => {
    if (!haveDebianTrees()) return;
    const tree = treeSource(extract('6.12'));
    const swapcache = found('folio_set_swapcache', tree);
    expect(swapcache.map((e) => [e.invocation, e.config, e.enabled])).toEqual([
      ['FOLIO_SET_FLAG(swapcache, FOLIO_HEAD_PAGE)', ['defined(CONFIG_SWAP)'], null],
      ['FOLIO_FLAG_FALSE(swapcache)', ['!defined(CONFIG_SWAP)'], null],
    ]);
    expect(found('folio_test_active', tree)[0].tests).toContain('(bit 8 on ');
  });

  it('CLI: explain --kernel-src DIR --json', async () => {
    if (!haveDebianTrees()) return;
    const r = await runCli(['explain', 'PageBuddy', '--kernel-src', extract('6.12'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'PageBuddy', line: 1016, generated: true });
  });
});

describe('explain CLI', () => {
  it('several names give an array; text names the invocation', async () => {
    const j = await runCli(['explain', 'folio_test_active', 'PageBuddy', '--json']);
    expect((JSON.parse(j.stdout) as Explanation[]).map((e) => e.invocation)).toEqual([
      'FOLIO_FLAG(active, FOLIO_HEAD_PAGE)',
      'PAGE_TYPE_OPS(Buddy, buddy, buddy)',
    ]);
    const t = await runCli(['explain', '__SetPageBuddy', '--profile', '6.1']);
    expect(t.stdout).toContain('generated by PAGE_TYPE_OPS(Buddy, buddy) at include/linux/page-flags.h:979');
  });

  it('exit codes: 2 when nothing is a page-flags name, 1 when some are not found', async () => {
    const none = await runCli(['explain', 'kmalloc']);
    expect([none.code, none.stdout.trim()]).toEqual([
      2,
      'kmalloc: not a page-flags name (expected e.g. folio_test_active, PageBuddy, __SetPageBuddy)',
    ]);
    const some = await runCli(['explain', 'PageActive', 'folio_test_active']);
    expect(some.code).toBe(1);
    expect(some.stdout).toContain(
      'PageActive: not in profile 6.12 (debian-amd64); exists in 6.1 as PAGEFLAG(Active, active, PF_HEAD) at line 483',
    );
  });
});
