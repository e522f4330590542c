/**
 * The generated part of the `boot` built-in (boot.ts): what a real boot trace (../shared/traces/<v>/
 * boot) shows /init's shell and the programs it runs doing with their pages, as scenario statements,
 * and the kernel's own page allocations as counted stand-ins. The programs are busybox applets, whose
 * page touches are a property of the binary, not of the kernel (both kernels show the same
 * fault-around windows in the same order): read off the trace, they stand in for busybox itself.
 *
 * Read off the trace, in order:
 * - each fault-around burst (page_ref_mod_unless on consecutive busybox pages by one task: 6.1 one
 *   event per page, 6.12 +1, +1, -1) -> `read <vma> <i>`, i the first page the window mapped fresh
 *   (the faulting page is in the window's first aligned block);
 * - a lookup of a data page, a new anonymous page's lru_add, the lookup's put -> do_cow_fault:
 *   `write data <i>`; +1 on a mapped page, a new page, two puts of the old -> wp_page_copy: `write`
 *   of the old page's place; a new anonymous page otherwise -> do_anonymous_page: `write mem <n>`
 *   (the program's bss, heap and stack pages, which the trace cannot tell apart, in one region);
 * - a page that shows PG_anon_exclusive again without a reference change was reused by a write
 *   (do_wp_page -> wp_can_reuse_anon_folio -> folio_move_anon_rmap): `write` of it, before the next
 *   fork, exec or exit of the task that shows it;
 * - forks (the parent's +1 on the data segment's file pages), execs (a new argument page's lru_add
 *   and get_arg_page's +1; the program runs on the CPU of its first page read, sched_exec), failed
 *   execs (that argument page freed at once: 6.1's PATH search), exits, the shell's read of /init, the
 *   block device's truncation at init's first return to user space, the CPU each task runs on.
 * The kernel pages (never mapped, never on the LRU: set 1 and a put to 0) the model does not
 * allocate itself are stand-ins: per (allocating task, freeing task, compound) the real count minus
 * the model's, allocated where the allocating task first acts and freed where the freeing one
 * exits (`kalloc` / `kfree`).
 */
import { PageRefType } from '../kernel/tracepoint.js';
import { busyboxBase, byPid, has, isAnonAdd, isUserComm } from './boot_pages.js';
import type { ElfSegmentSpec } from './format.js';
import { STACK_ARG_PAGE } from '../mm/exec.js';
import type { KeyedTrace } from './page_history.js';

/** What the generator needs to know of the executable and the profile */
export interface BootLayout {
  /** the executable's PT_LOAD segments, as the skeleton's `elf` statement declares them */
  readonly segments: readonly ElfSegmentSpec[];
  /** its size in pages */
  readonly pages: number;
  /** PG_anon_exclusive as the profile's flags string names it (6.1 mappedtodisk, 6.12 owner_2) */
  readonly anonExclusive: string;
  /** the profile's fault-around takes +1 per fresh page then puts the lookup (faultAroundRef) */
  readonly faultAroundIncThenPut: boolean;
  /** the skeleton's task names by comm (the tasks it defines: init, the unpacking kworker) */
  readonly tasks: ReadonlyMap<string, string>;
  /** the skeleton's names of the executable's `elf` image and of the /init script's file */
  readonly image: string;
  readonly script: string;
  /** the block device the kernel's partition scan left open (truncated at init's first return to user) */
  readonly bdev: string;
}

/** a line of the generated part and the real trace position it stands at */
export interface Line {
  at: number;
  text: string;
}

/** a page's identity in the generator: a busybox page by index, an anonymous page by (pid, n) */
type Label =
  | { kind: 'bb'; index: number }
  | { kind: 'anon'; pid: number; n: number }
  | { kind: 'script' }
  | { kind: 'bdev' }
  | { kind: 'vdso' };

/** The trace's events with the labels the generator reads them by */
class BootTrace {
  readonly labels: (Label | undefined)[] = [];
  readonly bbBase: number;
  constructor(
    readonly t: KeyedTrace,
    readonly layout: BootLayout,
  ) {
    this.bbBase = busyboxBase(t, layout.pages);
    const anonOf = new Map<number, Label>();
    const perPid = new Map<number, number>();
    for (let i = 0; i < t.pfn.length; i++) {
      const p = t.pfn[i];
      const f = t.flags[i];
      if (t.type[i] === PageRefType.set && t.val[i] === 1) anonOf.delete(p);
      if (this.isAnonAdd(i) && !anonOf.has(p)) {
        const n = (perPid.get(t.pid[i]) ?? 0) + 1;
        perPid.set(t.pid[i], n);
        anonOf.set(p, { kind: 'anon', pid: t.pid[i], n });
      }
      const index = p - this.bbBase;
      if (index >= 0 && index < layout.pages) this.labels.push({ kind: 'bb', index });
      else if (anonOf.has(p)) this.labels.push(anonOf.get(p));
      else if (has(f, 'reserved')) this.labels.push({ kind: 'vdso' });
      // a tmpfs page outside the executable (what the shell reads of it is its script); a page-cache
      // page of a block device (6.12's anonymous pages show `uptodate` alone at their val=0 add)
      else if (has(f, 'swapbacked') && has(f, 'dirty')) this.labels.push({ kind: 'script' });
      else if (f !== 'none' && f !== 'head' && !has(f, 'swapbacked') && t.val[i])
        this.labels.push({ kind: 'bdev' });
      else this.labels.push(undefined);
    }
  }

  isAnonAdd(i: number): boolean {
    return isAnonAdd(this.t, i);
  }

  flags(i: number, name: string): boolean {
    return has(this.t.flags[i], name);
  }

  bb(i: number): number | undefined {
    const l = this.labels[i];
    return l?.kind === 'bb' ? l.index : undefined;
  }

  same(i: number, j: number): boolean {
    return sameLabel(this.labels[i], this.labels[j]);
  }
}

function sameLabel(a: Label | undefined, b: Label | undefined): boolean {
  if (!a || !b || a.kind !== b.kind) return false;
  if (a.kind === 'bb' && b.kind === 'bb') return a.index === b.index;
  if (a.kind === 'anon' && b.kind === 'anon') return a.pid === b.pid && a.n === b.n;
  return true;
}

const anonKey = (l: Label) => (l.kind === 'anon' ? `${l.pid}:${l.n}` : l.kind);

type Kind = 'R' | 'W' | 'COW' | 'A' | 'SCRIPT' | 'TRUNC' | 'FORK' | 'EXEC' | 'ENOENT' | 'EXIT' | 'SILENT';

export interface Action {
  at: number;
  pid: number;
  kind: Kind;
  /** R: vma and page; W: vma, page and the new page; COW: old and new page; A/SILENT: the page */
  vma?: string;
  page?: number;
  label?: Label;
  old?: Label;
  /** FORK: the child's pid; EXEC: the argument page and padzero's page */
  child?: number;
  stack?: Label;
  padzero?: Label;
}

const BOUNDARY: readonly Kind[] = ['FORK', 'EXEC', 'ENOENT', 'EXIT'];
/** mm/memory.c fault_around_bytes (64 KiB): the most pages one fault-around window maps */
const FAULT_AROUND_PAGES = 16;

/** The programs of one real boot trace: their actions, and those as statements (at trace positions) */
export function bootPrograms(real: KeyedTrace, layout: BootLayout): { actions: Action[]; lines: Line[] } {
  const b = new BootTrace(real, layout);
  const actions = programActions(b);
  return { actions, lines: programLines(b, actions) };
}

/** statements in the order of their trace positions (stable for equal ones) */
export function inTraceOrder(lines: readonly Line[]): string {
  return lines
    .map((l, n) => ({ ...l, n }))
    .sort((x, y) => x.at - y.at || x.n - y.n)
    .map((l) => l.text)
    .join('\n');
}

/** the VMA of the executable holding pages [lo, hi] (a fault-around window never crosses one) */
function vmaOf(segs: readonly ElfSegmentSpec[], lo: number, hi: number): ElfSegmentSpec | undefined {
  return segs.find((s) => s.from <= lo && hi <= s.to);
}

/** every action of /init's shell (pid 1 after its exec) and of the programs it runs, by position */
function programActions(b: BootTrace): Action[] {
  const { t, layout } = b;
  const segs = layout.segments;
  const data = segs.find((s) => s.writable)!;
  const pids = byPid(t);
  const user = [...pids.keys()].filter(
    (pid) => pid !== 1 && pids.get(pid)!.some((i) => isUserComm(t.comms[t.comm[i]])),
  );
  const acts: Action[] = [];
  const isSet = (i: number) =>
    t.type[i] === PageRefType.set || (t.type[i] === PageRefType.mod && t.val[i] === 0);
  for (const pid of [1, ...user]) {
    const s = pids.get(pid)!;
    // exec attempts: an argument page's lru_add followed by get_arg_page's +1 on it
    const attempts: { j: number; freed: number }[] = [];
    for (let j = 0; j + 1 < s.length; j++) {
      if (!b.isAnonAdd(s[j]) || t.type[s[j + 1]] !== PageRefType.mod || t.pfn[s[j + 1]] !== t.pfn[s[j]])
        continue;
      let freed = -1;
      for (let k = j; k < Math.min(s.length, j + 60); k++)
        if (t.pfn[s[k]] === t.pfn[s[j]] && t.count[s[k]] === 0) freed = k;
      attempts.push({ j, freed });
      if (pid === 1) break;
    }
    if (!attempts.length) throw new Error(`boot trace: pid ${pid} never execs`);
    const last = attempts[attempts.length - 1];
    for (const a of attempts.slice(0, -1)) acts.push({ at: s[a.j], pid, kind: 'ENOENT' });
    // exec ends at padzero's put of the data segment's last page, after its lookup
    const end = data.to;
    const look = s.findIndex((i, j) => j > last.j && t.type[i] === PageRefType.mod_unless && b.bb(i) === end);
    const j1 = s.findIndex((i, j) => j > look && t.type[i] === PageRefType.mod_and_test && b.bb(i) === end);
    let pz = j1;
    while (pz > last.j && !b.isAnonAdd(s[pz])) pz--;
    acts.push({ at: s[last.j], pid, kind: 'EXEC', stack: b.labels[s[last.j]], padzero: b.labels[s[pz]] });
    // the program's own steps: before its exec (a forked child), between failed attempts, after it
    const cuts = [0];
    for (const a of attempts.slice(0, -1)) cuts.push(a.j, a.freed + 1);
    cuts.push(last.j);
    const spans: [number, number, boolean][] = [];
    for (let q = 0; q < cuts.length; q += 2) spans.push([cuts[q], cuts[q + 1], false]);
    spans.push([j1 + 1, s.length, true]);
    const owned = new Set<string>();
    for (const [from, to, post] of spans) {
      for (let j = from; j < to;) {
        const i = s[j];
        const L = b.labels[i];
        if (t.type[i] === PageRefType.mod_unless && L?.kind === 'bb') {
          // a fault-around window: consecutive pages, at most 16, not across a VMA's start
          const pages: number[] = [];
          const fresh: number[] = [];
          // the window's VMA: the one its first page starts, else the one holding it
          const x0 = b.bb(i)!;
          const vma = segs.find((g) => g.from === x0) ?? vmaOf(segs, x0, x0);
          if (!vma)
            throw new Error(`boot trace: a fault-around window at page ${x0}, outside the executable's VMAs`);
          let k = j;
          for (;;) {
            if (k >= to || t.type[s[k]] !== PageRefType.mod_unless) break;
            const x = b.bb(s[k]);
            if (x === undefined) break;
            if (
              pages.length &&
              (x !== pages[pages.length - 1] + 1 || pages.length === FAULT_AROUND_PAGES || x > vma.to)
            )
              break;
            let k2 = k + 1;
            const next = (kind: PageRefType) => k2 < to && t.type[s[k2]] === kind && b.same(s[k2], s[k]);
            if (layout.faultAroundIncThenPut && next(PageRefType.mod)) {
              fresh.push(x);
              k2++;
              if (next(PageRefType.mod_and_test)) k2++;
            } else if (next(PageRefType.mod_and_test)) k2++;
            else fresh.push(x);
            pages.push(x);
            k = k2;
          }
          const after = s
            .slice(k, k + 8)
            .filter((q) => !isSet(q))
            .slice(0, 4);
          const add = after.findIndex((q) => b.isAnonAdd(q));
          if (
            pages.length === 1 &&
            pages[0] >= data.from &&
            add >= 0 &&
            after.slice(add).some((q) => t.type[q] === PageRefType.mod_and_test && b.bb(q) === pages[0])
          ) {
            acts.push({
              at: i,
              pid,
              kind: 'W',
              vma: data.name,
              page: pages[0] - data.from,
              label: b.labels[after[add]],
            });
            owned.add(anonKey(b.labels[after[add]]!));
          } else if (fresh.length)
            acts.push({ at: i, pid, kind: 'R', vma: vma.name, page: fresh[0] - vma.from });
          j = k;
          continue;
        }
        if (
          t.type[i] === PageRefType.mod &&
          t.val[i] === 1 &&
          (L?.kind === 'bb' || L?.kind === 'anon') &&
          !b.isAnonAdd(i)
        ) {
          // wp_page_copy: the new page's lru_add, then the old page's two puts (after a batch drain the add caused)
          const after = s.slice(j + 1, j + 80).filter((q) => !isSet(q));
          const rest = after
            .slice(1)
            .filter((q) => !(t.type[q] === PageRefType.mod_and_test && b.flags(q, 'lru') && !b.same(q, i)));
          if (
            after.length &&
            b.isAnonAdd(after[0]) &&
            rest.length >= 2 &&
            rest.slice(0, 2).every((q) => t.type[q] === PageRefType.mod_and_test && b.same(q, i))
          ) {
            acts.push({ at: i, pid, kind: 'COW', old: L, label: b.labels[after[0]] });
            owned.add(anonKey(b.labels[after[0]]!));
            j++;
            continue;
          }
        }
        if (post && t.type[i] === PageRefType.mod_unless && L?.kind === 'bdev')
          acts.push({ at: i, pid, kind: 'TRUNC' });
        else if (post && t.type[i] === PageRefType.mod_unless && L?.kind === 'script')
          acts.push({ at: i, pid, kind: 'SCRIPT' });
        else if (t.type[i] === PageRefType.mod && L?.kind === 'vdso')
          acts.push({ at: i, pid, kind: 'R', vma: 'vdso', page: 0 });
        else if (b.isAnonAdd(i) && !owned.has(anonKey(L!))) acts.push({ at: i, pid, kind: 'A', label: L });
        j++;
      }
    }
    if (pid !== 1) acts.push({ at: s[s.length - 1] + 0.5, pid, kind: 'EXIT' });
  }
  // fork: the parent's copy starts with the data segment's mapped file pages (copy_pte_range +1)
  for (const pid of user) {
    const first = pids.get(pid)![0];
    const copy = pids
      .get(1)!
      .filter((i) => i < first && t.type[i] === PageRefType.mod && t.val[i] === 1 && b.bb(i) === data.from);
    acts.push({ at: copy[copy.length - 1] - 0.5, pid: 1, kind: 'FORK', child: pid });
  }
  acts.sort((x, y) => x.at - y.at);
  startAtDrains(b, acts, pids);
  return silentWrites(b, acts);
}

/**
 * An action that drains this CPU's lru_add batch first (do_wp_page's wp_can_reuse_anon_folio ->
 * lru_add_drain) starts at the drain's first put, so another CPU's steps in between stay after it.
 */
function startAtDrains(b: BootTrace, acts: Action[], pids: Map<number, number[]>): void {
  const { t } = b;
  for (const [pid, s] of pids) {
    const mine = acts.filter((a) => a.pid === pid);
    mine.forEach((a, q) => {
      if (!['W', 'COW', 'A', 'R'].includes(a.kind)) return;
      const prev = q ? mine[q - 1].at : -1;
      let k = s.findIndex((i) => i >= a.at) - 1;
      let start = a.at;
      while (
        k >= 0 &&
        s[k] > prev &&
        t.type[s[k]] === PageRefType.mod_and_test &&
        b.labels[s[k]]?.kind === 'anon' &&
        b.flags(s[k], 'lru')
      )
        start = s[k--];
      if (start !== a.at) a.at = start - 0.25;
    });
  }
  acts.sort((x, y) => x.at - y.at);
}

/**
 * PG_anon_exclusive set again on an anonymous page with no reference change: the task that logs the
 * page's next event wrote it (a reuse); its `write` goes before that task's fork, exec or exit
 */
function silentWrites(b: BootTrace, acts: Action[]): Action[] {
  const { t, layout } = b;
  const prev = new Map<number, number>();
  const extra: Action[] = [];
  for (let i = 0; i < t.pfn.length; i++) {
    const p = t.pfn[i];
    if (t.type[i] === PageRefType.set && t.val[i] === 1) {
      prev.delete(p);
      continue;
    }
    const before = prev.get(p);
    prev.set(p, i);
    const L = b.labels[i];
    if (L?.kind !== 'anon' || before === undefined || b.isAnonAdd(i)) continue;
    if (!b.flags(i, layout.anonExclusive) || b.flags(before, layout.anonExclusive)) continue;
    const mine = acts.filter((a) => a.pid === t.pid[i] && a.at < i);
    const last = mine[mine.length - 1];
    if (!last) continue;
    extra.push({
      at: BOUNDARY.includes(last.kind) ? last.at - 0.01 : last.at + 0.01,
      pid: t.pid[i],
      kind: 'SILENT',
      label: L,
    });
  }
  return [...acts, ...extra].sort((x, y) => x.at - y.at);
}

/**
 * get_arg_page() calls on an exec's argument page (the pfn of event `s[arg]`): its +1s from event
 * `s[from]` on, up to the first event `stop` accepts
 */
function argPageGets(
  t: KeyedTrace,
  s: number[],
  arg: number,
  from: number,
  stop: (i: number) => boolean,
): number {
  let n = 0;
  for (let k = from + 1; k < s.length && !stop(s[k]); k++)
    if (t.pfn[s[k]] === t.pfn[s[arg]] && t.type[s[k]] === PageRefType.mod) n++;
  return n;
}

/** a pid's last comm (the one ftrace names it by) */
function lastComm(t: KeyedTrace, s: number[]): string {
  return t.comms[t.comm[s[s.length - 1]]];
}

/** the scenario's task names: the skeleton's init, the programs by comm and fork order (mount3) */
export function programNames(t: KeyedTrace, acts: Action[], layout: BootLayout): Map<number, string> {
  const pids = byPid(t);
  const names = new Map<number, string>([[1, layout.tasks.get('init') ?? 'init']]);
  let n = 0;
  for (const a of acts)
    if (a.kind === 'FORK') names.set(a.child!, `${lastComm(t, pids.get(a.child!)!)}${++n}`);
  return names;
}

/** The actions as statements: task names, the CPU each runs on, regions and pages by the task's view */
function programLines(b: BootTrace, acts: Action[]): Line[] {
  const { t, layout } = b;
  const data = layout.segments.find((s) => s.writable)!;
  const pids = byPid(t);
  const names = programNames(t, acts, layout);
  const comm = (pid: number) => lastComm(t, pids.get(pid)!);
  /** each task's view: anonymous page -> [vma, page]; and the next `mem` page it faults */
  const where = new Map<number, Map<string, [string, number]>>();
  const mem = new Map<number, number>();
  const cpu = new Map<number, number>();
  const out: Line[] = [];
  const push = (at: number, text: string) => out.push({ at, text });
  const onCpu = (a: Action) => {
    const c = t.cpu[Math.floor(a.at) === a.at ? a.at : Math.ceil(a.at)];
    if (cpu.get(a.pid) !== c) {
      if (cpu.has(a.pid)) push(a.at, `${names.get(a.pid)} cpu ${c}`);
      cpu.set(a.pid, c);
    }
  };
  for (const a of acts) {
    const name = names.get(a.pid)!;
    const view = where.get(a.pid)!;
    switch (a.kind) {
      case 'FORK': {
        where.set(a.child!, new Map(where.get(1)));
        mem.set(a.child!, mem.get(1)!);
        const c = t.cpu[pids.get(a.child!)![0]];
        cpu.set(a.child!, c);
        push(a.at, `${name} fork ${names.get(a.child!)} cpu=${c}`);
        break;
      }
      case 'EXEC': {
        const s = pids.get(a.pid)!;
        const j = s.indexOf(a.at);
        where.set(
          a.pid,
          new Map([
            [anonKey(a.stack!), ['stack', STACK_ARG_PAGE]],
            [anonKey(a.padzero!), [data.name, data.to - data.from]],
          ]),
        );
        mem.set(a.pid, 0);
        const readsBb0 = (i: number) => b.bb(i) === 0;
        if (a.pid === 1) {
          // kernel_execve("/init"): the filename, envp and argv one by one; then load_script's
          const readsScript = (i: number) => b.labels[i]?.kind === 'script';
          const k = s.findIndex((i, q) => q > j && readsScript(i));
          push(a.at, `${name} cpu ${t.cpu[a.at]}`);
          cpu.set(a.pid, t.cpu[a.at]);
          push(
            a.at,
            `${name} exec ${layout.image} strings=${argPageGets(t, s, j, j, readsScript)} comm=${comm(1)} ` +
              `script=${layout.script} script_strings=${argPageGets(t, s, j, k, readsBb0)}`,
          );
        } else {
          // sched_exec(): the CPU of exec's first read of the executable
          const first = s.find((i, q) => q > j && readsBb0(i))!;
          const moved = t.cpu[first] !== cpu.get(a.pid) ? ` cpu=${t.cpu[first]}` : '';
          cpu.set(a.pid, t.cpu[first]);
          push(
            a.at,
            `${name} exec ${layout.image} strings=${argPageGets(t, s, j, j, readsBb0)} comm=${comm(a.pid)}${moved}`,
          );
        }
        push(a.at, `${name} mmap mem anon ${MEM_PAGES}`);
        break;
      }
      case 'EXIT':
        push(a.at, `${name} exit`);
        break;
      case 'ENOENT': {
        onCpu(a);
        const s = pids.get(a.pid)!;
        const j = s.indexOf(a.at);
        push(a.at, `${name} execve_enoent strings=${argPageGets(t, s, j, j, (i) => t.count[i] === 0)}`);
        break;
      }
      case 'SILENT': {
        const r = view.get(anonKey(a.label!));
        if (r) push(a.at, `${name} write ${r[0]} ${r[1]}  # reused: PG_anon_exclusive again`);
        break;
      }
      case 'TRUNC':
        onCpu(a);
        push(a.at, `${name} truncate ${layout.bdev}  # the partition scan's deferred fput: its last close`);
        break;
      case 'SCRIPT':
        onCpu(a);
        push(a.at, `${name} fread ${layout.script}`);
        break;
      case 'R':
        onCpu(a);
        push(a.at, `${name} read ${a.vma} ${a.page}`);
        break;
      case 'W':
        onCpu(a);
        view.set(anonKey(a.label!), [a.vma!, a.page!]);
        push(a.at, `${name} write ${a.vma} ${a.page}`);
        break;
      case 'A': {
        onCpu(a);
        const m = mem.get(a.pid)!;
        if (m >= MEM_PAGES)
          throw new Error(`boot trace: ${name} faults more than ${MEM_PAGES} anonymous pages`);
        view.set(anonKey(a.label!), ['mem', m]);
        mem.set(a.pid, m + 1);
        push(a.at, `${name} write mem ${m}`);
        break;
      }
      case 'COW': {
        onCpu(a);
        const old = a.old!;
        const r: [string, number] | undefined =
          old.kind === 'bb' ? [data.name, old.index - data.from] : view.get(anonKey(old));
        if (!r) throw new Error(`boot trace: ${name} copies a page it does not map`);
        view.set(anonKey(a.label!), r);
        push(a.at, `${name} write ${r[0]} ${r[1]}`);
        break;
      }
    }
  }
  return out;
}

/** the anonymous region a program's bss, heap and stack faults go to */
const MEM_PAGES = 64;
