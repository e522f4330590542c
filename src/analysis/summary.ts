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

export function summarize(r: TraceReadResult, profileOverride?: ProfileName): TraceSummary {
  const s = r.store;
  const byName = new Map<string, number>();
  const typeCounts = new Array<number>(PAGE_REF_EVENT_NAMES.length).fill(0);
  const cpus = new Set<number>();
  const tasks = new Map<number, { comm: string; events: number }>();
  const uncertain = new Set(r.uncertainCpus);
  const uncertainPfns = new Set<number>();
  let first = Infinity;
  let last = -Infinity;
  const stackIds = new Set<number>();
  // consecutive events mostly share cpu and pid: Set and Map lookups only when they change
  let cpu = -1;
  let onUncertain = false;
  let pid = NaN;
  let task = { comm: '', events: 0 };
  for (let i = 0; i < s.length; i++) {
    typeCounts[s.type(i)]++;
    if (s.cpu(i) !== cpu) {
      cpu = s.cpu(i);
      cpus.add(cpu);
      onUncertain = uncertain.has(cpu);
    }
    if (s.pid(i) !== pid) {
      pid = s.pid(i);
      const t = tasks.get(pid);
      if (t) task = t;
      else tasks.set(pid, (task = { comm: s.comm(i), events: 0 }));
    }
    task.events++;
    const ts = s.timestampNs(i);
    if (ts < first) first = ts;
    if (ts > last) last = ts;
    if (onUncertain) uncertainPfns.add(s.pfn(i));
    const st = s.stackOf(i);
    if (st !== undefined) stackIds.add(st);
  }
  typeCounts.forEach((c, t) => c > 0 && byName.set(PAGE_REF_EVENT_NAMES[t], c));
  for (const m of r.markers) byName.set(m.name, (byName.get(m.name) ?? 0) + 1);
  const detected = detectProfile(s);
  return {
    source: r.source,
    format: r.format,
    lines: r.lines,
    bytes: r.bytes,
    events: s.length,
    eventsByName: Object.fromEntries([...byName].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))),
    pages: s.pfns().length,
    timeSpan: s.length === 0 ? undefined : { firstNs: first, lastNs: last, seconds: (last - first) / 1e9 },
    cpus: [...cpus].sort((a, b) => a - b),
    tasks: [...tasks].map(([pid, t]) => ({ pid, ...t })).sort((a, b) => b.events - a.events || a.pid - b.pid),
    markers: r.markers.length,
    stacks: {
      blocks: r.stacks.blocks,
      attached: r.stacks.attached,
      distinct: stackIds.size,
      unattached: r.stacks.unattached,
    },
    lost: {
      notes: r.lost,
      events: r.lost.reduce((n, l) => n + (l.events ?? 0), 0),
      uncertainCpus: r.uncertainCpus,
      uncertainPages: uncertainPfns.size,
    },
    header: r.header,
    unparsed: r.unparsed,
    profile:
      profileOverride === undefined
        ? { name: detected.profile, source: 'detected', evidence: detected.evidence }
        : { name: profileOverride, source: 'option', evidence: detected.evidence },
  };
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
