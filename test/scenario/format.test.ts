/** Scenario validation: each error names the line and what was expected. */
import { describe, expect, it } from 'vitest';
import { ScenarioError, parseScenario } from '../../src/scenario/format.js';
import { runScenario } from '../../src/scenario/runner.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { loadProfile } from '../../src/kernel/profiles/index.js';
import { PageRefType } from '../../src/kernel/tracepoint.js';

function err(text: string): string {
  try {
    runScenario(parseScenario(text, 's.txt'), loadProfile('6.12'));
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  return 'no error';
}

describe('scenario errors', () => {
  it.each([
    ['task a\nrepeat 2 i\na mmap x{i} anon 1', 's.txt:2: `repeat` has no matching `end`'],
    ['task a\nend', 's.txt:2: `end` without a `repeat` or `if` above'],
    [
      'repeat two i\nend',
      "s.txt:1: expected `repeat <n> <var>` (n a non-negative integer), got 'repeat two i'",
    ],
    [
      'repeat 2 i\nrepeat 2 i\nend\nend',
      "s.txt:2: repeat variable 'i' is already in use by an outer repeat (in i=0)",
    ],
    [
      'task a\nrepeat 3 i\na mmap x{j} anon 1\nend',
      "s.txt:3: '{j}': 'j' is not a repeat variable here (in i=0)",
    ],
    ['repeat 3 i\nif {i%0} = 0\nend\nend', "s.txt:2: '{i%0}': % needs a positive integer (in i=0)"],
    [
      'repeat 1 i\ntask t{i-1}\nend',
      "s.txt:2: expected {<expression>} of integers, repeat variables, + * %, got '{i-1}' (in i=0)",
    ],
    ['if a = 0\nend', "s.txt:1: expected `if <a> = <b>` with two integers, got 'if a = 0'"],
    // a statement's error names its line and the pass it failed in
    ['task a\nrepeat 3 i\na mmap x anon {2-i}\nend', 's.txt:3: expected {<expression>}'],
    [
      'task a\nrepeat 3 i\na mmap x{i%2} anon 1\nend',
      "s.txt:3: region 'x0' is already mapped in task 'a' (in i=2)",
    ],
    ['machine cpus=2\ntask a\na cpu 2', 's.txt:3: cpu=2, but the machine has 2 CPUs'],
    ['task a\na cpu', "s.txt:2: expected `<task> cpu <n>` with a CPU number, got 'a cpu'"],
    [
      'task a\na mmap x anon -3',
      's.txt:2: expected `<task> mmap <region> anon|shmem|file <pages> [private] [of=<region>] [at=<pgoff>]` with a positive page count',
    ],
    ['task a\n\n# c\nb write x', "s.txt:4: 'b' is not a task defined above"],
    ['task a\na write x', "s.txt:2: region 'x' was not mmap'ed above"],
    ['task a\na mmap x anon 4\na write x 0..9', "s.txt:3: page 9 is outside 'x' (4 pages)"],
    ['task a\na frobnicate', "s.txt:2: unknown action 'frobnicate'"],
    [
      'task a\na mmap s shmem 4\na write s\na truncate s',
      's.txt:4: truncate: s: truncating a mapped page is not modelled (munmap first)',
    ],
    ['task a\na vmsplice x', "s.txt:2: region 'x' was not mmap'ed above"],
    ['task a\na mmap x anon 4\na vmsplice x p', "s.txt:3: pipe 'p' was not created above (`a pipe p`)"],
    ['task a\na pipe p\na pipe p', "s.txt:3: pipe 'p' is already defined"],
    ['task a\na close p', "s.txt:2: pipe 'p' was not created above"],
    [
      'task a\na mmap x anon 4 private',
      's.txt:2: expected `<task> mmap <region> anon|shmem|file <pages> [private] [of=<region>] [at=<pgoff>]`',
    ],
    ['task a\na mmap x shmem 4\na migrate x 3..1', 's.txt:3: range 3..1 is empty'],
    ['task a\na mmap x shmem 4 of=y', "s.txt:2: region 'y' was not mmap'ed above"],
    ['task a\na mmap x anon 4 at=2', 's.txt:2: expected `<task> mmap'],
    ['task a\na mmap x file 4\na mmap y shmem 2 of=x', "s.txt:3: 'x' is a 4-page file file"],
    [
      'task a\na mmap x shmem 4\na truncate x now',
      "s.txt:3: expected `<task> truncate <file>`, got 'a truncate x now'",
    ],
    ['task a\na mmap x shmem 4\na reclaim x all', "s.txt:3: expected a page range <a>..<b>, got 'all'"],
    ['task a\na compact now', "s.txt:2: compact takes no arguments, got 'now'"],
    [
      'task a\na open v disk 4',
      "s.txt:2: expected `<task> open <file> shmem|file <pages>` with a positive page count, got 'a open v disk 4'",
    ],
    ['task a\na mmap v anon 4\na open v file 4', "s.txt:3: 'v' already names a region or file"],
    ['task a\na open v file 4\na fread v 2..4', "s.txt:3: page 4 is past the end of 'v' (4 pages)"],
    ['task a\na mmap x anon 4\na fread x', "s.txt:3: 'x' is anonymous: fread needs a file"],
    ['@6.3 task a', "s.txt:1: unknown profile '6.3'"],
    ['machine cpus=2\ntask a cpu=5', 's.txt:2: cpu=5, but the machine has 2 CPUs'],
    ['task a\na mmap x anon 4\na exit\na write x', "s.txt:4: task 'a' has exited"],
    // a run-time error names the file too, not the scenario's title
    ['scenario my title\ntask a\na mmap x anon 4\na exit\na write x', "s.txt:5: task 'a' has exited"],
    ['scenario my title\nmachine cpus=2\ntask a cpu=5', 's.txt:3: cpu=5, but the machine has 2 CPUs'],
    ['task a\na mmap x anon 4\na madvise x dontneed 0..9', "s.txt:3: page 9 is outside 'x' (4 pages)"],
    [
      'task a\na mmap x anon 4\na madvise x dontneed keep=0',
      "s.txt:3: keep= must be at least 1, got 'keep=0'",
    ],
    [
      'task a\na mmap x anon 4\na madvise x dontfork now',
      "s.txt:3: expected `<task> madvise <region> dontfork|hugepage|nohugepage|dontneed [<a>..<b>] [keep=<n>]`, got 'a madvise x dontfork now'",
    ],
    ['task a\na mmap x anon 4\na madvise x sleep', 's.txt:3: expected `<task> madvise <region> dontfork|'],
    ['tracing maybe', 's.txt:1: expected `tracing off` or `tracing on`'],
    ['mark', 's.txt:1: expected `mark <text>`'],
    ['task a\na pages_node x', "s.txt:2: region 'x' was not mmap'ed above"],
    [
      // a THP's destination needs a free order-9 block: the one a 5120-page machine had is gone
      'machine pages=5120 lru_gen=0\ntask a\na mmap t anon 512\na madvise t hugepage\na write t\na migrate t',
      "s.txt:6: migrate: alloc_migration_target: no free order-9 block for pfn 0x1000's destination after direct reclaim (the allocation's direct compaction is not modelled)",
    ],
    ['machine pcp_high=0', 's.txt:1: machine: pcp_high= must be at least 1'],
    // the buddy allocator gets pfns 0x1000.. (FIRST_FREE_PFN): a smaller machine has no free memory
    ['machine pages=4096\ntask a', 's.txt:1: machine: pages= must be above 4096, got 4096'],
    ['machine swapdev=zram', 's.txt:1: machine: swapdev= needs swap=<pages>'],
    ['machine swap=1', 's.txt:1: machine: swap= needs at least 2 pages'],
    ['machine swap=8 swapdev=hdd', "s.txt:1: machine: swapdev= is ssd or zram, got 'swapdev=hdd'"],
    ['machine lru_gen=maybe', "s.txt:1: machine: lru_gen= is y, n or a number, got 'lru_gen=maybe'"],
    ['machine lru_gen=0x1g', "s.txt:1: machine: lru_gen= is y, n or a number, got 'lru_gen=0x1g'"],
    [
      'task a\na lru_gen_age force_scan=2',
      's.txt:2: expected `<task> lru_gen_age [swappiness=<n>] [force_scan=0|1]`',
    ],
    [
      'task a\na reclaim_memory lots',
      "s.txt:2: expected `<task> reclaim_memory <pages>` with a positive page count, got 'a reclaim_memory lots'",
    ],
    [
      'machine pages=8192 lru_gen=0\ntask a\na mmap x anon 4096\na write x',
      's.txt:4: touch: __alloc_pages: out of memory for an order-0 page',
    ],
    // the boot built-in's statements
    ['task a\na mmap x anon 4\na write x 1,3..2', 's.txt:3: range 3..2 is empty'],
    ['task a\na mmap x anon 4\na write x 0,7', "s.txt:3: page 7 is outside 'x' (4 pages)"],
    [
      'task a\na mmap x anon 4\na write x 0,1 step=2',
      's.txt:3: a page list takes no <a>..<b> range or step=',
    ],
    ['task k comm=k kthread\nk mmap x anon 1', "s.txt:2: task 'k' is a kernel thread (no mm)"],
    [
      'task k kthread\nk open f shmem 2\nelf e of=f t=0x400:0..2',
      "s.txt:3: elf: segment t maps page 2, past the end of 'f' (2 pages)",
    ],
    [
      'task k kthread\nk open f shmem 2\nelf e of=f t=0x400:1',
      "s.txt:3: elf: expected <vma>=<vpn>:<a>..<b>[:rw[+<bss>]], got 't=0x400:1'",
    ],
    ['task k kthread\nk exec e strings=1 comm=x', "s.txt:2: exec: 'e' is not an elf image defined above"],
    [
      'task k kthread\nk open f shmem 2\nelf e of=f t=0x400:0..1\nk exec e strings=1 comm=x script=f',
      's.txt:4: exec: script= and script_strings= go together',
    ],
    ['task k kthread\nk kfree p', "s.txt:2: kfree: pool 'p' was not allocated above (kalloc)"],
    ['task k kthread\nk kalloc p 2\nk kfree p 3', "s.txt:3: kfree: pool 'p' holds 2 blocks, 3 asked"],
    [
      'machine reserved=2\ntask k kthread\nk free_reserved_area 3',
      's.txt:3: free_reserved_area: 3 pages asked, 2 reserved pages left',
    ],
    [
      'task k kthread\nk open f shmem 2\nk read_mapping_folio f 0',
      "s.txt:3: read_mapping_folio: 'f' is not a block device",
    ],
    // a name an @profile statement defines exists for those profiles only
    ['@6.1 task a\na exit', "s.txt:2: 'a' is not a task defined above"],
    ['@6.12 task a\ntask a', "s.txt:2: task 'a' is already defined"],
  ])('%j', (text, message) => {
    expect(err(text)).toContain(message);
  });

  it('repeat and if: the body n times with its variable, `if` only where the values are equal', () => {
    const sc = parseScenario(
      'task a\nrepeat 4 i\na mmap x{i} anon {i*2+1}\nif {i%2} = 1\na write x{i} 0..{i%3}\nend\nend\na exit',
      's.txt',
    );
    expect(sc.statements.map((s) => [s.line, s.action])).toEqual([
      [1, { op: 'task', name: 'a', comm: 'a', cpu: undefined }],
      ...[0, 1, 2, 3].flatMap((i) => [
        [
          3,
          { op: 'mmap', task: 'a', region: `x${i}`, pages: i * 2 + 1, kind: 'anon', shared: false, pgoff: 0 },
        ],
        ...(i % 2
          ? [[5, { op: 'touch', task: 'a', region: `x${i}`, write: true, from: 0, to: i % 3, step: 1 }]]
          : []),
      ]),
      [8, { op: 'exit', task: 'a' }],
    ]);
  });

  it('@profile names: each profile its own task of one name; a page list faults each page in order', () => {
    const text = '@6.1 task a cpu=0\n@6.12,mainline task a cpu=1\na mmap x anon 8\na write x 5,1..2\n';
    const sc = parseScenario(text, 's.txt');
    expect(sc.statements[3].action).toMatchObject({ op: 'touch', pages: [5, 1, 2] });
    for (const v of ['6.1', '6.12'] as const) {
      const r = runScenario(sc, loadProfile(v));
      const sets = r.events.filter(
        (e) => e.record.type === PageRefType.set && e.ctx.cpu === (v === '6.1' ? 0 : 1),
      );
      // three data pages (the page table's set first)
      expect(sets.length).toBe(4);
    }
  });

  it('built-ins parse and run', () => {
    for (const [name, text] of Object.entries(BUILTINS)) {
      expect(runScenario(parseScenario(text, name), loadProfile('6.1')).events.length).toBeGreaterThan(0);
    }
  });
});

describe('statements', () => {
  it('machine lru_gen= takes what enabled_store() takes (mm/vmscan.c:5188): y, n, decimal, 0x hex, 0 octal; the low 3 bits', () => {
    const caps = (v: string) => parseScenario(`machine lru_gen=${v}`, 's').lruGenCaps;
    expect(['y', 'Y', 'n', 'N', '0', '1', '7', '0x0003', '010', '15'].map(caps)).toEqual([
      7, 7, 0, 0, 0, 1, 7, 3, 0, 7,
    ]);
    expect(parseScenario('machine pages=64', 's').lruGenCaps).toBeUndefined();
  });

  const run = (text: string) => runScenario(parseScenario(text, 's.txt'), loadProfile('6.12'));

  it('madvise dontneed keep=4: one zap per page not a multiple of 4, the VMA kept for the next touch', () => {
    const r = run(
      'task a comm=a cpu=0\na mmap x anon 8\na write x\ndrain\ncheckpoint z\na madvise x dontneed keep=4\na write x',
    );
    const after = r.events.slice(r.checkpoints.get('z')!.at).filter((e) => e.record.mt === 1);
    const freed = after.filter((e) => e.record.type === PageRefType.mod_and_test && e.record.ret === 1);
    expect(freed.map((e) => e.stack.slice(-4))).toEqual(
      Array.from({ length: 6 }, () => [
        'tlb_finish_mmu',
        'zap_page_range_single',
        'do_madvise',
        '__x64_sys_madvise',
      ]),
    );
    // the six pages fault in again, the kept two are still mapped
    expect(after.filter((e) => e.record.type === PageRefType.set)).toHaveLength(6);
    const pfns = r.checkpoints.get('z')!.regions.get('a:x')!;
    expect([...pfns].filter((p, i) => i % 4 === 0 && p >= 0)).toHaveLength(2);
  });

  it('mark: its text and the next event, kept only while tracing is on', () => {
    const text =
      'task a\na mmap x anon 2\nmark one: a\na write x 0..0\ntracing off\nmark two\ntracing on\nmark three';
    const r = run(text);
    expect(r.marks).toEqual([
      { text: 'one: a', at: 0 },
      { text: 'three', at: r.events.length },
    ]);
  });

  it('pages_node: 6.1 looks each page up with follow_page(FOLL_GET) (+1, -1), 6.12 takes no reference', () => {
    const text =
      'task a\na mmap x anon 2\na write x\ndrain\ncheckpoint z\na pages_node x\na pages_node x 1..1';
    const after = (v: '6.1' | '6.12') => {
      const r = runScenario(parseScenario(text, 's.txt'), loadProfile(v));
      return r.events.slice(r.checkpoints.get('z')!.at).map((e) => `${e.record.type}:${e.record.val}`);
    };
    expect(after('6.1')).toEqual(['1:1', '2:-1', '1:1', '2:-1', '1:1', '2:-1']);
    expect(after('6.12')).toEqual([]);
  });

  it('tracing off: nothing is recorded until tracing on', () => {
    const text = 'task a\na mmap x anon 4\ntracing off\na write x 0..1\ntracing on\na write x 2..3';
    const sets = run(text).events.filter((e) => e.record.type === PageRefType.set && e.record.mt === 1);
    expect(sets).toHaveLength(2);
  });
});
