/**
 * The seven page_ref tracepoints (include/trace/events/page_ref.h, mm/debug_page_ref.c; identical in
 * 6.1 and 6.12) and the record one event carries. The same record type is produced by the model's
 * page_ref API and by the trace readers, so analyses cannot tell a simulated trace from a real one.
 */

/** Event ids, in the order of include/trace/events/page_ref.h. */
export const PageRefType = {
  set: 0,
  mod: 1,
  mod_and_test: 2,
  mod_and_return: 3,
  mod_unless: 4,
  freeze: 5,
  unfreeze: 6,
} as const;
export type PageRefType = (typeof PageRefType)[keyof typeof PageRefType];

export const PAGE_REF_EVENT_NAMES = [
  'page_ref_set',
  'page_ref_mod',
  'page_ref_mod_and_test',
  'page_ref_mod_and_return',
  'page_ref_mod_unless',
  'page_ref_freeze',
  'page_ref_unfreeze',
] as const;
export type PageRefEventName = (typeof PAGE_REF_EVENT_NAMES)[number];

/**
 * page_ref_mod_template (set, mod, unfreeze) prints no `ret`; page_ref_mod_and_test_template
 * (mod_and_test, mod_and_return, mod_unless, freeze) appends `ret=%d`.
 */
export function pageRefHasRet(type: PageRefType): boolean {
  return type >= PageRefType.mod_and_test && type <= PageRefType.freeze;
}

export function pageRefTypeFromName(name: string): PageRefType | undefined {
  const i = (PAGE_REF_EVENT_NAMES as readonly string[]).indexOf(name);
  return i < 0 ? undefined : (i as PageRefType);
}

/**
 * TP_STRUCT__entry of both classes: pfn, flags, count, mapcount, mapping, mt, val[, ret].
 * `flags` is the full page->flags word as two u32 halves (the text format prints only
 * `flags & PAGEFLAGS_MASK`, so readers of text fill flagsHi with 0). `mapping` is the model's
 * mapping id with the PAGE_MAPPING_* tag bits in its low 2 bits (0 = NULL); readers of text keep
 * the printed pointer separately.
 */
export interface PageRefRecord {
  type: PageRefType;
  pfn: number;
  flagsLo: number;
  flagsHi: number;
  count: number;
  mapcount: number;
  mapping: number;
  mt: number;
  val: number;
  /** 0 for the events whose class has no ret */
  ret: number;
}

/** Where and when an event fired: the ftrace context columns. */
export interface TraceContext {
  comm: string;
  pid: number;
  tgid: number;
  cpu: number;
  /** 5-char irq-info field, e.g. '.....' or 'd..1.' */
  irqInfo: string;
  /** nanoseconds since boot */
  timestampNs: number;
}
