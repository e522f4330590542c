/**
 * VM_BUG_ON_PAGE / VM_BUG_ON_FOLIO / VM_BUG_ON (include/linux/mmdebug.h): with CONFIG_DEBUG_VM
 * the kernel prints dump_page(page, "VM_BUG_ON_PAGE(" #cond ")") and then BUG()s. The model
 * throws a VmBug carrying the same text. Without CONFIG_DEBUG_VM (the Kernel's debugVm off) the
 * kernel compiles the checks out, condition and all: per-page paths test `k.debugVm` before
 * calling, so that an untraced run does not evaluate the condition and its arguments.
 */
import type { Kernel } from './kernel.js';
import type { Pfn } from './mem_map.js';
import { dump_page } from './dump_page.js';

export class VmBug extends Error {
  override readonly name = 'VmBug';
  constructor(
    /** 'VM_BUG_ON_PAGE(PageTail(page))' */
    readonly condition: string,
    readonly pfn: Pfn | undefined,
    /** the dump_page() text, empty for plain VM_BUG_ON */
    readonly dump: string,
    /** where the kernel's BUG() would point: 'include/linux/page-flags.h:512' */
    readonly location: string,
  ) {
    super(`${dump}${dump ? '\n' : ''}kernel BUG at ${location}!\n(${condition})`);
  }
}

/** VM_BUG_ON_PAGE(cond, page): `cond` is the C text of the condition. */
export function VM_BUG_ON_PAGE(k: Kernel, bad: boolean, cond: string, page: Pfn, location: string): void {
  if (bad && k.debugVm) throw vmBugDump(k, 'VM_BUG_ON_PAGE', cond, page, location);
}

/** VM_BUG_ON_FOLIO(cond, folio): dump_page(&folio->page, ...) */
export function VM_BUG_ON_FOLIO(k: Kernel, bad: boolean, cond: string, folio: Pfn, location: string): void {
  if (bad && k.debugVm) throw vmBugDump(k, 'VM_BUG_ON_FOLIO', cond, folio, location);
}

export function VM_BUG_ON(k: Kernel, bad: boolean, cond: string, location: string): void {
  if (bad && k.debugVm) throw new VmBug(`VM_BUG_ON(${cond})`, undefined, '', location);
}

/** the VmBug of a VM_BUG_ON_PAGE/FOLIO, built out of line so that the checks stay small to inline */
function vmBugDump(k: Kernel, macro: string, cond: string, page: Pfn, location: string): VmBug {
  const why = `${macro}(${cond})`;
  return new VmBug(why, page, dump_page(k, page, why), location);
}
