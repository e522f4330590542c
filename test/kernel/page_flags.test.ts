/**
 * The generated flag and page-type accessors: per-profile names, the bit and page each reaches,
 * the PF_* policy checks (VmBug with dump_page text, the BUG location at the macro invocation).
 */
import { describe, expect, it } from 'vitest';
import { prep_compound_page } from '../../src/kernel/folio.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { callPageFlag, pageflags } from '../../src/kernel/page_flags.js';
import { page_type_name } from '../../src/kernel/page_type.js';
import { VmBug } from '../../src/kernel/vm_bug.js';

const kernel = (p: '6.1' | '6.12' | 'mainline') => new Kernel({ profile: p, nrPages: 1024 });

describe('flag accessors per profile', () => {
  it('6.1 has PageActive (PAGEFLAG(Active, active, PF_HEAD)); 6.12 only folio_test_active (FOLIO_FLAG)', () => {
    const k61 = kernel('6.1');
    const k612 = kernel('6.12');
    expect(pageflags(k61).PageActive).toBeTypeOf('function');
    expect(pageflags(k612).PageActive).toBeUndefined();
    expect(() => callPageFlag(k612, 'PageActive', 0)).toThrow(
      /PageActive\(\) does not exist in Linux 6\.12\.117/,
    );
    // PG_active is bit 5 in 6.1 and bit 8 in 6.12 (Debian amd64 configs)
    pageflags(k61).folio_set_active(3);
    pageflags(k612).folio_set_active(3);
    expect(k61.mem.flagsLo[3]).toBe(1 << 5);
    expect(k612.mem.flagsLo[3]).toBe(1 << 8);
    expect(pageflags(k61).PageActive(3)).toBe(true);
    expect(pageflags(k612).folio_test_clear_active(3)).toBe(true);
    expect(k612.mem.flagsLo[3]).toBe(0);
  });

  it('PF_HEAD reaches the head from a tail; PF_NO_TAIL refuses modifications on tails', () => {
    const k = kernel('6.1');
    const f = pageflags(k);
    prep_compound_page(k, 512, 9);
    f.SetPageDirty(700); // PF_HEAD: sets the head's bit
    expect(f.PageDirty(512)).toBe(true);
    expect(f.PageDirty(513)).toBe(true);
    expect(f.PageReclaim(600)).toBe(false); // PF_NO_TAIL: tests allowed on tails
    let bug: VmBug | undefined;
    try {
      f.SetPageReclaim(600);
    } catch (e) {
      bug = e as VmBug;
    }
    expect(bug).toBeInstanceOf(VmBug);
    expect(bug!.condition).toBe('VM_BUG_ON_PAGE(1 && PageTail(page))');
    const line = k.profile.accessors.get('SetPageReclaim')!.invocation.line;
    expect(bug!.location).toBe(`include/linux/page-flags.h:${line}`);
    expect(bug!.dump).toMatch(
      /^page:[0-9a-f]{16} refcount:0 mapcount:0 mapping:0000000000000000 index:0x58 pfn:0x258$/m,
    );
    expect(bug!.dump).toMatch(/^head:[0-9a-f]{16} order:9 compound_mapcount:0 compound_pincount:0$/m);
  });

  it('PF_NO_COMPOUND and PF_SECOND', () => {
    const k = kernel('6.12');
    const f = pageflags(k);
    prep_compound_page(k, 256, 4);
    expect(() => f.SetPageReserved(256)).toThrow(/VM_BUG_ON_PAGE\(1 && PageCompound\(page\)\)/);
    f.SetPageHasHWPoisoned(256); // PF_SECOND: page[1]
    expect(k.mem.flagsLo[257] & (1 << k.profile.bits.get('has_hwpoisoned')!)).not.toBe(0);
    expect(() => f.PageHasHWPoisoned(5)).toThrow(/VM_BUG_ON_PAGE\(!PageHead\(page\)\)/);
    // FOLIO_SECOND_PAGE: folio_test_large_rmappable reads page[1]
    f.folio_set_large_rmappable(256);
    expect(f.folio_test_large_rmappable(256)).toBe(true);
    expect(() => f.folio_test_large_rmappable(257)).toThrow(/VM_BUG_ON_PAGE\(page->compound_head & 1\)/);
  });
});

describe('page types', () => {
  it('6.1 clears a bit under PAGE_TYPE_BASE; 6.12 writes PGTY_x << 24', () => {
    const k61 = kernel('6.1');
    const k612 = kernel('6.12');
    pageflags(k61).__SetPageBuddy(9);
    pageflags(k612).__SetPageBuddy(9);
    expect(k61.mem.mapcount[9] >>> 0).toBe(0xffffff7f);
    expect(k612.mem.mapcount[9] >>> 0).toBe(0xf0000000);
    expect(page_type_name(k61, 9)).toBe('buddy');
    expect(page_type_name(k612, 9)).toBe('buddy');
    pageflags(k61).__ClearPageBuddy(9);
    pageflags(k612).__ClearPageBuddy(9);
    expect(k61.mem.mapcount[9]).toBe(-1);
    expect(k612.mem.mapcount[9]).toBe(-1);
  });

  it('setting a type on a typed or mapped page is a VM_BUG', () => {
    const k61 = kernel('6.1');
    // 6.1 only checks PageType(page, 0): the word is in the type range, so types can stack
    pageflags(k61).__SetPageTable(4);
    pageflags(k61).__SetPageBuddy(4);
    expect(k61.mem.mapcount[4] >>> 0).toBe(0xfffffd7f);
    k61.mem.mapcount[5] = 0; // mapped once: not a page_type word
    expect(() => pageflags(k61).__SetPageBuddy(5)).toThrow(/VM_BUG_ON_PAGE\(!PageType\(page, 0\)\)/);
    const k612 = kernel('6.12');
    k612.mem.mapcount[4] = 0; // mapped once
    expect(() => pageflags(k612).__SetPageBuddy(4)).toThrow(
      /VM_BUG_ON_PAGE\(data_race\(page->page_type\) != UINT_MAX\)/,
    );
    expect(() => pageflags(k612).__ClearPageBuddy(4)).toThrow(/VM_BUG_ON_PAGE\(!PageBuddy\(page\)\)/);
  });

  it('6.12 dump_page names the type; slab is a type in 6.12 and a flag in 6.1', () => {
    const k = kernel('6.12');
    pageflags(k).__SetPageBuddy(11);
    k.mem.private_[11] = 3;
    expect(k.dumpPage(11)).toContain('page_type: f0(buddy)');
    expect(pageflags(kernel('6.1')).__SetPageSlab).toBeTypeOf('function');
    expect(pageflags(k).__SetPageSlab).toBeUndefined();
    expect(pageflags(k).__folio_set_slab).toBeTypeOf('function');
  });
});

describe('accessors without CONFIG_DEBUG_VM (debugVm off)', () => {
  // the same machine state on two Kernels: a small page, an order-4 folio (head, second page, a
  // tail) and random flags words; every accessor runs on both and must give the same answer and
  // leave the same flags and page_type words wherever the checked accessor raised no VM_BUG
  const machine = (p: '6.1' | '6.12' | 'mainline', debugVm: boolean) => {
    const k = new Kernel({ profile: p, nrPages: 64, debugVm });
    let x = 12345;
    for (let i = 0; i < 64; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      k.mem.flagsLo[i] = x & ~k.PG_head_mask;
    }
    prep_compound_page(k, 32, 4);
    return k;
  };
  for (const p of ['6.1', '6.12', 'mainline'] as const) {
    it(`${p}: every accessor does what the checked one does`, () => {
      const checked = machine(p, true);
      const unchecked = machine(p, false);
      const flags = checked.mem.flagsLo.slice();
      const types = checked.mem.mapcount.slice();
      const names = Object.keys(pageflags(checked));
      expect(Object.keys(pageflags(unchecked))).toEqual(names);
      let compared = 0;
      for (const name of names) {
        for (const page of [3, 32, 33, 40]) {
          for (const k of [checked, unchecked]) {
            k.mem.flagsLo.set(flags);
            k.mem.mapcount.set(types);
          }
          let want: boolean;
          try {
            want = pageflags(checked)[name](page);
          } catch (e) {
            if (e instanceof VmBug) continue;
            throw e;
          }
          expect(pageflags(unchecked)[name](page), `${name}(${page})`).toBe(want);
          expect(unchecked.mem.flagsLo, `${name}(${page}) flags`).toEqual(checked.mem.flagsLo);
          expect(unchecked.mem.mapcount, `${name}(${page}) page_type`).toEqual(checked.mem.mapcount);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(names.length * 2);
    });
  }
});
