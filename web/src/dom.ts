/** A few DOM helpers: elements from tag, attributes and children; numbers as people read them. */
export type Child = Node | string | number | null | undefined | false;
type Attr = string | number | boolean | undefined | ((e: Event) => void);

function fill<E extends Element>(el: E, attrs: Record<string, Attr>, children: Child[]): E {
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else if (v !== undefined && v !== false) el.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : String(c));
  }
  return el;
}

/** An HTML element; attributes named on* are event listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attrs, children);
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, Attr> = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

export const hex = (n: number): string => `0x${n.toString(16)}`;

export const num = (n: number): string => n.toLocaleString('en-US');

export const seconds = (ns: number): string => (ns / 1e9).toFixed(6);

/** A link to a page's timeline, optionally at a trace line. */
export function pfnLink(pfn: number, line?: number): HTMLAnchorElement {
  const q = line === undefined ? '' : `?line=${line}`;
  return h('a', { href: `#/page/${hex(pfn)}${q}`, class: 'pfn' }, hex(pfn));
}

/** A stack, innermost frame first, folded under a summary. */
export function stackDetails(frames: readonly string[], label = 'stack'): HTMLElement | string {
  if (frames.length === 0) return '';
  return h(
    'details',
    { class: 'stack' },
    h('summary', {}, `${label}: ${frames[0]}${frames.length > 1 ? ` … (${frames.length} frames)` : ''}`),
    h('ol', {}, ...frames.map((f) => h('li', {}, f))),
  );
}

/** Previous/next buttons over a window of `total` items. */
export function pager(
  offset: number,
  limit: number,
  total: number,
  go: (offset: number) => void,
  what: string,
): HTMLElement {
  const last = Math.min(total, offset + limit);
  return h(
    'div',
    { class: 'pager' },
    h(
      'button',
      { type: 'button', disabled: offset === 0, onclick: () => go(Math.max(0, offset - limit)) },
      '← previous',
    ),
    h('span', {}, total === 0 ? `no ${what}` : `${what} ${num(offset + 1)}–${num(last)} of ${num(total)}`),
    h('button', { type: 'button', disabled: last >= total, onclick: () => go(offset + limit) }, 'next →'),
  );
}
