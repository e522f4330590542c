/**
 * Plain trace files, and using more cores for them: a large file is cut into line-aligned parts,
 * each starting at an event line (never inside a stack block); part 0 is read on this thread
 * while worker threads read the others, and the parts are merged in file order (parts.ts). The
 * parts write their events into regions of one set of shared columns sized from an estimate of
 * each part's events, so the merge moves a part down in place: copying it into fresh memory cost
 * a page fault per 4 KiB, most of the merge (240 MB file: 5349 faults, 69 ms of a 2-thread read).
 * gzip and stdin are streamed on one thread instead (reader.ts): they cannot be cut without
 * inflating, and zlib already inflates on libuv's pool.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { detectFormat, type TraceFormat } from './detect.js';
import { feedLines } from './feed.js';
import { LineHead, parseHead } from './head.js';
import { LineReader } from './lines.js';
import { mergePart, partData, type PartData } from './parts.js';
import { fileRange } from './source.js';
import { onColumns, sharedColumns, type SharedColumns } from './store.js';

/** Below this, a worker's start-up costs more than it saves. */
export const SPLIT_MIN_BYTES = 16 << 20;
const WINDOW = 1 << 16;
const MAX_WINDOW = 1 << 20;
/**
 * What this thread reads while a worker starts and compiles its parser: the worker thread spends
 * 60-80 ms of CPU before it reads (isolate, modules). With 6 MiB it still used 20-50 ms more CPU
 * than this thread's part 0 (240 MB file, 2 parts, thread CPU from /proc/thread-self/stat); with
 * 24 MiB the two are within 30 ms either way (5 runs: 450/480, 390/420, 400/420, 430/410, 440/430).
 */
const WORKER_START_BYTES = 24 << 20;

export interface SplitPlan {
  format: TraceFormat;
  size: number;
  /** where parts 1.. start */
  offsets: number[];
  /** page_ref events estimated per part (estimateEvents); empty for a single part */
  events: number[];
}

/** Events [start, start + cap) of the shared columns a part fills (EventStore.adopt). */
export interface Region {
  columns: SharedColumns;
  start: number;
  cap: number;
}

const SAMPLES = 8;
const SAMPLE_BYTES = 1 << 16;
const NAME = Buffer.from('page_ref_');

/**
 * page_ref events in bytes [start, end), from the names counted in a few windows: `page_ref_`
 * after a space or colon (event names; a stack frame's is `__page_ref_…`). Only sizes the shared
 * columns: a part with more events than its region leaves it (and is copied at the merge).
 */
function estimateEvents(fd: number, buf: Buffer, start: number, end: number): number {
  let names = 0;
  let sampled = 0;
  const step = Math.max(SAMPLE_BYTES, (end - start) / SAMPLES);
  for (let at = start; at < end; at += step) {
    const bytesRead = readSync(fd, buf, 0, Math.min(SAMPLE_BYTES, end - at), Math.floor(at));
    const w = buf.subarray(0, bytesRead);
    sampled += bytesRead;
    for (let p = w.indexOf(NAME); p >= 0; p = w.indexOf(NAME, p + 1)) {
      if (p > 0 && (w[p - 1] === 0x20 || w[p - 1] === 0x3a)) names++;
    }
  }
  return sampled === 0 ? 0 : Math.ceil((names * (end - start)) / sampled);
}

/**
 * The regions of the parts' events in one set of shared columns, each part's sized for its
 * estimate with a margin (the last one at least for an event per 100 bytes, as a single store).
 */
export function regions(plan: SplitPlan): Region[] {
  const bounds = [0, ...plan.offsets, plan.size];
  const caps = plan.events.map((e, k) => {
    const cap = Math.ceil(e * 1.05) + 4096;
    return k === plan.events.length - 1 ? Math.max(cap, Math.ceil((bounds[k + 1] - bounds[k]) / 100)) : cap;
  });
  const columns = sharedColumns(caps.reduce((a, b) => a + b, 0));
  let start = 0;
  return caps.map((cap) => {
    const r = { columns, start, cap };
    start += cap;
    return r;
  });
}

/** True for an event line (a head parses and it is not a stack frame). */
function isRecordStart(buf: Buffer, s: number, e: number, h: LineHead): boolean {
  let p = s;
  while (p < e && (buf[p] === 0x20 || buf[p] === 0x09)) p++;
  return p < e && buf[p] !== 0x3d /* = */ && buf[p] !== 0x23 /* # */ && parseHead(buf, s, e, h);
}

/**
 * The first event line starting at or after `at`, or -1 when there is none in the first
 * MAX_WINDOW bytes there (a window of WINDOW first: an event line is seldom more than a stack
 * block away).
 */
function recordStartAfter(fd: number, at: number): number {
  for (let size = WINDOW; ; size *= 16) {
    const buf = Buffer.alloc(size);
    const bytesRead = readSync(fd, buf, 0, size, at - 1);
    // the line starting at `at` counts when the byte before it is a newline
    const h = new LineHead();
    let s = buf.indexOf(0x0a) + 1;
    for (
      let e = buf.indexOf(0x0a, s);
      s > 0 && e >= 0 && e < bytesRead;
      s = e + 1, e = buf.indexOf(0x0a, s)
    ) {
      if (isRecordStart(buf, s, e, h)) return at - 1 + s;
    }
    if (size >= MAX_WINDOW || bytesRead < size) return -1;
  }
}

/**
 * How to read `path` in `parts` (fewer when the file is below minBytes or has too few event
 * lines: then `offsets` is empty and the file is read on this thread, still without a stream), or
 * undefined for stdin, gzip and anything that is not a regular file.
 */
export async function planSplit(
  path: string,
  parts: number,
  minBytes = SPLIT_MIN_BYTES,
): Promise<SplitPlan | undefined> {
  if (path === '-') return undefined;
  return planAt(path, (size) => {
    if (size < minBytes) return [];
    // part 0 gets the bytes this thread reads while the workers start (at most a quarter part)
    const head = Math.min(WORKER_START_BYTES, size / (4 * parts));
    return Array.from({ length: parts - 1 }, (_, k) => head + ((size - head) * (k + 1)) / parts);
  });
}

/**
 * A plan cutting at the first event line at or after each of `cuts(size)` (byte offsets).
 * Synchronous reads: through libuv's pool every window and sample cost a round trip (240 MB bench
 * file, 2 parts, in-process: 18-25 ms of planning that way, 9-14 ms so; the same plan).
 */
export async function planAt(path: string, cuts: (size: number) => number[]): Promise<SplitPlan | undefined> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined; // readTrace's own open reports the error
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const head = Buffer.alloc(1 << 16);
    const bytesRead = readSync(fd, head, 0, head.length, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return undefined;
    const offsets: number[] = [];
    for (const a of cuts(st.size).map(Math.floor)) {
      const o = a <= 0 ? -1 : recordStartAfter(fd, a);
      if (o > (offsets.at(-1) ?? 0)) offsets.push(o);
    }
    const bounds = [0, ...offsets, st.size];
    const sample = Buffer.alloc(SAMPLE_BYTES);
    const events: number[] = [];
    for (let k = 0; k + 1 < bounds.length; k++)
      events.push(estimateEvents(fd, sample, bounds[k], bounds[k + 1]));
    return { format: detectFormat(head.subarray(0, bytesRead)), size: st.size, offsets, events };
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads bytes [start, end) of a plain file; `part` when start is not the beginning. The store
 * fills `region` of shared columns when given (a part of readSplit), else its own columns sized
 * for an event per 100 bytes (page_ref lines are longer; capacity never touched costs no memory).
 */
export async function readRange(
  path: string,
  start: number,
  end: number,
  format: TraceFormat,
  onProgress?: (bytes: number) => void,
  region?: Region,
): Promise<LineReader> {
  const reader = new LineReader(format, start > 0);
  if (region) reader.store.adopt(region.columns, region.start, region.cap);
  if (end <= start) return reader;
  if (!region) reader.store.expect(Math.ceil((end - start) / 100));
  await feedLines(fileRange(path, start, end), () => reader, onProgress);
  return reader;
}

const WORKER = new URL('./read-worker.js', import.meta.url);

export interface WorkerRequest {
  path: string;
  start: number;
  end: number;
  format: TraceFormat;
  region: Region;
}

export type WorkerReply = { progress: number } | { part: PartData } | { error: string };

function readOnWorker(req: WorkerRequest, onProgress: (bytes: number) => void): Promise<PartData> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: req });
    w.on('message', (m: WorkerReply) => {
      if ('progress' in m) onProgress(m.progress);
      else if ('part' in m) resolve(m.part);
      else reject(new Error(m.error));
    });
    w.on('error', reject);
    w.on('exit', (code) => reject(new Error(`trace reader worker exited with code ${code}`)));
  });
}

/**
 * Reads the parts of a plan and merges them. Later parts go to worker threads when the compiled
 * worker exists (it does not when running from the TypeScript sources, e.g. under vitest: then
 * they are read here, one after the other, through the same merge).
 */
export async function readSplit(
  path: string,
  plan: SplitPlan,
  onProgress?: (bytes: number) => void,
  workers = existsSync(fileURLToPath(WORKER)),
): Promise<LineReader> {
  const bounds = [0, ...plan.offsets, plan.size];
  const region = plan.offsets.length > 0 ? regions(plan) : [];
  const done = new Array<number>(bounds.length - 1).fill(0);
  const progress = (k: number) => (bytes: number) => {
    done[k] = bytes;
    onProgress?.(done.reduce((a, b) => a + b, 0));
  };
  const later: Promise<PartData>[] = [];
  for (let k = 1; workers && k < bounds.length - 1; k++) {
    later.push(
      readOnWorker(
        { path, start: bounds[k], end: bounds[k + 1], format: plan.format, region: region[k] },
        progress(k),
      ),
    );
  }
  // a failed worker must not leave an unhandled rejection while part 0 is read
  later.forEach((p) => p.catch(() => undefined));
  const first = await readRange(path, 0, bounds[1], plan.format, progress(0), region[0]);
  for (let k = 1; k < bounds.length - 1; k++) {
    const part = workers
      ? await later[k - 1]
      : partData(await readRange(path, bounds[k], bounds[k + 1], plan.format, progress(k), region[k]));
    mergePart(first, workers ? { ...part, store: onColumns(part.store, region[k].columns) } : part);
  }
  return first;
}
