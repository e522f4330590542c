/**
 * The vm_event counters of /proc/vmstat that the model's paths bump (include/linux/vm_event_item.h,
 * mm/vmstat.c count_vm_event), named as /proc/vmstat prints them, so a run can be compared with the
 * vmstat-start.txt / vmstat.txt difference of a real trace.
 */
import type { Kernel } from '../kernel/kernel.js';

export type VmEvent =
  | 'thp_fault_alloc'
  | 'thp_split_pmd'
  | 'thp_deferred_split_page'
  | 'thp_split_page'
  | 'thp_split_page_failed';

const counters = new WeakMap<Kernel, Map<VmEvent, number>>();

export function count_vm_event(k: Kernel, item: VmEvent): void {
  let c = counters.get(k);
  if (!c) counters.set(k, (c = new Map()));
  c.set(item, (c.get(item) ?? 0) + 1);
}

/** the counters bumped so far, by name (the ones never bumped are absent) */
export function vm_events(k: Kernel): ReadonlyMap<VmEvent, number> {
  return counters.get(k) ?? new Map();
}
