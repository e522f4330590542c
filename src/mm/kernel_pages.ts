/**
 * A stand-in for the kernel's own page allocations that a trace without stacks cannot attribute:
 * slab pages (SLUB's new slabs and their release), vmalloc'd kernel stacks, the page-table levels
 * above the PTE, per-CPU and ring-buffer pages. Each shows as page_ref_set val=1 (alloc_pages:
 * UNMOVABLE, order 0, or a __GFP_COMP block whose head the last put shows with PG_head) and, when
 * freed, a put to 0; nothing in between. The model does not know who allocates them or why: a
 * scenario allocates and frees them where a real trace shows them, by count.
 */
import type { Kernel } from '../kernel/kernel.js';
import type { Pfn } from '../kernel/mem_map.js';
import { MIGRATE_UNMOVABLE, __free_pages, alloc_pages, type AllocOptions } from './page_alloc.js';
import { called } from './stack.js';

const ORDER0: AllocOptions = { migratetype: MIGRATE_UNMOVABLE };
const COMPOUND: AllocOptions = { migratetype: MIGRATE_UNMOVABLE, comp: true };

/** a pool of such pages, allocated in order, freed oldest first */
export interface KernelPages {
  readonly pfns: Pfn[];
  readonly orders: number[];
}

/** `n` allocations of 2^order pages (order > 0: compound, as slab and large kmalloc blocks are) */
export function kernel_pages_alloc(k: Kernel, pool: KernelPages, n: number, order: number): void {
  called(k, 'kernel_pages_alloc', () => {
    for (let i = 0; i < n; i++) {
      pool.pfns.push(alloc_pages(k, order, order ? COMPOUND : ORDER0));
      pool.orders.push(order);
    }
  });
}

/** the oldest `n` of the pool freed (__free_pages: the put to 0) */
export function kernel_pages_free(k: Kernel, pool: KernelPages, n: number): void {
  if (n > pool.pfns.length)
    throw new RangeError(`kernel_pages_free: ${n} pages asked, ${pool.pfns.length} held`);
  called(k, 'kernel_pages_free', () => {
    for (let i = 0; i < n; i++) __free_pages(k, pool.pfns.shift()!, pool.orders.shift()!);
  });
}
