/**
 * The model's dump_page() text read back by the dump_page parser: both follow mm/debug.c's
 * format strings, written independently, so each checks the other. Per profile: a mapped anon
 * page, a typed page and a tail page of a THP.
 */
import { describe, expect, it } from 'vitest';
import { parseDumpPage } from '../../src/explain/dumppage-parse.js';
import { prep_compound_page } from '../../src/kernel/folio.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { memmap_init_range } from '../../src/kernel/mm_init.js';
import { pageflags } from '../../src/kernel/page_flags.js';

for (const v of ['6.1', '6.12'] as const) {
  describe(`profile ${v}`, () => {
    const k = new Kernel({ profile: v, nrPages: 4096 });
    memmap_init_range(k, 0, 4096, 'Normal', 0);
    const f = pageflags(k);
    // a mapped anon page with the LRU flags
    k.mem.mapping[10] = 8 | 1;
    k.mem.mapcount[10] = 0;
    f.folio_set_lru(10);
    f.__folio_set_swapbacked(10);
    f.folio_mark_uptodate(10);
    // a page-table page
    f.__SetPageTable(20);
    // a THP
    prep_compound_page(k, 512, 9);
    k.mem.refcount[512] = 3;
    k.mem.mapping[512] = 12 | 1;

    it('a mapped anon page', () => {
      const [b] = parseDumpPage(k.dumpPage(10, 'test')).blocks;
      expect(b.layout).toBe(v);
      expect(b.pfn).toBe(10n);
      expect(b.refcount).toBe(1);
      expect(b.mapcount).toBe(1);
      expect(b.flags?.word).toBe(k.mem.flags(10));
      expect(b.flags?.prefix ?? '').toMatch(/anon/);
      expect(b.profileGuess.profile).toBe(v);
    });

    it('a page-table page', () => {
      const [b] = parseDumpPage(k.dumpPage(20)).blocks;
      // 6.1 prints page_mapcount(): the inverted page_type 0xfffffdff + 1; 6.12 forces typed pages to 0
      expect(b.mapcount).toBe(v === '6.1' ? -512 : 0);
      if (v === '6.12') expect(b.pageType).toMatchObject({ value: 0xf2, name: 'table' });
      else expect(b.pageType).toBeUndefined();
    });

    it('a tail page of a THP', () => {
      const [b] = parseDumpPage(k.dumpPage(700)).blocks;
      expect(b.pfn).toBe(700n);
      expect(b.refcount).toBe(3);
      expect(b.index).toBe(BigInt(700 - 512));
      expect(b.head?.order).toBe(9);
      expect(b.raw).toHaveLength(8);
      expect(b.headRaw).toHaveLength(v === '6.12' ? 16 : 8);
    });
  });
}
