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
import {
  PageAnon,
  PageCompound,
  PageHead,
  PageTail,
  compound_head,
  folio_test_anon,
  page_folio,
} from './folio.js';
import { page_type_is, page_type_word_of } from './page_type.js';
import type { Profile } from './profiles/index.js';
import type { Accessor, AccessorOp } from './profiles/types.js';
import { VM_BUG_ON_FOLIO, VM_BUG_ON_PAGE } from './vm_bug.js';

/**
 * The Kernel an accessor works on, its `this`: one set of accessor functions serves every Kernel of
 * a profile, so that a per-page call site sees the same function whichever Kernel runs (a closure
 * per Kernel made the JIT's inlined accessors deoptimize when a second Kernel ran).
 */
export const ACCESSOR_KERNEL = Symbol('kernel');

export type PageFlagFn = (this: PageFlagOps, page: Pfn) => boolean;
export type PageFlagOps = Readonly<Record<string, PageFlagFn>> & { readonly [ACCESSOR_KERNEL]: Kernel };

const PAGE_FLAGS_H = 'include/linux/page-flags.h';
const cache = new WeakMap<Kernel, PageFlagOps>();
/** the accessor functions of a profile, with (debugVm) and without the policy checks */
const built = new WeakMap<
  Profile,
  { checked?: [string, PageFlagFn][]; unchecked?: [string, PageFlagFn][] }
>();

/** The accessors of k's profile, by name: `pageflags(k).folio_test_active(folio)`. */
export function pageflags(k: Kernel): PageFlagOps {
  let ops = cache.get(k);
  if (!ops) {
    // Object.fromEntries makes an object with fast properties (the same map for every Kernel of
    // the profile); one filled by ops[name] = fn goes to dictionary mode past 128 properties, and
    // every f.folio_test_lru(folio) would then be a hash lookup and a call the JIT cannot inline
    ops = Object.fromEntries([...pageFlagFns(k.profile, k.debugVm), [ACCESSOR_KERNEL, k]]) as PageFlagOps;
    cache.set(k, ops);
  }
  return ops;
}

/** Calls an accessor by name, with a clear error when this profile has no such function. */
export function callPageFlag(k: Kernel, name: string, page: Pfn): boolean {
  const ops = pageflags(k);
  const fn = ops[name];
  if (!fn)
    throw new Error(
      `${name}() does not exist in Linux ${k.profile.facts.release} (profile ${k.profile.name})`,
    );
  return fn.call(ops, page);
}

function pageFlagFns(p: Profile, debugVm: boolean): [string, PageFlagFn][] {
  let b = built.get(p);
  if (!b) built.set(p, (b = {}));
  const key = debugVm ? 'checked' : 'unchecked';
  return (b[key] ??= buildPageFlagFns(p, debugVm));
}

function buildPageFlagFns(p: Profile, debugVm: boolean): [string, PageFlagFn][] {
  const ops = new Map<string, PageFlagFn>();
  for (const a of p.accessors.values()) ops.set(a.name, buildAccessor(p, a, debugVm));
  for (const h of p.header.handWritten) {
    const build = HAND_WRITTEN[h.name];
    if (build && !ops.has(h.name)) ops.set(h.name, build(p));
  }
  return [...ops];
}

function buildAccessor(p: Profile, a: Accessor, debugVm: boolean): PageFlagFn {
  const where = `${PAGE_FLAGS_H}:${a.invocation.line}`;
  const fn = a.name;
  if (a.op === 'false') return () => false;
  if (a.op === 'noop') return () => false;
  if (a.op === 'type_test' || a.op === 'type_set' || a.op === 'type_clear')
    return buildTypeAccessor(p, a, where);
  const bit = p.bits.get(a.flag);
  if (bit === undefined) throw new Error(`${fn}: PG_${a.flag} does not exist in profile ${p.name}`);
  const mask = (1 << bit) >>> 0;
  if (!debugVm) return buildUncheckedAccessor(a, a.op, mask);
  const target = a.takes === 'folio' ? folioTarget(p, fn, a.folioPage ?? 0) : pageTarget(fn, a, where);
  switch (a.op) {
    case 'test':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        return (k.mem.flagsLo[target(k, page)] & mask) !== 0;
      };
    case 'set':
    case '__set':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        const flags = k.mem.flagsLo;
        const p = target(k, page);
        flags[p] = (flags[p] | mask) >>> 0;
        return false;
      };
    case 'clear':
    case '__clear':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        const flags = k.mem.flagsLo;
        const p = target(k, page);
        flags[p] = (flags[p] & ~mask) >>> 0;
        return false;
      };
    case 'test_set':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        const flags = k.mem.flagsLo;
        const p = target(k, page);
        const old = (flags[p] & mask) !== 0;
        flags[p] = (flags[p] | mask) >>> 0;
        return old;
      };
    case 'test_clear':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        const flags = k.mem.flagsLo;
        const p = target(k, page);
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
 * the others — and each accessor is one function doing its bit operation there: the per-page paths
 * call these, and a function calling a shared target function could not be inlined.
 */
function buildUncheckedAccessor(a: Accessor, op: BitOp, mask: number): PageFlagFn {
  const fn = a.name;
  const head = a.takes === 'page' && (a.policy === 'PF_HEAD' || a.policy === 'PF_NO_TAIL');
  const n = a.takes === 'folio' ? (a.folioPage ?? 0) : a.policy === 'PF_SECOND' ? 1 : 0;
  switch (op) {
    case 'test':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        k.mem.check(fn, page);
        return (k.mem.flagsLo[head ? compound_head(k, page) : page + n] & mask) !== 0;
      };
    case 'set':
    case '__set':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        k.mem.check(fn, page);
        const flags = k.mem.flagsLo;
        const p = head ? compound_head(k, page) : page + n;
        flags[p] = (flags[p] | mask) >>> 0;
        return false;
      };
    case 'clear':
    case '__clear':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        k.mem.check(fn, page);
        const flags = k.mem.flagsLo;
        const p = head ? compound_head(k, page) : page + n;
        flags[p] = (flags[p] & ~mask) >>> 0;
        return false;
      };
    case 'test_set':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        k.mem.check(fn, page);
        const flags = k.mem.flagsLo;
        const p = head ? compound_head(k, page) : page + n;
        const old = (flags[p] & mask) !== 0;
        flags[p] = (flags[p] | mask) >>> 0;
        return old;
      };
    case 'test_clear':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        k.mem.check(fn, page);
        const flags = k.mem.flagsLo;
        const p = head ? compound_head(k, page) : page + n;
        const old = (flags[p] & mask) !== 0;
        flags[p] = (flags[p] & ~mask) >>> 0;
        return old;
      };
  }
}

/** the accessor ops that are a bit operation on a flags word */
type BitOp = Exclude<AccessorOp, 'false' | 'noop' | 'type_test' | 'type_set' | 'type_clear'>;

/** the page whose flags word an accessor uses, after the policy's checks */
type Target = (k: Kernel, page: Pfn) => Pfn;

/**
 * folio_flags(folio, n) (6.1 and 6.12 page-flags.h): VM_BUG_ON_PGFLAGS(PageTail(page)) [6.1] /
 * (page->compound_head & 1) [6.12], and VM_BUG_ON_PGFLAGS(n > 0 && !test_bit(PG_head, ...)).
 */
function folioTarget(p: Profile, fn: string, n: number): Target {
  const tailCond = p.facts.folioFlagsTailCheck;
  const where = folioFlagsSite(p);
  return (k, folio) => {
    k.mem.check(fn, folio);
    VM_BUG_ON_PAGE(k, PageTail(k, folio), tailCond, folio, where);
    if (n > 0) {
      VM_BUG_ON_PAGE(k, !PageHead(k, folio), 'n > 0 && !test_bit(PG_head, &page->flags)', folio, where);
    }
    return folio + n;
  };
}

function folioFlagsSite(p: Profile): string {
  const h = p.header.handWritten.find((x) => x.name === 'folio_flags');
  return h ? `${PAGE_FLAGS_H}:${h.line}` : PAGE_FLAGS_H;
}

/** The PF_* policy macros (page-flags.h): which page the bit lives in, and the debug check. */
function pageTarget(fn: string, a: Accessor, where: string): Target {
  const enforce = a.enforce ?? 0;
  switch (a.policy) {
    case undefined:
    case 'PF_ANY':
      return (k, page) => (k.mem.check(fn, page), page);
    case 'PF_HEAD':
      return (k, page) => (k.mem.check(fn, page), compound_head(k, page));
    case 'PF_ONLY_HEAD':
      return (k, page) => {
        k.mem.check(fn, page);
        VM_BUG_ON_PAGE(k, PageTail(k, page), 'PageTail(page)', page, where);
        return page;
      };
    case 'PF_NO_TAIL':
      return (k, page) => {
        k.mem.check(fn, page);
        VM_BUG_ON_PAGE(k, enforce === 1 && PageTail(k, page), `${enforce} && PageTail(page)`, page, where);
        return compound_head(k, page);
      };
    case 'PF_NO_COMPOUND':
      return (k, page) => {
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
      return (k, page) => {
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
function buildTypeAccessor(p: Profile, a: Accessor, where: string): PageFlagFn {
  const value = p.pageTypes.get(a.flag);
  if (value === undefined)
    throw new Error(`${a.name}: page type ${a.flag} does not exist in profile ${p.name}`);
  const fn = a.name;
  const isFolio = a.takes === 'folio';
  const bug = (k: Kernel, bad: boolean, cond: string, page: Pfn) =>
    isFolio ? VM_BUG_ON_FOLIO(k, bad, cond, page, where) : VM_BUG_ON_PAGE(k, bad, cond, page, where);
  if (p.header.pageTypeEncoding === 'inverted-bits') {
    const uname = a.invocation.args[0];
    switch (a.op) {
      case 'type_test':
        return function (page) {
          const k = this[ACCESSOR_KERNEL];
          k.mem.check(fn, page);
          return page_type_is(k, page, value);
        };
      case 'type_set':
        return function (page) {
          const k = this[ACCESSOR_KERNEL];
          k.mem.check(fn, page);
          bug(k, !page_type_is(k, page, 0), '!PageType(page, 0)', page);
          k.mem.mapcount[page] &= ~value;
          return false;
        };
      default:
        return function (page) {
          const k = this[ACCESSOR_KERNEL];
          k.mem.check(fn, page);
          bug(k, !page_type_is(k, page, value), `!Page${uname}(page)`, page);
          k.mem.mapcount[page] |= value;
          return false;
        };
    }
  }
  const pt = isFolio ? 'folio->page.page_type' : 'page->page_type';
  // FOLIO_TYPE_OPS(lname, fname) / PAGE_TYPE_OPS(uname, lname, fname)
  const inv = a.invocation.args;
  const testName = isFolio ? `folio_test_${inv[inv.length - 1]}` : `Page${inv[0]}`;
  const word = page_type_word_of(p, value);
  switch (a.op) {
    case 'type_test':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        k.mem.check(fn, page);
        return page_type_is(k, page, value);
      };
    case 'type_set':
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        k.mem.check(fn, page);
        if (page_type_is(k, page, value)) return false;
        bug(k, k.mem.mapcount[page] !== -1, `data_race(${pt}) != UINT_MAX`, page);
        k.mem.mapcount[page] = word;
        return false;
      };
    default:
      return function (page) {
        const k = this[ACCESSOR_KERNEL];
        const mc = k.mem.mapcount;
        k.mem.check(fn, page);
        if (mc[page] === -1) return false;
        bug(k, !page_type_is(k, page, value), `!${testName}(${isFolio ? 'folio' : 'page'})`, page);
        mc[page] = -1;
        return false;
      };
  }
}

/** the accessor that is `fn` (folio.ts) of the accessor's Kernel and the page */
function ofKernel(fn: (k: Kernel, page: Pfn) => boolean): () => PageFlagFn {
  return () =>
    function (page) {
      return fn(this[ACCESSOR_KERNEL], page);
    };
}

/**
 * Hand-written functions of page-flags.h the model implements, by name: each entry makes the
 * profile's function (the flag bits resolved once).
 */
const HAND_WRITTEN: Readonly<Record<string, (p: Profile) => PageFlagFn>> = {
  PageHead: ofKernel(PageHead),
  PageTail: ofKernel(PageTail),
  PageCompound: ofKernel(PageCompound),
  folio_test_head: ofKernel(PageHead),
  folio_test_large: ofKernel(PageHead),
  PageAnon: ofKernel(PageAnon),
  folio_test_anon: ofKernel(folio_test_anon),
  folio_test_uptodate: (pr) => {
    const uptodate = bitMask(pr, 'uptodate');
    return function (f) {
      return (this[ACCESSOR_KERNEL].mem.flagsLo[f] & uptodate) !== 0;
    };
  },
  PageUptodate: (pr) => {
    const uptodate = bitMask(pr, 'uptodate');
    return function (p) {
      const k = this[ACCESSOR_KERNEL];
      return (k.mem.flagsLo[page_folio(k, p)] & uptodate) !== 0;
    };
  },
  folio_mark_uptodate: (pr) => setter(pr, 'uptodate', false),
  __folio_mark_uptodate: (pr) => setter(pr, 'uptodate', false),
  SetPageUptodate: (pr) => setter(pr, 'uptodate', true),
  __SetPageUptodate: (pr) => setter(pr, 'uptodate', true),
  // folio_test_swapcache(): folio_test_swapbacked(folio) && test_bit(PG_swapcache, ...)
  folio_test_swapcache: (pr) => {
    const swapbacked = bitMask(pr, 'swapbacked');
    const swapcache = bitMask(pr, 'swapcache');
    return function (f) {
      const flags = this[ACCESSOR_KERNEL].mem.flagsLo;
      return (flags[f] & swapbacked) !== 0 && (flags[f] & swapcache) !== 0;
    };
  },
  PageSwapCache: (pr) => {
    const swapbacked = bitMask(pr, 'swapbacked');
    const swapcache = bitMask(pr, 'swapcache');
    return function (p) {
      const k = this[ACCESSOR_KERNEL];
      const f = page_folio(k, p);
      return (k.mem.flagsLo[f] & swapbacked) !== 0 && (k.mem.flagsLo[f] & swapcache) !== 0;
    };
  },
  // 6.12+: PageSlab(page) = folio_test_slab(page_folio(page))
  PageSlab: (pr) => {
    const v = pr.pageTypes.get('slab');
    if (v !== undefined)
      return function (p) {
        const k = this[ACCESSOR_KERNEL];
        return page_type_is(k, page_folio(k, p), v);
      };
    const slab = bitMask(pr, 'slab');
    return function (p) {
      const k = this[ACCESSOR_KERNEL];
      return (k.mem.flagsLo[compound_head(k, p)] & slab) !== 0;
    };
  },
};

/** 1 << PG_flag, or 0 when the profile has no such flag (a test of it is false) */
function bitMask(p: Profile, flag: string): number {
  const bit = p.bits.get(flag);
  return bit === undefined ? 0 : (1 << bit) >>> 0;
}

/** sets PG_flag in the folio (of the page, `ofPage`); throws when called if the profile has no such flag */
function setter(p: Profile, flag: string, ofPage: boolean): PageFlagFn {
  const bit = p.bits.get(flag);
  return function (page) {
    if (bit === undefined) throw new Error(`PG_${flag} does not exist in profile ${p.name}`);
    const k = this[ACCESSOR_KERNEL];
    const f = ofPage ? page_folio(k, page) : page;
    k.mem.flagsLo[f] = (k.mem.flagsLo[f] | (1 << bit)) >>> 0;
    return false;
  };
}
