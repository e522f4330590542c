/**
 * folioscope as a library: the same capabilities as the CLI, as typed ES modules.
 *   import { Kernel, page_ref_inc, dump_page, readTrace, summarize } from 'folioscope';
 */
// the model
export * from './kernel/tracepoint.js';
export type * from './kernel/profiles/types.js';
export { KernelConfig, evalCondition, evalConditions } from './kernel/profiles/config.js';
export {
  loadProfile,
  resolveProfile,
  isProfileName,
  PROFILE_NAMES,
  type Profile,
} from './kernel/profiles/index.js';
export { Kernel, type KernelOptions } from './kernel/kernel.js';
export { MemMap, type Pfn } from './kernel/mem_map.js';
export { Tracer, type PageRefListener } from './kernel/tracer.js';
export * from './kernel/page_ref.js';
export * from './kernel/mm_ref.js';
export * from './kernel/folio.js';
export { pageflags, callPageFlag, type PageFlagOps } from './kernel/page_flags.js';
export { page_has_type, page_type_name } from './kernel/page_type.js';
export { dump_page } from './kernel/dump_page.js';
export { VmBug } from './kernel/vm_bug.js';
export { show_page_flags, format_page_flags, parse_page_flags } from './kernel/flag_names.js';
export { formatPageRefLine, formatTraceHeader, type TraceFormatOptions } from './kernel/trace_format.js';
// traces and analyses
export { readTrace, type TraceReadResult, type ReadOptions } from './trace/reader.js';
export { summarize, formatSummary, type TraceSummary } from './analysis/summary.js';
// decoders and the kernel-tree indexer
export { decodeKpageflags } from './explain/kpageflags.js';
export { parseDumpPage } from './explain/dumppage-parse.js';
export { explainDumpPage } from './explain/dumppage-explain.js';
export { indexPageFlagsHeader } from './explain/kernelsrc/index.js';
// the demo story
export { runForkCowDemo, formatDemo } from './scenario/demo.js';
