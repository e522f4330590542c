/**
 * What a page-flags.h accessor does, in words: the bit operation and the struct page it reaches,
 * the PF_* policy check it carries, the page_type arithmetic of the type accessors. The texts
 * follow include/linux/page-flags.h of 6.1 and 6.12 (PF_* at 6.1:350-367 / 6.12:346-359,
 * folio_flags() at 6.12:314-321, PageType/PAGE_TYPE_OPS at 6.1:951-974, FOLIO_TYPE_OPS/PAGE_TYPE_OPS at 6.12:970-1012).
 */
import type { Accessor, PageFlagsHeader } from '../kernel/profiles/types.js';

export interface PolicyInfo {
  /** 'PF_NO_TAIL', or on the folio side the FOLIO_* page index ('FOLIO_HEAD_PAGE', 'FOLIO_PF_HEAD') */
  readonly name: string;
  /** the struct page whose flags word is used */
  readonly page: string;
  /** the VM_BUG_ON_PGFLAGS checks (compiled only with CONFIG_DEBUG_VM_PGFLAGS) */
  readonly checks: string;
}

const BIT_OPS: Readonly<Record<string, string>> = {
  test: 'test_bit',
  set: 'set_bit',
  clear: 'clear_bit',
  __set: '__set_bit',
  __clear: '__clear_bit',
  test_set: 'test_and_set_bit',
  test_clear: 'test_and_clear_bit',
};

const POISONED = 'PF_POISONED_CHECK: VM_BUG_ON_PGFLAGS(PagePoisoned(page)), i.e. flags == -1';

/** PF_* macros: the page they return and their checks, with `enforce` substituted. */
function pagePolicy(policy: string, enforce: 0 | 1): PolicyInfo {
  switch (policy) {
    case 'PF_ANY':
      return { name: policy, page: 'the page itself', checks: POISONED };
    case 'PF_HEAD':
      return { name: policy, page: 'the head page (compound_head(page))', checks: `${POISONED} on the head` };
    case 'PF_ONLY_HEAD':
      return {
        name: policy,
        page: 'the page itself',
        checks: `VM_BUG_ON_PGFLAGS(PageTail(page)) even for tests; ${POISONED}`,
      };
    case 'PF_NO_TAIL':
      return {
        name: policy,
        page: 'the head page (compound_head(page))',
        checks: enforce
          ? `VM_BUG_ON_PGFLAGS(1 && PageTail(page)): modifying a tail page is a bug; ${POISONED} on the head`
          : `VM_BUG_ON_PGFLAGS(0 && PageTail(page)) never fires: tests on a tail page are redirected to the head; ${POISONED} on the head`,
      };
    case 'PF_NO_COMPOUND':
      return {
        name: policy,
        page: 'the page itself',
        checks: enforce
          ? `VM_BUG_ON_PGFLAGS(1 && PageCompound(page)): modifying any page of a compound page is a bug; ${POISONED}`
          : `VM_BUG_ON_PGFLAGS(0 && PageCompound(page)) never fires for tests; ${POISONED}`,
      };
    case 'PF_SECOND':
      return {
        name: policy,
        page: 'page[1], the first tail page of the head',
        checks: `VM_BUG_ON_PGFLAGS(!PageHead(page)) even for tests; ${POISONED} on page[1]`,
      };
    default:
      return { name: policy, page: 'unknown', checks: 'unknown policy' };
  }
}

/** folio_flags(folio, n) / const_folio_flags() */
function folioPolicy(a: Accessor): PolicyInfo {
  const n = a.folioPage ?? 0;
  const arg = a.invocation.args.find((x) => /^(PF_|FOLIO_)/.test(x));
  const name = arg === undefined ? `page ${n}` : arg.startsWith('PF_') ? `FOLIO_${arg}` : arg;
  const tail = 'VM_BUG_ON_PGFLAGS(the folio pointer is a tail page)';
  return n === 0
    ? { name, page: "the folio's head page (folio_flags(folio, 0))", checks: tail }
    : {
        name,
        page: `page[${n}] of the folio (folio_flags(folio, ${n}))`,
        checks: `${tail}; VM_BUG_ON_PGFLAGS(n > 0 && !test_bit(PG_head)): the folio must be large`,
      };
}

export function policyOf(a: Accessor): PolicyInfo | null {
  if (a.op.startsWith('type_') || a.op === 'false' || a.op === 'noop') return null;
  if (a.takes === 'page' && a.policy) return pagePolicy(a.policy, a.enforce ?? 0);
  return folioPolicy(a);
}

const hex = (v: number): string => `0x${(v >>> 0).toString(16)}`;

/** What the accessor tests or changes; `bit` is PG_<flag>'s number when the config fixes it. */
export function testsOf(a: Accessor, header: PageFlagsHeader, bit: string): string {
  const fn = a.takes === 'folio' ? 'folio' : 'page';
  if (a.op === 'false')
    return `always ${fn === 'folio' ? 'false' : '0'}: a stub, PG_${a.flag} is not built in`;
  if (a.op === 'noop') return `does nothing: a stub, PG_${a.flag} is not built in`;
  const bitop = BIT_OPS[a.op];
  if (bitop) return `${bitop}(PG_${a.flag}) in the flags of ${policyOf(a)?.page ?? 'the page'}${bit}`;
  const t = header.pageTypes.find((x) => x.name === a.flag);
  const v = t ? hex(t.value) : '?';
  const bug = fn === 'folio' ? 'VM_BUG_ON_FOLIO' : 'VM_BUG_ON_PAGE';
  if (header.pageTypeEncoding === 'top-byte') {
    const word = t ? ` (${hex(t.value * 2 ** 24)})` : '';
    if (a.op === 'type_test') return `page_type >> 24 == PGTY_${a.flag} (${v})`;
    if (a.op === 'type_set')
      return `page_type = PGTY_${a.flag} << 24${word}; returns early if already that type, else ${bug}(page_type != UINT_MAX)`;
    return `page_type = UINT_MAX (no type); returns early if already UINT_MAX, else ${bug} unless it was PGTY_${a.flag}`;
  }
  if (a.op === 'type_test')
    return `PageType(page, PG_${a.flag} ${v}): (page_type & (0xf0000000 | ${v})) == 0xf0000000`;
  if (a.op === 'type_set')
    return `page_type &= ~PG_${a.flag} (${v}) after VM_BUG_ON_PAGE(!PageType(page, 0))`;
  return `page_type |= PG_${a.flag} (${v}) after VM_BUG_ON_PAGE(!Page${a.invocation.args[0] ?? a.flag}(page))`;
}

/** Hand-written functions whose bodies are the same in 6.1 and 6.12 (page-flags.h). */
const HAND_WRITTEN: Readonly<Record<string, string>> = {
  PageHead: 'PF_POISONED_CHECK(page); test_bit(PG_head, &page->flags) && !page_is_fake_head(page)',
  folio_test_head: 'test_bit(PG_head) in the flags of the folio itself (folio_flags(folio, FOLIO_PF_ANY))',
  folio_test_large: 'folio_test_head(folio)',
  folio_test_uptodate: "test_bit(PG_uptodate) in the folio's head page flags, then smp_rmb() if set",
  folio_test_swapcache:
    "folio_test_swapbacked(folio) && test_bit(PG_swapcache) in the folio's head page flags",
  folio_test_anon: '((unsigned long)folio->mapping & PAGE_MAPPING_ANON) != 0',
  // the low bits of ->mapping tag anon (PAGE_MAPPING_ANON), KSM and non-LRU movable pages
  folio_mapping_flags: '((unsigned long)folio->mapping & PAGE_MAPPING_FLAGS) != 0',
  PageMappingFlags: '((unsigned long)page->mapping & PAGE_MAPPING_FLAGS) != 0',
  // a non-LRU movable page: its mapping points to the driver's movable_operations, tagged MOVABLE
  __folio_test_movable: '((unsigned long)folio->mapping & PAGE_MAPPING_FLAGS) == PAGE_MAPPING_MOVABLE',
  __PageMovable: '((unsigned long)page->mapping & PAGE_MAPPING_FLAGS) == PAGE_MAPPING_MOVABLE',
};

export function handWrittenTests(name: string, line: number): string {
  return HAND_WRITTEN[name] ?? `written out by hand: read its body at line ${line}`;
}
