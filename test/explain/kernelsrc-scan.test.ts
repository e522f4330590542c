import { describe, expect, it } from 'vitest';
import { indexPageFlagsHeader } from '../../src/explain/kernelsrc/index.js';
import { scanFile } from '../../src/explain/kernelsrc/scan.js';

// A miniature page-flags.h in the 6.12 style, to pin down scanner and expansion rules.
const PAGE_FLAGS_H = `#ifndef PAGE_FLAGS_H
#define PAGE_FLAGS_H
enum pageflags {
	PG_locked, /* comment */
#if defined(CONFIG_A)
	PG_a,
#elif CONFIG_N > 2
	PG_n,
#else
	PG_other,
#endif
	__NR_PAGEFLAGS,
	PG_alias = PG_locked,
};
#define FOLIO_HEAD_PAGE 0
#define PF_ANY(page, enforce) page
#define FOLIO_PF_ANY 0
#define FOLIO_TEST_FLAG(name, page) \\
static __always_inline bool folio_test_##name(const struct folio *folio) \\
{ return test_bit(PG_##name, const_folio_flags(folio, page)); }
#define TESTPAGEFLAG(uname, lname, policy) FOLIO_TEST_FLAG(lname, FOLIO_##policy) \\
static __always_inline int Page##uname(const struct page *page) \\
{ return test_bit(PG_##lname, &policy(page, 0)->flags); }
TESTPAGEFLAG(Locked, locked, PF_ANY) FOLIO_TEST_FLAG(a,
	FOLIO_HEAD_PAGE);
static inline bool PageHead(const struct page *page)
{
	return 0;
}
enum pagetype { PGTY_buddy = 0xf0 };
#endif
`;
const MMFLAGS_H = `#define DEF_PAGEFLAG_NAME(_name) { 1UL << PG_##_name, __stringify(_name) }
#ifdef CONFIG_A
#define IF_HAVE_PG_A(_name) ,{1UL << PG_##_name, __stringify(_name)}
#else
#define IF_HAVE_PG_A(_name)
#endif
#define __def_pageflag_names DEF_PAGEFLAG_NAME(locked) \\
IF_HAVE_PG_A(a)
`;

describe('kernelsrc scanner on a miniature header', () => {
  const h = indexPageFlagsHeader({ pageFlagsH: PAGE_FLAGS_H, mmflagsH: MMFLAGS_H, source: 'mini' });

  it('normalises #if/#elif/#else into conditions and drops the include guard', () => {
    expect(h.pageflags.map((m) => [m.name, m.line, m.cond])).toEqual([
      ['locked', 4, []],
      ['a', 6, ['defined(CONFIG_A)']],
      ['n', 8, ['!defined(CONFIG_A)', 'CONFIG_N > 2']],
      ['other', 10, ['!defined(CONFIG_A)', '!(CONFIG_N > 2)']],
    ]);
    expect(h.aliases).toEqual([{ name: 'alias', of: 'locked', line: 13, cond: [] }]);
  });

  it('finds several invocations per line, continued over lines, and expands them', () => {
    expect(h.accessors.map((a) => [a.name, a.invocation.line, a.invocation.text, a.chain.join('>')])).toEqual(
      [
        ['folio_test_locked', 24, 'TESTPAGEFLAG(Locked, locked, PF_ANY)', 'TESTPAGEFLAG>FOLIO_TEST_FLAG'],
        ['PageLocked', 24, 'TESTPAGEFLAG(Locked, locked, PF_ANY)', 'TESTPAGEFLAG'],
        ['folio_test_a', 24, 'FOLIO_TEST_FLAG(a, FOLIO_HEAD_PAGE)', 'FOLIO_TEST_FLAG'],
      ],
    );
    expect(h.accessors[1]).toMatchObject({ policy: 'PF_ANY', enforce: 0, template: 'Page##uname' });
    expect(h.accessors[2]).toMatchObject({ folioPage: 0, template: 'folio_test_##name' });
  });

  it('records hand-written accessors, page types and the conditional name table', () => {
    expect(h.handWritten).toEqual([{ name: 'PageHead', line: 26, cond: [], kind: 'function' }]);
    expect(h.pageTypes).toEqual([{ name: 'buddy', value: 0xf0, line: 30, cond: [] }]);
    expect(h.flagNames).toEqual([
      { flag: 'locked', name: 'locked', cond: [] },
      { flag: 'a', name: 'a', cond: ['defined(CONFIG_A)'] },
    ]);
  });

  it('names file and line on bad input', () => {
    expect(() => scanFile('#if X\n#elif\n#endif\n#endif\n', 'f.h')).toThrow('f.h:4: #endif without #if');
    const broken = PAGE_FLAGS_H.replace(
      'TESTPAGEFLAG(Locked, locked, PF_ANY)',
      'TESTPAGEFLAG(Locked, locked)',
    );
    expect(() => indexPageFlagsHeader({ pageFlagsH: broken, mmflagsH: MMFLAGS_H, source: 'x' })).toThrow(
      'include/linux/page-flags.h:24: TESTPAGEFLAG(Locked, locked)',
    );
  });
});
