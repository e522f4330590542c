/**
 * A page's step chart (SVG): refcount and mappings after each event of the page, by the event's
 * ordinal in its history, and one band row per page flag showing where it was set. Buckets of
 * many events draw their min..max as a shaded bar. Clicking picks the event under the pointer.
 */
import type { SeriesResponse } from '../../src/server/api.js';
import { svg } from './dom.js';

const W = 1000;
const PAD_L = 100;
const PAD_R = 12;
const PLOT_H = 110;
const BAND_H = 14;

interface Panel {
  label: string;
  y: number;
  value: (i: number) => number | null;
  min: (i: number) => number | null;
  max: (i: number) => number | null;
  cls: string;
}

export function stepChart(s: SeriesResponse, selected: number, pick: (index: number) => void): SVGSVGElement {
  const n = Math.max(1, s.events);
  const x = (i: number) => PAD_L + ((W - PAD_L - PAD_R) * i) / n;
  const pts = s.points;
  const flagNames = [...new Set(s.flags.flatMap((f) => (f ? f.split('|') : [])))].sort();
  const panels: Panel[] = [
    {
      label: 'refcount',
      y: 8,
      value: (i) => pts[i].count,
      min: (i) => pts[i].countMin,
      max: (i) => pts[i].countMax,
      cls: 'line-count',
    },
    {
      label: 'mapped',
      y: 8 + PLOT_H + 24,
      value: (i) => pts[i].mapped,
      min: (i) => pts[i].mappedMin,
      max: (i) => pts[i].mappedMax,
      cls: 'line-map',
    },
  ];
  const bandsTop = 8 + 2 * (PLOT_H + 24);
  const height = bandsTop + flagNames.length * BAND_H + 24;
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${height}`,
    class: 'chart',
    role: 'img',
    'aria-label': `refcount and mappings of pfn 0x${s.pfn.toString(16)} over its ${s.events} events, flags below`,
  });

  for (const p of panels) {
    let lo = 0;
    let hi = 1;
    pts.forEach((_, i) => {
      const a = p.min(i);
      const b = p.max(i);
      if (a !== null) lo = Math.min(lo, a);
      if (b !== null) hi = Math.max(hi, b);
    });
    const y = (v: number) => p.y + PLOT_H - ((v - lo) / (hi - lo)) * PLOT_H;
    root.append(
      svg('line', { x1: PAD_L, x2: W - PAD_R, y1: y(lo), y2: y(lo), class: 'axis' }),
      svg('text', { x: PAD_L - 6, y: y(hi) + 4, class: 'tick', 'text-anchor': 'end' }, hi),
      svg('text', { x: PAD_L - 6, y: y(lo) + 4, class: 'tick', 'text-anchor': 'end' }, lo),
      svg('text', { x: 2, y: p.y + PLOT_H / 2, class: 'panel-label' }, p.label),
    );
    let d = '';
    pts.forEach((pt, i) => {
      const v = p.value(i);
      const a = p.min(i);
      const b = p.max(i);
      if (a !== null && b !== null && a !== b)
        root.append(
          svg('rect', {
            x: x(pt.i0),
            width: Math.max(1, x(pt.i1 + 1) - x(pt.i0)),
            y: y(b),
            height: y(a) - y(b),
            class: 'range',
          }),
        );
      if (v === null) return;
      d += `${d ? 'L' : 'M'}${x(pt.i0).toFixed(1)},${y(v).toFixed(1)}H${x(pt.i1 + 1).toFixed(1)}`;
    });
    root.append(svg('path', { d, class: p.cls }));
  }

  flagNames.forEach((f, r) => {
    const top = bandsTop + r * BAND_H;
    root.append(svg('text', { x: PAD_L - 6, y: top + BAND_H - 3, class: 'tick', 'text-anchor': 'end' }, f));
    pts.forEach((pt) => {
      if (!s.flags[pt.flags].split('|').includes(f)) return;
      root.append(
        svg('rect', {
          x: x(pt.i0),
          width: Math.max(1, x(pt.i1 + 1) - x(pt.i0)),
          y: top + 2,
          height: BAND_H - 4,
          class: 'band',
        }),
      );
    });
  });

  const axisY = bandsTop + flagNames.length * BAND_H + 16;
  root.append(
    svg('text', { x: PAD_L, y: axisY, class: 'tick' }, 'event 0'),
    svg('text', { x: W - PAD_R, y: axisY, class: 'tick', 'text-anchor': 'end' }, `event ${s.events - 1}`),
    svg('line', { x1: x(selected + 0.5), x2: x(selected + 0.5), y1: 0, y2: axisY - 12, class: 'cursor' }),
  );
  root.addEventListener('click', (e) => {
    const box = root.getBoundingClientRect();
    const vx = ((e.clientX - box.left) / box.width) * W;
    const i = Math.floor(((vx - PAD_L) / (W - PAD_L - PAD_R)) * n);
    if (i >= 0 && i < s.events) pick(i);
  });
  return root;
}
