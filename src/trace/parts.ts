/**
 * Reading a file in parts: a later part is read by its own LineReader (on a worker thread) and
 * merged into the first in file order. What crosses a part boundary is handled here: line numbers
 * are shifted, texts/shapes/stacks re-interned, and stack blocks whose event lay in an earlier part
 * (`deferred`) are attached by finishing their search in the earlier part's open queue, limited to
 * the entries the later part's own entries had not pushed out (see open-queue.ts).
 */
import type { Counted, Deferred, LineReader, LostNote, TraceHeader } from './lines.js';
import { MAX_SAMPLES, noteUnattached } from './lines.js';
import type { Marker } from './markers.js';
import { EVENT, OpenQueue, type OpenQueueData } from './open-queue.js';
import type { StoreData } from './store.js';

/** A later part's results as plain data (postMessage). */
export interface PartData {
  store: StoreData;
  markers: Marker[];
  unparsed: Counted;
  lost: LostNote[];
  header: TraceHeader;
  stackBlocks: number;
  attached: number;
  lines: number;
  open: OpenQueueData;
  deferred: Deferred;
}

export function partData(r: LineReader): PartData {
  return {
    store: r.store.data(),
    markers: [...r.markers],
    unparsed: r.unparsed,
    lost: r.lost,
    header: r.header,
    stackBlocks: r.stackBlocks,
    attached: r.attached,
    lines: r.lineNo,
    open: r.open.data(),
    deferred: r.deferred,
  };
}

/** The buffers of a PartData to transfer rather than copy (shared columns are shared anyway). */
export function transferList(d: PartData): ArrayBuffer[] {
  const s = d.store;
  const arrays: ArrayBufferView[] = [
    s.ts,
    s.pfnLo,
    s.counts,
    s.mapcounts,
    s.shape,
    s.stack,
    s.vals,
    s.lineOff,
  ];
  arrays.push(s.lineBase);
  arrays.push(s.text.pool, s.text.starts, s.text.lens, s.shapes.data, s.contexts.data, s.stacks.data);
  return arrays.map((a) => a.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

/** Appends part `b` (the part that follows `a` in the file) to reader `a`. */
export function mergePart(a: LineReader, b: PartData): void {
  const eventBase = a.store.length;
  const markerBase = a.markers.length;
  const lineBase = a.lineNo;
  const maps = a.store.append(b.store, lineBase);
  const stackId = (s: number | undefined): number | undefined =>
    s === undefined ? undefined : maps.stacks[s];
  for (const m of b.markers) a.markers.push({ ...m, line: m.line + lineBase, stack: stackId(m.stack) });
  const d = b.deferred;
  for (let k = 0; k < d.cpu.length; k++) {
    a.open.keepNewest(d.cpu[k], d.room[k]);
    if (!a.open.take(d.cpu[k], d.pid[k])) {
      noteUnattached(a.unattached, d.line[k] + lineBase, d.cpu[k], d.pid[k]);
      continue;
    }
    const id = maps.stacks[d.stack[k]];
    if (a.open.takenKind === EVENT) a.store.setStack(a.open.takenIdx, id);
    else a.markers.setStack(a.open.takenIdx, id);
    a.attached++;
  }
  a.open.append(OpenQueue.fromData(b.open), eventBase, markerBase);
  a.unparsed.count += b.unparsed.count;
  for (const s of b.unparsed.samples) {
    if (a.unparsed.samples.length < MAX_SAMPLES) a.unparsed.samples.push({ ...s, line: s.line + lineBase });
  }
  for (const l of b.lost) a.lost.push({ ...l, line: l.line + lineBase });
  Object.assign(a.header, b.header);
  a.stackBlocks += b.stackBlocks;
  a.attached += b.attached;
  a.lineNo += b.lines;
}
