/**
 * madvise(2) advice that zaps (mm/madvise.c): MADV_DONTNEED drops the pages of a range through the
 * mmu_gather as munmap does, but the VMA stays and a later touch faults in a fresh page.
 */
import type { Kernel } from '../kernel/kernel.js';
import { unmap_page_range } from './memory.js';
import type { MmStruct, Vma } from './mm_types.js';
import { tlb_finish_mmu, tlb_gather_mmu } from './mmu_gather.js';
import { called } from './stack.js';
import { lru_add_drain } from './swap.js';

/**
 * madvise(MADV_DONTNEED) of pages [from, to) (6.12 mm/madvise.c madvise_dontneed_single_vma ->
 * mm/memory.c zap_page_range_single; 6.1 the same): lru_add_drain, zap into an mmu_gather,
 * tlb_finish_mmu's flush puts the references. madvise_dontneed_free and unmap_single_vma are
 * inlined in both builds' stacks.
 */
export function madvise_dontneed(k: Kernel, mm: MmStruct, vma: Vma, from: number, to: number): void {
  called(k, '__x64_sys_madvise', () =>
    called(k, 'do_madvise', () =>
      called(k, 'zap_page_range_single', () => {
        lru_add_drain(k);
        const tlb = tlb_gather_mmu(false);
        unmap_page_range(k, tlb, mm, vma, from, to);
        tlb_finish_mmu(k, tlb);
      }),
    ),
  );
}
