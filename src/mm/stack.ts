/**
 * The model's call stack: mm functions push their kernel name while they run, so every page_ref
 * event can be explained by (and printed with) the path that caused it, like the stacktrace
 * option of a real trace. A name is shown the way the profile's build shows it (profile fact
 * `stackFrames`: inlined helpers vanish, renamed ones change). Only kept while someone listens
 * to the tracer: untraced runs pay one test per call and allocate nothing.
 *
 *   const d = enter(k, 'shrink_folio_list');
 *   try { ... } finally { leave(k, d); }
 */
import type { Kernel } from '../kernel/kernel.js';

/** what enter() returns while nobody listens: nothing was pushed, so leave() has nothing to pop */
const NOT_PUSHED = -1;

/**
 * Pushes `fn` (or the frames the profile shows for it); returns the depth to leave() to. Small, so
 * that the JIT inlines it into every caller; the pushing is out of line. Untraced, it does not
 * touch the stack at all: the stack array of a Kernel that was traced holds strings and one that
 * never was holds none, and reading either's length where the JIT had seen only the other
 * deoptimized every path that inlined enter() when a second Kernel ran.
 */
export function enter(k: Kernel, fn: string): number {
  if (!k.tracer.listening) return NOT_PUSHED;
  const depth = k.callStack.length;
  push_frames(k, fn);
  return depth;
}

/**
 * Out of line and small: the JIT inlines it where a traced run called it, so its size comes out of
 * the inlining budget of every untraced path too (a for-of loop here took 164 bytes of bytecode).
 */
function push_frames(k: Kernel, fn: string): void {
  const shown = k.profile.facts.stackFrames[fn];
  if (shown === undefined) k.callStack.push(fn);
  else k.callStack.push(...shown);
}

/** Pops back to the depth enter() returned. */
export function leave(k: Kernel, depth: number): void {
  if (depth === NOT_PUSHED) return;
  const s = k.callStack;
  if (s.length !== depth) s.length = depth;
}

/**
 * enter/leave around a closure: for paths that are not per page (syscall entries, batches). One
 * call of `body` for both cases: a traced and an untraced run then take the same path through it
 * (a fast path taken only untraced had no type feedback in code the JIT optimized while tracing).
 */
export function called<T>(k: Kernel, fn: string, body: () => T): T {
  const d = enter(k, fn);
  try {
    return body();
  } finally {
    leave(k, d);
  }
}
