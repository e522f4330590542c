/**
 * Indexes a kernel tree's include/linux/page-flags.h and include/trace/events/mmflags.h into a
 * `PageFlagsHeader` (src/kernel/profiles/types.ts), for any kernel version: nothing here knows
 * which flags or macros a version has; it reads them, and cpp rules, from the headers.
 */
import type { PageFlagsHeader } from '../../kernel/profiles/types.js';
import { MacroTable } from './expand.js';
import { flagNameTable } from './mmflags.js';
import { accessors, pageTypes, pageflagsEnum, scanFileLevel } from './pageflags.js';
import { scanFile, type MacroDef } from './scan.js';

export { ACCESSOR_NAME } from './pageflags.js';
export type { MacroDef } from './scan.js';

export interface HeaderSources {
  /** text of include/linux/page-flags.h */
  readonly pageFlagsH: string;
  /** text of include/trace/events/mmflags.h */
  readonly mmflagsH: string;
  /** what the texts come from, e.g. 'linux-source-6.12 6.12.117' */
  readonly source: string;
  /** file names used in errors and MacroDef.file */
  readonly pageFlagsPath?: string;
  readonly mmflagsPath?: string;
}

export interface HeaderIndex {
  readonly header: PageFlagsHeader;
  /** page-flags.h #defines by name (several when defined under different conditions) */
  readonly macros: ReadonlyMap<string, readonly MacroDef[]>;
}

export const PAGE_FLAGS_H = 'include/linux/page-flags.h';
export const MMFLAGS_H = 'include/trace/events/mmflags.h';

/** Full index: the header description plus the macro definitions (for printing expansion chains). */
export function indexHeaders(src: HeaderSources): HeaderIndex {
  const pfFile = src.pageFlagsPath ?? PAGE_FLAGS_H;
  const scanned = scanFile(src.pageFlagsH, pfFile);
  const macros = new MacroTable(scanned.macros);
  const level = scanFileLevel(scanned, macros);
  const flagsEnum = level.enums.get('pageflags');
  if (!flagsEnum) throw new Error(`${pfFile}: no enum pageflags`);
  const { pageflags, aliases } = pageflagsEnum(pfFile, flagsEnum);
  const types = pageTypes(pfFile, level.enums.get('pagetype'), scanned.macros);
  const header: PageFlagsHeader = {
    source: src.source,
    pageflags,
    aliases,
    flagNames: flagNameTable(scanFile(src.mmflagsH, src.mmflagsPath ?? MMFLAGS_H)),
    accessors: accessors(pfFile, level, macros),
    handWritten: level.handWritten,
    pageTypeEncoding: types.encoding,
    pageTypes: types.types,
  };
  return { header, macros: scanned.macros };
}

export function indexPageFlagsHeader(src: HeaderSources): PageFlagsHeader {
  return indexHeaders(src).header;
}
