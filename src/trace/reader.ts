/**
 * readTrace(): the entry point of the trace readers. A large plain file is read in parts on
 * several threads (split.ts); anything else (gzip, stdin, small files) streams through one
 * LineReader (lines.ts). Both give the same result.
 */
import { availableParallelism } from 'node:os';
import { detectFormat, type TraceFormat } from './detect.js';
import { LineReader, type Counted, type LostNote, type TraceHeader } from './lines.js';
import type { MarkerStore } from './markers.js';
import { feedLines } from './feed.js';
import { inputChunks } from './source.js';
import { planSplit, readSplit } from './split.js';
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
  /** called with the bytes read so far, about every 16 MiB, and the total when it is known */
  onProgress?: (bytes: number, total: number | undefined) => void;
  /**
   * Threads for a large plain file (split.ts); default: the available cores, at most 4. 1 reads
   * on this thread only. The result is the same either way.
   */
  threads?: number;
}

/** Reads a trace file (`-` = stdin; `.gz` or not). Throws TraceInputError for unreadable input. */
export async function readTrace(path: string, opts: ReadOptions = {}): Promise<TraceReadResult> {
  const plan = await planSplit(path, opts.threads ?? Math.min(4, availableParallelism()));
  if (plan) {
    const progress = opts.onProgress;
    const reader = await readSplit(path, plan, progress && ((bytes) => progress(bytes, plan.size)));
    reader.store.trim();
    return result(path, reader, plan.size);
  }
  const fed = await feedLines(
    inputChunks(path),
    (first) => new LineReader(detectFormat(first.subarray(0, 1 << 16))),
    opts.onProgress && ((bytes) => opts.onProgress?.(bytes, undefined)),
  );
  const reader = fed.reader ?? new LineReader('unknown');
  reader.store.trim();
  return result(path, reader, fed.bytes);
}

/** The result of a finished LineReader. */
export function result(path: string, reader: LineReader, bytes: number): TraceReadResult {
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
