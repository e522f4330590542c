/**
 * The boot built-in's kernel-page stand-ins: the pages the kernel allocates for itself (set 1, then
 * only a put to 0: slab, kernel stacks, page-table levels above the PTE, the ring buffer) that the
 * model does not, counted per (allocating task, freeing task, compound) as the real count minus the
 * model's, allocated where the allocating task first acts (a fork's, at the fork) and freed before
 * the freeing task exits or at its last event; the kernel threads the programs do not cover get a
 * `task` statement.
 */
import type { KeyedTrace } from './page_history.js';
import { byPid, kernelLives } from './boot_pages.js';
import { programNames, type Action, type BootLayout, type Line } from './boot_gen.js';

/** a task's identity across a real and a simulated trace: its comm and its rank among that comm's pids */
function taskIds(t: KeyedTrace): Map<number, string> {
  const ids = new Map<number, string>();
  const rank = new Map<string, number>();
  for (let i = 0; i < t.pfn.length; i++) {
    if (ids.has(t.pid[i])) continue;
    const comm = t.comms[t.comm[i]];
    const r = rank.get(comm) ?? 0;
    rank.set(comm, r + 1);
    ids.set(t.pid[i], `${comm}#${r}`);
  }
  return ids;
}

/** (allocating task, freeing task or -, compound) -> lives */
function kernelClasses(t: KeyedTrace): Map<string, number> {
  const ids = taskIds(t);
  const out = new Map<string, number>();
  for (const l of kernelLives(t)) {
    const k = [ids.get(l.setter), l.freer < 0 ? '-' : ids.get(l.freer), l.compound ? 'head' : ''].join(' ');
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/**
 * The kernel pages the real trace has beyond the model's (`model`: the scenario run without them),
 * per class: allocated where the allocating task first acts, freed before the freeing task exits (or
 * at its last event); the kernel threads the programs do not cover get a `task` line.
 */
export function kernelStandIns(
  real: KeyedTrace,
  model: KeyedTrace,
  acts: Action[],
  layout: BootLayout,
): Line[] {
  const ids = taskIds(real);
  const byId = new Map([...ids].map(([pid, id]) => [id, pid]));
  const want = kernelClasses(real);
  const have = kernelClasses(model);
  const out: Line[] = [];
  const pids = byPid(real);
  const names = new Map<number, string>();
  const userNames = programNames(real, acts, layout);
  const nameOf = (pid: number): string => {
    let n = userNames.get(pid) ?? names.get(pid);
    if (n) return n;
    const s = pids.get(pid)!;
    const comm = real.comms[real.comm[s[0]]];
    n = layout.tasks.get(comm) ?? `${comm.replace(/\W/g, '_')}_${pid}`;
    if (!layout.tasks.has(comm))
      out.push({ at: -1, text: `task ${n} comm=${comm} pid=${pid} cpu=${real.cpu[s[0]]} kthread` });
    names.set(pid, n);
    return n;
  };
  const first = (pid: number) => acts.find((a) => a.pid === pid)?.at ?? pids.get(pid)![0];
  const last = (pid: number) => {
    const exit = acts.find((a) => a.pid === pid && a.kind === 'EXIT');
    return exit ? exit.at - 0.02 : pids.get(pid)![pids.get(pid)!.length - 1];
  };
  let pool = 0;
  for (const [k, n] of want) {
    const extra = n - (have.get(k) ?? 0);
    if (extra < 0)
      throw new Error(`boot stand-ins: the model allocates more kernel pages than the real trace (${k})`);
    if (!extra) continue;
    const [setter, freer, compound] = k.split(' ');
    const sp = byId.get(setter)!;
    const fp = freer === '-' ? undefined : byId.get(freer)!;
    const name = `k${pool++}`;
    // what a fork allocates for the child (kernel stack, pgd, upper page tables) at the fork
    const fork = acts.find((a) => a.kind === 'FORK' && a.pid === sp && a.child === fp);
    const at = fork ? fork.at + 0.01 : first(sp);
    out.push({ at, text: `${nameOf(sp)} kalloc ${name} ${extra}${compound ? ' order=1' : ''}` });
    if (fp !== undefined) out.push({ at: Math.max(at, last(fp)), text: `${nameOf(fp)} kfree ${name}` });
  }
  for (const [k] of have)
    if (!want.has(k))
      throw new Error(`boot stand-ins: the model allocates kernel pages the real trace has not (${k})`);
  return out;
}
