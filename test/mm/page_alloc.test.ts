/** The buddy allocator: split/merge, PageBuddy + private only on block heads, PCP pages untyped, bad_page. */
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/kernel.js';
import { PAGEBLOCK_ORDER } from '../../src/kernel/mem_map.js';
import { folio_put } from '../../src/kernel/mm_ref.js';
import { pageflags } from '../../src/kernel/page_flags.js';
import {
  BadPage,
  MIGRATE_UNMOVABLE,
  PageBuddy,
  __free_pages,
  alloc_pages,
  buddy_order,
  buddyinfo,
  get_pageblock_migratetype,
  memblock_free_all,
  nr_free_pages,
} from '../../src/mm/page_alloc.js';

function boot(profile: '6.1' | '6.12', pages = 4096): Kernel {
  const k = new Kernel({ profile, nrPages: pages });
  memblock_free_all(k, 0, pages, 1);
  return k;
}

function checkInvariants(k: Kernel): void {
  // every PageBuddy head is naturally aligned to its order and no page inside its block is PageBuddy
  for (let p = 0; p < k.mem.nrPages; p++) {
    if (!PageBuddy(k, p)) continue;
    const o = buddy_order(k, p);
    expect(p % (1 << o)).toBe(0);
    for (let i = 1; i < 1 << o; i++) {
      expect(PageBuddy(k, p + i)).toBe(false);
      expect(k.mem.private_[p + i]).toBe(0);
      expect(k.mem.refcount[p + i]).toBe(0);
    }
  }
}

describe.each(['6.1', '6.12'] as const)('buddy allocator, %s', (profile) => {
  it('boot hands memory over as max-order PageBuddy blocks', () => {
    const k = boot(profile);
    expect(buddyinfo(k)[10]).toBe(4);
    expect(PageBuddy(k, 0)).toBe(true);
    expect(buddy_order(k, 1024)).toBe(10);
    expect(PageBuddy(k, 1)).toBe(false);
    checkInvariants(k);
  });

  it('an order-4 allocation (above the PCP orders) splits one block into one of each order 4..9 and merges back', () => {
    const k = boot(profile, 1024);
    const page = alloc_pages(k, 4);
    expect(page).toBe(0);
    expect(k.mem.refcount[page]).toBe(1);
    expect(buddyinfo(k).slice(4, 11)).toEqual([1, 1, 1, 1, 1, 1, 0]);
    expect(PageBuddy(k, page + 16)).toBe(true);
    expect(buddy_order(k, page + 16)).toBe(4);
    checkInvariants(k);
    __free_pages(k, page, 4);
    expect(buddyinfo(k)[10]).toBe(1);
    expect(nr_free_pages(k)).toBe(1024);
    checkInvariants(k);
  }, 10_000);

  it('order-0 pages freed to the PCP list are not PageBuddy and keep refcount 0', () => {
    const k = boot(profile);
    const p = alloc_pages(k, 0);
    folio_put(k, p);
    expect(k.mem.refcount[p]).toBe(0);
    expect(PageBuddy(k, p)).toBe(false);
    expect(k.mem.mapcount[p]).toBe(-1);
  });

  it('an UNMOVABLE allocation steals and claims a MOVABLE pageblock', () => {
    const k = boot(profile);
    const p = alloc_pages(k, 0, { migratetype: MIGRATE_UNMOVABLE });
    expect(get_pageblock_migratetype(k, p)).toBe(MIGRATE_UNMOVABLE);
    expect(get_pageblock_migratetype(k, p + (1 << PAGEBLOCK_ORDER) * 2)).toBe(1);
  });

  it('freeing a locked page is a bad page (PAGE_FLAGS_CHECK_AT_FREE)', () => {
    const k = boot(profile);
    const p = alloc_pages(k, 0);
    pageflags(k).__folio_set_locked(p);
    expect(() => folio_put(k, p)).toThrow(BadPage);
    expect(() => folio_put(k, alloc_pages(k, 0))).not.toThrow();
  });
});

// Regression: free_pages_prepare() kept every page flag but PG_hwpoison (the mask was inverted), so
// a freed THP head stayed PG_head and a reallocated page showed stale flags. The kernel clears
// PAGE_FLAGS_CHECK_AT_PREP and keeps hwpoison and the node/zone/lastcpupid fields.
describe.each(['6.1', '6.12'] as const)(
  'free_pages_prepare clears PAGE_FLAGS_CHECK_AT_PREP, %s',
  (profile) => {
    it('a freed folio keeps only hwpoison and the upper fields', () => {
      const k = boot(profile);
      const page = alloc_pages(k, 0);
      const upper = k.mem.flagsHi[page];
      const f = pageflags(k);
      f.folio_mark_uptodate(page);
      f.__folio_set_swapbacked(page);
      f.folio_set_dirty(page);
      f.SetPageHWPoison(page);
      folio_put(k, page);
      const hw = 1 << k.profile.bits.get('hwpoison')!;
      expect(k.mem.flagsLo[page] & ((1 << k.profile.nrPageflags) - 1)).toBe(hw);
      expect(k.mem.flagsHi[page]).toBe(upper);
      expect(upper).not.toBe(0); // node/zone set at boot by memmap_init_range
    });
  },
);
