/** Text for people: the answer first, then readable tables. */
import { fmtPfn } from '../kernel/mem_map.js';
import type { ConsistencyReport } from './consistency.js';
import type { Findings } from './findings.js';
import type { FreezeFailure, Holder, HoldersAt } from './holders.js';
import type { Leak } from './leaks.js';

const STACK_FRAMES = 8;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function stackText(stack: string[], indent: string): string[] {
  return stack.slice(0, STACK_FRAMES).map((f) => `${indent}${f}`);
}

function holderLine(h: Holder): string {
  // an unknown owner without a line: a freeze's extra references counted, the gets not told apart
  const before = h.owner === 'unknown' ? 'gets not told apart without stacks' : 'before the trace';
  // without a stack, the get's tracepoint says a little of it (page_ref_mod_unless: a try_get)
  const what = h.stack.length === 0 && h.event ? `, ${h.event}` : '';
  const where = h.line === undefined ? before : `line ${h.line} (${h.task}${what})`;
  return `${h.refs.toString().padStart(4)}  ${h.label.padEnd(28)} ${h.line === undefined && h.owner === 'unknown' ? '' : 'taken at '}${where}`;
}

function holderTable(hs: Holder[], indent: string, withStacks: boolean): string[] {
  const out: string[] = [];
  for (const h of hs) {
    out.push(indent + holderLine(h));
    if (withStacks) out.push(...stackText(h.stack, `${indent}        `));
  }
  return out;
}

/** "pfn 0x1234: freeze expected 2, found 3: 1 extra reference held by pipe buffer taken at ..." */
export function freezeAnswer(x: FreezeFailure): string {
  const head = `pfn ${fmtPfn(x.pfn)} line ${x.line}: freeze expected ${x.expected}, found ${x.actual}`;
  if (x.extra.length === 0) return `${head}: no extra reference identified`;
  const n = x.extra.reduce((a, h) => a + h.refs, 0);
  const who = x.extra
    .map((h) => {
      const at =
        h.line === undefined
          ? ''
          : ` taken at line ${h.line} by ${h.task}${h.stack.length ? ` in ${h.stack[0]}` : h.event ? ` (${h.event})` : ''}`;
      return `${h.label}${at}`;
    })
    .join('; ');
  return `${head}: ${plural(n, 'extra reference')} held by ${who}`;
}

export function formatFreezeFailure(x: FreezeFailure): string[] {
  const out = [freezeAnswer(x)];
  if (x.caller.length) out.push(`  freezer: ${x.caller.slice(0, 4).join(' < ')}`);
  if (x.expectedHolders.length === 0) out.push('  expected holders: not told apart without stacks');
  else out.push('  expected holders:', ...holderTable(x.expectedHolders, '    ', false));
  out.push('  extra holders:', ...holderTable(x.extra, '    ', true));
  if (x.unexplained !== 0) out.push(`  ${x.unexplained} references are not explained by the trace`);
  return out;
}

export function formatHolders(h: HoldersAt): string {
  const out = [
    `pfn ${fmtPfn(h.pfn)} after line ${h.line} (${h.event}): count ${h.count}, ${plural(h.holders.length, 'holder')}`,
    ...holderTable(h.holders, '  ', true),
  ];
  if (h.unexplained !== 0) out.push(`  ${h.unexplained} references are not explained by the trace`);
  const p = h.pairing;
  out.push(
    `puts paired: ${p.byOwner} by owner, ${p.handedOver} with a handed-over reference, ${p.taskOrder} by task order (owner unknown), ${p.unmatched} unmatched`,
  );
  return out.join('\n') + '\n';
}

export function formatConsistency(c: ConsistencyReport, source: string): string {
  const findings = c.inconsistencies.filter((x) => x.severity === 'finding');
  const out = [
    `${source}: ${plural(findings.length, 'finding')} in ${plural(c.pagesChecked, 'page')} (${plural(c.eventsChecked, 'event')})`,
  ];
  const kinds = Object.entries(c.byKind).map(([k, n]) => `${k} ${n}`);
  if (kinds.length) out.push(`by kind: ${kinds.join(', ')}`);
  if (c.speculativeRefusals > 0)
    out.push(
      `${c.speculativeRefusals} page_ref_mod_unless ret=0 on pages at count 0: speculative folio_try_get refusing a free or frozen page (normal, not flagged)`,
    );
  for (const x of c.inconsistencies)
    out.push(
      `  ${source}:${x.line}: pfn ${fmtPfn(x.pfn)} ${x.kind} (${x.severity}): ${x.event} expected ${x.expected}, found ${x.actual}: ${x.note}`,
    );
  return out.join('\n') + '\n';
}

export function formatLeaks(leaks: Leak[], ex: Findings['leakExclusions'], limit: number): string[] {
  const out = [
    `leaks: ${plural(leaks.length, 'page')} ${leaks.length === 1 ? 'ends' : 'end'} the trace above ${leaks.length === 1 ? 'its' : 'their'} start count holding references that should have been dropped`,
    ex.excludedPages === 0
      ? '  not counted: none (no page ends above its start holding only references expected to persist)'
      : `  not counted: ${plural(ex.excludedPages, 'page')} whose outstanding references are expected to persist:`,
    ...ex.excluded.map((x) => `    ${plural(x.pages, 'page')}, ${plural(x.refs, 'ref')}: ${x.reason}`),
  ];
  for (const l of leaks.slice(0, limit)) {
    out.push(`  pfn ${fmtPfn(l.pfn)}: ${l.start} -> ${l.end} (last event line ${l.line})`);
    for (const h of l.unmatched) {
      const moved = h.migratedFrom ? `, migrated from pfn ${h.migratedFrom.map(fmtPfn).join(' < ')}` : '';
      const inferred = h.inferred ? ' (owner inferred without stacks)' : '';
      out.push(`    ${holderLine(h)}${h.stack.length ? ` in ${h.stack[0]}` : ''}${moved}${inferred}`);
    }
  }
  if (leaks.length > limit) out.push(`  ... ${leaks.length - limit} more (--json lists all)`);
  return out;
}

/** The findings part of `analyze` for people (the summary comes before it). */
export function formatFindings(f: Findings): string {
  const c = f.consistency;
  const out = [''];
  const nf = c.inconsistencies.filter((x) => x.severity === 'finding').length;
  out.push(
    `consistency: ${plural(nf, 'finding')}; explained mismatches: ${
      Object.entries(c.byKind)
        .filter(([k]) => k === 'lost' || k === 'race' || k === 'reordered')
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }`,
  );
  out.push(`freeze failures: ${f.freezeFailures.length}`);
  const groups = new Map<string, { n: number; first: FreezeFailure }>();
  // alike: the freezer's frames and the extra holders' get (its first frame, else its tracepoint);
  // without stacks the expected holders' tracepoints too, for want of the freezer's frames
  const gets = (hs: Holder[]) => hs.map((h) => `${h.owner}:${h.stack[0] ?? h.event ?? ''}`).join(',');
  for (const x of f.freezeFailures) {
    const path = x.caller.length > 0 ? x.caller.slice(0, 2).join('<') : gets(x.expectedHolders);
    const key = `${x.expected}/${x.actual}/${path}/${gets(x.extra)}`;
    const g = groups.get(key);
    if (g) g.n++;
    else groups.set(key, { n: 1, first: x });
  }
  for (const { n, first } of groups.values()) {
    out.push(`  ${n} x like this one:`);
    out.push(...formatFreezeFailure(first).map((l) => `  ${l}`));
  }
  out.push(...formatLeaks(f.leaks, f.leakExclusions, 10));
  // without stacks a get is paired with a put by task order only, and a reference taken by one
  // task and dropped by another (an LRU batch drained on another task's CPU time, a migration's
  // references) is left unmatched: say so, and how to record the stacks that would tell
  if (f.leaks.length > 0 && f.summary.stacks.attached === 0)
    out.push(
      `  the trace has no stacks: these references' owners are unknown and pairing by task may leave some unmatched; record with options/stacktrace (or trace-cmd -T) to attribute them`,
    );
  return out.join('\n') + '\n';
}
