/**
 * Simulator throughput: boots a 16 GiB machine (4 Mi pages into the buddy) and runs a fork-heavy
 * scenario — a parent writes 1 GiB, forks 8 children that each write a quarter of it and exit —
 * first with a counting listener (to know how many page_ref operations the run makes), then
 * untraced, timed. Prints operations per second, bytes per page and the heap; asserts nothing.
 * Goal: >= 20 M page_ref operations per second untraced.
 */
import { loadProfile } from '../kernel/profiles/index.js';
import { BYTES_PER_PAGE } from '../kernel/mem_map.js';
import { parseScenario } from '../scenario/format.js';
import { Machine } from '../mm/machine.js';
import { handle_mm_fault } from '../mm/memory.js';
import { do_munmap } from '../mm/mmap.js';
import { do_mmap_anon } from '../mm/mm_types.js';

const PAGES = 4 * 1024 * 1024;
const REGION = 256 * 1024;
const CHILDREN = 8;

function workload(m: Machine): void {
  const parent = m.spawn('parent', 'bench', 0);
  const vma = do_mmap_anon(m.k, parent.mm!, 'a', REGION, false);
  m.run(parent, () => {
    for (let i = 0; i < REGION; i++) handle_mm_fault(m.k, parent.mm!, vma, i, true);
  });
  for (let c = 0; c < CHILDREN; c++) {
    const child = m.fork(parent, `child${c}`, c % m.nrCpus);
    const cv = child.mm!.vmas[0];
    m.run(child, () => {
      for (let i = c; i < REGION; i += 4) handle_mm_fault(m.k, child.mm!, cv, i, true);
    });
    m.exit(child);
  }
  m.run(parent, () => do_munmap(m.k, parent.mm!, vma));
  m.exit(parent);
}

export async function bench(): Promise<void> {
  console.log('simulator benchmark (16 GiB boot, fork-heavy workload)');
  parseScenario('', 'bench'); // the scenario layer is loaded as in a CLI run
  const profile = loadProfile('6.12');
  const t0 = performance.now();
  const counted = new Machine({ profile, nrPages: PAGES, nrCpus: 4, debugVm: false });
  const bootMs = performance.now() - t0;
  let ops = 0;
  counted.k.tracer.subscribe(() => ops++);
  workload(counted);
  const m = new Machine({ profile, nrPages: PAGES, nrCpus: 4, debugVm: false });
  const faults = process.resourceUsage().minorPageFault;
  const t1 = performance.now();
  workload(m);
  const runMs = performance.now() - t1;
  // first touches of fresh memory: ~20 us each on the VMs here, the usual reason for a slow run
  const runFaults = process.resourceUsage().minorPageFault - faults;
  const mem = process.memoryUsage();
  const mib = (n: number) => `${(n / 1048576).toFixed(0)} MiB`;
  console.log(`boot: ${PAGES} pages (16 GiB) into the buddy in ${bootMs.toFixed(0)} ms`);
  console.log(
    `workload: ${ops} page_ref operations, untraced in ${runMs.toFixed(0)} ms (${runFaults} minor page faults)`,
  );
  console.log(
    `  = ${(ops / runMs / 1000).toFixed(1)} M page_ref ops/s (goal >= 20 M/s: ${ops / runMs / 1000 >= 20 ? 'met' : 'not met'})`,
  );
  console.log(
    `mem_map: ${BYTES_PER_PAGE} bytes/page in typed arrays (${(m.k.mem.byteLength() / PAGES).toFixed(1)} measured, struct page is 64)`,
  );
  console.log(
    `heap: used ${mib(mem.heapUsed)}, array buffers ${mib(mem.arrayBuffers)}, rss ${mib(mem.rss)} (two machines alive)`,
  );
}
