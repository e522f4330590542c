/**
 * The first answer about a trace: what is in it. Events by name, distinct pages, time span, CPUs,
 * tasks, markers, lost events and uncertain pages, lines that could not be parsed, the stacks,
 * and the kernel profile detected from the evidence.
 */
import { printable } from '../trace/printable.js';
import type { ProfileName } from '../kernel/profiles/types.js';
import { PAGE_REF_EVENT_NAMES } from '../kernel/tracepoint.js';
import { detectProfile } from '../trace/profile-detect.js';
import type { Counted, LostNote, TraceReadResult } from '../trace/reader.js';
import type { EventColumns } from '../trace/store.js';

export interface TraceSummary {
  source: string;
  format: string;
  lines: number;
  bytes: number;
  /** page_ref events */
  events: number;
  /** page_ref events and markers by event name, most frequent first */
  eventsByName: Record<string, number>;
  /** distinct pfns */
  pages: number;
  timeSpan: { firstNs: number; lastNs: number; seconds: number } | undefined;
  cpus: number[];
  tasks: { pid: number; comm: string; events: number }[];
  markers: number;
  stacks: { blocks: number; attached: number; distinct: number; unattached: Counted };
  lost: { notes: LostNote[]; events: number; uncertainCpus: number[]; uncertainPages: number };
  header: TraceReadResult['header'];
  unparsed: Counted;
  profile: { name: ProfileName | undefined; source: 'option' | 'detected'; evidence: string[] };
}

/** Per task (pid): the comm of its first event and its events, in order of first appearance. */
interface TaskCount {
  comm: string;
  events: number;
}

export function summarize(r: TraceReadResult, profileOverride?: ProfileName): TraceSummary {
  const s = r.store;
  const c = s.columns();
  const byName = new Map<string, number>();
  const typeCounts = new Array<number>(PAGE_REF_EVENT_NAMES.length).fill(0);
  const shapes = c.type.length;
  // events per shape, and each shape's first event: types, CPUs and tasks follow from the shapes
  const perShape = new Uint32Array(shapes);
  const firstOf = new Int32Array(shapes).fill(-1);
  // first and last timestamp in a typed array: as loop variables every new one was a heap number
  const span = Float64Array.of(Infinity, -Infinity);
  const onStack = new Uint8Array(s.stacks.size);
  let distinctStacks = 0;
  for (let i = 0; i < c.n; i++) {
    const sh = c.shape[i];
    if (perShape[sh]++ === 0) firstOf[sh] = i;
    const ts = c.ts[i];
    if (ts < span[0]) span[0] = ts;
    if (ts > span[1]) span[1] = ts;
    const st = c.stack[i];
    if (st !== 0 && onStack[st - 1] === 0) {
      onStack[st - 1] = 1;
      distinctStacks++;
    }
  }
  const cpus = new Set<number>();
  // a task's comm is that of its first event: pids in order of first appearance
  const byFirst = Array.from({ length: shapes }, (_, sh) => sh)
    .filter((sh) => perShape[sh] > 0)
    .sort((a, b) => firstOf[a] - firstOf[b]);
  const tasks = new Map<number, TaskCount>();
  for (const sh of byFirst) {
    typeCounts[c.type[sh]] += perShape[sh];
    cpus.add(c.cpu[sh]);
    const pid = c.pid[sh];
    const t = tasks.get(pid);
    if (t) t.events += perShape[sh];
    else tasks.set(pid, { comm: s.comm(firstOf[sh]), events: perShape[sh] });
  }
  const uncertainPages = uncertainPfns(r, c);
  typeCounts.forEach((c, t) => c > 0 && byName.set(PAGE_REF_EVENT_NAMES[t], c));
  for (const m of r.markers) byName.set(m.name, (byName.get(m.name) ?? 0) + 1);
  const detected = detectProfile(s);
  return {
    source: r.source,
    format: r.format,
    lines: r.lines,
    bytes: r.bytes,
    events: s.length,
    // ties by name in code-unit order, not localeCompare: its first call builds ICU's collator,
    // 7-11 ms of every analyze of a small trace
    eventsByName: Object.fromEntries([...byName].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))),
    pages: s.pfnIndex().sorted.length,
    timeSpan: s.length === 0 ? undefined : timeSpan(span[0], span[1]),
    cpus: [...cpus].sort((a, b) => a - b),
    tasks: [...tasks].map(([pid, t]) => ({ pid, ...t })).sort((a, b) => b.events - a.events || a.pid - b.pid),
    markers: r.markers.length,
    stacks: {
      blocks: r.stacks.blocks,
      attached: r.stacks.attached,
      distinct: distinctStacks,
      unattached: r.stacks.unattached,
    },
    lost: {
      notes: r.lost,
      events: r.lost.reduce((n, l) => n + (l.events ?? 0), 0),
      uncertainCpus: r.uncertainCpus,
      uncertainPages,
    },
    header: r.header,
    unparsed: r.unparsed,
    profile:
      profileOverride === undefined
        ? { name: detected.profile, source: 'detected', evidence: detected.evidence }
        : { name: profileOverride, source: 'option', evidence: detected.evidence },
  };
}

function timeSpan(firstNs: number, lastNs: number): TraceSummary['timeSpan'] {
  return { firstNs, lastNs, seconds: (lastNs - firstNs) / 1e9 };
}

/** Distinct pfns with an event on a CPU whose events are incomplete. */
function uncertainPfns(r: TraceReadResult, c: EventColumns): number {
  if (r.uncertainCpus.length === 0) return 0;
  const uncertain = new Set(r.uncertainCpus);
  const onCpu = new Uint8Array(c.cpu.length);
  for (let sh = 0; sh < onCpu.length; sh++) onCpu[sh] = uncertain.has(c.cpu[sh]) ? 1 : 0;
  const ix = r.store.pfnIndex();
  let pages = 0;
  for (let rank = 0; rank < ix.sorted.length; rank++) {
    for (let k = ix.offsets[rank]; k < ix.offsets[rank + 1]; k++) {
      if (onCpu[c.shape[ix.indices[k]]] === 0) continue;
      pages++;
      break;
    }
  }
  return pages;
}

/**
 * An integer with thousands separators, as toLocaleString('en-US') prints it: the first
 * toLocaleString of a process loads ICU's locale data, 60-130 ms of every analyze.
 */
function grouped(n: number): string {
  return Number.isSafeInteger(n)
    ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
    : n.toLocaleString('en-US');
}

function plural(n: number, word: string): string {
  return `${grouped(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** Text for people: the answer first, then the details. */
export function formatSummary(x: TraceSummary): string {
  const out: string[] = [];
  const span = x.timeSpan ? ` over ${x.timeSpan.seconds.toFixed(6)} s` : '';
  out.push(`${x.source}: ${plural(x.events, 'page_ref event')} on ${plural(x.pages, 'page')}${span}`);
  const prof = x.profile.name ?? 'unknown';
  out.push(`kernel profile: ${prof} (${x.profile.source === 'option' ? 'from --profile' : 'detected'})`);
  if (x.unparsed.count > 0)
    out.push(`WARNING: ${plural(x.unparsed.count, 'line')} could not be parsed (see below)`);
  if (x.lost.notes.length > 0) {
    out.push(
      `WARNING: events were lost on CPU ${x.lost.uncertainCpus.join(', ')}; ${plural(x.lost.uncertainPages, 'page')} seen there are uncertain`,
    );
  }
  out.push('', `format ${x.format}, ${plural(x.lines, 'line')}, ${grouped(x.bytes)} bytes`);
  out.push('events by name:');
  for (const [n, c] of Object.entries(x.eventsByName)) out.push(`  ${c.toString().padStart(9)}  ${n}`);
  out.push(`CPUs: ${x.cpus.join(', ') || '-'}   markers: ${x.markers}`);
  const top = x.tasks.slice(0, 5).map((t) => `${t.comm}-${t.pid} (${t.events})`);
  out.push(`tasks: ${x.tasks.length}${top.length ? ', most events: ' + top.join(', ') : ''}`);
  if (x.stacks.blocks > 0) {
    out.push(
      `stacks: ${x.stacks.blocks} blocks, ${x.stacks.attached} attached, ${x.stacks.distinct} distinct, ${x.stacks.unattached.count} unattached`,
    );
  }
  for (const l of x.lost.notes) {
    const what =
      l.kind === 'lost' ? `lost ${l.events ?? 'an unknown number of'} events` : 'buffer started late';
    out.push(`  line ${l.line}: CPU ${l.cpu} ${what}`);
  }
  if (x.profile.evidence.length > 0) {
    out.push('profile evidence:');
    for (const e of x.profile.evidence) out.push(`  ${e}`);
  }
  if (x.unparsed.count > 0) {
    out.push(`unparsed lines (${x.unparsed.count}, first ${x.unparsed.samples.length}):`);
    for (const u of x.unparsed.samples)
      out.push(`  ${x.source}:${u.line}: ${u.reason}: ${printable(u.text)}`);
  }
  return out.join('\n') + '\n';
}
