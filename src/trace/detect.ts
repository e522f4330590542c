/**
 * Format detection from the first lines: the ftrace header (`# tracer:`), trace-cmd's `cpus=N` /
 * `version =` preamble, the perf `sys:event:` name, or, for a headerless trace_pipe, the shape of
 * the first event line.
 */
import { LineHead, parseHead } from './head.js';

export type TraceFormat = 'ftrace' | 'trace-cmd' | 'perf' | 'unknown';

const MAX_LINES = 200;

export function detectFormat(head: Uint8Array): TraceFormat {
  const h = new LineHead();
  let s = 0;
  for (let n = 0; n < MAX_LINES && s < head.length; n++) {
    let e = head.indexOf(0x0a, s);
    if (e < 0) e = head.length;
    const text = Buffer.from(head.buffer, head.byteOffset + s, Math.min(e - s, 80)).toString('latin1');
    if (text.startsWith('# tracer:') || text.startsWith('#                    _------=> CPU#'))
      return 'ftrace';
    if (/^cpus=\d+/.test(text) || /^version = \d+/.test(text)) return 'trace-cmd';
    if (!text.startsWith('#') && text.trim() !== '' && parseHead(head, s, e, h)) {
      if (h.style === 'perf') return 'perf';
      // trace-cmd pads the event name to 20 columns and has no tgid column
      const padded = h.payload - h.nameEnd > 2 && h.nameEnd - h.nameStart < 18;
      return padded ? 'trace-cmd' : 'ftrace';
    }
    s = e + 1;
  }
  return 'unknown';
}
