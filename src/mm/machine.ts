/**
 * A simulated machine: one Kernel (mem_map + profile + tracer), the zone handed to the buddy
 * allocator at boot, several CPUs (each with its own PCP lists and LRU batches), optionally a swap
 * device, reclaim under memory pressure (direct reclaim from the allocator's slowpath), and tasks
 * that run on them. Who runs where is decided by the scenario or, when it does not say, by a PRNG seeded
 * from the scenario, so every run of the same scenario gives the same trace.
 */
import { Kernel } from '../kernel/kernel.js';
import { Xorshift32 } from '../kernel/random.js';
import type { Profile } from '../kernel/profiles/index.js';
import type { ProfileName } from '../kernel/profiles/types.js';
import { exit_mmap, dup_mmap } from './mmap.js';
import { called } from './stack.js';
import { LRU_GEN_CAPS_ALL, LRU_GEN_CORE, mmcache, mmcache_init } from './mm_cache.js';
import { lru_gen_use_mm } from './vmscan_mglru_walk.js';
import { mm_alloc, type MmStruct, type Task } from './mm_types.js';
import { free_reserved_area, memblock_free_all } from './page_alloc.js';
import { bprm_execve, execve_enoent, type ExecRequest } from './exec.js';
import { init_vdso_image } from './vdso.js';
import type { Pfn } from '../kernel/mem_map.js';
import { swapon, type SwapDeviceOptions } from './swapfile.js';
import { set_reclaim_mms } from './vmscan.js';
import { install_direct_reclaim } from './vmscan_node.js';

export interface MachineOptions {
  profile: Profile | ProfileName;
  /** pages of RAM (default 1 GiB = 262144) */
  nrPages?: number;
  nrCpus?: number;
  seed?: number;
  debugVm?: boolean;
  /** pcp->high of every CPU (zoneinfo `pagesets: high`; default 6 * batch) */
  pcpHigh?: number;
  /** a swap device (swapon at boot); without one anon pages are never reclaimed (total_swap_pages 0) */
  swap?: SwapDeviceOptions;
  /**
   * the lru_gen_caps bits boot wrote to /sys/kernel/mm/lru_gen/enabled (mm_cache.ts LRU_GEN_*;
   * enabling needs CONFIG_LRU_GEN); default: the config's
   */
  lruGenCaps?: number;
  /**
   * pages at the start of RAM memblock kept reserved at boot (the kernel image's init sections, the
   * initrd), which free_reserved_area() hands to the buddy later, in order (default none)
   */
  reservedPages?: number;
}

/** pfns below this are not given to the buddy (firmware, the kernel image) */
export const FIRST_FREE_PFN = 0x1000;
/** the kernel image's vDSO pages (reserved, below the buddy's memory) */
const VDSO_PFN = FIRST_FREE_PFN - 0x10;

export class Machine {
  readonly k: Kernel;
  readonly nrCpus: number;
  readonly tasks = new Map<string, Task>();
  private nextPid = 100;
  private readonly rng: Xorshift32;
  /** the reserved pages free_reserved_area() has not freed yet, [from, to) */
  private readonly reservedLeft: [Pfn, Pfn];

  constructor(opts: MachineOptions) {
    const nrPages = opts.nrPages ?? 262144;
    if (!(nrPages > FIRST_FREE_PFN))
      throw new Error(
        `machine: pages= must be above ${FIRST_FREE_PFN}, got ${nrPages}: the first ${FIRST_FREE_PFN} pfns are the firmware's and the kernel image's, not the buddy allocator's`,
      );
    this.nrCpus = opts.nrCpus ?? 2;
    this.k = new Kernel({ profile: opts.profile, nrPages, debugVm: opts.debugVm });
    this.rng = new Xorshift32(opts.seed ?? 1);
    const reserved = opts.reservedPages ?? 0;
    mmcache_init(this.k, this.nrCpus);
    memblock_free_all(this.k, FIRST_FREE_PFN, nrPages, this.nrCpus, opts.pcpHigh, reserved);
    this.reservedLeft = [FIRST_FREE_PFN, FIRST_FREE_PFN + reserved];
    init_vdso_image(this.k, VDSO_PFN);
    if (opts.lruGenCaps !== undefined) {
      if (opts.lruGenCaps && !this.k.profile.config.isEnabled('CONFIG_LRU_GEN'))
        throw new Error(`lru_gen: the ${this.k.profile.name} profile's config has no CONFIG_LRU_GEN`);
      const c = mmcache(this.k);
      c.lruGenCaps = opts.lruGenCaps & LRU_GEN_CAPS_ALL;
      c.lruGen = (c.lruGenCaps & LRU_GEN_CORE) !== 0;
    }
    if (opts.swap) swapon(this.k, opts.swap, this.nrCpus);
    set_reclaim_mms(this.k, () => this.mms());
    install_direct_reclaim(this.k);
  }

  /** the address spaces of the tasks that have not exited (what reclaim's rmap walks see) */
  mms(): MmStruct[] {
    const out: MmStruct[] = [];
    for (const t of this.tasks.values()) if (t.mm) out.push(t.mm);
    return out;
  }

  /** the scheduler's deterministic choices */
  random(n: number): number {
    return this.rng.below(n);
  }

  task(name: string): Task {
    const t = this.tasks.get(name);
    if (!t) throw new Error(`no task named ${name}`);
    return t;
  }

  /**
   * a new process with an empty mm (exec'd), on `cpu` or a CPU the seed picks; `kthread`: a kernel
   * thread, without an mm (kernel_init before it execs /init, the kworkers); `pid`: its pid (default
   * the next free one from 100)
   */
  spawn(name: string, comm: string, cpu?: number, opts: { pid?: number; kthread?: boolean } = {}): Task {
    const t: Task = {
      pid: opts.pid ?? this.nextPid++,
      comm,
      cpu: cpu ?? this.random(this.nrCpus),
      mm: opts.kthread ? undefined : mm_alloc(),
    };
    this.tasks.set(name, t);
    return t;
  }

  /** execve(): `task` runs `req`'s program in a new mm, named `comm` (begin_new_exec's __set_task_comm) */
  exec(task: Task, req: ExecRequest, comm: string): void {
    this.run(task, () => bprm_execve(this.k, task, req));
    task.comm = comm;
  }

  /** execve() of a path that does not exist, with `strings` argument strings */
  execEnoent(task: Task, strings: number): void {
    this.run(task, () => execve_enoent(this.k, strings));
  }

  /** free_reserved_area() of the next `pages` reserved pages, as `task` */
  freeReservedArea(task: Task, pages: number): void {
    const [from, to] = this.reservedLeft;
    if (from + pages > to)
      throw new Error(`free_reserved_area: ${pages} pages asked, ${to - from} reserved pages left`);
    this.run(task, () => free_reserved_area(this.k, from, from + pages));
    this.reservedLeft[0] = from + pages;
  }

  /**
   * runs `body` as `task` on its CPU: the tracer's context is that task's, and the task was
   * switched in (context_switch -> lru_gen_use_mm: the model has no scheduler)
   */
  run<T>(task: Task, body: () => T): T {
    const ctx = this.k.tracer.ctx;
    ctx.comm = task.comm;
    ctx.pid = ctx.tgid = task.pid;
    ctx.cpu = task.cpu;
    if (task.mm) lru_gen_use_mm(this.k, task.mm);
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
    this.run(task, () => called(this.k, 'do_exit', () => exit_mmap(this.k, mm)));
    task.mm = undefined;
  }
}
