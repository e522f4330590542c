/**
 * The model's call stack: mm functions push their kernel name while they run, so every page_ref
 * event can be explained by (and printed with) the path that caused it, like the stacktrace
 * option of a real trace. Only kept while someone listens to the tracer: untraced runs pay one
 * test per call.
 */
import type { Kernel } from '../kernel/kernel.js';

export function called<T>(k: Kernel, fn: string, body: () => T): T {
  if (!k.tracer.listening) return body();
  k.callStack.push(fn);
  try {
    return body();
  } finally {
    k.callStack.pop();
  }
}
