import { describe, expect, it } from 'vitest';
import { Machine } from '../../src/mm/machine.js';
import { handle_mm_fault } from '../../src/mm/memory.js';
import { PTRS_PER_PTE, do_mmap_anon, pte_table_key, vpn_offset } from '../../src/mm/mm_types.js';

describe('page-table arithmetic on vpns above 32 bits (mmap_base is near 2^35 pages)', () => {
  const base = 0x7f9616600; // the runner's mmap base vpn
  it('pte_table_key: one key per 512 pages, distinct for tables 2^32 pages apart', () => {
    expect(pte_table_key(base + PTRS_PER_PTE - 1)).toBe(pte_table_key(base));
    expect(pte_table_key(base + PTRS_PER_PTE)).toBe(pte_table_key(base) + 1);
    expect(pte_table_key(base + 2 ** 32)).not.toBe(pte_table_key(base));
  });
  it('vpn_offset is vpn % nr for power-of-two nr', () => {
    for (const nr of [1, 16, 512])
      for (const v of [base, base + 7, base + 2 ** 33 + 513]) expect(vpn_offset(v, nr)).toBe(v % nr);
  });
});

describe('vm_area_alloc / vm_area_free: the PTE arrays of a freed VMA serve the next one of its size', () => {
  it('a forked child exits: its arrays come back cleared for the next fork; the freed VMA keeps none', () => {
    const m = new Machine({ profile: '6.12', nrPages: 8192, nrCpus: 1 });
    const parent = m.spawn('p', 'p', 0);
    const vma = do_mmap_anon(m.k, parent.mm!, 'a', 600, false);
    m.run(parent, () => {
      for (let i = 0; i < 600; i++) handle_mm_fault(m.k, parent.mm!, vma, i, true);
    });
    const first = m.fork(parent, 'c1', 0);
    const cv = first.mm!.vmas[0];
    const arrays = cv.pfn;
    expect(Array.from(cv.pfn)).toEqual(Array.from(vma.pfn)); // copy_page_range filled them
    m.exit(first);
    expect(cv.pfn.length).toBe(0);
    expect(cv.pte.length).toBe(0);
    const second = m.fork(parent, 'c2', 0);
    const v2 = second.mm!.vmas[0];
    expect(v2.pfn).toBe(arrays);
    expect(Array.from(v2.pfn)).toEqual(Array.from(vma.pfn));
    // a VMA of another size gets its own arrays, empty
    const other = do_mmap_anon(m.k, parent.mm!, 'b', 599, false);
    expect(other.pfn).not.toBe(arrays);
    expect(other.pfn.every((p) => p === -1) && other.pte.every((p) => p === 0)).toBe(true);
    m.exit(second);
    const third = do_mmap_anon(m.k, parent.mm!, 'c', 600, false);
    expect(third.pfn).toBe(arrays);
    expect(third.pfn.every((p) => p === -1) && third.pte.every((p) => p === 0)).toBe(true);
  });
});
