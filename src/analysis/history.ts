/**
 * One page's timeline: every page_ref event of the pfn with its context, the mapcount field read
 * per profile (6.1 page_mapcount(); 6.10+ raw _mapcount, page types in the top byte:
 * include/trace/events/page_ref.h, reference §2.2), the stack when present, and the trace
 * markers (tracing_mark_write) interleaved by line.
 */
import type { ProfileName } from '../kernel/profiles/types.js';
import { PAGE_REF_EVENT_NAMES, pageRefHasRet } from '../kernel/tracepoint.js';
import type { TraceReadResult } from '../trace/reader.js';
import { loadProfile, type Profile } from '../kernel/profiles/index.js';
import { show_page_flags } from '../kernel/flag_names.js';
import { decodeTraceMapcount } from '../explain/decode-pagetype.js';
import { traceFlagsDecoder } from '../explain/profile-decoders.js';
import { eventStack } from './holders.js';

export interface HistoryEvent {
  kind: 'event';
  line: number;
  timestampNs: number;
  cpu: number;
  task: string;
  event: string;
  val: number;
  ret: number | null;
  count: number;
  mapcount: number;
  mapcountMeaning: string;
  flags: string;
  /**
   * trace-cmd report / perf script print flags as hex (libtraceevent cannot resolve the PG_ enum,
   * reference §2.5): the names the kernel would print, decoded with the profile, when the text
   * has hex in it and a profile is known
   */
  flagsDecoded?: string;
  stack: string[];
}

export interface HistoryMarker {
  kind: 'marker';
  line: number;
  timestampNs: number;
  cpu: number;
  task: string;
  text: string;
}

export type HistoryEntry = HistoryEvent | HistoryMarker;

/** The event's mapcount= in a few words, as decode-pagetype.ts reads it for the profile. */
export function mapcountMeaning(profile: ProfileName | undefined, m: number): string {
  if (profile === undefined) return 'unknown profile';
  const p = loadProfile(profile);
  const pageMapcount = p.facts.traceMapcount === 'page_mapcount';
  const d = decodeTraceMapcount(p, m).pageType;
  const field = pageMapcount ? `page_mapcount ${m}` : `raw _mapcount ${m}`;
  if (d.kind === 'none') return 'not mapped';
  if (d.kind === 'type') return `page type ${d.type ?? `0x${(d.typeValue ?? 0).toString(16)}`} (${field})`;
  if (d.outOfRange) return `mapcount ${d.outOfRange} (${field})`;
  return pageMapcount ? `mapped ${m}x (page_mapcount)` : `mapped ${m + 1}x (raw _mapcount ${m})`;
}

export function pageHistory(
  r: TraceReadResult,
  pfn: number,
  profile: ProfileName | undefined,
  flagsProfile: Profile | undefined = profile ? loadProfile(profile) : undefined,
): HistoryEntry[] {
  const decode = flagsProfile ? hexFlagsDecoder(flagsProfile) : () => undefined;
  const out: HistoryEvent[] = [];
  for (const i of r.store.indicesOf(pfn)) out.push(historyEvent(r.store, i, profile, decode));
  return withMarkers(r, out);
}

/** Store event i as a timeline entry; `decode` names hex flags (hexFlagsDecoder). */
export function historyEvent(
  s: TraceReadResult['store'],
  i: number,
  profile: ProfileName | undefined,
  decode: (text: string) => string | undefined,
): HistoryEvent {
  const c = s.context(i);
  const type = s.type(i);
  const m = s.mapcount(i);
  return {
    kind: 'event',
    line: c.line,
    timestampNs: c.timestampNs,
    cpu: c.cpu,
    task: `${c.comm}-${c.pid}`,
    event: PAGE_REF_EVENT_NAMES[type],
    val: s.val(i),
    ret: pageRefHasRet(type) ? s.ret(i) : null,
    count: s.count(i),
    mapcount: m,
    mapcountMeaning: mapcountMeaning(profile, m),
    flags: s.flagsText(i),
    ...optional('flagsDecoded', decode(s.flagsText(i))),
    stack: eventStack(s, i),
  };
}

/** `events` (in trace order) with the tracing_mark_write markers between their first and last line. */
export function withMarkers(r: TraceReadResult, events: HistoryEvent[]): HistoryEntry[] {
  const out: HistoryEntry[] = [...events];
  if (out.length === 0) return out;
  const first = out[0].line;
  const last = out[out.length - 1].line;
  for (const mk of r.markers) {
    if (mk.name !== 'tracing_mark_write' || mk.line < first || mk.line > last) continue;
    out.push({
      kind: 'marker',
      line: mk.line,
      timestampNs: mk.timestampNs,
      cpu: mk.cpu,
      task: `${mk.comm}-${mk.pid}`,
      text: mk.text,
    });
  }
  return out.sort((a, b) => a.line - b.line);
}

function optional<K extends string>(key: K, v: string | undefined): Partial<Record<K, string>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, string>);
}

/** flags text with hex parts -> show_page_flags() of the decoded word, memoised per text */
export function hexFlagsDecoder(p: Profile): (text: string) => string | undefined {
  const dec = traceFlagsDecoder(p);
  const memo = new Map<string, string | undefined>();
  return (text) => {
    if (!text.includes('0x')) return undefined;
    if (!memo.has(text)) {
      const d = dec.decode(text);
      memo.set(text, d && d.unknown.length === 0 ? show_page_flags(p, d.lo) : undefined);
    }
    return memo.get(text);
  };
}

export function formatHistory(entries: HistoryEntry[], pfn: number, source: string): string {
  const ev = entries.filter((e) => e.kind === 'event');
  const out = [`pfn 0x${pfn.toString(16)}: ${ev.length} events in ${source}`];
  if (ev.length === 0) return out.join('\n') + '\n';
  out.push(
    `${'line'.padStart(8)} ${'time'.padStart(14)} cpu task                   event                   val  ret count mapcount  flags`,
  );
  for (const e of entries) {
    const t = (e.timestampNs / 1e9).toFixed(6).padStart(14);
    if (e.kind === 'marker') {
      out.push(
        `${String(e.line).padStart(8)} ${t} ${String(e.cpu).padStart(3)} ${e.task.padEnd(22)} -- ${e.text}`,
      );
      continue;
    }
    out.push(
      `${String(e.line).padStart(8)} ${t} ${String(e.cpu).padStart(3)} ${e.task.padEnd(22)} ${e.event.padEnd(22)} ${String(e.val).padStart(4)} ${String(e.ret ?? '').padStart(4)} ${String(e.count).padStart(5)} ${String(e.mapcount).padStart(8)}  ${e.flags}${e.flagsDecoded ? ` (= ${e.flagsDecoded})` : ''}  (${e.mapcountMeaning})`,
    );
    if (e.stack.length) out.push(`${' '.repeat(24)}${e.stack.slice(0, 6).join(' < ')}`);
  }
  return out.join('\n') + '\n';
}
