/**
 * The model's machine: one mem_map, one resolved profile, the page_ref tracer, and the hook that
 * receives folios whose last reference is dropped (__folio_put -> the page allocator).
 */
import { dump_page } from './dump_page.js';
import { MemMap, type Pfn } from './mem_map.js';
import { loadProfile, type Profile } from './profiles/index.js';
import type { ProfileName } from './profiles/types.js';
import { Tracer } from './tracer.js';

export type FreeFolioHook = (k: Kernel, folio: Pfn) => void;

/** What dump_mapping() can say about a mapping id (fs/inode.c): the a_ops symbol, inode, name */
export interface MappingInfo {
  aops: string;
  ino: number;
  name: string;
}

export interface KernelOptions {
  profile: Profile | ProfileName;
  nrPages: number;
  /** CONFIG_DEBUG_PAGE_REF (default true) */
  debugPageRef?: boolean;
  /** CONFIG_DEBUG_VM: VM_BUG_ON* checks throw VmBug (default true; the kernel compiles them out when off) */
  debugVm?: boolean;
}

export class Kernel {
  readonly mem: MemMap;
  readonly profile: Profile;
  readonly tracer: Tracer;
  readonly debugVm: boolean;
  /** 1 << PG_head, the bit every compound test reads */
  readonly PG_head_mask: number;
  /** set by the page allocator; the model default only leaves the folio with refcount 0 */
  freeFolio: FreeFolioHook = () => {};
  private nextMappingId = 4;
  /** kernel functions on the model's current path, outermost first (the simulator's stack) */
  readonly callStack: string[] = [];
  /** address_space descriptions for dump_page(), by mapping id */
  readonly mappingInfo = new Map<number, MappingInfo>();
  /**
   * the simulator's per-machine state (mm/mm_cache.ts MmCache: zone, lruvec, per-CPU batches),
   * which kernel/ only holds so that a per-page path reaches it in one load
   */
  mm: unknown = undefined;

  constructor(opts: KernelOptions) {
    this.profile = typeof opts.profile === 'string' ? loadProfile(opts.profile) : opts.profile;
    this.mem = new MemMap(opts.nrPages);
    this.tracer = new Tracer(opts.debugPageRef ?? true);
    this.debugVm = opts.debugVm ?? true;
    const head = this.profile.bits.get('head');
    if (head === undefined) throw new Error(`profile ${this.profile.name} has no PG_head`);
    this.PG_head_mask = (1 << head) >>> 0;
  }

  /** dump_page(page, reason) */
  dumpPage(page: Pfn, reason?: string): string {
    return dump_page(this, page, reason);
  }

  /** A new anon_vma / address_space id: a multiple of 4, leaving the PAGE_MAPPING_* tag bits free. */
  allocMappingId(): number {
    const id = this.nextMappingId;
    this.nextMappingId += 4;
    return id;
  }
}
