/**
 * Typed result of parsing dump_page() text (mm/debug.c __dump_page / __dump_folio, 6.1 and 6.12,
 * plus the 5.x layouts that share the 6.1 line shapes). Values are kept as printed; numbers that
 * can exceed 2^53 are bigint.
 */
import type { ProfileName } from '../kernel/profiles/types.js';

/** Which mm/debug.c layout a block follows. */
export type DumpPageLayout =
  | '6.1' // page:%p refcount:… / head:%p order:… compound_mapcount:… (5.x-6.1 family)
  | '6.12' // page: refcount:… / head: order:… entire_mapcount:… nr_pages_mapped:…
  | 'poisoned'; // page:%p is uninitialized and poisoned

/** `%pGp` (lib/vsprintf.c format_page_flags): `0x<word>(names|section=|node=|zone=|lastcpupid=|kasantag=)`. */
export interface DumpPageFlags {
  /** '' | 'anon' | 'ksm' (the %s before "flags:") */
  readonly prefix: '' | 'anon' | 'ksm';
  readonly word: bigint;
  /** PG_ names as printed, in print order */
  readonly names: readonly string[];
  /** `0x…` leftovers format_flags() prints for bits without a name */
  readonly unnamed: readonly bigint[];
  /** section/node/zone/lastcpupid/kasantag as printed (decimal or hex) */
  readonly fields: Readonly<Record<string, number>>;
  /** " CMA" suffix: the pageblock is MIGRATE_CMA */
  readonly cma: boolean;
}

/** The compound/folio line. 6.1: head:%p order compound_mapcount compound_pincount; 6.12: head: order mapcount entire_mapcount nr_pages_mapped pincount. */
export interface DumpPageHead {
  readonly pointer?: string;
  readonly order: number;
  /** every key:value of the line, as numbers */
  readonly values: Readonly<Record<string, number>>;
}

export interface DumpPageReason {
  readonly text: string;
  /** VM_BUG_ON_PAGE / VM_BUG_ON_FOLIO / VM_WARN_ON_* (include/linux/mmdebug.h) and its stringified condition */
  readonly macro?: string;
  readonly condition?: string;
}

export interface DumpPageBlock {
  readonly layout: DumpPageLayout;
  /** 1-based line numbers of every line that belongs to the block, by role */
  readonly lines: Readonly<Record<string, number[]>>;
  readonly firstLine: number;
  readonly lastLine: number;
  /** 6.1 / poisoned: the %p page pointer (hashed unless no_hash_pointers) */
  readonly pagePointer?: string;
  readonly refcount?: number;
  /** 6.1: page_mapcount() (0 for slab); 6.12: raw _mapcount + 1, 0 for typed pages */
  readonly mapcount?: number;
  readonly mapping?: string;
  readonly index?: bigint;
  readonly pfn?: bigint;
  /** key:value pairs of the first line not listed above (older kernels: compound_mapcount, count) */
  readonly extra: Readonly<Record<string, string>>;
  readonly head?: DumpPageHead;
  readonly memcg?: bigint;
  /** dump_mapping() lines (fs/inode.c): aops:… ino:… dentry name … */
  readonly mappingInfo: readonly string[];
  readonly flags?: DumpPageFlags;
  /** 6.12 `page_type: %x(%s)`: the top byte and its name; 6.9-era `%pGt` prints the whole word */
  readonly pageType?: { readonly value: number; readonly name: string };
  readonly raw: readonly bigint[];
  /** 6.1: 4 words (the head page); 6.12: 8 words (head and second page of the folio) */
  readonly headRaw: readonly bigint[];
  /** 6.12: "page does not match folio" was printed before the block */
  readonly doesNotMatchFolio: boolean;
  readonly reason?: DumpPageReason;
  readonly profileGuess: ProfileGuess;
}

export interface ProfileGuess {
  /** undefined when the evidence is absent or contradictory */
  readonly profile?: ProfileName;
  readonly evidence: readonly string[];
}

export interface DumpPageLine {
  readonly line: number;
  readonly text: string;
}

export interface DumpPageError extends DumpPageLine {
  readonly message: string;
}

export interface DumpPageParseResult {
  readonly blocks: readonly DumpPageBlock[];
  /** input lines that belong to no block (never dropped silently) */
  readonly unassigned: readonly DumpPageLine[];
  /** lines that look like dump_page output but do not follow its format */
  readonly errors: readonly DumpPageError[];
}
