/**
 * The page_ref API's semantics per include/linux/page_ref.h and mm.h: the (val, ret) each function
 * records, folio wrappers tracing the head pfn, version-only functions, bad input.
 */
import { describe, expect, it } from 'vitest';
import { prep_compound_page } from '../../src/kernel/folio.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { folio_put, folio_put_refs, get_page, put_page, try_get_page } from '../../src/kernel/mm_ref.js';
import * as ref from '../../src/kernel/page_ref.js';
import { PAGE_REF_EVENT_NAMES, type PageRefRecord } from '../../src/kernel/tracepoint.js';
import { VmBug } from '../../src/kernel/vm_bug.js';

function traced(profile: '6.1' | '6.12' | 'mainline' = '6.12') {
  const k = new Kernel({ profile, nrPages: 4096 });
  const events: Array<Pick<PageRefRecord, 'pfn' | 'count' | 'val' | 'ret'> & { name: string }> = [];
  k.tracer.subscribe((r) =>
    events.push({ name: PAGE_REF_EVENT_NAMES[r.type], pfn: r.pfn, count: r.count, val: r.val, ret: r.ret }),
  );
  return { k, events };
}

describe('page_ref functions record the kernel (val, ret)', () => {
  it('set, add, sub, inc, dec, sub_and_test, dec_and_test, inc_return, dec_return', () => {
    const { k, events } = traced();
    ref.set_page_count(k, 10, 1);
    ref.page_ref_add(k, 10, 5);
    ref.page_ref_sub(k, 10, 2);
    ref.page_ref_inc(k, 10);
    ref.page_ref_dec(k, 10);
    expect(ref.page_ref_inc_return(k, 10)).toBe(5);
    expect(ref.page_ref_dec_return(k, 10)).toBe(4);
    expect(ref.page_ref_sub_and_test(k, 10, 3)).toBe(false);
    expect(ref.page_ref_dec_and_test(k, 10)).toBe(true);
    expect(events).toEqual([
      { name: 'page_ref_set', pfn: 10, count: 1, val: 1, ret: 0 },
      { name: 'page_ref_mod', pfn: 10, count: 6, val: 5, ret: 0 },
      { name: 'page_ref_mod', pfn: 10, count: 4, val: -2, ret: 0 },
      { name: 'page_ref_mod', pfn: 10, count: 5, val: 1, ret: 0 },
      { name: 'page_ref_mod', pfn: 10, count: 4, val: -1, ret: 0 },
      { name: 'page_ref_mod_and_return', pfn: 10, count: 5, val: 1, ret: 5 },
      { name: 'page_ref_mod_and_return', pfn: 10, count: 4, val: -1, ret: 4 },
      { name: 'page_ref_mod_and_test', pfn: 10, count: 1, val: -3, ret: 0 },
      { name: 'page_ref_mod_and_test', pfn: 10, count: 0, val: -1, ret: 1 },
    ]);
  });

  it('add_unless records the boolean result; freeze the expected count; unfreeze the absolute value', () => {
    const { k, events } = traced();
    expect(ref.folio_try_get(k, 20)).toBe(false); // count 0: refused, but traced
    ref.set_page_count(k, 20, 3);
    expect(ref.folio_try_get(k, 20)).toBe(true);
    expect(ref.folio_ref_freeze(k, 20, 2)).toBe(false); // count is 4
    expect(ref.folio_ref_freeze(k, 20, 4)).toBe(true);
    ref.folio_ref_unfreeze(k, 20, 3);
    expect(events.map((e) => [e.name, e.count, e.val, e.ret])).toEqual([
      ['page_ref_mod_unless', 0, 1, 0],
      ['page_ref_set', 3, 3, 0],
      ['page_ref_mod_unless', 4, 1, 1],
      ['page_ref_freeze', 4, 2, 0],
      ['page_ref_freeze', 0, 4, 1],
      ['page_ref_unfreeze', 3, 3, 0],
    ]);
  });

  it('get_page/put_page on a tail page trace the head pfn; the last put frees the folio', () => {
    const { k, events } = traced();
    const freed: number[] = [];
    k.freeFolio = (_k, f) => freed.push(f);
    ref.set_page_count(k, 64, 1);
    prep_compound_page(k, 64, 2);
    get_page(k, 66);
    expect(try_get_page(k, 67)).toBe(true);
    put_page(k, 65);
    folio_put_refs(k, 64, 2);
    expect(events.slice(1).map((e) => [e.name, e.pfn, e.count])).toEqual([
      ['page_ref_mod', 64, 2],
      ['page_ref_mod', 64, 3],
      ['page_ref_mod_and_test', 64, 2],
      ['page_ref_mod_and_test', 64, 0],
    ]);
    expect(freed).toEqual([64]);
    expect(k.mem.refcount[66]).toBe(0); // tails keep refcount 0
  });

  it('version-only functions exist only in their profile', () => {
    const v61 = traced('6.1');
    ref.set_page_count(v61.k, 5, 4);
    expect(ref.page_ref_sub_return(v61.k, 5, 2)).toBe(2);
    expect(ref.folio_try_get_rcu(v61.k, 5)).toBe(true);
    expect(() => ref.folio_ref_try_add(v61.k, 5, 1)).toThrow(
      /folio_ref_try_add\(\) does not exist in Linux 6\.1/,
    );
    const v612 = traced('6.12');
    expect(() => ref.page_ref_sub_return(v612.k, 5, 1)).toThrow(/page_ref_sub_return\(\) does not exist/);
    expect(() => ref.folio_try_get_rcu(v612.k, 5)).toThrow(/folio_ref_try_add_rcu\(\) does not exist/);
    ref.set_page_count(v612.k, 5, 1);
    expect(ref.folio_ref_try_add(v612.k, 5, 2)).toBe(true);
    expect(v612.k.mem.refcount[5]).toBe(3);
  });

  it('tracing off (CONFIG_DEBUG_PAGE_REF=n) and per-event enable', () => {
    const { k, events } = traced();
    k.tracer.setEventEnabled(1, false); // page_ref_mod
    ref.page_ref_inc(k, 1);
    ref.page_ref_dec_and_test(k, 1);
    k.tracer.setEnabled(false);
    ref.page_ref_inc(k, 1);
    expect(events.map((e) => e.name)).toEqual(['page_ref_mod_and_test']);
    expect(k.mem.refcount[1]).toBe(1);
  });
});

describe('bad input', () => {
  it('out-of-range pfns are a RangeError naming the function and the pfn', () => {
    const { k } = traced();
    expect(() => ref.page_ref_inc(k, 4096)).toThrow(RangeError);
    expect(() => ref.page_ref_inc(k, 4096)).toThrow(
      'page_ref_inc: pfn 0x1000 is outside mem_map [0x0, 0x1000)',
    );
    expect(() => ref.page_ref_inc(k, -1)).toThrow(/page_ref_inc: pfn -1/);
    expect(() => prep_compound_page(k, 8, -1)).toThrow(/prep_compound_page: order -1/);
  });

  it('put on a freed page is VM_BUG_ON_PAGE with the dump_page text', () => {
    const { k } = traced('6.12');
    expect(() => folio_put(k, 7)).toThrow(VmBug);
    try {
      folio_put(k, 7);
    } catch (e) {
      const bug = e as VmBug;
      expect(bug.condition).toBe('VM_BUG_ON_PAGE(page_ref_count(page) == 0)');
      expect(bug.location).toBe('include/linux/mm.h:1140');
      expect(bug.message).toContain('page: refcount:0 mapcount:0 mapping:0000000000000000 index:0x0 pfn:0x7');
      expect(bug.message).toContain('page dumped because: VM_BUG_ON_PAGE(page_ref_count(page) == 0)');
    }
    expect(k.mem.refcount[7]).toBe(0); // nothing changed
  });

  it('double unfreeze is VM_BUG_ON_PAGE(page_count(page) != 0)', () => {
    const { k } = traced('6.1');
    ref.set_page_count(k, 3, 2);
    expect(ref.page_ref_freeze(k, 3, 2)).toBe(true);
    ref.page_ref_unfreeze(k, 3, 2);
    expect(() => ref.page_ref_unfreeze(k, 3, 2)).toThrow(/VM_BUG_ON_PAGE\(page_count\(page\) != 0\)/);
    expect(() => ref.page_ref_unfreeze(k, 3, 2)).toThrow(/kernel BUG at include\/linux\/page_ref.h:332!/);
  });
});
