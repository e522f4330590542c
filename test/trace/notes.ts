/** Expected figures from a workload's notes.txt: per file, event counts and `<stack trace>` blocks. */
import { readFileSync } from 'node:fs';

export interface Expected {
  counts: Record<string, number>;
  stackBlocks: number | undefined;
}

export function parseNotes(file: string): Map<string, Expected> {
  const out = new Map<string, Expected>();
  let cur: Expected | undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const head = /^([\w-]+\.txt): \d+ bytes, \d+ page_ref events(?:, (\d+) <stack trace> blocks)?/.exec(line);
    const boot = /^event counts \(grep of ' <event>:' in traces\/[\d.]+\/boot\/(trace\.txt)\):/.exec(line);
    const count = /^\s+(\d+)\s+(\w+):?$/.exec(line);
    if (head || boot) {
      cur = { counts: {}, stackBlocks: head?.[2] === undefined ? undefined : Number(head[2]) };
      out.set((head ?? boot)![1], cur);
    } else if (cur && count) cur.counts[count[2]] = Number(count[1]);
    else cur = undefined;
  }
  return out;
}
