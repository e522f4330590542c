/**
 * The config options the page-descriptor layer depends on, as Debian's amd64 kernels set them
 * (linux-config-6.1 / linux-config-6.12, config.amd64_none_amd64). A test compares these with the
 * real files. Only options referenced by page-flags.h, mmflags.h, page-flags-layout.h, mmzone.h
 * and kernel/bounds.c are listed; an option absent here is off.
 */
import type { ProfileName } from './types.js';

type ConfigRecord = Readonly<Record<string, string>>;

const common: ConfigRecord = {
  CONFIG_64BIT: 'y',
  CONFIG_X86: 'y',
  CONFIG_MMU: 'y',
  CONFIG_SMP: 'y',
  CONFIG_NUMA: 'y',
  CONFIG_SPARSEMEM: 'y',
  CONFIG_SPARSEMEM_VMEMMAP: 'y',
  CONFIG_ZONE_DMA: 'y',
  CONFIG_ZONE_DMA32: 'y',
  CONFIG_ZONE_DEVICE: 'y',
  CONFIG_MEMORY_HOTPLUG: 'y',
  CONFIG_MEMORY_FAILURE: 'y',
  CONFIG_MEMORY_ISOLATION: 'y',
  CONFIG_MIGRATION: 'y',
  CONFIG_COMPACTION: 'y',
  CONFIG_TRANSPARENT_HUGEPAGE: 'y',
  CONFIG_HUGETLB_PAGE: 'y',
  CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP: 'y',
  CONFIG_KSM: 'y',
  CONFIG_SWAP: 'y',
  CONFIG_MEMCG: 'y',
  CONFIG_LRU_GEN: 'y',
  CONFIG_NUMA_BALANCING: 'y',
  CONFIG_MEM_SOFT_DIRTY: 'y',
  CONFIG_NODES_SHIFT: '10',
  CONFIG_NR_CPUS: '8192',
  CONFIG_ILLEGAL_POINTER_VALUE: '0xdead000000000000',
};

// 6.12: X86_PAT selects ARCH_USES_PG_ARCH_2; DAMON selects PAGE_IDLE_FLAG; MGLRU on by default, with
// its page-table walk (LRU_GEN_WALKS_MMU: ARCH_HAS_HW_PTE_YOUNG)
const v6_12: ConfigRecord = {
  ...common,
  CONFIG_ARCH_USES_PG_ARCH_2: 'y',
  CONFIG_PAGE_IDLE_FLAG: 'y',
  CONFIG_SLAB_OBJ_EXT: 'y',
  CONFIG_LRU_GEN_ENABLED: 'y',
  CONFIG_LRU_GEN_WALKS_MMU: 'y',
};

export const DEBIAN_AMD64_CONFIG: Readonly<Record<ProfileName, ConfigRecord>> = {
  // X86_PAT selects ARCH_USES_PG_UNCACHED in 6.1; PAGE_IDLE_FLAG is off (no DAMON, no IDLE_PAGE_TRACKING)
  '6.1': { ...common, CONFIG_ARCH_USES_PG_UNCACHED: 'y' },
  '6.12': v6_12,
  // no Debian package for mainline: the 6.12 choices carried forward
  mainline: v6_12,
};
