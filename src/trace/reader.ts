/**
 * Streaming reader: splits the input into lines (bytes), dispatches each to the head, page_ref,
 * stack or marker parser, and fills the columnar store. One parser serves ftrace, trace-cmd and
 * perf text (their differences are in head.ts and in the frame syntax below); the detected format
 * only decides how perf callchains end. Nothing is dropped silently: every line is an event, a
 * stack line, a header/comment, a blank line, a lost-events note, or counted as unparsed with its
 * line number. A bad line never stops the run.
 */
import { detectFormat, type TraceFormat } from './detect.js';
import { LineReader, type Counted, type LostNote, type TraceHeader } from './lines.js';
import type { MarkerStore } from './markers.js';
import { inputChunks } from './source.js';
import type { EventStore } from './store.js';

export type { Counted, LineSample, LostNote } from './lines.js';

export interface TraceReadResult {
  source: string;
  format: TraceFormat;
  store: EventStore;
  markers: MarkerStore;
  lines: number;
  bytes: number;
  unparsed: Counted;
  /** LOST n EVENTS / overrun notes and `##### CPU N buffer started ####` lines */
  lost: LostNote[];
  /** from `# entries-in-buffer/entries-written: a/b   #P:n` or trace-cmd `cpus=n` */
  header: TraceHeader;
  stacks: { blocks: number; attached: number; unattached: Counted };
  /** CPUs whose events are incomplete (lost events, late buffer start); their pages are uncertain */
  uncertainCpus: number[];
}

export interface ReadOptions {
  /** called with the bytes read so far, about every 16 MiB */
  onProgress?: (bytes: number) => void;
}

/** Reads a trace file (`-` = stdin; `.gz` or not). Throws TraceInputError for unreadable input. */
export async function readTrace(path: string, opts: ReadOptions = {}): Promise<TraceReadResult> {
  let reader: LineReader | undefined;
  let carry: Buffer | undefined;
  let bytes = 0;
  let nextProgress = 1 << 24;
  for await (const chunk of inputChunks(path)) {
    if (!reader) reader = new LineReader(detectFormat(chunk.subarray(0, 1 << 16)));
    bytes += chunk.length;
    let s = 0;
    if (carry) {
      const nl = chunk.indexOf(0x0a);
      if (nl < 0) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      const joined = Buffer.concat([carry, chunk.subarray(0, nl)]);
      reader.line(joined, 0, joined.length);
      carry = undefined;
      s = nl + 1;
    }
    for (let nl = chunk.indexOf(0x0a, s); nl >= 0; nl = chunk.indexOf(0x0a, s)) {
      reader.line(chunk, s, nl);
      s = nl + 1;
    }
    if (s < chunk.length) carry = Buffer.from(chunk.subarray(s));
    if (opts.onProgress && bytes >= nextProgress) {
      opts.onProgress(bytes);
      nextProgress += 1 << 24;
    }
  }
  reader ??= new LineReader('unknown');
  if (carry) reader.line(carry, 0, carry.length);
  reader.end();
  reader.store.trim();
  return {
    source: path,
    format: reader.format,
    store: reader.store,
    markers: reader.markers,
    lines: reader.lineNo,
    bytes,
    unparsed: reader.unparsed,
    lost: reader.lost,
    header: reader.header,
    stacks: { blocks: reader.stackBlocks, attached: reader.attached, unattached: reader.unattached },
    uncertainCpus: [...new Set(reader.lost.map((l) => l.cpu))].sort((a, b) => a - b),
  };
}
