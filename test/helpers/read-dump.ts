/** A trace read result as plain data, for tests that compare two ways of reading the same text. */
import type { TraceReadResult } from '../../src/trace/reader.js';

/** Everything a reader result says, with store-internal ids replaced by the texts they stand for. */
export function readDump(r: TraceReadResult): unknown {
  const s = r.store;
  const frames = (id: number | undefined) => (id === undefined ? null : s.frames(id).join(' | '));
  const events = [];
  for (let i = 0; i < s.length; i++) {
    events.push({
      ...s.record(i),
      mapping: s.mappingText(i),
      flags: s.flagsText(i),
      ...s.context(i),
      stack: frames(s.stackOf(i)),
    });
  }
  const markers = [...r.markers].map((m) => ({ ...m, stack: frames(m.stack) }));
  return { ...r, store: events, markers, source: undefined };
}
