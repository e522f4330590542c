/**
 * A learned column layout (head.ts HeadLayout) is only a faster way to read a line: whatever
 * parseContextAt accepts, parseHead reads the same (task, pid, tgid, cpu, irq field, time, name).
 * Checked on the head shapes of the real traces, each damaged at random (replaced, dropped and
 * inserted delimiters, digits and letters), read through every layout.
 */
import { describe, expect, it } from 'vitest';
import {
  HeadLayout,
  LineHead,
  parseContextAt,
  parseHead,
  parseName,
  parseTimeAt,
} from '../../src/trace/head.js';

const REST = 'page_ref_mod: pfn=0x12dc1 flags=none count=1';
/** the head variants of ../shared/traces and samples (tgid column or not, 5-, 4- or no irq field) */
const SHAPES = [
  `           gtrun-108     (    108) [000] .....    13.511053: ${REST}`,
  `           gtrun-108     (-------) [000] .....    13.511053: ${REST}`,
  `           gtrun-108     (    108) [000]    13.511053: ${REST}`,
  `            init-1       [001] .N...     1.772862: ${REST}`,
  `           <...>-33724 [067] ....   161.787931: ${REST}`,
  `            init-1       [001]     1.772862: ${REST}`,
];
const NOISE = ' ()[]-0123456789abc:.<>/';

/** mulberry32: a seeded generator, so that a failure is the same every run */
function random(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function said(buf: Buffer, h: LineHead): string {
  const t = (a: number, b: number) => buf.toString('latin1', a, b);
  return [
    h.style,
    t(h.commStart, h.commEnd),
    h.pid,
    h.tgid,
    h.cpu,
    t(h.irqStart, h.irqEnd),
    h.timestampNs,
    t(h.nameStart, h.nameEnd),
  ].join(' | ');
}

/** What a line says read through layout L (as LineReader.headAt does), or undefined when L does not fit it. */
function throughLayout(buf: Buffer, L: HeadLayout): string | undefined {
  const h = new LineHead();
  if (buf.length <= L.contextEnd || !parseContextAt(buf, 0, buf.length, h, L)) return undefined;
  const colon = parseTimeAt(
    buf,
    new DataView(buf.buffer, buf.byteOffset, buf.length),
    L.contextEnd,
    buf.length,
    h,
  );
  if (colon < 0 || !parseName(buf, colon + 1, buf.length, h)) return undefined;
  return said(buf, h);
}

describe('a learned layout never changes what a line says', () => {
  const layouts = SHAPES.map((line) => {
    const buf = Buffer.from(line, 'latin1');
    const h = new LineHead();
    expect(parseHead(buf, 0, buf.length, h), line).toBe(true);
    const L = HeadLayout.learn(buf, 0, h);
    expect(L, `a layout learned from ${line}`).toBeDefined();
    return L!;
  });

  it('on the real head shapes as they are', () => {
    for (const line of SHAPES) {
      const buf = Buffer.from(line, 'latin1');
      const h = new LineHead();
      parseHead(buf, 0, buf.length, h);
      const own = layouts[SHAPES.indexOf(line)];
      expect(throughLayout(buf, own), line).toBe(said(buf, h));
    }
  });

  it('on 300 k damaged ones, through every layout', () => {
    const rnd = random(20261202);
    let fitted = 0;
    for (let k = 0; k < 300_000; k++) {
      const chars = [...SHAPES[rnd(SHAPES.length)]];
      for (let j = 1 + rnd(3); j > 0; j--) {
        const at = rnd(60);
        const c = NOISE[rnd(NOISE.length)];
        const op = rnd(3);
        if (op === 0) chars[at] = c;
        else if (op === 1) chars.splice(at, 1);
        else chars.splice(at, 0, c);
      }
      const buf = Buffer.from(chars.join(''), 'latin1');
      const L = layouts[rnd(layouts.length)];
      const fast = throughLayout(buf, L);
      if (fast === undefined) continue;
      fitted++;
      const h = new LineHead();
      const slow = parseHead(buf, 0, buf.length, h) ? said(buf, h) : 'not an event line';
      if (fast !== slow) expect(fast, `${buf.toString('latin1')} through ${JSON.stringify(L)}`).toBe(slow);
    }
    // most damage lands where the layout notices it; enough lines still fit to mean something
    expect(fitted).toBeGreaterThan(10_000);
  });
});
