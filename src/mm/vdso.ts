/**
 * The vDSO (arch/x86/entry/vdso/vma.c, mm/mmap.c special mappings): exec maps the kernel image's
 * vdso pages into every process (map_vdso -> _install_special_mapping); a fault takes a reference
 * on the reserved page (vdso_fault: get_page) and maps it like a file page, with no fault-around
 * (special_mapping_vmops has no ->map_pages). The page is PG_reserved and never freed, so its count
 * only counts the processes that touched it; zap marks it accessed (not anon), which on a page that
 * is neither on the LRU nor in a batch only toggles PG_referenced, as the real boot traces show.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { __init_single_page } from '../kernel/mm_init.js';
import { get_page } from '../kernel/mm_ref.js';
import { finish_fault } from './filemap.js';
import { mmcache } from './mm_cache.js';
import { vma_alloc, type MmStruct, type Vma } from './mm_types.js';
import { called } from './stack.js';

/** vdso_image_64.size / PAGE_SIZE: 8 KiB of vDSO text (generated at build; the boot traces touch the first) */
const VDSO_PAGES = 2;

/**
 * init_vdso_image() at boot: the image's pages are part of the kernel's data, reserved by memblock
 * (__init_single_page: count 1, then PG_reserved); `first` is the first of them
 */
export function init_vdso_image(k: Kernel, first: Pfn): void {
  const pages = new Int32Array(VDSO_PAGES);
  for (let i = 0; i < VDSO_PAGES; i++) {
    pages[i] = first + i;
    __init_single_page(k, first + i, k.profile.layout.zones.indexOf('Normal'), 0);
    mmcache(k).f.SetPageReserved(first + i);
  }
  mmcache(k).vdsoImage = pages;
}

/**
 * map_vdso() (6.12 arch/x86/entry/vdso/vma.c:226; 6.1 :246) from arch_setup_additional_pages at
 * exec: the vvar pages (VM_PFNMAP, no struct page references) and the vdso VMA at `place`'s
 * address (6.12 get_unmapped_area; 6.1 map_vdso_randomized's vdso_addr near the stack: only the
 * PTE tables it needs differ)
 */
export function map_vdso(k: Kernel, mm: MmStruct, place: (nrPages: number) => number): Vma {
  const image = mmcache(k).vdsoImage;
  if (!image) throw new Error('map_vdso: the machine has no vDSO image (init_vdso_image)');
  const vma = vma_alloc(k, 'vdso', place(image.length), image.length, false);
  vma.special = image;
  mm.vmas.push(vma);
  return vma;
}

/**
 * do_read_fault() on a special mapping (6.12 mm/memory.c:5301; 6.1 :4615): __do_fault ->
 * special_mapping_fault -> vdso_fault (get_page +1); the handler returns the page unlocked, so
 * __do_fault locks it (folio_lock), finish_fault maps it (6.12: its folio_ref_add(nr - 1), val=0,
 * shows the lock), then unlock
 */
export function do_special_fault(k: Kernel, vma: Vma, i: number): void {
  const f = mmcache(k).f;
  called(k, 'do_read_fault', () => {
    const page = called(k, '__do_fault', () => {
      const p = called(k, 'special_mapping_fault', () =>
        called(k, 'vdso_fault', () => {
          get_page(k, vma.special![i]);
          return vma.special![i];
        }),
      );
      f.__folio_set_locked(p);
      return p;
    });
    finish_fault(k, vma, i, page, false);
    f.__folio_clear_locked(page);
  });
}
