/**
 * A simulated machine: one Kernel (mem_map + profile + tracer), the zone handed to the buddy
 * allocator at boot, several CPUs (each with its own PCP lists and LRU batches), and tasks that run
 * on them. Who runs where is decided by the scenario or, when it does not say, by a PRNG seeded
 * from the scenario, so every run of the same scenario gives the same trace.
 */
import { Kernel } from '../kernel/kernel.js';
import type { Profile } from '../kernel/profiles/index.js';
import type { ProfileName } from '../kernel/profiles/types.js';
import { exit_mmap, dup_mmap } from './mmap.js';
import { mm_alloc, type Task } from './mm_types.js';
import { memblock_free_all } from './page_alloc.js';

export interface MachineOptions {
  profile: Profile | ProfileName;
  /** pages of RAM (default 1 GiB = 262144) */
  nrPages?: number;
  nrCpus?: number;
  seed?: number;
  debugVm?: boolean;
  /** pcp->high of every CPU (zoneinfo `pagesets: high`; default 6 * batch) */
  pcpHigh?: number;
}

/** pfns below this are not given to the buddy (firmware, the kernel image) */
export const FIRST_FREE_PFN = 0x1000;

export class Machine {
  readonly k: Kernel;
  readonly nrCpus: number;
  readonly tasks = new Map<string, Task>();
  private nextPid = 100;
  private rngState: number;

  constructor(opts: MachineOptions) {
    const nrPages = opts.nrPages ?? 262144;
    this.nrCpus = opts.nrCpus ?? 2;
    this.k = new Kernel({ profile: opts.profile, nrPages, debugVm: opts.debugVm });
    this.rngState = (opts.seed ?? 1) >>> 0 || 1;
    memblock_free_all(this.k, FIRST_FREE_PFN, nrPages, this.nrCpus, opts.pcpHigh);
  }

  /** xorshift32: the scheduler's deterministic choices */
  random(n: number): number {
    let x = this.rngState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rngState = x >>> 0;
    return this.rngState % n;
  }

  task(name: string): Task {
    const t = this.tasks.get(name);
    if (!t) throw new Error(`no task named ${name}`);
    return t;
  }

  /** a new process with an empty mm (exec'd), on `cpu` or a CPU the seed picks */
  spawn(name: string, comm: string, cpu?: number): Task {
    const t: Task = { pid: this.nextPid++, comm, cpu: cpu ?? this.random(this.nrCpus), mm: mm_alloc() };
    this.tasks.set(name, t);
    return t;
  }

  /** runs `body` as `task` on its CPU: the tracer's context is that task's */
  run<T>(task: Task, body: () => T): T {
    const ctx = this.k.tracer.ctx;
    ctx.comm = task.comm;
    ctx.pid = ctx.tgid = task.pid;
    ctx.cpu = task.cpu;
    return body();
  }

  /** fork(): the child runs `comm` too, on `cpu` or a CPU the seed picks */
  fork(parent: Task, name: string, cpu?: number): Task {
    const mm = parent.mm;
    if (!mm) throw new Error(`fork: task ${parent.comm}-${parent.pid} has exited`);
    const child: Task = {
      pid: this.nextPid++,
      comm: parent.comm,
      cpu: cpu ?? this.random(this.nrCpus),
      mm: undefined,
    };
    child.mm = this.run(parent, () => dup_mmap(this.k, mm));
    this.tasks.set(name, child);
    return child;
  }

  exit(task: Task): void {
    const mm = task.mm;
    if (!mm) throw new Error(`exit: task ${task.comm}-${task.pid} has already exited`);
    this.run(task, () => exit_mmap(this.k, mm));
    task.mm = undefined;
  }
}
