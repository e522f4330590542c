/**
 * The mainline profile's page-flags data, reconstructed. No mainline tree newer than 6.12 can be
 * read here (the stored copies of torvalds/linux hold only old page-flags.h versions), so the
 * generator takes Debian's 6.12.117 headers and applies the changes that mainline at 53fbef56e07d
 * (6.18 merge window) made, as documented in ../shared/reference/kernel-page-descriptor-facts.md
 * §3.1, §3.3, §4.3, §4.4 and §5 ([ML] columns, read from include/linux/page-flags.h and
 * include/trace/events/mmflags.h at that commit), then indexes the result like any tree.
 * Line numbers of the result are those of the edited 6.12 text, not mainline's, so the generated
 * profile records line 0 ("unknown") everywhere.
 */
import type { PageFlagsHeader } from '../../kernel/profiles/types.js';
import { indexPageFlagsHeader, type HeaderSources } from './index.js';

export const MAINLINE_COMMIT = '53fbef56e07d';

interface Edit {
  readonly file: 'pageFlagsH' | 'mmflagsH';
  readonly why: string;
  readonly find: string;
  readonly replace: string;
}

const EDITS: readonly Edit[] = [
  {
    file: 'pageFlagsH',
    why: 'PG_dropbehind after PG_unevictable (6.14, "mm: add PG_dropbehind folio flag")',
    find: '\tPG_unevictable,\t\t/* Page is "unevictable"  */\n',
    replace:
      '\tPG_unevictable,\t\t/* Page is "unevictable"  */\n\tPG_dropbehind,\t\t/* drop pages on IO completion */\n',
  },
  {
    file: 'pageFlagsH',
    why: 'PG_isolated removed; PG_movable_ops = PG_uptodate and PG_movable_ops_isolated = PG_reclaim (CONFIG_MIGRATION)',
    find: '\t/* non-lru isolated movable page */\n\tPG_isolated = PG_reclaim,\n',
    replace:
      '#ifdef CONFIG_MIGRATION\n\tPG_movable_ops = PG_uptodate,\n\tPG_movable_ops_isolated = PG_reclaim,\n#endif\n',
  },
  {
    file: 'pageFlagsH',
    why: 'mappedtodisk became a folio-only flag: FOLIO_FLAG(mappedtodisk, FOLIO_HEAD_PAGE)',
    find: 'PAGEFLAG(MappedToDisk, mappedtodisk, PF_NO_TAIL)\n',
    replace: 'FOLIO_FLAG(mappedtodisk, FOLIO_HEAD_PAGE)\n',
  },
  {
    file: 'pageFlagsH',
    why: 'FOLIO_FLAG(dropbehind) + FOLIO_TEST_CLEAR_FLAG + __FOLIO_SET_FLAG after readahead',
    find: '\tFOLIO_TEST_CLEAR_FLAG(readahead, FOLIO_HEAD_PAGE)\n',
    replace:
      '\tFOLIO_TEST_CLEAR_FLAG(readahead, FOLIO_HEAD_PAGE)\n\nFOLIO_FLAG(dropbehind, FOLIO_HEAD_PAGE)\n' +
      '\tFOLIO_TEST_CLEAR_FLAG(dropbehind, FOLIO_HEAD_PAGE)\n\t__FOLIO_SET_FLAG(dropbehind, FOLIO_HEAD_PAGE)\n',
  },
  {
    file: 'pageFlagsH',
    why: 'has_hwpoisoned: FOLIO_FLAG(has_hwpoisoned, FOLIO_SECOND_PAGE), else FOLIO_FLAG_FALSE',
    find: 'PAGEFLAG(HasHWPoisoned, has_hwpoisoned, PF_SECOND)\n\tTESTSCFLAG(HasHWPoisoned, has_hwpoisoned, PF_SECOND)\n',
    replace: 'FOLIO_FLAG(has_hwpoisoned, FOLIO_SECOND_PAGE)\n',
  },
  {
    file: 'pageFlagsH',
    why: 'the !CONFIG_MEMORY_FAILURE branch of has_hwpoisoned',
    find: 'PAGEFLAG_FALSE(HasHWPoisoned, has_hwpoisoned)\n\tTESTSCFLAG_FALSE(HasHWPoisoned, has_hwpoisoned)\n',
    replace: 'FOLIO_FLAG_FALSE(has_hwpoisoned)\n',
  },
  {
    file: 'pageFlagsH',
    why: 'PageIsolated removed; TESTPAGEFLAG/SETPAGEFLAG(MovableOps) and PAGEFLAG(MovableOpsIsolated), PF_NO_TAIL, CONFIG_MIGRATION',
    find: 'PAGEFLAG(Isolated, isolated, PF_ANY);\n',
    replace:
      '#ifdef CONFIG_MIGRATION\nTESTPAGEFLAG(MovableOps, movable_ops, PF_NO_TAIL);\nSETPAGEFLAG(MovableOps, movable_ops, PF_NO_TAIL);\n' +
      'PAGEFLAG(MovableOpsIsolated, movable_ops_isolated, PF_NO_TAIL);\n#else\nTESTPAGEFLAG_FALSE(MovableOps, movable_ops);\n' +
      'SETPAGEFLAG_NOOP(MovableOps, movable_ops);\nPAGEFLAG_FALSE(MovableOpsIsolated, movable_ops_isolated);\n#endif\n',
  },
  {
    file: 'pageFlagsH',
    why: 'PGTY_large_kmalloc = 0xf8',
    find: '\tPGTY_mapcount_underflow = 0xff\n',
    replace: '\tPGTY_large_kmalloc\t= 0xf8,\n\tPGTY_mapcount_underflow = 0xff\n',
  },
  {
    file: 'pageFlagsH',
    why: 'PAGE_MAPPING_MOVABLE gone with __folio_test_movable and __PageMovable (movable_ops pages have PG_movable_ops)',
    find:
      'static __always_inline bool __folio_test_movable(const struct folio *folio)\n{\n' +
      '\treturn ((unsigned long)folio->mapping & PAGE_MAPPING_FLAGS) ==\n\t\t\tPAGE_MAPPING_MOVABLE;\n}\n\n' +
      'static __always_inline bool __PageMovable(const struct page *page)\n{\n' +
      '\treturn ((unsigned long)page->mapping & PAGE_MAPPING_FLAGS) ==\n\t\t\t\tPAGE_MAPPING_MOVABLE;\n}\n\n',
    replace: '',
  },
  {
    file: 'pageFlagsH',
    why: 'FOLIO_TYPE_OPS(large_kmalloc, large_kmalloc)',
    find: 'FOLIO_TYPE_OPS(slab, slab)\n',
    replace: 'FOLIO_TYPE_OPS(slab, slab)\nFOLIO_TYPE_OPS(large_kmalloc, large_kmalloc)\n',
  },
  {
    file: 'mmflagsH',
    why: 'DEF_PAGEFLAG_NAME(dropbehind) right after unevictable',
    find: '\tDEF_PAGEFLAG_NAME(unevictable)\t\t\t\t\t\\\n',
    replace: '\tDEF_PAGEFLAG_NAME(unevictable)\t\t\t\t\t\\\n\tDEF_PAGEFLAG_NAME(dropbehind)\t\t\t\t\t\\\n',
  },
];

/** 6.12's headers with mainline's changes applied; throws if a 6.12 text no longer matches. */
export function reconstructMainlineHeaders(v6_12: HeaderSources): HeaderSources {
  const text = { pageFlagsH: v6_12.pageFlagsH, mmflagsH: v6_12.mmflagsH };
  for (const e of EDITS) {
    const n = text[e.file].split(e.find).length - 1;
    if (n !== 1)
      throw new Error(`mainline reconstruction: "${e.why}": expected 1 match in ${e.file}, found ${n}`);
    text[e.file] = text[e.file].replace(e.find, e.replace);
  }
  return {
    ...v6_12,
    ...text,
    source: `reconstructed mainline ${MAINLINE_COMMIT} (${v6_12.source} + ${EDITS.length} documented changes)`,
  };
}

/** The mainline PageFlagsHeader: indexed from the reconstruction, every line number 0 (unknown). */
export function indexMainlineHeader(v6_12: HeaderSources): PageFlagsHeader {
  const h = indexPageFlagsHeader(reconstructMainlineHeaders(v6_12));
  const noLine = <T extends { line: number }>(x: T): T => ({ ...x, line: 0 });
  return {
    ...h,
    pageflags: h.pageflags.map(noLine),
    aliases: h.aliases.map(noLine),
    accessors: h.accessors.map((a) => ({ ...a, invocation: { ...a.invocation, line: 0 } })),
    handWritten: h.handWritten.map(noLine),
    pageTypes: h.pageTypes.map(noLine),
  };
}

export const MAINLINE_EDITS = EDITS.map((e) => e.why);
