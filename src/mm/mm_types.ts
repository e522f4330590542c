/**
 * Address spaces as the fault, fork and unmap paths see them (include/linux/mm_types.h): an
 * mm_struct with its VMAs, each VMA's PTEs as typed arrays (pfn + PTE bits per page, no object per
 * page), and the PTE-table pages (PageTable-typed struct pages, one per 2 MiB of address space).
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import type { Bdi, FileRaState } from './readahead.js';
import { mmcache } from './mm_cache.js';

/**
 * PTE bits the model keeps (arch/x86 _PAGE_PRESENT/_PAGE_RW/_PAGE_DIRTY; ZERO = the shared zero
 * pfn). A const enum: tsc writes the numbers into every use, where an imported const was a load and
 * a hole check per use in the JIT's code of the fault, fork and zap loops.
 */
export const enum Pte {
  PRESENT = 1,
  WRITE = 2,
  DIRTY = 4,
  ZERO = 8,
  /** a migration entry (not present): pfn is the folio under migration */
  MIGRATION = 16,
  /** the migration entry recorded PG_anon_exclusive (make_writable_migration_entry + exclusive) */
  MIGRATION_EXCL = 32,
  /** the page is mapped by a PMD (set on all 512 entries of the block; pfn[i] = head + offset) */
  PMD = 64,
  /**
   * a present PTE whose accessed bit was cleared (ptep_clear_flush_young by folio_referenced): PTEs
   * are made young by the access that faulted them in, so the model keeps the inverse bit
   */
  OLD = 128,
  /** a swap entry (not present): pfn holds -1 - swap offset (memory_swap.ts), so it never matches a pfn */
  SWAP = 256,
  /** the swap entry is exclusive (pte_swp_mkexclusive: the unmapped page was PG_anon_exclusive) */
  SWP_EXCLUSIVE = 512,
}

/** PTRS_PER_PTE on x86_64: one PTE table maps 512 pages */
export const PTE_TABLE_SHIFT = 9;
export const PTRS_PER_PTE = 1 << PTE_TABLE_SHIFT;

/**
 * The key of the PTE table mapping page `vpn` (MmStruct.pteTables, deposited, pmdOld): its PMD
 * entry's index over the whole address space. vpns exceed 32 bits (mmap_base sits near 2^35
 * pages), where `>>>` would keep only the low 32 and give two tables 2^32 pages apart one key.
 */
export function pte_table_key(vpn: number): number {
  return Math.floor(vpn / PTRS_PER_PTE);
}

/** HPAGE_PMD_ORDER on x86_64 */
export const PMD_ORDER = 9;

/**
 * vpn % nr for a power-of-two nr (a table, a PMD block, a folio's pages). vpns exceed 32 bits, and
 * there `%` is a floating-point remainder, a runtime call; the mask reads the low 32 bits ToInt32
 * keeps, which hold the remainder, so it is exact for every vpn below 2^53.
 */
export function vpn_offset(vpn: number, nr: number): number {
  return vpn & (nr - 1);
}

/**
 * struct address_space of a file (include/linux/fs.h): the page cache as index -> pfn (-1 = none).
 * `shmem`: tmpfs pages (swapbacked, created dirty by the fault); `file`: a block device or a
 * disk file, read through readahead.
 */
export interface AddressSpace {
  readonly id: number;
  readonly name: string;
  readonly kind: 'shmem' | 'file';
  /** one slot per page of i_size */
  readonly pages: Int32Array;
  /** the backing device's readahead limits (inode_to_bdi) */
  readonly bdi: Bdi;
  /** f_ra of the scenario's one open file on it (open(), read() and mmap() share it) */
  readonly ra: FileRaState;
}

/**
 * struct vm_area_struct. Classes rather than object literals, here and for MmStruct: a literal made
 * again from its site gives its object-valued fields the type "any", which deoptimized every fault
 * path the JIT had optimized on the first address space when the first fork made the second.
 */
export class Vma {
  /** anon_vma id (0 until anon_vma_prepare) */
  anonVma = 0;
  /** VM_DONTCOPY (MADV_DONTFORK) */
  dontCopy = false;
  /** VM_HUGEPAGE (MADV_HUGEPAGE): THP enabled=madvise lets this VMA fault PMD THPs */
  hugepage = false;
  /** a special mapping's pages (the vDSO: vm_special_mapping.pages), page i of the VMA maps special[i] */
  special: Int32Array | undefined = undefined;
  /** page i's pfn (-1: none) and PTE bits; vm_area_free() takes them back (a freed VMA has none) */
  pfn: Int32Array;
  pte: Uint16Array;

  constructor(
    readonly name: string,
    /** first virtual page number */
    readonly start: number,
    readonly nrPages: number,
    /** VM_SHARED */
    readonly shared: boolean,
    /** vm_file's mapping (file-backed VMA), page i maps index pgoff + i */
    readonly file: AddressSpace | undefined,
    /** vm_pgoff: the file index of the VMA's first page */
    readonly pgoff: number,
    ptes: VmaPtes,
  ) {
    this.pfn = ptes.pfn;
    this.pte = ptes.pte;
  }
}

/** a VMA's PTE arrays, kept by the machine's vm_area cache (MmCache.vmAreaCache) between VMAs */
export interface VmaPtes {
  readonly pfn: Int32Array;
  readonly pte: Uint16Array;
}

/** what a freed VMA is left with: no PTEs */
const NO_PFNS = new Int32Array(0);
const NO_PTES = new Uint16Array(0);

/** struct mm_struct */
export class MmStruct {
  readonly vmas: Vma[] = [];
  /** PTE-table pages by pte_table_key(vpn) */
  readonly pteTables = new Map<number, Pfn>();
  /** page tables deposited for PMD mappings (pgtable_trans_huge_deposit), same keys */
  readonly deposited = new Map<number, Pfn>();
  /** MMF_HAS_PINNED: set at the first FOLL_PIN */
  hasPinned = false;
  /**
   * the PTE tables (keys as pteTables) whose PMD entry's accessed bit MGLRU's walk cleared
   * (pmdp_test_and_clear_young); any access through the PMD sets the bit again, and a new PMD entry
   * is made young (x86 _PAGE_TABLE has _PAGE_ACCESSED)
   */
  readonly pmdOld = new Set<number>();

  constructor(
    readonly id: number,
    /** mmap_base: top-down placement searches the gaps below it (in pages) */
    readonly mmapBase: number,
  ) {}
}

export interface Task {
  readonly pid: number;
  /** changed by exec (__set_task_comm in begin_new_exec) */
  comm: string;
  cpu: number;
  mm: MmStruct | undefined;
}

let nextMmId = 1;

/** TASK_SIZE / 3-ish: user mappings start near 0x7f0000000000 like a real mmap_base */
const MMAP_BASE = 0x7f9616600;

/** mm_alloc(): an empty mm; a forked child's inherits its parent's mmap_base (dup_mmap) */
export function mm_alloc(mmapBase = MMAP_BASE): MmStruct {
  return new MmStruct(nextMmId++, mmapBase);
}

/**
 * vm_area_alloc() (kernel/fork.c): a VMA of `nrPages` pages without PTEs. Its PTE arrays come from
 * the machine's vm_area cache when a freed VMA of the same size left them there, as vm_area_cachep
 * hands freed objects out again: a fork made fresh arrays of 1.5 MiB per GiB mapped, and the first
 * touch of fresh memory costs a page fault per 4 KiB on the VMs here (9 of them were ~10% of the
 * bench's fork workload); recycled arrays cost nothing more than the clearing vm_area_free did.
 */
export function vma_alloc(
  k: Kernel,
  name: string,
  start: number,
  nrPages: number,
  shared: boolean,
  file?: AddressSpace,
  pgoff = 0,
): Vma {
  const ptes = mmcache(k).vmAreaCache.get(nrPages)?.pop() ?? {
    pfn: new Int32Array(nrPages).fill(-1),
    pte: new Uint16Array(nrPages),
  };
  return new Vma(name, start, nrPages, shared, file, pgoff, ptes);
}

/**
 * vm_area_free() (kernel/fork.c) of a VMA taken out of its mm (remove_vma: munmap, exit): its PTE
 * arrays are cleared (a zap leaves migration entries' pfns behind) and go back to the cache
 */
export function vm_area_free(k: Kernel, vma: Vma): void {
  const cache = mmcache(k).vmAreaCache;
  let free = cache.get(vma.nrPages);
  if (!free) cache.set(vma.nrPages, (free = []));
  free.push({ pfn: vma.pfn.fill(-1), pte: vma.pte.fill(0) });
  vma.pfn = NO_PFNS;
  vma.pte = NO_PTES;
}

/**
 * get_unmapped_area() top-down (mm/mmap.c vm_unmapped_area, VM_UNMAPPED_AREA_TOPDOWN): the highest
 * gap below mmap_base that fits, so a hole left by munmap is reused as the kernel reuses it
 */
export function get_unmapped_area(mm: MmStruct, nrPages: number): number {
  let top = mm.mmapBase;
  for (const v of [...mm.vmas].sort((a, b) => b.start - a.start)) {
    if (v.start >= top) continue;
    if (top - (v.start + v.nrPages) >= nrPages) break;
    top = v.start;
  }
  return top - nrPages;
}

/** do_mmap() of an anonymous region: top-down placement, no pages yet */
export function do_mmap_anon(k: Kernel, mm: MmStruct, name: string, nrPages: number, shared: boolean): Vma {
  const vma = vma_alloc(k, name, get_unmapped_area(mm, nrPages), nrPages, shared);
  mm.vmas.push(vma);
  return vma;
}

/** do_mmap() of a file: MAP_SHARED or MAP_PRIVATE over nrPages pages from index pgoff */
export function do_mmap_file(
  k: Kernel,
  mm: MmStruct,
  name: string,
  file: AddressSpace,
  nrPages: number,
  shared: boolean,
  pgoff = 0,
): Vma {
  const vma = vma_alloc(k, name, get_unmapped_area(mm, nrPages), nrPages, shared, file, pgoff);
  mm.vmas.push(vma);
  return vma;
}

/** anon_vma_prepare(): the VMA's anon_vma on first anonymous fault */
export function anon_vma_prepare(k: Kernel, vma: Vma): number {
  if (!vma.anonVma) vma.anonVma = k.allocMappingId();
  return vma.anonVma;
}

export function find_vma(mm: MmStruct, name: string): Vma | undefined {
  return mm.vmas.find((v) => v.name === name);
}
