import { readFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { beforeAll, describe, expect, it } from 'vitest';
import { evalConditions } from '../../src/kernel/profiles/config.js';
import type { PageFlagsHeader } from '../../src/kernel/profiles/types.js';
import { indexHeaders, type HeaderSources } from '../../src/explain/kernelsrc/index.js';
import { generateProfileModule } from '../../src/explain/kernelsrc/generate.js';
import { extractDebianHeaders, mainlineProfileModule } from '../../src/explain/kernelsrc/tree.js';
import { indexMainlineHeader } from '../../src/explain/kernelsrc/mainline.js';
import { cppFunctionDefinitions } from './cpp-oracle.js';
import {
  SERIES,
  debianConfig,
  haveDebianTrees,
  pageflagBits,
  printFmt,
  tarball,
  traceConfig,
} from './kernel-trees.js';
import type { Series } from './kernel-trees.js';

const trees = haveDebianTrees();
const sources = new Map<Series, HeaderSources>();
const headers = new Map<Series, PageFlagsHeader>();
const get = (s: Series): PageFlagsHeader => headers.get(s) as PageFlagsHeader;
const accessor = (s: Series, name: string) => get(s).accessors.filter((a) => a.name === name);

describe.skipIf(!trees)('page-flags.h / mmflags.h from the Debian trees', () => {
  beforeAll(() => {
    for (const s of SERIES) {
      const src = extractDebianHeaders(tarball(s));
      sources.set(s, src);
      headers.set(s, indexHeaders(src).header);
    }
  }, 180_000); // xz-decompressing the tarballs takes a while

  it('indexes one page-flags.h well under a second', () => {
    const src = sources.get('6.12') as HeaderSources;
    const t0 = performance.now();
    indexHeaders(src);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  /**
   * The point release of the tarball Debian installs today (6.12.117 was replaced by 6.12.118 on
   * the archive): the checked-in modules name the one they were generated from, and a later point
   * release must give the same data, so only that number is left out of the comparison.
   */
  const anyPointRelease = (text: string): string =>
    text.replace(
      /linux-source-(6\.1|6\.12) \1\.\d+/g,
      (_, series: string) => `linux-source-${series} ${series}.N`,
    );

  const generated: Record<Series, [string, string]> = {
    '6.1': ['v6_1', 'src/kernel/profiles/generated/v6_1.ts'],
    '6.12': ['v6_12', 'src/kernel/profiles/generated/v6_12.ts'],
  };
  for (const s of SERIES) {
    it(`${s}: regenerating equals the checked-in ${generated[s][1]}`, async () => {
      const [exportName, file] = generated[s];
      const text = generateProfileModule(get(s), exportName);
      const options = (await resolveConfig(file)) ?? {};
      expect(anyPointRelease(await format(text, { ...options, filepath: file }))).toBe(
        anyPointRelease(readFileSync(file, 'utf8')),
      );
    });
  }

  it('mainline: reconstructing from 6.12 equals the checked-in src/kernel/profiles/generated/mainline.ts', async () => {
    const file = 'src/kernel/profiles/generated/mainline.ts';
    const options = (await resolveConfig(file)) ?? {};
    expect(
      anyPointRelease(
        await format(mainlineProfileModule(sources.get('6.12') as HeaderSources), {
          ...options,
          filepath: file,
        }),
      ),
    ).toBe(anyPointRelease(readFileSync(file, 'utf8')));
  });

  it('mainline bit numbers with the Debian 6.12 config match reference §3.2 "6.18 Debian-like"', () => {
    const { bits, nr } = pageflagBits(
      indexMainlineHeader(sources.get('6.12') as HeaderSources),
      debianConfig('6.12'),
    );
    expect(
      Object.fromEntries(
        ['dropbehind', 'mlocked', 'hwpoison', 'young', 'idle', 'arch_2'].map((f) => [f, bits.get(f)]),
      ),
    ).toEqual({ dropbehind: 19, mlocked: 20, hwpoison: 21, young: 22, idle: 23, arch_2: 24 });
    expect(nr).toBe(25);
  });

  it('6.1 bit numbers with the Debian amd64 config match reference §3.2', () => {
    const { bits, nr } = pageflagBits(get('6.1'), debianConfig('6.1'));
    expect(
      Object.fromEntries(
        ['writeback', 'head', 'mlocked', 'uncached', 'hwpoison', 'arch_2'].map((f) => [f, bits.get(f)]),
      ),
    ).toEqual({ writeback: 15, head: 16, mlocked: 21, uncached: 22, hwpoison: 23, arch_2: 24 });
    expect(nr).toBe(25);
  });

  it('6.12 bit numbers with the Debian amd64 config match reference §3.2', () => {
    const { bits, nr } = pageflagBits(get('6.12'), debianConfig('6.12'));
    const names = ['writeback', 'head', 'owner_2', 'mlocked', 'hwpoison', 'young', 'idle', 'arch_2'];
    expect(Object.fromEntries(names.map((f) => [f, bits.get(f)]))).toEqual({
      writeback: 1,
      head: 6,
      owner_2: 11,
      mlocked: 19,
      hwpoison: 20,
      young: 21,
      idle: 22,
      arch_2: 23,
    });
    expect(nr).toBe(24);
  });

  for (const s of SERIES) {
    it(`${s}: with the traced kernel's config, NR_PAGEFLAGS and name order equal the tracepoint print fmt`, () => {
      const cfg = traceConfig(s);
      const fmt = printFmt(s);
      expect(pageflagBits(get(s), cfg).nr).toBe(fmt.nr);
      const names = get(s)
        .flagNames.filter((e) => evalConditions(e.cond, cfg))
        .map((e) => e.name);
      expect(names).toEqual(fmt.names);
    });

    it(`${s}: every generated accessor and hand-written function sits where gcc -E puts it`, () => {
      const cfg = debianConfig(s);
      const h = get(s);
      const fromCpp = [...cppFunctionDefinitions((sources.get(s) as HeaderSources).pageFlagsH, cfg)];
      const live = <T extends { cond: readonly string[] }>(xs: readonly T[]) =>
        xs.filter((x) => evalConditions(x.cond, cfg));
      const fromIndex = [
        ...live(h.accessors).map((a) => `${a.name}@${a.invocation.line}`),
        ...live(h.handWritten)
          .filter((w) => w.kind === 'function')
          .map((w) => `${w.name}@${w.line}`),
      ];
      expect(new Set(fromIndex).size).toBe(fromIndex.length); // nothing defined twice under one config
      expect(fromCpp.length).toBeGreaterThan(200);
      expect(new Set(fromIndex)).toEqual(new Set(fromCpp));
    });
  }

  it('6.12 folio_test_active <- FOLIO_FLAG(active, FOLIO_HEAD_PAGE)', () => {
    const [a] = accessor('6.12', 'folio_test_active');
    expect(a).toMatchObject({
      takes: 'folio',
      op: 'test',
      flag: 'active',
      folioPage: 0,
      chain: ['FOLIO_FLAG', 'FOLIO_TEST_FLAG'],
      template: 'folio_test_##name',
      invocation: {
        macro: 'FOLIO_FLAG',
        args: ['active', 'FOLIO_HEAD_PAGE'],
        text: 'FOLIO_FLAG(active, FOLIO_HEAD_PAGE)',
      },
    });
    expect(accessor('6.12', 'PageActive')).toEqual([]);
  });

  it('6.1 PageActive <- PAGEFLAG(Active, active, PF_HEAD)', () => {
    const [a] = accessor('6.1', 'PageActive');
    expect(a).toMatchObject({
      takes: 'page',
      op: 'test',
      flag: 'active',
      policy: 'PF_HEAD',
      enforce: 0,
      chain: ['PAGEFLAG', 'TESTPAGEFLAG'],
      template: 'Page##uname',
      invocation: { macro: 'PAGEFLAG', args: ['Active', 'active', 'PF_HEAD'] },
    });
  });

  it('page types: 6.12 __SetPageBuddy sets type buddy; 6.1 uses inverted bits', () => {
    expect(accessor('6.12', '__SetPageBuddy')).toMatchObject([
      { op: 'type_set', flag: 'buddy', takes: 'page' },
    ]);
    expect(accessor('6.12', 'folio_test_pgtable')).toMatchObject([{ op: 'type_test', flag: 'table' }]);
    expect(get('6.12').pageTypeEncoding).toBe('top-byte');
    expect(get('6.12').pageTypes.find((t) => t.name === 'slab')?.value).toBe(0xf5);
    expect(get('6.1').pageTypeEncoding).toBe('inverted-bits');
    expect(get('6.1').pageTypes.map((t) => [t.name, t.value])).toEqual([
      ['buddy', 0x80],
      ['offline', 0x100],
      ['table', 0x200],
      ['guard', 0x400],
    ]);
    expect(accessor('6.1', '__ClearPageBuddy')).toMatchObject([{ op: 'type_clear', flag: 'buddy' }]);
  });

  it('slab: hand-written PageSlab in 6.12, __PAGEFLAG(Slab, slab, PF_NO_TAIL) in 6.1', () => {
    expect(get('6.12').handWritten.filter((w) => w.name === 'PageSlab')).toHaveLength(1);
    expect(accessor('6.12', 'PageSlab')).toEqual([]);
    expect(accessor('6.1', '__SetPageSlab')).toMatchObject([
      {
        op: '__set',
        flag: 'slab',
        policy: 'PF_NO_TAIL',
        enforce: 1,
        invocation: { text: '__PAGEFLAG(Slab, slab, PF_NO_TAIL)' },
      },
    ]);
  });

  it('conditional stubs carry the #else condition', () => {
    const mlocked = accessor('6.12', 'folio_test_mlocked');
    expect(mlocked.map((a) => [a.op, a.cond.at(-1)])).toEqual([
      ['test', 'defined(CONFIG_MMU)'],
      ['false', '!defined(CONFIG_MMU)'],
    ]);
  });
});
