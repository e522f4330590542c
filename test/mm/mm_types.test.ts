import { describe, expect, it } from 'vitest';
import { PTRS_PER_PTE, pte_table_key, vpn_offset } from '../../src/mm/mm_types.js';

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
