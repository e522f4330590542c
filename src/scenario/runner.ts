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
import { Machine } from '../mm/machine.js';
import { handle_mm_fault } from '../mm/memory.js';
import { do_munmap } from '../mm/mmap.js';
import { do_mmap_anon, find_vma, type Task } from '../mm/mm_types.js';
import { PageBuddy, buddy_order } from '../mm/page_alloc.js';
import { lru_add_drain_all } from '../mm/swap.js';
import { ScenarioError, type Scenario, type Statement } from './format.js';

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
  machine: Machine;
}

/** Runs `sc` with tracing on: every event is kept. */
export function runScenario(sc: Scenario, profile: Profile): RunResult {
  const machine = new Machine({ profile, nrPages: sc.pages, nrCpus: sc.cpus, seed: sc.seed });
  const k = machine.k;
  const events: SimEvent[] = [];
  let clock = 1_000_000_000;
  k.tracer.subscribe((rec, ctx) => {
    k.tracer.ctx.timestampNs = clock += 2_000;
    events.push({ record: { ...rec }, ctx: { ...ctx }, stack: [...k.callStack].reverse() });
  });
  const result: RunResult = {
    scenario: sc.name,
    profile,
    nrCpus: machine.nrCpus,
    events,
    checkpoints: new Map(),
    machine,
  };
  for (const st of sc.statements) {
    if (st.profiles && !st.profiles.includes(profile.name)) continue;
    clock += 10_000;
    execute(machine, st, sc.name, result);
  }
  return result;
}

function execute(machine: Machine, st: Statement, file: string, result: RunResult): void {
  const k = machine.k;
  const a = st.action;
  const fail = (what: string): never => {
    throw new ScenarioError(file, st.line, what);
  };
  const cpuOk = (cpu: number | undefined) => {
    if (cpu !== undefined && cpu >= machine.nrCpus)
      fail(`cpu=${cpu}, but the machine has ${machine.nrCpus} CPUs`);
    return cpu;
  };
  const live = (name: string): Task & { mm: NonNullable<Task['mm']> } => {
    const t = machine.task(name);
    if (!t.mm) fail(`task '${name}' has exited`);
    return t as Task & { mm: NonNullable<Task['mm']> };
  };
  const vmaOf = (t: Task & { mm: NonNullable<Task['mm']> }, region: string) =>
    find_vma(t.mm, region) ??
    fail(`task has no mapping '${region}' (not mmap'ed by it or its parent, or unmapped)`);
  switch (a.op) {
    case 'task':
      machine.spawn(a.name, a.comm, cpuOk(a.cpu));
      break;
    case 'mmap': {
      const t = live(a.task);
      if (find_vma(t.mm, a.region)) fail(`region '${a.region}' is already mapped in task '${a.task}'`);
      do_mmap_anon(t.mm, a.region, a.pages, false);
      break;
    }
    case 'touch': {
      const t = live(a.task);
      const vma = vmaOf(t, a.region);
      const to = a.to ?? vma.nrPages - 1;
      if (to >= vma.nrPages) fail(`page ${to} is outside '${a.region}' (${vma.nrPages} pages)`);
      machine.run(t, () => {
        for (let i = a.from ?? 0; i <= to; i += a.step) handle_mm_fault(k, t.mm, vma, i, a.write);
      });
      break;
    }
    case 'madvise':
      vmaOf(live(a.task), a.region).dontCopy = true;
      break;
    case 'fork':
      machine.fork(live(a.task), a.child, cpuOk(a.cpu));
      break;
    case 'munmap': {
      const t = live(a.task);
      const vma = vmaOf(t, a.region);
      machine.run(t, () => do_munmap(k, t.mm, vma));
      break;
    }
    case 'exit':
      machine.exit(live(a.task));
      break;
    case 'drain':
      lru_add_drain_all(k, machine.nrCpus);
      break;
    case 'checkpoint': {
      const regions = new Map<string, Int32Array>();
      for (const [name, t] of machine.tasks)
        for (const v of t.mm?.vmas ?? []) regions.set(`${name}:${v.name}`, v.pfn.slice());
      result.checkpoints.set(a.tag, { at: result.events.length, regions });
      break;
    }
  }
}

/** The trace file text: header, event lines, and with `stacks` a `<stack trace>` block after each. */
export function formatRunTrace(r: RunResult, stacks: boolean): string {
  const n = r.events.length * (stacks ? 2 : 1);
  const out = [
    formatTraceHeader(DEFAULT_TRACE_FORMAT, { inBuffer: n, written: n, cpus: r.nrCpus }).trimEnd(),
  ];
  for (const e of r.events) {
    out.push(formatPageRefLine(r.profile, e.record, e.ctx));
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
