/**
 * The scenario format: one statement per line, `#` comments, so every error names its line.
 *
 *   machine pages=<n> cpus=<n> seed=<n> pcp_high=<n>   RAM in 4 KiB pages, CPUs, scheduler seed,
 *                                             the per-CPU free lists' high mark (all optional)
 *           [swap=<n> [swapdev=ssd|zram]] [lru_gen=y|n|<caps>]
 *                                             a swap device of <n> pages (an SSD: its bios complete
 *                                             in an interrupt; zram: SWP_SYNCHRONOUS_IO), default
 *                                             none (anon pages are then never swapped out); what
 *                                             boot wrote to /sys/kernel/mm/lru_gen/enabled: y (the
 *                                             multi-gen LRU with all its parts), n or 0 (the classic
 *                                             LRU), or the caps bits (0x1 MGLRU, 0x2 its page-table
 *                                             walk, 0x4 non-leaf PMD young bits; decimal, 0x hex);
 *                                             default the config's: y with CONFIG_LRU_GEN_ENABLED
 *                                             (Debian 6.12, mainline), else n (Debian 6.1, the traces'
 *                                             QEMU kernels)
 *           [reserved=<n>]                    pages at the start of RAM kept reserved at boot (the
 *                                             kernel image's init sections, the initrd) for
 *                                             free_reserved_area to free later
 *   task <name> comm=<comm> [cpu=<n>] [pid=<n>] [kthread]   a new process (exec'd, empty address
 *                                             space); kthread: a kernel thread without an mm
 *                                             (kernel_init before /init, a kworker), which can open,
 *                                             write and read files, allocate kernel pages and exec
 *   <task> mmap <region> anon <pages>         a private anonymous mapping
 *   <task> mmap <region> shmem|file <pages> [private] [of=<region>] [at=<pgoff>]   a tmpfs file /
 *                                             a block device, shared (or MAP_PRIVATE): a new file, or
 *                                             the file first mapped as <region> (even if unmapped
 *                                             since), from file page <pgoff> (default 0)
 *   <task> open <file> shmem|file <pages>     open() a new tmpfs file / block device of <pages> pages
 *                                             without mapping it; <file> then names it where a
 *                                             region's file is expected (fread, of=, truncate ...)
 *   <task> fread <file> [<a>..<b>] [into=<region>]   read() of file pages a..b (default: the
 *                                             region's pages, or the whole opened file) of a region's
 *                                             file or an opened file: page cache, readahead; into= the
 *                                             anonymous buffer it copies to (a page not yet present or
 *                                             not writable faults during the copy)
 *   <task> fwrite <file> [<a>..<b>]           write() to those pages of a tmpfs file
 *   <task> truncate <file>                    the file's page cache truncated: a tmpfs file's
 *                                             eviction after unlink + close, a block device's last close
 *   <task> pin|unpin <region> [<a>..<b>]      pin_user_pages_fast / unpin_user_page
 *   <task> pipe <pipe>                        a new pipe
 *   <task> vmsplice <region> <pipe> [<a>..<b>]   vmsplice(2) the pages into the pipe (FOLL_GET)
 *   <task> splice <region> <pipe> [<a>..<b>]  splice(2) the region's file pages into the pipe
 *   <task> close <pipe>                       release the pipe's buffers
 *   <task> migrate <region> [<a>..<b>]        move_pages(2) of those pages to the other node (a THP
 *                                             or mTHP moves whole, or split as the kernel does)
 *   <task> pages_node <region> [<a>..<b>]     move_pages(2) with nodes NULL: where those pages are
 *   <task> reclaim <region> [<a>..<b>]        madvise(MADV_PAGEOUT)
 *   <task> reclaim_memory <pages>             echo <pages * 4 KiB> > memory.reclaim (the root
 *                                             cgroup's proactive reclaim); allocations below the
 *                                             min watermark reclaim on their own (direct reclaim)
 *   <task> lru_gen_age [swappiness=<n>] [force_scan=0|1]   echo '+ <root memcg> 0 <max_seq> ...' >
 *                                             /sys/kernel/debug/lru_gen: MGLRU's aging (its page-table
 *                                             walk when enabled) opens a new generation; force_scan
 *                                             defaults to 1, swappiness to the kernel's
 *   <task> compact                            echo 1 > /proc/sys/vm/compact_memory
 *   <task> drop_caches                        echo 1 > /proc/sys/vm/drop_caches
 *   <task> write|read <region> [<a>..<b>] [step=<n>]   touch pages (default: all)
 *   <task> write|read <region> <a>,<b>,<c>..<d>,...   the listed pages and ranges, one fault each, in order
 *   elf <image> of=<file> <vma>=<vpn>:<a>..<b>[:rw[+<bss>]] ...   a static executable in the page
 *                                             cache of <file>: each PT_LOAD segment maps file pages
 *                                             a..b privately at virtual page <vpn> (hex 0x... or
 *                                             decimal) as VMA <vma>; rw: writable, +<bss>: that many
 *                                             anonymous pages after it (VMA <vma>.bss)
 *   <task> exec <image> strings=<n> comm=<comm> [script=<file> script_strings=<n>] [cpu=<n>]   execve(): a
 *                                             new mm with a stack (VMA `stack`, the argument page
 *                                             its last), n argument strings copied into it
 *                                             (get_arg_page), the file's first page read, a `#!`
 *                                             script's strings and its interpreter read, the old mm
 *                                             dropped, the segments mapped, padzero's fault on a
 *                                             writable segment with bss, the vDSO (VMA `vdso`);
 *                                             cpu=: where sched_exec() moves the task after the strings
 *   <task> execve_enoent strings=<n>          execve() of a path that does not exist (a shell's
 *                                             PATH search): 6.1 builds the mm and copies the strings
 *                                             before the open fails, 6.12 fails first
 *   <task> free_reserved_area <pages>         free_initmem / mark_rodata_ro / free_initrd_mem: the
 *                                             next <pages> reserved pages set to 1 and freed
 *   <task> kalloc <pool> <n> [order=<o>]      a stand-in for kernel allocations a trace without
 *                                             stacks cannot attribute (slab, kernel stacks, upper
 *                                             page tables): n blocks of 2^o pages (compound if o > 0)
 *   <task> kfree <pool> [<n>]                 the pool's oldest n blocks (default all) freed
 *   <task> read_mapping_folio <file> <index>  read_part_sector's read of one block-device page
 *                                             (the cached folio or a new one read at once),
 *                                             marked accessed, put
 *   <task> madvise <region> dontfork|hugepage|nohugepage   MADV_DONTFORK / MADV_[NO]HUGEPAGE (THP
 *                                             enabled=madvise)
 *   <task> madvise <region> dontneed [<a>..<b>] [keep=<n>]   MADV_DONTNEED: the pages zapped, the
 *                                             VMA kept; one call over the range, or with keep=<n> one
 *                                             call per page whose index is not a multiple of n
 *   <task> fork <child> [cpu=<n>]             the child shares the parent's pages copy-on-write
 *   <task> munmap <region> [<a>..<b>]         the whole region, or those pages (the VMA is kept)
 *   <task> exit
 *   <task> cpu <n>                            the scheduler moves the task to CPU n (its next
 *                                             page faults fill that CPU's lru_add batch)
 *   <task> deferred_split_scan                the deferred-split shrinker, as memory pressure (or
 *                                             `echo 2 > drop_caches`) runs it: splits queued THPs
 *   <task> split_huge_pages <region> [<a>..<b>]   echo <pid>,<start>,<end> >
 *                                             /sys/kernel/debug/split_huge_pages: split the THPs there
 *   drain                                     lru_add_drain_all()
 *   tracing off|on                            echo 0|1 > tracing_on: nothing is recorded while off
 *                                             (the real captures' checkpoint gaps)
 *   sysfs enabled always|madvise|never        /sys/kernel/mm/transparent_hugepage/enabled (boot
 *                                             default from the config: madvise unless it says otherwise)
 *   sysfs hugepages-<size>kB always|inherit|madvise|never   that size's .../hugepages-<size>kB/enabled
 *                                             (6.8+ mTHP; an error on kernels without the knob).
 *                                             Default: hugepages-2048kB inherit, the others never
 *   checkpoint <tag>                          record every task's region -> pfn lists
 *   mark <text>                               a trace_marker write (a workload's gt_marker()): kept
 *                                             with its position while tracing is on, so a run is
 *                                             windowed like the real trace it stands for
 *
 * A line may start with `@<profile>[,<profile>]` to apply to those profiles only, e.g. work a real
 * workload's process did before the traced part, which differs per kernel.
 *
 * Loops (a real workload's shell loop), expanded before the statements are read:
 *
 *   repeat <n> <var>                          the lines up to the matching `end`, n times, <var>
 *                                             from 0 to n-1; in them `{<expression>}` of integers
 *                                             and loop variables with + * % (`{i%64*16+255}`) stands
 *                                             for its value (so each pass names its own tasks and
 *                                             regions: `task fc{i} comm=fork_cow`)
 *   if <a> = <b>                              the lines up to the matching `end` only when the two
 *                                             integers are equal: `if {i%10} = 0`
 *   end
 *
 * A statement's errors name its line in the text, and the loop values in force there.
 */
import type { ProfileName } from '../kernel/profiles/types.js';

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
    cause?: unknown,
  ) {
    super(`${file}:${line}: ${detail}`, cause === undefined ? undefined : { cause });
  }
}

/** elf <image>'s PT_LOAD segments (ElfSegment in src/mm/exec.ts) */
export interface ElfSegmentSpec {
  name: string;
  vpn: number;
  from: number;
  to: number;
  writable: boolean;
  bss: number;
}

export type Action =
  | { op: 'task'; name: string; comm: string; cpu?: number; pid?: number; kthread?: boolean }
  | { op: 'elf'; image: string; file: string; segments: ElfSegmentSpec[] }
  | {
      op: 'exec';
      task: string;
      image: string;
      strings: number;
      comm: string;
      script?: string;
      scriptStrings?: number;
      /** sched_exec()'s CPU */
      cpu?: number;
    }
  | { op: 'execve_enoent'; task: string; strings: number }
  | { op: 'kalloc'; task: string; pool: string; n: number; order: number }
  | { op: 'kfree'; task: string; pool: string; n?: number }
  | { op: 'read_mapping_folio'; task: string; region: string; index: number }
  | {
      op: 'mmap';
      task: string;
      region: string;
      pages: number;
      kind: 'anon' | 'shmem' | 'file';
      shared: boolean;
      /** the region whose file this maps again */
      of?: string;
      /** vm_pgoff */
      pgoff: number;
    }
  | {
      op: 'fread' | 'fwrite' | 'pin' | 'unpin' | 'migrate' | 'pages_node' | 'reclaim' | 'split_huge_pages';
      task: string;
      region: string;
      from?: number;
      to?: number;
      /** fread: the anonymous region read() copies into (its n-th page gets the n-th page read) */
      into?: string;
    }
  | { op: 'open'; task: string; file: string; kind: 'shmem' | 'file'; pages: number }
  | { op: 'pipe' | 'close'; task: string; pipe: string }
  | { op: 'vmsplice' | 'splice'; task: string; region: string; pipe: string; from?: number; to?: number }
  | { op: 'compact' | 'drop_caches' | 'deferred_split_scan'; task: string }
  | { op: 'reclaim_memory' | 'free_reserved_area'; task: string; pages: number }
  | { op: 'lru_gen_age'; task: string; swappiness?: number; forceScan: boolean }
  | { op: 'truncate'; task: string; region: string }
  | {
      op: 'touch';
      task: string;
      region: string;
      write: boolean;
      from?: number;
      to?: number;
      step: number;
      /** a list of pages, one fault each in this order (instead of from..to) */
      pages?: number[];
    }
  | { op: 'madvise'; task: string; region: string; advice: 'dontfork' | 'hugepage' | 'nohugepage' }
  | { op: 'dontneed'; task: string; region: string; from?: number; to?: number; keep?: number }
  | { op: 'fork'; task: string; child: string; cpu?: number }
  | { op: 'munmap'; task: string; region: string; from?: number; to?: number }
  | { op: 'exit'; task: string }
  | { op: 'cpu'; task: string; cpu: number }
  | { op: 'drain' }
  | { op: 'tracing'; on: boolean }
  | { op: 'sysfs'; knob: string; value: string }
  | { op: 'checkpoint'; tag: string }
  | { op: 'mark'; text: string };

export interface Statement {
  line: number;
  /** "i=3, j=0" for a statement inside `repeat` blocks, for errors at run time */
  loops?: string;
  profiles?: readonly ProfileName[];
  action: Action;
}

export interface Scenario {
  name: string;
  /** the file (or builtin:<name>) it was parsed from: errors name it with the line */
  file: string;
  pages?: number;
  cpus?: number;
  seed?: number;
  pcpHigh?: number;
  /** swap=<n> swapdev=ssd|zram */
  swap?: { pages: number; kind: 'ssd' | 'zram' };
  /** lru_gen=y|n|<caps>: the lru_gen_caps bits written (y = all) */
  lruGenCaps?: number;
  /** reserved=<n>: pages memblock keeps reserved at boot */
  reserved?: number;
  /** the line of the (last) machine statement, for errors the machine's options cause */
  machineLine?: number;
  statements: Statement[];
}

/**
 * enabled_store() of /sys/kernel/mm/lru_gen/enabled (6.12 mm/vmscan.c:5188; 6.1 store_enabled :5436): y/Y all
 * caps, n/N none, else kstrtouint(buf, 0) (decimal, 0x hex, 0 octal), of which the
 * NR_LRU_GEN_CAPS low bits count; undefined for anything else
 */
function lru_gen_caps(v: string): number | undefined {
  if (/^y/i.test(v)) return 7;
  if (/^n/i.test(v)) return 0;
  let caps: number;
  if (/^0x[0-9a-f]+$/i.test(v)) caps = parseInt(v.slice(2), 16);
  else if (/^0[0-7]*$/.test(v)) caps = parseInt(v, 8);
  else if (/^[1-9][0-9]*$/.test(v)) caps = parseInt(v, 10);
  else return undefined;
  return caps & 7;
}

const PROFILES: readonly string[] = ['6.1', '6.12', 'mainline'];
const THP_ENABLED: readonly string[] = ['always', 'madvise', 'never'];
const THPSIZE_ENABLED: readonly string[] = ['always', 'inherit', 'madvise', 'never'];

const USAGE: Record<string, string> = {
  mmap: '<task> mmap <region> anon|shmem|file <pages> [private] [of=<region>] [at=<pgoff>]',
  open: '<task> open <file> shmem|file <pages>',
  fread: '<task> fread <file> [<a>..<b>] [into=<region>]',
  fwrite: '<task> fwrite <file> [<a>..<b>]',
  truncate: '<task> truncate <file>',
  pin: '<task> pin <region> [<a>..<b>]',
  unpin: '<task> unpin <region> [<a>..<b>]',
  migrate: '<task> migrate <region> [<a>..<b>]',
  pages_node: '<task> pages_node <region> [<a>..<b>]',
  reclaim: '<task> reclaim <region> [<a>..<b>]',
  split_huge_pages: '<task> split_huge_pages <region> [<a>..<b>]',
  reclaim_memory: '<task> reclaim_memory <pages>',
  lru_gen_age: '<task> lru_gen_age [swappiness=<n>] [force_scan=0|1]',
  pipe: '<task> pipe <pipe>',
  close: '<task> close <pipe>',
  vmsplice: '<task> vmsplice <region> <pipe> [<a>..<b>]',
  splice: '<task> splice <region> <pipe> [<a>..<b>]',
  compact: '<task> compact',
  drop_caches: '<task> drop_caches',
  deferred_split_scan: '<task> deferred_split_scan',
  write: '<task> write <region> [<a>..<b>] [step=<n>]',
  read: '<task> read <region> [<a>..<b>] [step=<n>]',
  madvise: '<task> madvise <region> dontfork|hugepage|nohugepage|dontneed [<a>..<b>] [keep=<n>]',
  fork: '<task> fork <child> [cpu=<n>]',
  munmap: '<task> munmap <region> [<a>..<b>]',
  exit: '<task> exit',
  cpu: '<task> cpu <n>',
  exec: '<task> exec <image> strings=<n> comm=<comm> [script=<file> script_strings=<n>] [cpu=<n>]',
  free_reserved_area: '<task> free_reserved_area <pages>',
  execve_enoent: '<task> execve_enoent strings=<n>',
  kalloc: '<task> kalloc <pool> <n> [order=<o>]',
  kfree: '<task> kfree <pool> [<n>]',
  read_mapping_folio: '<task> read_mapping_folio <file> <index>',
};

/** Parses and validates a scenario; throws ScenarioError naming the line and what was expected. */
export function parseScenario(text: string, file: string): Scenario {
  const sc: Scenario = { name: file, file, statements: [] };
  // names per profile: a statement for some profiles defines and sees only theirs
  const taskNames = new ProfileNames<true>();
  const regionNames = new ProfileNames<true>();
  const imageNames = new ProfileNames<ElfSegmentSpec[]>();
  const poolNames = new ProfileNames<true>();
  const pipeNames = new ProfileNames<true>();
  for (const { line: n, loops, words } of expandLoops(text, file)) {
    const fail = (what: string): never => {
      throw new ScenarioError(file, n, loops ? `${what} (in ${loops})` : what);
    };
    let profiles: ProfileName[] | undefined;
    if (words[0].startsWith('@')) {
      profiles = words.shift()!.slice(1).split(',') as ProfileName[];
      for (const p of profiles)
        if (!PROFILES.includes(p)) fail(`unknown profile '${p}' (expected 6.1, 6.12 or mainline)`);
      if (!words.length) fail('a statement must follow the profile list');
    }
    const kv = (w: string, key: string): number | undefined => {
      if (!w.startsWith(`${key}=`)) return undefined;
      const v = Number(w.slice(key.length + 1));
      if (!Number.isInteger(v) || v < 0) fail(`${key}= needs a non-negative integer, got '${w}'`);
      return v;
    };
    const push = (action: Action) =>
      sc.statements.push(loops ? { line: n, loops, profiles, action } : { line: n, profiles, action });
    const ps = profiles ?? (PROFILES as ProfileName[]);
    const tasks = taskNames.view(ps);
    const regions = regionNames.view(ps);
    const images = imageNames.view(ps);
    const pools = poolNames.view(ps);
    const pipes = pipeNames.view(ps);
    const [head, verb, ...rest] = words;
    if (head === 'scenario') {
      sc.name = words.slice(1).join(' ') || fail('scenario needs a name');
      continue;
    }
    if (head === 'machine') {
      sc.machineLine = n;
      let swapdev: 'ssd' | 'zram' | undefined;
      for (const w of words.slice(1)) {
        if (w.startsWith('swapdev=')) {
          const v = w.slice(8);
          swapdev = v === 'ssd' || v === 'zram' ? v : fail(`machine: swapdev= is ssd or zram, got '${w}'`);
          continue;
        }
        const p = kv(w, 'pages') ?? undefined;
        const c = kv(w, 'cpus');
        const s = kv(w, 'seed');
        const h = kv(w, 'pcp_high');
        if (w.startsWith('lru_gen=')) {
          sc.lruGenCaps =
            lru_gen_caps(w.slice(8)) ?? fail(`machine: lru_gen= is y, n or a number, got '${w}'`);
          continue;
        }
        const sw = kv(w, 'swap');
        const r = kv(w, 'reserved');
        if ([p, c, s, h, sw, r].every((v) => v === undefined))
          fail(
            `machine: expected pages=, cpus=, seed=, pcp_high=, swap=, swapdev=, lru_gen= or reserved=, got '${w}'`,
          );
        if (r !== undefined) sc.reserved = r;
        if (p !== undefined) sc.pages = p;
        if (c !== undefined) sc.cpus = c || fail('machine: cpus= must be at least 1');
        if (s !== undefined) sc.seed = s;
        if (h !== undefined) sc.pcpHigh = h || fail('machine: pcp_high= must be at least 1');
        if (sw !== undefined)
          sc.swap = { pages: sw >= 2 ? sw : fail('machine: swap= needs at least 2 pages'), kind: 'ssd' };
      }
      if (swapdev !== undefined) {
        const swap = sc.swap ?? fail('machine: swapdev= needs swap=<pages>');
        swap.kind = swapdev;
      }
      continue;
    }
    if (head === 'drain') {
      if (words.length > 1) fail(`drain takes no arguments, got '${words[1]}'`);
      push({ op: 'drain' });
      continue;
    }
    if (head === 'tracing') {
      if (words.length !== 2 || (verb !== 'on' && verb !== 'off'))
        fail('expected `tracing off` or `tracing on`');
      push({ op: 'tracing', on: verb === 'on' });
      continue;
    }
    if (head === 'sysfs') {
      const [, knob, value] = words;
      const values = knob === 'enabled' ? THP_ENABLED : THPSIZE_ENABLED;
      if (
        words.length !== 3 ||
        !(knob === 'enabled' || /^hugepages-\d+kB$/.test(knob)) ||
        !values.includes(value)
      )
        fail(
          `expected \`sysfs enabled ${THP_ENABLED.join('|')}\` or \`sysfs hugepages-<size>kB ${THPSIZE_ENABLED.join('|')}\`, got '${words.join(' ')}'`,
        );
      push({ op: 'sysfs', knob, value });
      continue;
    }
    if (head === 'mark') {
      if (words.length < 2) fail('expected `mark <text>`');
      push({ op: 'mark', text: words.slice(1).join(' ') });
      continue;
    }
    if (head === 'checkpoint') {
      if (words.length !== 2) fail('expected `checkpoint <tag>`');
      push({ op: 'checkpoint', tag: words[1] });
      continue;
    }
    if (head === 'task') {
      const name = verb ?? fail('expected `task <name> comm=<comm> [cpu=<n>] [pid=<n>] [kthread]`');
      if (tasks.any(name)) fail(`task '${name}' is already defined`);
      let comm = name;
      let cpu: number | undefined;
      let pid: number | undefined;
      let kthread = false;
      for (const w of rest) {
        if (w.startsWith('comm=')) comm = w.slice(5);
        else if (w === 'kthread') kthread = true;
        else if (w.startsWith('pid=')) pid = kv(w, 'pid');
        else cpu = kv(w, 'cpu') ?? fail(`task: expected comm=, cpu=, pid= or kthread, got '${w}'`);
      }
      tasks.add(name, true);
      push({
        op: 'task',
        name,
        comm,
        cpu,
        ...(pid === undefined ? {} : { pid }),
        ...(kthread ? { kthread } : {}),
      });
      continue;
    }
    if (head === 'elf') {
      const image = verb ?? fail('expected `elf <image> of=<file> <vma>=<vpn>:<a>..<b>[:rw[+<bss>]] ...`');
      const file = rest[0]?.startsWith('of=')
        ? rest[0].slice(3)
        : fail('elf: expected of=<file> after the name');
      if (!regions.has(file)) fail(`elf: '${file}' was not opened above`);
      if (images.any(image)) fail(`elf image '${image}' is already defined`);
      const segments = rest.slice(1).map((w) => {
        const m = /^([\w.-]+)=(0x[0-9a-f]+|\d+):(\d+)\.\.(\d+)(?::rw(?:\+(\d+))?)?$/.exec(w);
        if (!m) return fail(`elf: expected <vma>=<vpn>:<a>..<b>[:rw[+<bss>]], got '${w}'`);
        const [from, to] = [Number(m[3]), Number(m[4])];
        if (to < from) fail(`elf: range ${from}..${to} is empty`);
        return {
          name: m[1],
          vpn: Number(m[2]),
          from,
          to,
          writable: w.includes(':rw'),
          bss: Number(m[5] ?? 0),
        };
      });
      if (!segments.length) fail('elf: an image needs at least one segment');
      images.add(image, segments);
      push({ op: 'elf', image, file, segments });
      continue;
    }
    if (!tasks.has(head))
      fail(
        `'${head}' is not a task defined above (define it with \`task ${head} comm=...\`), nor a statement`,
      );
    if (verb === undefined) fail(`expected an action after task '${head}': ${Object.keys(USAGE).join(', ')}`);
    const usage = USAGE[verb] ?? fail(`unknown action '${verb}' (expected ${Object.keys(USAGE).join(', ')})`);
    const range = (w: string | undefined): { from?: number; to?: number } => {
      if (w === undefined) return {};
      const m = /^(\d+)\.\.(\d+)$/.exec(w) ?? fail(`expected a page range <a>..<b>, got '${w}'`);
      const [from, to] = [Number(m[1]), Number(m[2])];
      if (to < from) fail(`range ${from}..${to} is empty`);
      return { from, to };
    };
    const region = (): string => {
      const r = rest[0] ?? fail(`expected \`${usage}\``);
      if (!regions.has(r)) fail(`region '${r}' was not mmap'ed above (nor opened)`);
      return r;
    };
    switch (verb) {
      case 'mmap': {
        const pages = Number(rest[2]);
        const kind = rest[1];
        const opts = rest.slice(3);
        const priv = opts.includes('private');
        const of = opts.find((w) => w.startsWith('of='))?.slice(3);
        const at = opts.find((w) => w.startsWith('at='));
        const pgoff = at === undefined ? 0 : Number(at.slice(3));
        if (
          opts.length !== Number(priv) + Number(of !== undefined) + Number(at !== undefined) ||
          (kind !== 'anon' && kind !== 'shmem' && kind !== 'file') ||
          ((priv || of !== undefined || at !== undefined) && kind === 'anon') ||
          !Number.isInteger(pgoff) ||
          pgoff < 0 ||
          !Number.isInteger(pages) ||
          pages <= 0
        )
          fail(`expected \`${usage}\` with a positive page count, got '${words.join(' ')}'`);
        if (of !== undefined && !regions.has(of)) fail(`region '${of}' was not mmap'ed above (nor opened)`);
        regions.add(rest[0], true);
        push({
          op: 'mmap',
          task: head,
          region: rest[0],
          pages,
          kind: kind as 'anon' | 'shmem' | 'file',
          shared: kind !== 'anon' && !priv,
          pgoff,
          ...(of === undefined ? {} : { of }),
        });
        break;
      }
      case 'open': {
        const [name, kind, n] = rest;
        const pages = Number(n);
        if (
          rest.length !== 3 ||
          (kind !== 'shmem' && kind !== 'file') ||
          !Number.isInteger(pages) ||
          pages <= 0
        )
          fail(`expected \`${usage}\` with a positive page count, got '${words.join(' ')}'`);
        if (regions.any(name)) fail(`'${name}' already names a region or file`);
        regions.add(name, true);
        push({ op: 'open', task: head, file: name, kind: kind as 'shmem' | 'file', pages });
        break;
      }
      case 'truncate': {
        const r = region();
        if (rest.length !== 1) fail(`expected \`${usage}\`, got '${words.join(' ')}'`);
        push({ op: verb, task: head, region: r });
        break;
      }
      case 'fread':
      case 'fwrite':
      case 'pin':
      case 'unpin':
      case 'migrate':
      case 'pages_node':
      case 'reclaim':
      case 'split_huge_pages': {
        const r = region();
        const into = verb === 'fread' ? /^into=(.+)$/.exec(rest[rest.length - 1] ?? '')?.[1] : undefined;
        const words_ = into === undefined ? rest : rest.slice(0, -1);
        if (words_.length > 2) fail(`expected \`${usage}\`, got '${words.join(' ')}'`);
        if (into !== undefined && !regions.has(into)) fail(`region '${into}' was not mmap'ed above`);
        push({
          op: verb,
          task: head,
          region: r,
          ...range(words_[1]),
          ...(into === undefined ? {} : { into }),
        });
        break;
      }
      case 'pipe':
      case 'close': {
        const pipe = rest[0] ?? fail(`expected \`${usage}\``);
        if (rest.length !== 1) fail(`expected \`${usage}\`, got '${words.join(' ')}'`);
        if (verb === 'pipe' && pipes.any(pipe)) fail(`pipe '${pipe}' is already defined`);
        if (verb === 'close' && !pipes.has(pipe)) fail(`pipe '${pipe}' was not created above`);
        pipes.add(pipe, true);
        push({ op: verb, task: head, pipe });
        break;
      }
      case 'vmsplice':
      case 'splice': {
        const r = region();
        const pipe = rest[1] ?? fail(`expected \`${usage}\``);
        if (!pipes.has(pipe)) fail(`pipe '${pipe}' was not created above (\`${head} pipe ${pipe}\`)`);
        if (rest.length > 3) fail(`expected \`${usage}\`, got '${words.join(' ')}'`);
        push({ op: verb, task: head, region: r, pipe, ...range(rest[2]) });
        break;
      }
      case 'reclaim_memory':
      case 'free_reserved_area': {
        const n = Number(rest[0]);
        if (rest.length !== 1 || !Number.isInteger(n) || n <= 0)
          fail(`expected \`${usage}\` with a positive page count, got '${words.join(' ')}'`);
        push({ op: verb, task: head, pages: n });
        break;
      }
      case 'lru_gen_age': {
        let swappiness: number | undefined;
        let forceScan = true;
        for (const w of rest) {
          const sw = kv(w, 'swappiness');
          const fs = kv(w, 'force_scan');
          if (sw !== undefined) swappiness = sw;
          else if (fs !== undefined && fs <= 1) forceScan = fs === 1;
          else fail(`expected \`${usage}\`, got '${words.join(' ')}'`);
        }
        push({ op: verb, task: head, swappiness, forceScan });
        break;
      }
      case 'compact':
      case 'drop_caches':
      case 'deferred_split_scan':
        if (rest.length) fail(`${verb} takes no arguments, got '${rest[0]}'`);
        push({ op: verb, task: head });
        break;
      case 'write':
      case 'read': {
        const r = region();
        let from: number | undefined;
        let to: number | undefined;
        let step = 1;
        let pages: number[] | undefined;
        for (const w of rest.slice(1)) {
          const m = /^(\d+)\.\.(\d+)$/.exec(w);
          if (m) [from, to] = [Number(m[1]), Number(m[2])];
          else if (/^\d+(\.\.\d+)?(,\d+(\.\.\d+)?)+$|^\d+$/.test(w)) pages = pageList(w, fail);
          else
            step =
              kv(w, 'step') || fail(`expected <a>..<b>, a list <a>,<b>,... or step=<n> (n >= 1), got '${w}'`);
        }
        if (from !== undefined && to !== undefined && to < from) fail(`range ${from}..${to} is empty`);
        if (pages && (from !== undefined || step !== 1)) fail('a page list takes no <a>..<b> range or step=');
        push({
          op: 'touch',
          task: head,
          region: r,
          write: verb === 'write',
          from,
          to,
          step,
          ...(pages ? { pages } : {}),
        });
        break;
      }
      case 'madvise': {
        const r = region();
        const advice = rest[1];
        if (advice === 'dontneed') {
          let span: { from?: number; to?: number } = {};
          let keep: number | undefined;
          for (const w of rest.slice(2)) {
            if (w.startsWith('keep=')) keep = kv(w, 'keep') || fail(`keep= must be at least 1, got '${w}'`);
            else span = range(w);
          }
          if (rest.length > 4) fail(`expected \`${usage}\`, got '${words.join(' ')}'`);
          push({ op: 'dontneed', task: head, region: r, ...span, ...(keep === undefined ? {} : { keep }) });
        } else if (advice === 'dontfork' || advice === 'hugepage' || advice === 'nohugepage') {
          if (rest.length > 2) fail(`expected \`${usage}\`, got '${words.join(' ')}'`);
          push({ op: 'madvise', task: head, region: r, advice });
        } else fail(`expected \`${usage}\``);
        break;
      }
      case 'fork': {
        const child = rest[0] ?? fail(`expected \`${usage}\``);
        if (tasks.any(child)) fail(`task '${child}' is already defined`);
        const cpu =
          rest[1] === undefined
            ? undefined
            : (kv(rest[1], 'cpu') ?? fail(`expected cpu=<n>, got '${rest[1]}'`));
        tasks.add(child, true);
        push({ op: 'fork', task: head, child, cpu });
        break;
      }
      case 'munmap':
        push({ op: 'munmap', task: head, region: region(), ...range(rest[1]) });
        break;
      case 'exit':
        if (rest.length) fail(`exit takes no arguments, got '${rest[0]}'`);
        push({ op: 'exit', task: head });
        break;
      case 'exec': {
        const image = rest[0] ?? fail(`expected \`${usage}\``);
        if (!images.has(image)) fail(`exec: '${image}' is not an elf image defined above`);
        let strings: number | undefined;
        let comm: string | undefined;
        let script: string | undefined;
        let scriptStrings: number | undefined;
        let cpu: number | undefined;
        for (const w of rest.slice(1)) {
          if (w.startsWith('comm=')) comm = w.slice(5);
          else if (w.startsWith('script=')) script = w.slice(7);
          else if (w.startsWith('strings=')) strings = kv(w, 'strings');
          else if (w.startsWith('script_strings=')) scriptStrings = kv(w, 'script_strings');
          else if (w.startsWith('cpu=')) cpu = kv(w, 'cpu');
          else fail(`expected \`${usage}\`, got '${w}'`);
        }
        if (strings === undefined || comm === undefined) fail(`exec: expected \`${usage}\``);
        if ((script === undefined) !== (scriptStrings === undefined))
          fail('exec: script= and script_strings= go together');
        if (script !== undefined && !regions.has(script)) fail(`exec: '${script}' was not opened above`);
        for (const seg of images.get(image)!) {
          regions.add(seg.name, true);
          if (seg.bss) regions.add(`${seg.name}.bss`, true);
        }
        regions.add('stack', true);
        regions.add('vdso', true);
        push({
          op: 'exec',
          task: head,
          image,
          strings: strings!,
          comm: comm!,
          ...(script === undefined ? {} : { script, scriptStrings }),
          ...(cpu === undefined ? {} : { cpu }),
        });
        break;
      }
      case 'execve_enoent': {
        const strings = rest.length === 1 ? kv(rest[0], 'strings') : undefined;
        if (strings === undefined) fail(`expected \`${usage}\`, got '${words.join(' ')}'`);
        push({ op: verb, task: head, strings: strings! });
        break;
      }
      case 'kalloc': {
        const [pool, count, ord] = rest;
        const n = Number(count);
        const order = ord === undefined ? 0 : kv(ord, 'order');
        if (pool === undefined || !Number.isInteger(n) || n <= 0 || order === undefined || rest.length > 3)
          fail(`expected \`${usage}\`, got '${words.join(' ')}'`);
        pools.add(pool, true);
        push({ op: 'kalloc', task: head, pool, n, order: order! });
        break;
      }
      case 'kfree': {
        const [pool, count] = rest;
        if (pool === undefined || rest.length > 2) fail(`expected \`${usage}\`, got '${words.join(' ')}'`);
        if (!pools.has(pool)) fail(`kfree: pool '${pool}' was not allocated above (kalloc)`);
        const n = count === undefined ? undefined : Number(count);
        if (n !== undefined && (!Number.isInteger(n) || n <= 0))
          fail(`kfree: expected a positive count, got '${count}'`);
        push({ op: 'kfree', task: head, pool, ...(n === undefined ? {} : { n }) });
        break;
      }
      case 'read_mapping_folio': {
        const r = region();
        const index = Number(rest[1]);
        if (rest.length !== 2 || !Number.isInteger(index) || index < 0)
          fail(`expected \`${usage}\`, got '${words.join(' ')}'`);
        push({ op: verb, task: head, region: r, index });
        break;
      }
      case 'cpu': {
        const cpu = Number(rest[0]);
        if (rest.length !== 1 || !Number.isInteger(cpu) || cpu < 0)
          fail(`expected \`${usage}\` with a CPU number, got '${words.join(' ')}'`);
        push({ op: 'cpu', task: head, cpu });
        break;
      }
    }
  }
  return sc;
}

/** one statement line after loop expansion: its line in the text, the loop values, its words */
interface ExpandedLine {
  line: number;
  /** "i=3, j=0" when inside loops */
  loops: string;
  words: string[];
}

/**
 * Unrolls `repeat` and `if` blocks (see the module comment) into the lines they stand for, each
 * keeping its line number; `{<var>}` and `{<var>%<m>}` replaced by the loop values.
 */
function expandLoops(text: string, file: string): ExpandedLine[] {
  const lines = text.split('\n').map((l) => l.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean));
  const out: ExpandedLine[] = [];
  /** expands lines [from, to) with `vars` bound */
  const block = (from: number, to: number, vars: readonly [string, number][]): void => {
    for (let i = from; i < to; i++) {
      const n = i + 1;
      const loops = vars.map(([v, x]) => `${v}=${x}`).join(', ');
      const fail = (what: string): never => {
        throw new ScenarioError(file, n, loops ? `${what} (in ${loops})` : what);
      };
      const words = lines[i].map((w) =>
        w.replace(/\{([^}]*)\}/g, (_, e: string) => String(evaluate(e, vars, fail))),
      );
      if (!words.length) continue;
      if (words[0] === 'end') fail('`end` without a `repeat` or `if` above');
      if (words[0] !== 'repeat' && words[0] !== 'if') {
        out.push({ line: n, loops, words });
        continue;
      }
      const end = matchingEnd(lines, i) ?? fail(`\`${words[0]}\` has no matching \`end\``);
      if (words[0] === 'repeat') {
        const [, count, v] = words;
        const times = Number(count);
        if (words.length !== 3 || !Number.isInteger(times) || times < 0 || !/^[A-Za-z_]\w*$/.test(v))
          fail(`expected \`repeat <n> <var>\` (n a non-negative integer), got '${words.join(' ')}'`);
        if (vars.some(([x]) => x === v)) fail(`repeat variable '${v}' is already in use by an outer repeat`);
        for (let x = 0; x < times; x++) block(i + 1, end, [...vars, [v, x]]);
      } else {
        const m = /^(-?\d+)=(-?\d+)$/.exec(words.slice(1).join(''));
        if (!m) fail(`expected \`if <a> = <b>\` with two integers, got '${words.join(' ')}'`);
        else if (Number(m[1]) === Number(m[2])) block(i + 1, end, vars);
      }
      i = end;
    }
  };
  block(0, lines.length, []);
  return out;
}

/** `{...}`: integers and repeat variables joined by `+`, `*` and `%` (`*` and `%` bind tighter) */
function evaluate(e: string, vars: readonly [string, number][], fail: (what: string) => never): number {
  const bad = () => fail(`expected {<expression>} of integers, repeat variables, + * %, got '{${e}}'`);
  let sum = 0;
  for (const term of e.split('+')) {
    const parts = term.split(/([*%])/);
    const operand = (w: string): number => {
      if (/^\d+$/.test(w)) return Number(w);
      if (!/^[A-Za-z_]\w*$/.test(w)) return bad();
      const bound = vars.find(([v]) => v === w) ?? fail(`'{${e}}': '${w}' is not a repeat variable here`);
      return bound[1];
    };
    let x = operand(parts[0]);
    for (let k = 1; k < parts.length; k += 2) {
      const y = operand(parts[k + 1]);
      if (parts[k] === '*') x *= y;
      else x = y > 0 ? x % y : fail(`'{${e}}': % needs a positive integer`);
    }
    sum += x;
  }
  return sum;
}

/** the index of the `end` that closes the block opened at line index `open`, or undefined */
function matchingEnd(lines: readonly string[][], open: number): number | undefined {
  let depth = 0;
  for (let i = open + 1; i < lines.length; i++) {
    const w = lines[i][0];
    if (w === 'repeat' || w === 'if') depth++;
    else if (w === 'end' && depth-- === 0) return i;
  }
  return undefined;
}

/** `96,288..290,17`: the pages of a list, in its order */
function pageList(w: string, fail: (what: string) => never): number[] {
  const out: number[] = [];
  for (const part of w.split(',')) {
    const [a, b] = part.split('..').map(Number);
    if (b !== undefined && b < a) fail(`range ${a}..${b} is empty`);
    for (let i = a; i <= (b ?? a); i++) out.push(i);
  }
  return out;
}

/** names a scenario defines, per profile: `@6.1` statements define (and see) only 6.1's */
class ProfileNames<V> {
  private readonly byProfile = new Map<ProfileName, Map<string, V>>();

  /** the names as a statement for `profiles` sees them */
  view(profiles: readonly ProfileName[]) {
    const maps = profiles.map((p) => {
      let m = this.byProfile.get(p);
      if (!m) this.byProfile.set(p, (m = new Map()));
      return m;
    });
    return {
      /** defined for every one of the statement's profiles */
      has: (name: string) => maps.every((m) => m.has(name)),
      /** defined for some of them (a redefinition) */
      any: (name: string) => maps.some((m) => m.has(name)),
      get: (name: string) => maps[0].get(name),
      add: (name: string, v: V) => maps.forEach((m) => m.set(name, v)),
    };
  }
}
