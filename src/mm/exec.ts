/**
 * execve() (fs/exec.c, fs/binfmt_script.c, fs/binfmt_elf.c) as the page counts see it, in the
 * kernel's order: bprm_mm_init() builds the new mm with a one-page stack at STACK_TOP_MAX; each
 * argument string copied into it goes through get_arg_page() (get_user_pages_remote: the first
 * faults the page in, every one takes +1 and marks it accessed) and put_arg_page() (-1);
 * prepare_binprm() reads the file's first page (kernel_read: the page cache lookup +1, mark
 * accessed, -1); a `#!` script copies its interpreter's strings and the interpreter is read the same
 * way; load_elf_binary() reads the program headers (page 0 again), begin_new_exec() -> exec_mmap()
 * drops the old mm (mmput -> exit_mmap, for a forked child), setup_arg_pages() -> shift_arg_pages()
 * moves the stack page to its final place (a new PTE table, lru_add_drain, the old table freed),
 * elf_map() maps each PT_LOAD segment privately at its address, set_brk() maps the bss and padzero()
 * clears the rest of the last file page (a write fault: the page cache page copied, do_cow_fault),
 * and arch_setup_additional_pages() maps the vDSO. The upper page-table levels and the kernel's own
 * allocations (mm_struct, vm_area_structs, the pgd) are not modelled: the boot built-in stands in for
 * them with counts read off the real trace.
 */
import type { Kernel } from '../kernel/kernel.js';
import { put_page } from '../kernel/mm_ref.js';
import { filemap_read, shmem_file_read } from './filemap.js';
import { get_user_pages_remote } from './gup.js';
import { free_pgtables, handle_mm_fault, pte_alloc_one } from './memory.js';
import { exit_mmap } from './mmap.js';
import {
  get_unmapped_area,
  mm_alloc,
  pte_table_key,
  vm_area_free,
  vma_alloc,
  type AddressSpace,
  type MmStruct,
  type Task,
  type Vma,
} from './mm_types.js';
import { tlb_finish_mmu, tlb_gather_mmu } from './mmu_gather.js';
import { called } from './stack.js';
import { lru_add_drain } from './swap.js';
import { map_vdso } from './vdso.js';

/** A PT_LOAD segment of an executable, as elf_map() maps it */
export interface ElfSegment {
  /** the VMA's name in the task's mm */
  readonly name: string;
  /** its first virtual page (p_vaddr >> PAGE_SHIFT) */
  readonly vpn: number;
  /** the file pages it maps, [from, to] */
  readonly from: number;
  readonly to: number;
  readonly writable: boolean;
  /** p_memsz beyond the file: padzero() clears the rest of page `to`, set_brk() maps this many anon pages */
  readonly bss: number;
}

/** An executable in the page cache (a static ELF: no interpreter, no ld.so) */
export interface ElfImage {
  readonly file: AddressSpace;
  readonly segments: readonly ElfSegment[];
}

export interface ExecRequest {
  /** the file execve() names: the ELF itself, or a `#!` script whose interpreter is `elf` */
  readonly file: AddressSpace;
  readonly elf: ElfImage;
  /**
   * get_arg_page() calls before the binary handlers run: kernel_execve() copies the filename and
   * each envp and argv string apart (copy_string_kernel); execve(2) copies the filename, then all
   * of envp and all of argv with one get per page (copy_strings)
   */
  readonly strings: number;
  /**
   * a script's load_script(): remove_arg_zero(), the interpreter's name, its optional argument
   * and the script's name, one get_arg_page() each; undefined when `file` is the ELF
   */
  readonly scriptStrings?: number;
  /**
   * the CPU sched_exec() moves the task to before the binary is read (execve is the scheduler's
   * balancing point, when the task's footprint is smallest); undefined: it stays
   */
  readonly cpu?: number;
}

/** STACK_TOP_MAX >> PAGE_SHIFT on x86_64 with 4-level paging (TASK_SIZE_MAX = 0x7ffffffff000) */
const STACK_TOP_MAX_VPN = 0x7ffffffff;
/**
 * where setup_arg_pages() moves the stack: randomize_stack_top(STACK_TOP) picks a page below
 * STACK_TOP at random; this is one such choice, in a page table of its own as every choice is
 */
const STACK_TOP_VPN = 0x7ffd3a000;
/** setup_arg_pages()'s stack_expand (128 KiB) below the argument page */
const STACK_EXPAND_PAGES = 32;
/** the argument page's place in the exec'd task's `stack` VMA: its last page, below stack_expand */
export const STACK_ARG_PAGE = STACK_EXPAND_PAGES;

/** get_arg_page() + put_arg_page() on the stack's argument page: one string copied */
function copy_string(k: Kernel, mm: MmStruct, stack: Vma): void {
  called(k, 'copy_string_kernel', () => {
    const page = called(k, 'get_arg_page', () =>
      get_user_pages_remote(k, mm, stack, stack.nrPages - 1, true),
    );
    called(k, 'put_arg_page', () => put_page(k, page));
  });
}

/**
 * kernel_read() of the file's first page: prepare_binprm() reads BINPRM_BUF_SIZE from offset 0,
 * elf_read() the program headers from e_phoff (`offset`, past the ELF header: the page is not
 * marked accessed again)
 */
function kernel_read(k: Kernel, file: AddressSpace, offset: number): void {
  called(k, 'kernel_read', () => {
    if (file.kind === 'shmem') shmem_file_read(k, file, 0, 0, offset);
    else filemap_read(k, file, 0, 0);
  });
}

/** sizeof(struct elf64_hdr): a static executable's program headers follow it (e_phoff) */
const ELF64_EHDR_SIZE = 64;

/**
 * shift_arg_pages() (6.12 mm/mmap.c:2332 relocate_vma_down; 6.1 fs/exec.c:681): move_page_tables()
 * puts the argument page's PTE in a table at the new place, lru_add_drain(), then free_pgd_range()
 * frees the old table through an mmu_gather; the VMA ends up STACK_EXPAND_PAGES pages longer
 * (setup_arg_pages' expand_stack)
 */
function shift_arg_pages(k: Kernel, mm: MmStruct, old: Vma): Vma {
  return called(k, 'shift_arg_pages', () => {
    const nr = old.nrPages + STACK_EXPAND_PAGES;
    const stack = vma_alloc(k, 'stack', STACK_TOP_VPN - nr, nr, false);
    stack.anonVma = old.anonVma;
    called(k, 'move_page_tables', () => {
      const key = pte_table_key(stack.start + nr - 1);
      if (!mm.pteTables.has(key)) mm.pteTables.set(key, pte_alloc_one(k));
      for (let i = 0; i < old.nrPages; i++) {
        stack.pfn[STACK_EXPAND_PAGES + i] = old.pfn[i];
        stack.pte[STACK_EXPAND_PAGES + i] = old.pte[i];
      }
    });
    mm.vmas[mm.vmas.indexOf(old)] = stack;
    vm_area_free(k, old);
    lru_add_drain(k);
    const tlb = tlb_gather_mmu(false);
    called(k, 'free_pgd_range', () => free_pgtables(k, tlb, mm, []));
    tlb_finish_mmu(k, tlb);
    return stack;
  });
}

/**
 * load_elf_binary() from begin_new_exec() on (6.12 fs/binfmt_elf.c:819; 6.1 :850; both elf_load()): exec_mmap, the
 * stack, the segments, the bss and its padzero() fault, the vDSO
 */
function load_elf_binary(k: Kernel, task: Task, mm: MmStruct, stack: Vma, elf: ElfImage): void {
  called(k, 'begin_new_exec', () =>
    called(k, 'exec_mmap', () => {
      const old = task.mm;
      task.mm = mm;
      if (old) called(k, 'mmput', () => exit_mmap(k, old));
    }),
  );
  called(k, 'setup_arg_pages', () => shift_arg_pages(k, mm, stack));
  for (const seg of elf.segments) {
    const vma = vma_alloc(k, seg.name, seg.vpn, seg.to - seg.from + 1, false, elf.file, seg.from);
    mm.vmas.push(vma);
    if (!seg.bss) continue;
    // set_brk() -> vm_brk_flags(): the anonymous rest of the segment, right after its file pages
    mm.vmas.push(vma_alloc(k, `${seg.name}.bss`, seg.vpn + vma.nrPages, seg.bss, false));
    // padzero(): clear_user() of the last file page's tail, a write fault on a private file page
    if (seg.writable) called(k, 'padzero', () => handle_mm_fault(k, mm, vma, vma.nrPages - 1, true));
  }
  called(k, 'arch_setup_additional_pages', () => map_vdso(k, mm, (n) => get_unmapped_area(mm, n)));
}

/**
 * execve() of a path that does not exist (a shell's PATH search): where the profile builds the mm
 * before opening the file (6.1: alloc_bprm -> bprm_mm_init, the strings copied, then bprm_execve's
 * do_open_execat fails), free_bprm() -> mmput() drops the new mm and its argument page; 6.12 opens
 * the file first and fails before any page is touched
 */
export function execve_enoent(k: Kernel, strings: number): void {
  if (k.profile.facts.execOpensFileFirst) return;
  called(k, 'do_execveat_common', () => {
    const mm = called(k, 'bprm_mm_init', () => mm_alloc());
    const stack = vma_alloc(k, 'stack', STACK_TOP_MAX_VPN - 1, 1, false);
    mm.vmas.push(stack);
    for (let i = 0; i < strings; i++) copy_string(k, mm, stack);
    called(k, 'free_bprm', () => called(k, 'mmput', () => exit_mmap(k, mm)));
  });
}

/**
 * bprm_execve() for `task` (6.12 fs/exec.c:1878; 6.1 :1849): a kernel thread (no mm: kernel_init's
 * run_init_process) or a forked process; afterwards the task runs in the new mm
 */
export function bprm_execve(k: Kernel, task: Task, req: ExecRequest): void {
  called(k, 'bprm_execve', () => {
    const mm = called(k, 'bprm_mm_init', () => mm_alloc());
    const stack = vma_alloc(k, 'stack', STACK_TOP_MAX_VPN - 1, 1, false);
    mm.vmas.push(stack);
    for (let i = 0; i < req.strings; i++) copy_string(k, mm, stack);
    // sched_exec() (6.12 fs/exec.c:1895; 6.1 :1867): the CPU the rest of the exec, and the program, run on
    if (req.cpu !== undefined) task.cpu = k.tracer.ctx.cpu = req.cpu;
    called(k, 'exec_binprm', () => {
      called(k, 'prepare_binprm', () => kernel_read(k, req.file, 0));
      if (req.scriptStrings !== undefined) {
        called(k, 'load_script', () => {
          for (let i = 0; i < req.scriptStrings!; i++) copy_string(k, mm, stack);
        });
        called(k, 'prepare_binprm', () => kernel_read(k, req.elf.file, 0));
      }
      called(k, 'load_elf_binary', () => {
        called(k, 'elf_read', () => kernel_read(k, req.elf.file, ELF64_EHDR_SIZE));
        load_elf_binary(k, task, mm, stack, req.elf);
      });
    });
  });
}
