/**
 * include/linux/page_ref.h: every function that reads or changes _refcount, each firing its
 * page_ref tracepoint *after* the atomic operation (mm/debug_page_ref.c), with the kernel's
 * (val, ret) conventions: sub records -nr; mod_unless records the boolean result; freeze records
 * the expected count; set and unfreeze record the new absolute value. folio_* wrappers pass
 * &folio->page, so they trace the head pfn. Functions that exist only in some versions check the
 * profile and throw if called where the kernel has no such function.
 */
import type { Kernel } from './kernel.js';
import { PAGEBLOCK_ORDER, type Pfn } from './mem_map.js';
import { compound_head, page_mapcount } from './folio.js';
import { PageRefType } from './tracepoint.js';
import { VM_BUG_ON, VM_BUG_ON_FOLIO, VM_BUG_ON_PAGE } from './vm_bug.js';

/**
 * The tracepoint ids as this module's own constants: the JIT writes a module's unexported consts
 * into its code, where PageRefType.x (an import) was a cell load, a hole check and a property load
 * at every tracepoint test, and bytecode that counted against the inlining budget of every caller.
 */
const SET = PageRefType.set;
const MOD = PageRefType.mod;
const MOD_AND_TEST = PageRefType.mod_and_test;
const MOD_AND_RETURN = PageRefType.mod_and_return;
const MOD_UNLESS = PageRefType.mod_unless;
const FREEZE = PageRefType.freeze;
const UNFREEZE = PageRefType.unfreeze;

/**
 * TP_fast_assign of page_ref_mod_template / page_ref_mod_and_test_template
 * (include/trace/events/page_ref.h): pfn, flags, count (re-read), mapcount (6.1 page_mapcount(),
 * 6.12+ raw _mapcount), mapping, mt (get_pageblock_migratetype), val, ret.
 */
function trace_page_ref(k: Kernel, type: PageRefType, page: Pfn, v: number, ret: number): void {
  const m = k.mem;
  const r = k.tracer.rec;
  r.type = type;
  r.pfn = page;
  r.flagsLo = m.flagsLo[page];
  r.flagsHi = m.flagsHi[page];
  r.count = m.refcount[page];
  r.mapcount = k.profile.facts.traceMapcount === 'raw' ? m.mapcount[page] : page_mapcount(k, page);
  r.mapping = m.mapping[page];
  r.mt = m.pageblockMt[page >>> PAGEBLOCK_ORDER];
  r.val = v;
  r.ret = ret;
  k.tracer.emit();
}

function requireFn(k: Kernel, ok: boolean, fn: string): void {
  if (!ok)
    throw new Error(`${fn}() does not exist in Linux ${k.profile.facts.release} (profile ${k.profile.name})`);
}

export function page_ref_count(k: Kernel, page: Pfn): number {
  k.mem.check('page_ref_count', page);
  return k.mem.refcount[page];
}

export const folio_ref_count = page_ref_count;

/** page_count(): the head's count (folio_ref_count(page_folio(page))) */
export function page_count(k: Kernel, page: Pfn): number {
  k.mem.check('page_count', page);
  return k.mem.refcount[compound_head(k, page)];
}

export function set_page_count(k: Kernel, page: Pfn, v: number): void {
  k.mem.check('set_page_count', page);
  k.mem.refcount[page] = v;
  if (k.tracer.active(SET)) trace_page_ref(k, SET, page, v, 0);
}

export const folio_set_count = set_page_count;

/** init_page_count(): set_page_count(page, 1) */
export function init_page_count(k: Kernel, page: Pfn): void {
  set_page_count(k, page, 1);
}

export function page_ref_add(k: Kernel, page: Pfn, nr: number): void {
  k.mem.check('page_ref_add', page);
  k.mem.refcount[page] += nr;
  if (k.tracer.active(MOD)) trace_page_ref(k, MOD, page, nr, 0);
}

export const folio_ref_add = page_ref_add;

export function page_ref_sub(k: Kernel, page: Pfn, nr: number): void {
  k.mem.check('page_ref_sub', page);
  k.mem.refcount[page] -= nr;
  if (k.tracer.active(MOD)) trace_page_ref(k, MOD, page, -nr, 0);
}

export const folio_ref_sub = page_ref_sub;

/** page_ref_sub_return(): 6.1 only; records -nr and the new count */
export function page_ref_sub_return(k: Kernel, page: Pfn, nr: number): number {
  requireFn(k, k.profile.facts.pageRef.pageRefSubReturn, 'page_ref_sub_return');
  return sub_return(k, 'page_ref_sub_return', page, nr);
}

/** folio_ref_sub_return(): 6.1 wraps page_ref_sub_return, 6.12 does the atomic itself; same event */
export function folio_ref_sub_return(k: Kernel, folio: Pfn, nr: number): number {
  return sub_return(k, 'folio_ref_sub_return', folio, nr);
}

function sub_return(k: Kernel, fn: string, page: Pfn, nr: number): number {
  k.mem.check(fn, page);
  const ret = (k.mem.refcount[page] -= nr);
  if (k.tracer.active(MOD_AND_RETURN)) trace_page_ref(k, MOD_AND_RETURN, page, -nr, ret);
  return ret;
}

export function page_ref_inc(k: Kernel, page: Pfn): void {
  k.mem.check('page_ref_inc', page);
  k.mem.refcount[page]++;
  if (k.tracer.active(MOD)) trace_page_ref(k, MOD, page, 1, 0);
}

export const folio_ref_inc = page_ref_inc;

export function page_ref_dec(k: Kernel, page: Pfn): void {
  k.mem.check('page_ref_dec', page);
  k.mem.refcount[page]--;
  if (k.tracer.active(MOD)) trace_page_ref(k, MOD, page, -1, 0);
}

export const folio_ref_dec = page_ref_dec;

/** page_ref_sub_and_test(): atomic_sub_and_test; records -nr and ret = (count reached 0) */
export function page_ref_sub_and_test(k: Kernel, page: Pfn, nr: number): boolean {
  k.mem.check('page_ref_sub_and_test', page);
  const ret = (k.mem.refcount[page] -= nr) === 0;
  if (k.tracer.active(MOD_AND_TEST)) trace_page_ref(k, MOD_AND_TEST, page, -nr, ret ? 1 : 0);
  return ret;
}

export const folio_ref_sub_and_test = page_ref_sub_and_test;

export function page_ref_inc_return(k: Kernel, page: Pfn): number {
  k.mem.check('page_ref_inc_return', page);
  const ret = ++k.mem.refcount[page];
  if (k.tracer.active(MOD_AND_RETURN)) trace_page_ref(k, MOD_AND_RETURN, page, 1, ret);
  return ret;
}

export const folio_ref_inc_return = page_ref_inc_return;

export function page_ref_dec_and_test(k: Kernel, page: Pfn): boolean {
  k.mem.check('page_ref_dec_and_test', page);
  const ret = --k.mem.refcount[page] === 0;
  if (k.tracer.active(MOD_AND_TEST)) trace_page_ref(k, MOD_AND_TEST, page, -1, ret ? 1 : 0);
  return ret;
}

export const folio_ref_dec_and_test = page_ref_dec_and_test;

export function page_ref_dec_return(k: Kernel, page: Pfn): number {
  k.mem.check('page_ref_dec_return', page);
  const ret = --k.mem.refcount[page];
  if (k.tracer.active(MOD_AND_RETURN)) trace_page_ref(k, MOD_AND_RETURN, page, -1, ret);
  return ret;
}

export const folio_ref_dec_return = page_ref_dec_return;

/**
 * page_ref_add_unless(page, nr, u): atomic_add_unless; the event's ret is the boolean result.
 * 6.12+ also refuses without trying when the count already equals u (and for fake heads, which
 * the model does not have); the event fires either way.
 */
export function page_ref_add_unless(k: Kernel, page: Pfn, nr: number, u: number): boolean {
  k.mem.check('page_ref_add_unless', page);
  const rc = k.mem.refcount;
  let ret = false;
  if (rc[page] !== u) {
    rc[page] += nr;
    ret = true;
  }
  if (k.tracer.active(MOD_UNLESS)) trace_page_ref(k, MOD_UNLESS, page, nr, ret ? 1 : 0);
  return ret;
}

export const folio_ref_add_unless = page_ref_add_unless;

/** folio_try_get(): folio_ref_add_unless(folio, 1, 0) */
export function folio_try_get(k: Kernel, folio: Pfn): boolean {
  return page_ref_add_unless(k, folio, 1, 0);
}

/** folio_ref_try_add() (6.12+): folio_ref_add_unless(folio, count, 0) */
export function folio_ref_try_add(k: Kernel, folio: Pfn, count: number): boolean {
  requireFn(k, k.profile.facts.pageRef.tryAdd === 'folio_ref_try_add', 'folio_ref_try_add');
  return page_ref_add_unless(k, folio, count, 0);
}

/**
 * folio_ref_try_add_rcu() (6.1): on SMP (!CONFIG_TINY_RCU) folio_ref_add_unless(folio, count, 0);
 * with TINY_RCU a VM_BUG_ON_FOLIO(count == 0) and a plain folio_ref_add.
 */
export function folio_ref_try_add_rcu(k: Kernel, folio: Pfn, count: number): boolean {
  requireFn(k, k.profile.facts.pageRef.tryAdd === 'folio_ref_try_add_rcu', 'folio_ref_try_add_rcu');
  if (k.profile.config.isEnabled('CONFIG_TINY_RCU')) {
    VM_BUG_ON_FOLIO(
      k,
      page_ref_count(k, folio) === 0,
      'folio_ref_count(folio) == 0',
      folio,
      k.profile.facts.bugSites.folio_ref_try_add_rcu,
    );
    page_ref_add(k, folio, count);
    return true;
  }
  return page_ref_add_unless(k, folio, count, 0);
}

/** folio_try_get_rcu() (6.1): folio_ref_try_add_rcu(folio, 1) */
export function folio_try_get_rcu(k: Kernel, folio: Pfn): boolean {
  return folio_ref_try_add_rcu(k, folio, 1);
}

/** page_ref_freeze(page, count): cmpxchg(count -> 0); event val = count, ret = 1 if frozen */
export function page_ref_freeze(k: Kernel, page: Pfn, count: number): boolean {
  k.mem.check('page_ref_freeze', page);
  const rc = k.mem.refcount;
  const ret = rc[page] === count;
  if (ret) rc[page] = 0;
  if (k.tracer.active(FREEZE)) trace_page_ref(k, FREEZE, page, count, ret ? 1 : 0);
  return ret;
}

export const folio_ref_freeze = page_ref_freeze;

/**
 * page_ref_unfreeze(page, count): VM_BUG_ON_PAGE(page_count(page) != 0) — the head's count even
 * on a tail — and VM_BUG_ON(count == 0), then atomic_set_release(count); val = count (absolute).
 */
export function page_ref_unfreeze(k: Kernel, page: Pfn, count: number): void {
  k.mem.check('page_ref_unfreeze', page);
  const sites = k.profile.facts.bugSites;
  VM_BUG_ON_PAGE(k, page_count(k, page) !== 0, 'page_count(page) != 0', page, sites.page_ref_unfreeze);
  VM_BUG_ON(k, count === 0, 'count == 0', sites['page_ref_unfreeze:count']);
  k.mem.refcount[page] = count;
  if (k.tracer.active(UNFREEZE)) trace_page_ref(k, UNFREEZE, page, count, 0);
}

export const folio_ref_unfreeze = page_ref_unfreeze;
