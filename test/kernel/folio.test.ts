/**
 * Compound pages per profile: prep_compound_page's layout (6.1 page[1] compound_* fields vs 6.12
 * folio fields, order in page[1].flags), compound_head/page_folio, and the mapcount accessors with
 * their version semantics (6.1 mm/util.c __page_mapcount/folio_mapcount, 6.12 mm.h).
 */
import { describe, expect, it } from 'vitest';
import {
  PageTail,
  compound_head,
  folio_entire_mapcount,
  folio_mapcount,
  folio_mapped,
  folio_nr_pages,
  folio_order,
  page_folio,
  page_mapcount,
  prep_compound_page,
} from '../../src/kernel/folio.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { pageflags } from '../../src/kernel/page_flags.js';

const kernel = (p: '6.1' | '6.12') => new Kernel({ profile: p, nrPages: 2048 });

describe('prep_compound_page', () => {
  it('6.12: order in page[1].flags low byte, _large_mapcount/_entire_mapcount -1, tails point at the head', () => {
    const k = kernel('6.12');
    prep_compound_page(k, 512, 9);
    expect(k.mem.flagsLo[513] & 0xff).toBe(9);
    expect(folio_order(k, 512)).toBe(9);
    expect(folio_nr_pages(k, 512)).toBe(512);
    expect([k.mem.largeMapcount[513], k.mem.entireMapcount[513], k.mem.nrPagesMapped[513]]).toEqual([
      -1, -1, 0,
    ]);
    expect(compound_head(k, 1000)).toBe(512);
    expect(page_folio(k, 512)).toBe(512);
    expect(PageTail(k, 1023)).toBe(true);
    expect(PageTail(k, 1024)).toBe(false);
    expect(pageflags(k).PageHead(512)).toBe(true);
  });

  it('6.1: page[1].compound_order/compound_dtor, compound_mapcount -1, the flags word untouched', () => {
    const k = kernel('6.1');
    prep_compound_page(k, 512, 9);
    expect(k.mem.flagsLo[513]).toBe(0);
    expect([k.mem.order[513], k.mem.dtor[513], k.mem.entireMapcount[513]]).toEqual([9, 1, -1]);
    expect(folio_order(k, 512)).toBe(9);
  });
});

describe('mapcounts of a PMD-mapped anon THP that is then PTE-mapped in one page', () => {
  for (const v of ['6.1', '6.12'] as const) {
    it(`${v}`, () => {
      const k = kernel(v);
      prep_compound_page(k, 512, 9);
      k.mem.mapping[512] = 8 | 1; // anon
      // one PMD mapping of the whole folio, plus page 3 also mapped by a PTE
      k.mem.entireMapcount[513] = 0;
      k.mem.mapcount[515] = 0;
      if (v === '6.12') {
        k.mem.largeMapcount[513] = 1; // two mappings in all
        k.mem.nrPagesMapped[513] = 0x800000 + 1; // ENTIRELY_MAPPED + one PTE-mapped page
      }
      expect(folio_entire_mapcount(k, 512)).toBe(1);
      // 6.1 page_mapcount() of an anon compound page adds the compound mapcount (mm/util.c:787)
      expect(page_mapcount(k, 515)).toBe(v === '6.1' ? 2 : 1);
      expect(page_mapcount(k, 600)).toBe(v === '6.1' ? 1 : 0);
      // 6.1 folio_mapcount sums entire + every page's mapcount; 6.12 reads _large_mapcount
      expect(folio_mapcount(k, 512)).toBe(2);
      expect(folio_mapped(k, 512)).toBe(true);
      const dump = k.dumpPage(515);
      if (v === '6.1') {
        expect(dump).toMatch(/^page:[0-9a-f]{16} refcount:0 mapcount:2 mapping:0{16} index:0x3 pfn:0x203$/m);
        expect(dump).toMatch(/^head:[0-9a-f]{16} order:9 compound_mapcount:1 compound_pincount:0$/m);
        expect(dump).toMatch(/^anon flags: 0x[0-9a-f]+\(head\|/m);
      } else {
        expect(dump).toMatch(/^page: refcount:0 mapcount:1 mapping:0{16} index:0x3 pfn:0x203$/m);
        expect(dump).toContain('head: order:9 mapcount:2 entire_mapcount:1 nr_pages_mapped:1 pincount:0');
        expect(
          dump.split('\n').filter((l) => l.startsWith('head: ') && /^head: [0-9a-f]{16} /.test(l)),
        ).toHaveLength(4);
      }
    });
  }

  it('6.12: a small typed page has folio_mapcount 0 (page_mapcount_is_type)', () => {
    const k = kernel('6.12');
    pageflags(k).__SetPageTable(7);
    expect(folio_mapcount(k, 7)).toBe(0);
    expect(folio_mapped(k, 7)).toBe(false);
  });

  it('6.1: file THP: page _mapcount already includes PMD maps, folio_mapcount subtracts entire * nr', () => {
    const k = kernel('6.1');
    prep_compound_page(k, 0, 2);
    k.mem.mapping[0] = 16; // a file mapping
    k.mem.entireMapcount[1] = 0; // one PMD map...
    for (let i = 0; i < 4; i++) k.mem.mapcount[i] = 0; // ...counted in every page's _mapcount
    expect(page_mapcount(k, 2)).toBe(1);
    expect(folio_mapcount(k, 0)).toBe(1);
  });
});
