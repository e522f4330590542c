/**
 * The flag and page-type accessors of include/linux/page-flags.h, built at run time from the
 * profile's accessor table the way the PAGEFLAG/FOLIO_FLAG/PAGE_TYPE_OPS macro families build them:
 * the same names per profile, the same bit, the same page reached through the same policy, and
 * the policy's VM_BUG_ON_PGFLAGS checks (enabled with the Kernel's debugVm, like
 * CONFIG_DEBUG_VM_PGFLAGS) throwing a VmBug with the dump_page() text. A few hand-written
 * functions of the header (PageHead, folio_test_uptodate, PageAnon ...) are added where the
 * profile's header has them.
 */
import type { Kernel } from './kernel.js';
import type { Pfn } from './mem_map.js';
import { PageCompound, PageHead, PageTail, compound_head, folio_test_anon, page_folio } from './folio.js';
import { page_type_is, page_type_word } from './page_type.js';
import type { Accessor, AccessorOp } from './profiles/types.js';
import { VM_BUG_ON_FOLIO, VM_BUG_ON_PAGE } from './vm_bug.js';

export type PageFlagFn = (page: Pfn) => boolean;
export type PageFlagOps = Readonly<Record<string, PageFlagFn>>;

const PAGE_FLAGS_H = 'include/linux/page-flags.h';
const cache = new WeakMap<Kernel, PageFlagOps>();

/** The accessors of k's profile, by name: `pageflags(k).folio_test_active(folio)`. */
export function pageflags(k: Kernel): PageFlagOps {
  let ops = cache.get(k);
  if (!ops) {
    ops = buildPageFlagOps(k);
    cache.set(k, ops);
  }
  return ops;
}

/** Calls an accessor by name, with a clear error when this profile has no such function. */
export function callPageFlag(k: Kernel, name: string, page: Pfn): boolean {
  const fn = pageflags(k)[name];
  if (!fn)
    throw new Error(
      `${name}() does not exist in Linux ${k.profile.facts.release} (profile ${k.profile.name})`,
    );
  return fn(page);
}

function buildPageFlagOps(k: Kernel): PageFlagOps {
  const ops = new Map<string, PageFlagFn>();
  for (const a of k.profile.accessors.values()) ops.set(a.name, buildAccessor(k, a));
  for (const h of k.profile.header.handWritten) {
    const build = HAND_WRITTEN[h.name];
    if (build && !ops.has(h.name)) ops.set(h.name, build(k));
  }
  // Object.fromEntries makes an object with fast properties; one filled by ops[name] = fn goes to
  // dictionary mode past 128 properties, and every f.folio_test_lru(folio) would then be a hash
  // lookup and a call the JIT cannot inline (measured: about 20x slower per call)
  return Object.fromEntries(ops);
}

function buildAccessor(k: Kernel, a: Accessor): PageFlagFn {
  const where = `${PAGE_FLAGS_H}:${a.invocation.line}`;
  const fn = a.name;
  if (a.op === 'false') return () => false;
  if (a.op === 'noop') return () => false;
  if (a.op === 'type_test' || a.op === 'type_set' || a.op === 'type_clear')
    return buildTypeAccessor(k, a, where);
  const bit = k.profile.bits.get(a.flag);
  if (bit === undefined) throw new Error(`${fn}: PG_${a.flag} does not exist in profile ${k.profile.name}`);
  const mask = (1 << bit) >>> 0;
  if (!k.debugVm) return buildUncheckedAccessor(k, a, a.op, mask);
  const target = a.takes === 'folio' ? folioTarget(k, fn, a.folioPage ?? 0) : pageTarget(k, fn, a, where);
  const flags = k.mem.flagsLo;
  switch (a.op) {
    case 'test':
      return (page) => (flags[target(page)] & mask) !== 0;
    case 'set':
    case '__set':
      return (page) => {
        const p = target(page);
        flags[p] = (flags[p] | mask) >>> 0;
        return false;
      };
    case 'clear':
    case '__clear':
      return (page) => {
        const p = target(page);
        flags[p] = (flags[p] & ~mask) >>> 0;
        return false;
      };
    case 'test_set':
      return (page) => {
        const p = target(page);
        const old = (flags[p] & mask) !== 0;
        flags[p] = (flags[p] | mask) >>> 0;
        return old;
      };
    case 'test_clear':
      return (page) => {
        const p = target(page);
        const old = (flags[p] & mask) !== 0;
        flags[p] = (flags[p] & ~mask) >>> 0;
        return old;
      };
  }
}

/**
 * A flag accessor without CONFIG_DEBUG_VM_PGFLAGS (the Kernel's debugVm off): the policy checks are
 * compiled out, so the page whose flags word is used is all that is left of the policy — folio_flags(
 * folio, n), PF_SECOND's page + 1, PF_HEAD/PF_NO_TAIL's compound_head(page), the page itself for
 * the others — and each accessor is one closure doing its bit operation there: the per-page paths
 * call these, and a closure calling a shared target closure could not be inlined.
 */
function buildUncheckedAccessor(k: Kernel, a: Accessor, op: BitOp, mask: number): PageFlagFn {
  const fn = a.name;
  const mem = k.mem;
  const flags = mem.flagsLo;
  const head = a.takes === 'page' && (a.policy === 'PF_HEAD' || a.policy === 'PF_NO_TAIL');
  const n = a.takes === 'folio' ? (a.folioPage ?? 0) : a.policy === 'PF_SECOND' ? 1 : 0;
  switch (op) {
    case 'test':
      return (page) => {
        mem.check(fn, page);
        return (flags[head ? compound_head(k, page) : page + n] & mask) !== 0;
      };
    case 'set':
    case '__set':
      return (page) => {
        mem.check(fn, page);
        const p = head ? compound_head(k, page) : page + n;
        flags[p] = (flags[p] | mask) >>> 0;
        return false;
      };
    case 'clear':
    case '__clear':
      return (page) => {
        mem.check(fn, page);
        const p = head ? compound_head(k, page) : page + n;
        flags[p] = (flags[p] & ~mask) >>> 0;
        return false;
      };
    case 'test_set':
      return (page) => {
        mem.check(fn, page);
        const p = head ? compound_head(k, page) : page + n;
        const old = (flags[p] & mask) !== 0;
        flags[p] = (flags[p] | mask) >>> 0;
        return old;
      };
    case 'test_clear':
      return (page) => {
        mem.check(fn, page);
        const p = head ? compound_head(k, page) : page + n;
        const old = (flags[p] & mask) !== 0;
        flags[p] = (flags[p] & ~mask) >>> 0;
        return old;
      };
  }
}

/** the accessor ops that are a bit operation on a flags word */
type BitOp = Exclude<AccessorOp, 'false' | 'noop' | 'type_test' | 'type_set' | 'type_clear'>;

/**
 * folio_flags(folio, n) (6.1 and 6.12 page-flags.h): VM_BUG_ON_PGFLAGS(PageTail(page)) [6.1] /
 * (page->compound_head & 1) [6.12], and VM_BUG_ON_PGFLAGS(n > 0 && !test_bit(PG_head, ...)).
 */
function folioTarget(k: Kernel, fn: string, n: number): (folio: Pfn) => Pfn {
  const tailCond = k.profile.facts.folioFlagsTailCheck;
  const where = folioFlagsSite(k);
  return (folio) => {
    k.mem.check(fn, folio);
    VM_BUG_ON_PAGE(k, PageTail(k, folio), tailCond, folio, where);
    if (n > 0) {
      VM_BUG_ON_PAGE(k, !PageHead(k, folio), 'n > 0 && !test_bit(PG_head, &page->flags)', folio, where);
    }
    return folio + n;
  };
}

function folioFlagsSite(k: Kernel): string {
  const h = k.profile.header.handWritten.find((x) => x.name === 'folio_flags');
  return h ? `${PAGE_FLAGS_H}:${h.line}` : PAGE_FLAGS_H;
}

/** The PF_* policy macros (page-flags.h): which page the bit lives in, and the debug check. */
function pageTarget(k: Kernel, fn: string, a: Accessor, where: string): (page: Pfn) => Pfn {
  const enforce = a.enforce ?? 0;
  switch (a.policy) {
    case undefined:
    case 'PF_ANY':
      return (page) => (k.mem.check(fn, page), page);
    case 'PF_HEAD':
      return (page) => (k.mem.check(fn, page), compound_head(k, page));
    case 'PF_ONLY_HEAD':
      return (page) => {
        k.mem.check(fn, page);
        VM_BUG_ON_PAGE(k, PageTail(k, page), 'PageTail(page)', page, where);
        return page;
      };
    case 'PF_NO_TAIL':
      return (page) => {
        k.mem.check(fn, page);
        VM_BUG_ON_PAGE(k, enforce === 1 && PageTail(k, page), `${enforce} && PageTail(page)`, page, where);
        return compound_head(k, page);
      };
    case 'PF_NO_COMPOUND':
      return (page) => {
        k.mem.check(fn, page);
        VM_BUG_ON_PAGE(
          k,
          enforce === 1 && PageCompound(k, page),
          `${enforce} && PageCompound(page)`,
          page,
          where,
        );
        return page;
      };
    case 'PF_SECOND':
      return (page) => {
        k.mem.check(fn, page);
        VM_BUG_ON_PAGE(k, !PageHead(k, page), '!PageHead(page)', page, where);
        return page + 1;
      };
  }
}

/**
 * PAGE_TYPE_OPS / FOLIO_TYPE_OPS. 6.1: PageX = PageType(page, PG_x); __SetPageX:
 * VM_BUG_ON_PAGE(!PageType(page, 0)), clear the bit; __ClearPageX: VM_BUG_ON_PAGE(!PageX(page)),
 * set it back. 6.12+: test = (page_type >> 24) == PGTY_x; set returns early when already that type,
 * else VM_BUG_ON(page_type != UINT_MAX); clear returns early on UINT_MAX, else VM_BUG_ON(!test).
 */
function buildTypeAccessor(k: Kernel, a: Accessor, where: string): PageFlagFn {
  const value = k.profile.pageTypes.get(a.flag);
  if (value === undefined)
    throw new Error(`${a.name}: page type ${a.flag} does not exist in profile ${k.profile.name}`);
  const mc = k.mem.mapcount;
  const fn = a.name;
  const isFolio = a.takes === 'folio';
  const bug = (bad: boolean, cond: string, page: Pfn) =>
    isFolio ? VM_BUG_ON_FOLIO(k, bad, cond, page, where) : VM_BUG_ON_PAGE(k, bad, cond, page, where);
  const test = (page: Pfn) => page_type_is(k, page, value);
  if (k.profile.header.pageTypeEncoding === 'inverted-bits') {
    const uname = a.invocation.args[0];
    switch (a.op) {
      case 'type_test':
        return (page) => (k.mem.check(fn, page), test(page));
      case 'type_set':
        return (page) => {
          k.mem.check(fn, page);
          bug(!page_type_is(k, page, 0), '!PageType(page, 0)', page);
          mc[page] &= ~value;
          return false;
        };
      default:
        return (page) => {
          k.mem.check(fn, page);
          bug(!test(page), `!Page${uname}(page)`, page);
          mc[page] |= value;
          return false;
        };
    }
  }
  const pt = isFolio ? 'folio->page.page_type' : 'page->page_type';
  // FOLIO_TYPE_OPS(lname, fname) / PAGE_TYPE_OPS(uname, lname, fname)
  const inv = a.invocation.args;
  const testName = isFolio ? `folio_test_${inv[inv.length - 1]}` : `Page${inv[0]}`;
  const word = page_type_word(k, value);
  switch (a.op) {
    case 'type_test':
      return (page) => (k.mem.check(fn, page), test(page));
    case 'type_set':
      return (page) => {
        k.mem.check(fn, page);
        if (test(page)) return false;
        bug(mc[page] !== -1, `data_race(${pt}) != UINT_MAX`, page);
        mc[page] = word;
        return false;
      };
    default:
      return (page) => {
        k.mem.check(fn, page);
        if (mc[page] === -1) return false;
        bug(!test(page), `!${testName}(${isFolio ? 'folio' : 'page'})`, page);
        mc[page] = -1;
        return false;
      };
  }
}

/**
 * Hand-written functions of page-flags.h the model implements, by name: each entry makes the
 * Kernel's function (its own closure, the flag bits resolved once).
 */
const HAND_WRITTEN: Readonly<Record<string, (k: Kernel) => PageFlagFn>> = {
  PageHead: (k) => (p) => PageHead(k, p),
  PageTail: (k) => (p) => PageTail(k, p),
  PageCompound: (k) => (p) => PageCompound(k, p),
  folio_test_head: (k) => (f) => PageHead(k, f),
  folio_test_large: (k) => (f) => PageHead(k, f),
  PageAnon: (k) => (p) => folio_test_anon(k, page_folio(k, p)),
  folio_test_anon: (k) => (f) => folio_test_anon(k, f),
  folio_test_uptodate: (k) => {
    const uptodate = bitMask(k, 'uptodate');
    return (f) => (k.mem.flagsLo[f] & uptodate) !== 0;
  },
  PageUptodate: (k) => {
    const uptodate = bitMask(k, 'uptodate');
    return (p) => (k.mem.flagsLo[page_folio(k, p)] & uptodate) !== 0;
  },
  folio_mark_uptodate: (k) => setter(k, 'uptodate', false),
  __folio_mark_uptodate: (k) => setter(k, 'uptodate', false),
  SetPageUptodate: (k) => setter(k, 'uptodate', true),
  __SetPageUptodate: (k) => setter(k, 'uptodate', true),
  // folio_test_swapcache(): folio_test_swapbacked(folio) && test_bit(PG_swapcache, ...)
  folio_test_swapcache: (k) => {
    const swapbacked = bitMask(k, 'swapbacked');
    const swapcache = bitMask(k, 'swapcache');
    return (f) => (k.mem.flagsLo[f] & swapbacked) !== 0 && (k.mem.flagsLo[f] & swapcache) !== 0;
  },
  PageSwapCache: (k) => {
    const swapbacked = bitMask(k, 'swapbacked');
    const swapcache = bitMask(k, 'swapcache');
    return (p) => {
      const f = page_folio(k, p);
      return (k.mem.flagsLo[f] & swapbacked) !== 0 && (k.mem.flagsLo[f] & swapcache) !== 0;
    };
  },
  // 6.12+: PageSlab(page) = folio_test_slab(page_folio(page))
  PageSlab: (k) => {
    const v = k.profile.pageTypes.get('slab');
    if (v !== undefined) return (p) => page_type_is(k, page_folio(k, p), v);
    const slab = bitMask(k, 'slab');
    return (p) => (k.mem.flagsLo[compound_head(k, p)] & slab) !== 0;
  },
};

/** 1 << PG_flag, or 0 when the profile has no such flag (a test of it is false) */
function bitMask(k: Kernel, flag: string): number {
  const bit = k.profile.bits.get(flag);
  return bit === undefined ? 0 : (1 << bit) >>> 0;
}

/** sets PG_flag in the folio (of the page, `ofPage`); throws when called if the profile has no such flag */
function setter(k: Kernel, flag: string, ofPage: boolean): PageFlagFn {
  const bit = k.profile.bits.get(flag);
  return (page) => {
    if (bit === undefined) throw new Error(`PG_${flag} does not exist in profile ${k.profile.name}`);
    const f = ofPage ? page_folio(k, page) : page;
    k.mem.flagsLo[f] = (k.mem.flagsLo[f] | (1 << bit)) >>> 0;
    return false;
  };
}
