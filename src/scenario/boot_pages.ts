/**
 * How the boot built-in's generator (boot_gen.ts) and its fidelity test read a boot trace, real or
 * simulated: which pages are busybox's, which page_ref_mod is an anonymous page's lru_add, each
 * event's page by a name both sides share, and the kernel's own pages.
 */
import { PageRefType } from '../kernel/tracepoint.js';
import type { KeyedTrace } from './page_history.js';

/** the flags string `flags` has the flag `name` */
export const has = (flags: string, name: string) => `|${flags}|`.includes(`|${name}|`);

/** an anonymous page's lru_add: +1 to 2 on an uptodate swapbacked page off the LRU, not a tmpfs insertion */
export function isAnonAdd(t: KeyedTrace, i: number): boolean {
  const f = t.flags[i];
  return (
    t.type[i] === PageRefType.mod &&
    t.val[i] === 1 &&
    t.count[i] === 2 &&
    has(f, 'swapbacked') &&
    has(f, 'uptodate') &&
    !has(f, 'dirty') &&
    !has(f, 'lru') &&
    !has(f, 'locked') &&
    !has(f, 'reserved')
  );
}

/**
 * Each event's page, named the same way in a real and a simulated boot trace (pfns differ): `bb[i]`
 * page i of the executable (`pages` pages from busyboxBase), `tmpfs[k]` the k-th other tmpfs page
 * the trace inserts (the unpacking; a tmpfs page in the cache before the trace starts: `tmpfs@k`,
 * by first sight), `anon[p.n]` the n-th anonymous page of process p (0: pid 1, then the others by
 * first event), `vdso`, `bdev[k]` a block-device page; undefined for a kernel page.
 */
export function bootPageNames(t: KeyedTrace, pages: number): (string | undefined)[] {
  const base = busyboxBase(t, pages);
  const out: (string | undefined)[] = [];
  const name = new Map<number, string>();
  const rank = new Map<number, number>([[1, 0]]);
  const perProcess = new Map<number, number>();
  const seen = { tmpfs: 0, early: 0, bdev: 0 };
  for (let i = 0; i < t.pfn.length; i++) {
    const p = t.pfn[i];
    const f = t.flags[i];
    if (!rank.has(t.pid[i]) && isUserComm(t.comms[t.comm[i]])) rank.set(t.pid[i], rank.size);
    if (t.type[i] === PageRefType.set && t.val[i] === 1) name.delete(p);
    if (p >= base && p < base + pages) name.set(p, `bb[${p - base}]`);
    else if (!name.has(p)) {
      const inserted = i > 0 && t.type[i] === PageRefType.mod && has(f, 'locked');
      if (isAnonAdd(t, i) && rank.has(t.pid[i])) {
        const n = (perProcess.get(t.pid[i]) ?? 0) + 1;
        perProcess.set(t.pid[i], n);
        name.set(p, `anon[${rank.get(t.pid[i])}.${n}]`);
      } else if (has(f, 'reserved')) name.set(p, 'vdso');
      else if (inserted && has(f, 'swapbacked')) name.set(p, `tmpfs[${seen.tmpfs++}]`);
      else if (inserted) name.set(p, `bdev[${seen.bdev++}]`);
      else if (has(f, 'swapbacked') && has(f, 'dirty')) name.set(p, `tmpfs@${seen.early++}`);
    }
    out.push(name.get(p));
  }
  return out;
}

/**
 * The executable's first page: the lowest pfn the exec'd programs' fault-around maps (busybox's
 * pages were written in file order, as the 6.12 unpacking shows, so index = pfn - base); every pfn
 * they map must lie within the file
 */
export function busyboxBase(t: KeyedTrace, pages: number): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < t.pfn.length; i++) {
    if (t.type[i] !== PageRefType.mod_unless || t.pid[i] === 1 || !isUserComm(t.comms[t.comm[i]])) continue;
    lo = Math.min(lo, t.pfn[i]);
    hi = Math.max(hi, t.pfn[i]);
  }
  if (!Number.isFinite(lo)) throw new Error('boot trace: no program maps the executable');
  if (hi - lo >= pages)
    throw new Error(
      `boot trace: the programs map pfns ${lo.toString(16)}..${hi.toString(16)}, more than ${pages} pages`,
    );
  return lo;
}

/** the programs /init runs (comm after their exec) */
export const isUserComm = (comm: string) => comm === 'busybox' || comm === 'mount';

/** a kernel page's life: set 1, then only puts, never mapped or on the LRU */
export interface KernelLife {
  setter: number;
  /** the pid whose put freed it, -1: alive at the end */
  freer: number;
  compound: boolean;
}

export function kernelLives(t: KeyedTrace): KernelLife[] {
  const open = new Map<number, KernelLife>();
  const bad = new Set<KernelLife>();
  const all: KernelLife[] = [];
  for (let i = 0; i < t.pfn.length; i++) {
    const p = t.pfn[i];
    if (t.type[i] === PageRefType.set && t.val[i] === 1) {
      const l = { setter: t.pid[i], freer: -1, compound: false };
      open.set(p, l);
      all.push(l);
      continue;
    }
    const l = open.get(p);
    if (!l) continue;
    const f = t.flags[i];
    if (t.type[i] !== PageRefType.mod_and_test || (f !== 'none' && f !== 'head')) bad.add(l);
    else if (t.count[i] === 0) {
      l.freer = t.pid[i];
      l.compound = f === 'head';
      open.delete(p);
    }
  }
  return all.filter((l) => !bad.has(l));
}

/** positions of each pid's events */
export function byPid(t: KeyedTrace): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let i = 0; i < t.pfn.length; i++) {
    let l = out.get(t.pid[i]);
    if (!l) out.set(t.pid[i], (l = []));
    l.push(i);
  }
  return out;
}
