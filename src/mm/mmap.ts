/**
 * Whole-address-space operations (mm/mmap.c, mm/vma.c, kernel/fork.c): munmap (vms_clear_ptes),
 * exit_mmap, and dup_mmap at fork. Both unmap paths start with the local lru_add_drain() and end
 * with the mmu_gather flush that puts the zapped pages' and page tables' references.
 */
import type { Kernel } from '../kernel/kernel.js';
import { copy_page_range, free_pgtables, unmap_page_range } from './memory.js';
import { anon_vma_prepare, mm_alloc, vm_area_free, vma_alloc, type MmStruct, type Vma } from './mm_types.js';
import { tlb_finish_mmu, tlb_gather_mmu } from './mmu_gather.js';
import { called } from './stack.js';
import { lru_add_drain } from './swap.js';

/** do_vmi_munmap() -> vms_clear_ptes() (6.12 mm/vma.c:1100; 6.1 unmap_region): drain, zap, free tables, flush */
export function do_munmap(k: Kernel, mm: MmStruct, vma: Vma): void {
  called(k, '__x64_sys_munmap', () =>
    called(k, 'vms_clear_ptes', () => {
      lru_add_drain(k);
      const tlb = tlb_gather_mmu(false);
      called(k, 'unmap_vmas', () => unmap_page_range(k, tlb, mm, vma, 0, vma.nrPages));
      free_pgtables(k, tlb, mm, [vma]);
      mm.vmas.splice(mm.vmas.indexOf(vma), 1);
      tlb_finish_mmu(k, tlb);
      vm_area_free(k, vma); // remove_vma()
    }),
  );
}

/**
 * munmap() of pages [from, to) inside a VMA: the same drain, zap and flush; the VMA split is not
 * modelled (the pages stay as empty PTEs) and no page table is freed, since the rest of the VMA
 * still uses the tables around the hole. A PMD the range cuts is PTE-mapped first.
 */
export function do_munmap_range(k: Kernel, mm: MmStruct, vma: Vma, from: number, to: number): void {
  called(k, '__x64_sys_munmap', () =>
    called(k, 'vms_clear_ptes', () => {
      lru_add_drain(k);
      const tlb = tlb_gather_mmu(false);
      called(k, 'unmap_vmas', () => unmap_page_range(k, tlb, mm, vma, from, to));
      tlb_finish_mmu(k, tlb);
    }),
  );
}

/**
 * exit_mmap() (6.12 mm/mmap.c) of the last user of an mm (do_exit's, or exec_mmap's mmput of the
 * mm a forked child leaves): lru_add_drain(), unmap_vmas, free_pgtables, tlb_finish_mmu
 */
export function exit_mmap(k: Kernel, mm: MmStruct): void {
  called(k, 'exit_mmap', () => {
    lru_add_drain(k);
    const tlb = tlb_gather_mmu(true);
    called(k, 'unmap_vmas', () => {
      for (const vma of mm.vmas) unmap_page_range(k, tlb, mm, vma, 0, vma.nrPages);
    });
    const gone = [...mm.vmas];
    free_pgtables(k, tlb, mm, gone);
    mm.vmas.length = 0;
    tlb_finish_mmu(k, tlb);
    for (const vma of gone) vm_area_free(k, vma); // remove_vma()
  });
}

/**
 * dup_mmap() (kernel/fork.c): each VMA not VM_DONTCOPY is duplicated; its PTEs are copied only if
 * vma_needs_copy() (6.12 mm/memory.c:1330; 6.1 :1251): the source VMA has an anon_vma — a file
 * mapping nobody wrote to is left to the child's faults (the model has no uffd-wp, VM_PFNMAP or
 * VM_MIXEDMAP VMAs)
 */
export function dup_mmap(k: Kernel, parent: MmStruct): MmStruct {
  return called(k, 'kernel_clone', () =>
    called(k, 'dup_mmap', () => {
      const child = mm_alloc(parent.mmapBase);
      for (const vma of parent.vmas) {
        if (vma.dontCopy) continue;
        const copy = vma_alloc(k, vma.name, vma.start, vma.nrPages, vma.shared, vma.file, vma.pgoff);
        copy.special = vma.special;
        child.vmas.push(copy);
        if (!vma.anonVma) continue;
        anon_vma_prepare(k, copy); // anon_vma_fork(): the child's VMA gets its own anon_vma
        copy_page_range(k, parent, child, vma, copy);
      }
      return child;
    }),
  );
}
