/**
 * Runs a parsed scenario on a fresh Machine of one profile and collects what a real kernel with
 * CONFIG_DEBUG_PAGE_REF would have traced: each page_ref record, its task/CPU context and the
 * model's call path; plus the pfns of every region at each checkpoint and the final page state.
 */
import { show_page_flags } from '../kernel/flag_names.js';
import type { Profile } from '../kernel/profiles/index.js';
import { page_type_name } from '../kernel/page_type.js';
import {
  PAGE_REF_EVENT_NAMES,
  pageRefHasRet,
  type PageRefRecord,
  type TraceContext,
} from '../kernel/tracepoint.js';
import {
  DEFAULT_TRACE_FORMAT,
  formatContext,
  formatPageRefLine,
  formatTraceHeader,
} from '../kernel/trace_format.js';
import { compact_nodes } from '../mm/compaction.js';
import {
  address_space_alloc,
  drop_pagecache,
  filemap_read,
  read_mapping_folio,
  shmem_file_write,
} from '../mm/filemap.js';
import type { ElfImage } from '../mm/exec.js';
import { kernel_pages_alloc, kernel_pages_free, type KernelPages } from '../mm/kernel_pages.js';
import { truncate_inode_pages } from '../mm/truncate.js';
import { get_user_pages_fast, unpin_user_page } from '../mm/gup.js';
import { Machine } from '../mm/machine.js';
import type { MigrateCtx } from '../mm/migrate.js';
import { do_pages_move, do_pages_stat } from '../mm/move_pages.js';
import { filemap_splice_read, free_pipe_info, vmsplice_to_pipe, type Pipe } from '../mm/splice.js';
import { madvise_dontneed } from '../mm/madvise.js';
import { madvise_pageout } from '../mm/vmscan.js';
import { memory_reclaim } from '../mm/vmscan_node.js';
import { lru_gen_debugfs_age } from '../mm/vmscan_mglru.js';
import { handle_mm_fault } from '../mm/memory.js';
import { do_munmap, do_munmap_range } from '../mm/mmap.js';
import {
  Pte,
  do_mmap_anon,
  do_mmap_file,
  find_vma,
  type AddressSpace,
  type Task,
  type Vma,
} from '../mm/mm_types.js';
import { called } from '../mm/stack.js';
import { PageBuddy, buddy_order } from '../mm/page_alloc.js';
import { lru_add_drain_all } from '../mm/swap.js';
import { deferred_split_scan, split_huge_pages_pid } from '../mm/huge_split.js';
import {
  anon_enabled_store,
  thp_enabled_store,
  type ThpEnabled,
  type ThpSizeEnabled,
} from '../mm/thp_sysfs.js';
import { ScenarioError, type Scenario, type Statement } from './format.js';
import { VmBug } from '../kernel/vm_bug.js';
import { NotModelled } from '../mm/not_modelled.js';

export interface SimEvent {
  record: PageRefRecord;
  ctx: TraceContext;
  /** the model's call path, innermost first */
  stack: string[];
}

export interface RunResult {
  scenario: string;
  profile: Profile;
  nrCpus: number;
  events: SimEvent[];
  /** tag -> "task:region" -> pfns (-1 = not present), and the event index the checkpoint came at */
  checkpoints: Map<string, { at: number; regions: Map<string, Int32Array> }>;
  /** `mark` statements run while tracing was on: text and the index of the next event */
  marks: { text: string; at: number }[];
  machine: Machine;
}

/**
 * Runs `sc` with tracing on: every event is kept. `afterStatement` sees the machine after each
 * statement the profile runs (the viewer's step-through snapshots the pages there).
 */
export function runScenario(
  sc: Scenario,
  profile: Profile,
  afterStatement?: (st: Statement, r: RunResult) => void,
): RunResult {
  let machine: Machine;
  try {
    machine = new Machine({
      profile,
      nrPages: sc.pages,
      nrCpus: sc.cpus,
      seed: sc.seed,
      pcpHigh: sc.pcpHigh,
      swap: sc.swap,
      lruGenCaps: sc.lruGenCaps,
      reservedPages: sc.reserved,
    });
  } catch (e) {
    // an option the profile cannot have (lru_gen=y without CONFIG_LRU_GEN) names the machine line
    if (!(e instanceof Error) || sc.machineLine === undefined) throw e;
    throw new ScenarioError(sc.file, sc.machineLine, e.message, e);
  }
  const k = machine.k;
  const events: SimEvent[] = [];
  let clock = 1_000_000_000;
  const record = (rec: Readonly<PageRefRecord>, ctx: Readonly<TraceContext>) => {
    k.tracer.ctx.timestampNs = clock += 2_000;
    events.push({ record: { ...rec }, ctx: { ...ctx }, stack: [...k.callStack].reverse() });
  };
  let stopTracing: (() => void) | undefined = k.tracer.subscribe(record);
  const result: RunResult = {
    scenario: sc.name,
    profile,
    nrCpus: machine.nrCpus,
    events,
    checkpoints: new Map(),
    marks: [],
    machine,
  };
  for (const st of sc.statements) {
    if (st.profiles && !st.profiles.includes(profile.name)) continue;
    clock += 10_000;
    if (st.action.op === 'mark') {
      if (stopTracing) result.marks.push({ text: st.action.text, at: events.length });
    } else if (st.action.op !== 'tracing') executeReported(machine, st, sc.file, result);
    else if (st.action.on) stopTracing ??= k.tracer.subscribe(record);
    else {
      stopTracing?.();
      stopTracing = undefined;
    }
    afterStatement?.(st, result);
  }
  return result;
}

/** What a run keeps beside the machine: files (by mapping id), pipes, pinned pages, executables, kernel page pools */
interface SimState {
  files: Map<number, AddressSpace>;
  pipes: Map<string, Pipe>;
  pins: number[];
  images: Map<string, ElfImage>;
  pools: Map<string, KernelPages>;
}

const simStates = new WeakMap<Machine, SimState>();
const kthreadSets = new WeakMap<Machine, Set<Task>>();

/** the tasks created `kthread` that have not exec'd (no mm, but running) */
function kernelThreads(m: Machine): Set<Task> {
  let s = kthreadSets.get(m);
  if (!s) kthreadSets.set(m, (s = new Set()));
  return s;
}

function simState(m: Machine): SimState {
  let s = simStates.get(m);
  if (!s)
    simStates.set(
      m,
      (s = { files: new Map(), pipes: new Map(), pins: [], images: new Map(), pools: new Map() }),
    );
  return s;
}

/**
 * execute(), with what the simulated kernel refuses reported at the statement: a VM_BUG_ON the
 * statement drove the model into (the kernel would BUG() there), or a path the model lacks.
 */
function executeReported(machine: Machine, st: Statement, file: string, result: RunResult): void {
  try {
    execute(machine, st, file, result);
  } catch (err) {
    if (err instanceof VmBug)
      throw statementError(file, st, `${st.action.op}: the kernel would BUG() here:\n${err.message}`);
    if (err instanceof NotModelled) throw statementError(file, st, `${st.action.op}: ${err.message}`);
    throw err;
  }
}

/** An error at statement `st`, with the loop values it ran with inside `repeat` blocks. */
function statementError(file: string, st: Statement, what: string): ScenarioError {
  return new ScenarioError(file, st.line, st.loops ? `${what} (in ${st.loops})` : what);
}

function execute(machine: Machine, st: Statement, file: string, result: RunResult): void {
  const k = machine.k;
  const a = st.action;
  const fail = (what: string): never => {
    throw statementError(file, st, what);
  };
  const cpuOk = (cpu: number | undefined) => {
    if (cpu !== undefined && cpu >= machine.nrCpus)
      fail(`cpu=${cpu}, but the machine has ${machine.nrCpus} CPUs`);
    return cpu;
  };
  const live = (name: string): Task & { mm: NonNullable<Task['mm']> } => {
    const t = machine.task(name);
    if (!t.mm)
      fail(kthreads.has(t) ? `task '${name}' is a kernel thread (no mm)` : `task '${name}' has exited`);
    return t as Task & { mm: NonNullable<Task['mm']> };
  };
  /** a task that has not exited: a process, or a kernel thread (no mm) */
  const running = (name: string): Task => {
    const t = machine.task(name);
    if (!t.mm && !kthreads.has(t)) fail(`task '${name}' has exited`);
    return t;
  };
  const sim = simState(machine);
  const kthreads = kernelThreads(machine);
  const liveMms = () => [...machine.tasks.values()].flatMap((t) => (t.mm ? [t.mm] : []));
  /** the file first mapped as `region` (files are named after that region) */
  const fileOf = (region: string): AddressSpace =>
    [...sim.files.values()].find((f) => f.name === region) ?? fail(`'${region}' is not a file region`);
  const migrateCtx = (): MigrateCtx => ({ mms: liveMms(), mappings: sim.files });
  const span = (vma: Vma, from: number | undefined, to: number | undefined): [number, number] => {
    const end = to ?? vma.nrPages - 1;
    if (end >= vma.nrPages) fail(`page ${end} is outside '${vma.name}' (${vma.nrPages} pages)`);
    return [from ?? 0, end];
  };
  const vmaOf = (t: Task & { mm: NonNullable<Task['mm']> }, region: string) =>
    find_vma(t.mm, region) ??
    fail(`task has no mapping '${region}' (not mmap'ed by it or its parent, or unmapped)`);
  switch (a.op) {
    case 'task': {
      const t = machine.spawn(a.name, a.comm, cpuOk(a.cpu), { pid: a.pid, kthread: a.kthread });
      if (a.kthread) kthreads.add(t);
      break;
    }
    case 'elf': {
      const file = fileOf(a.file);
      for (const seg of a.segments)
        if (seg.to >= file.pages.length)
          fail(
            `elf: segment ${seg.name} maps page ${seg.to}, past the end of '${a.file}' (${file.pages.length} pages)`,
          );
      sim.images.set(a.image, { file, segments: a.segments });
      break;
    }
    case 'exec': {
      const t = running(a.task);
      const elf = sim.images.get(a.image)!;
      const file = a.script === undefined ? elf.file : fileOf(a.script);
      kthreads.delete(t);
      machine.exec(
        t,
        { file, elf, strings: a.strings, scriptStrings: a.scriptStrings, cpu: cpuOk(a.cpu) },
        a.comm,
      );
      break;
    }
    case 'execve_enoent':
      machine.execEnoent(live(a.task), a.strings);
      break;
    case 'free_reserved_area':
      try {
        machine.freeReservedArea(running(a.task), a.pages);
      } catch (e) {
        fail((e as Error).message);
      }
      break;
    case 'kalloc': {
      let pool = sim.pools.get(a.pool);
      if (!pool) sim.pools.set(a.pool, (pool = { pfns: [], orders: [] }));
      const p = pool;
      machine.run(running(a.task), () => kernel_pages_alloc(k, p, a.n, a.order));
      break;
    }
    case 'kfree': {
      const pool = sim.pools.get(a.pool)!;
      const n = a.n ?? pool.pfns.length;
      if (n > pool.pfns.length) fail(`kfree: pool '${a.pool}' holds ${pool.pfns.length} blocks, ${n} asked`);
      machine.run(running(a.task), () => kernel_pages_free(k, pool, n));
      break;
    }
    case 'read_mapping_folio': {
      const file = fileOf(a.region);
      if (file.kind !== 'file') fail(`read_mapping_folio: '${a.region}' is not a block device`);
      if (a.index >= file.pages.length) fail(`page ${a.index} is past the end of '${a.region}'`);
      machine.run(running(a.task), () => read_mapping_folio(k, file, a.index));
      break;
    }
    case 'mmap': {
      const t = live(a.task);
      if (find_vma(t.mm, a.region)) fail(`region '${a.region}' is already mapped in task '${a.task}'`);
      if (a.kind === 'anon') do_mmap_anon(k, t.mm, a.region, a.pages, false);
      else if (a.of !== undefined) {
        const file = fileOf(a.of);
        if (file.kind !== a.kind || file.pages.length < a.pgoff + a.pages)
          fail(`'${a.of}' is a ${file.pages.length}-page ${file.kind} file`);
        do_mmap_file(k, t.mm, a.region, file, a.pages, a.shared, a.pgoff);
      } else {
        const file = address_space_alloc(k, a.region, a.kind, a.pgoff + a.pages);
        sim.files.set(file.id, file);
        do_mmap_file(k, t.mm, a.region, file, a.pages, a.shared, a.pgoff);
      }
      break;
    }
    case 'open': {
      running(a.task);
      const file = address_space_alloc(k, a.file, a.kind, a.pages);
      sim.files.set(file.id, file);
      break;
    }
    case 'fread':
    case 'fwrite': {
      const t = running(a.task);
      // a region of the task (its file pages by default) or an opened file (all of it)
      const vma = t.mm && find_vma(t.mm, a.region);
      const file = vma
        ? (vma.file ?? fail(`'${a.region}' is anonymous: ${a.op} needs a file`))
        : fileOf(a.region);
      const from = a.from ?? vma?.pgoff ?? 0;
      const to = a.to ?? (vma ? vma.pgoff + vma.nrPages - 1 : file.pages.length - 1);
      if (to >= file.pages.length)
        fail(`page ${to} is past the end of '${file.name}' (${file.pages.length} pages)`);
      const buf = a.into === undefined ? undefined : vmaOf(live(a.task), a.into);
      if (buf && (buf.file || file.kind === 'shmem'))
        fail(`fread into '${a.into}': copying a tmpfs read or into a file mapping is not modelled`);
      // copy_page_to_iter() -> copy_user: a write fault on a buffer page not yet present/writable
      const copy = (folio: number) => {
        if (!buf) return;
        const i = (k.mem.index[folio] - from) % buf.nrPages;
        if ((buf.pte[i] & (Pte.PRESENT | Pte.WRITE)) !== (Pte.PRESENT | Pte.WRITE))
          called(k, 'copy_page_to_iter', () => handle_mm_fault(k, t.mm!, buf, i, true));
      };
      machine.run(t, () => {
        if (a.op === 'fread') filemap_read(k, file, from, to, copy);
        else if (file.kind !== 'shmem') fail(`'${a.region}': fwrite to a block device is not modelled`);
        else shmem_file_write(k, file, from, to);
      });
      break;
    }
    case 'pin':
    case 'unpin':
    case 'migrate':
    case 'pages_node':
    case 'reclaim':
    case 'split_huge_pages': {
      const t = live(a.task);
      const vma = vmaOf(t, a.region);
      const [from, to] = span(vma, a.from, a.to);
      machine.run(t, () => {
        if (a.op === 'pin') {
          sim.pins.push(...get_user_pages_fast(k, t.mm, vma, from, to, { pin: true, write: false }));
        } else if (a.op === 'unpin') {
          for (let i = from; i <= to; i++) {
            const at = sim.pins.indexOf(vma.pfn[i]);
            if (at < 0) fail(`page ${i} of '${a.region}' is not pinned`);
            unpin_user_page(k, sim.pins.splice(at, 1)[0]);
          }
        } else if (a.op === 'migrate') do_pages_move(k, migrateCtx(), machine.nrCpus, vma, from, to);
        else if (a.op === 'pages_node') do_pages_stat(k, vma, from, to);
        else if (a.op === 'split_huge_pages') split_huge_pages_pid(k, liveMms(), vma, from, to + 1);
        else madvise_pageout(k, liveMms(), vma, from, to);
      });
      break;
    }
    case 'pipe':
      sim.pipes.set(a.pipe, { name: a.pipe, bufs: [] });
      break;
    case 'close': {
      const t = live(a.task);
      machine.run(t, () => free_pipe_info(k, sim.pipes.get(a.pipe)!));
      break;
    }
    case 'vmsplice':
    case 'splice': {
      const t = live(a.task);
      const vma = vmaOf(t, a.region);
      const [from, to] = span(vma, a.from, a.to);
      const pipe = sim.pipes.get(a.pipe)!;
      machine.run(t, () => {
        if (a.op === 'vmsplice') vmsplice_to_pipe(k, pipe, t.mm, vma, from, to);
        else if (!vma.file) fail(`'${a.region}' is anonymous: splice reads from a file region`);
        else filemap_splice_read(k, pipe, vma.file, from, to);
      });
      break;
    }
    case 'truncate': {
      const t = running(a.task);
      machine.run(t, () => truncate_inode_pages(k, fileOf(a.region)));
      break;
    }
    case 'compact': {
      const t = live(a.task);
      machine.run(t, () => compact_nodes(k, migrateCtx(), machine.nrCpus));
      break;
    }
    case 'drop_caches': {
      const t = live(a.task);
      machine.run(t, () => drop_pagecache(k, machine.nrCpus, sim.files.values()));
      break;
    }
    case 'reclaim_memory': {
      const t = live(a.task);
      machine.run(t, () => memory_reclaim(k, machine.nrCpus, a.pages));
      break;
    }
    case 'lru_gen_age': {
      const t = live(a.task);
      try {
        machine.run(t, () => lru_gen_debugfs_age(k, machine.mms(), a.swappiness, a.forceScan));
      } catch (e) {
        fail(`lru_gen_age: ${(e as Error).message}`); // the write's error (-ERANGE, -EINVAL)
      }
      break;
    }
    case 'touch': {
      const t = live(a.task);
      const vma = vmaOf(t, a.region);
      const to = a.to ?? vma.nrPages - 1;
      if (to >= vma.nrPages) fail(`page ${to} is outside '${a.region}' (${vma.nrPages} pages)`);
      for (const i of a.pages ?? [])
        if (i >= vma.nrPages) fail(`page ${i} is outside '${a.region}' (${vma.nrPages} pages)`);
      machine.run(t, () => {
        if (a.pages) for (const i of a.pages) handle_mm_fault(k, t.mm, vma, i, a.write);
        else for (let i = a.from ?? 0; i <= to; i += a.step) handle_mm_fault(k, t.mm, vma, i, a.write);
      });
      break;
    }
    case 'madvise': {
      const vma = vmaOf(live(a.task), a.region);
      if (a.advice === 'dontfork') vma.dontCopy = true;
      else vma.hugepage = a.advice === 'hugepage';
      break;
    }
    case 'dontneed': {
      const t = live(a.task);
      const vma = vmaOf(t, a.region);
      const [from, to] = span(vma, a.from, a.to);
      const keep = a.keep;
      machine.run(t, () => {
        if (keep === undefined) madvise_dontneed(k, t.mm, vma, from, to + 1);
        else for (let i = from; i <= to; i++) if (i % keep) madvise_dontneed(k, t.mm, vma, i, i + 1);
      });
      break;
    }
    case 'fork':
      machine.fork(live(a.task), a.child, cpuOk(a.cpu));
      break;
    case 'munmap': {
      const t = live(a.task);
      const vma = vmaOf(t, a.region);
      if (a.from === undefined) machine.run(t, () => do_munmap(k, t.mm, vma));
      else {
        const [from, to] = span(vma, a.from, a.to);
        machine.run(t, () => do_munmap_range(k, t.mm, vma, from, to + 1));
      }
      break;
    }
    case 'exit':
      machine.exit(live(a.task));
      break;
    case 'cpu':
      running(a.task).cpu = cpuOk(a.cpu)!;
      break;
    case 'drain':
      lru_add_drain_all(k, machine.nrCpus);
      break;
    case 'sysfs':
      try {
        if (a.knob === 'enabled') thp_enabled_store(k, a.value as ThpEnabled);
        else anon_enabled_store(k, a.knob, a.value as ThpSizeEnabled);
      } catch (e) {
        fail((e as Error).message);
      }
      break;
    case 'deferred_split_scan': {
      const t = live(a.task);
      machine.run(t, () => deferred_split_scan(k, liveMms()));
      break;
    }
    case 'checkpoint': {
      const regions = new Map<string, Int32Array>();
      for (const [name, t] of machine.tasks)
        for (const v of t.mm?.vmas ?? []) regions.set(`${name}:${v.name}`, v.pfn.slice());
      result.checkpoints.set(a.tag, { at: result.events.length, regions });
      break;
    }
  }
}

/**
 * trace_find_cmdline(): ftrace names a pid by the comm it last recorded for it, when the trace is
 * read, so a forked child's events before its exec show the exec'd program's name. pid -> that name.
 */
export function pidComms(r: RunResult): Map<number, string> {
  const comms = new Map<number, string>();
  for (const t of r.machine.tasks.values()) comms.set(t.pid, t.comm);
  return comms;
}

/** The trace file text: header, event lines, and with `stacks` a `<stack trace>` block after each. */
export function formatRunTrace(r: RunResult, stacks: boolean): string {
  const n = r.events.length * (stacks ? 2 : 1);
  const out = [
    formatTraceHeader(DEFAULT_TRACE_FORMAT, { inBuffer: n, written: n, cpus: r.nrCpus }).trimEnd(),
  ];
  const comms = pidComms(r);
  for (const e of r.events) {
    const comm = comms.get(e.ctx.pid);
    out.push(formatPageRefLine(r.profile, e.record, comm === undefined ? e.ctx : { ...e.ctx, comm }));
    if (!stacks) continue;
    const template = pageRefHasRet(e.record.type) ? 'mod_and_test' : 'mod';
    const ev = PAGE_REF_EVENT_NAMES[e.record.type].slice('page_ref_'.length);
    out.push(
      `${formatContext({ ...e.ctx, timestampNs: e.ctx.timestampNs + 1_000 }, DEFAULT_TRACE_FORMAT)}<stack trace>`,
    );
    out.push(` => trace_event_raw_event_page_ref_${template}_template`, ` => __page_ref_${ev}`);
    for (const fn of e.stack) out.push(` => ${fn}`);
  }
  return out.join('\n') + '\n';
}

export interface PageState {
  pfn: string;
  refcount: number;
  /** raw _mapcount / page_type */
  mapcount: number;
  flags: string;
  type: string | null;
  /** order of the free buddy block this page heads, or null */
  buddyOrder: number | null;
}

/** The final state of every page that appeared in the trace, by pfn. */
export function finalPages(r: RunResult): PageState[] {
  const k = r.machine.k;
  const pfns = [...new Set(r.events.map((e) => e.record.pfn))].sort((a, b) => a - b);
  return pfns.map((p) => ({
    pfn: `0x${p.toString(16)}`,
    refcount: k.mem.refcount[p],
    mapcount: k.mem.mapcount[p],
    flags: show_page_flags(r.profile, k.mem.flagsLo[p]),
    type: page_type_name(k, p) ?? null,
    buddyOrder: PageBuddy(k, p) ? buddy_order(k, p) : null,
  }));
}
