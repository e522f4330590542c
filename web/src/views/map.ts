/**
 * The memory map: the traced pfn range in a grid of cells, each counting the traced pages of its
 * pfn range per state. A cell holding a freeze-failed or leaked page shows that (what one looks
 * for); otherwise its most common state. Clicking a cell zooms into it; a one-pfn cell opens the
 * page. Arrow keys move between cells (one tab stop for the grid).
 */
import type { MapCell, MapResponse, PageListItem, Window } from '../../../src/server/api.js';
import { get } from '../api.js';
import { h, hex, num, pager, pfnLink } from '../dom.js';
import type { ViewContext } from '../main.js';

const COLUMNS = 32;
const CELLS = 1024;
const SEVERE = ['freeze-failed', 'leaked'];

export const STATE_HELP: Record<string, string> = {
  free: 'count 0 after the last event: back in the allocator (buddy)',
  anon: 'PG_swapbacked, no page-cache reference: anonymous memory',
  'page-cache': 'a page-cache reference outstanding, or on the file LRU / uptodate without PG_swapbacked',
  slab: 'a slab page (PGTY_slab / PG_slab, or allocated by allocate_slab)',
  'page-table': 'a page-table page (PGTY_table, or allocated by pte_alloc_one / __pmd_alloc)',
  typed: 'another page type in the mapcount field (PGTY_* / 6.1 type bits)',
  other: 'allocated; nothing in its events says for what',
  frozen: 'refcount frozen at 0 by page_ref_freeze, never unfrozen (reclaim frees such a page silently)',
  leaked: 'ends with a reference its owner should have dropped (leaks analysis)',
  'freeze-failed': 'a page_ref_freeze failed on it: an extra reference blocked migration/reclaim',
};

function cellState(states: readonly string[], c: MapCell): string | undefined {
  for (const s of SEVERE) if (c.counts[states.indexOf(s)] > 0) return s;
  let best = -1;
  c.counts.forEach((n, i) => {
    if (n > 0 && (best < 0 || n > c.counts[best])) best = i;
  });
  return best < 0 ? undefined : states[best];
}

function describe(states: readonly string[], c: MapCell): string {
  const range = c.to - c.from === 1 ? `pfn ${hex(c.from)}` : `pfns ${hex(c.from)}–${hex(c.to - 1)}`;
  const parts = c.counts.flatMap((n, i) => (n > 0 ? [`${num(n)} ${states[i]}`] : []));
  return `${range}: ${parts.length ? parts.join(', ') : 'no traced page'}`;
}

/** Arrow keys, Home and End move the one focusable cell of the grid. */
function rovingFocus(grid: HTMLElement, cells: HTMLButtonElement[]): void {
  grid.addEventListener('keydown', (e) => {
    const at = cells.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const step: Record<string, number> = {
      ArrowLeft: -1,
      ArrowRight: 1,
      ArrowUp: -COLUMNS,
      ArrowDown: COLUMNS,
      Home: -at,
      End: cells.length - 1 - at,
    };
    if (!(e.key in step)) return;
    e.preventDefault();
    const to = Math.max(0, Math.min(cells.length - 1, at + step[e.key]));
    cells[at].tabIndex = -1;
    cells[to].tabIndex = 0;
    cells[to].focus();
  });
}

export async function renderMap(ctx: ViewContext): Promise<void> {
  const { info, params } = ctx;
  const from = Number(params.get('from') ?? info.pfnMin);
  const to = Number(params.get('to') ?? info.pfnMax + 1);
  const state = params.get('state') ?? undefined;
  const offset = Number(params.get('offset') ?? 0);
  const stateQ = state ? `&state=${state}` : '';
  const [map, list] = await Promise.all([
    get<MapResponse>(`/api/map?from=${from}&to=${to}&cells=${CELLS}`),
    get<Window<PageListItem>>(`/api/pages?from=${from}&to=${to}&offset=${offset}&limit=100${stateQ}`),
  ]);
  if (!ctx.current()) return;
  const href = (f: number, t: number, extra = '') => `#/map?from=${f}&to=${t}${extra}`;
  const span = to - from;
  const outFrom = Math.max(info.pfnMin, from - span * 15);
  const outTo = Math.min(info.pfnMax + 1, to + span * 16);
  const whole = from === info.pfnMin && to === info.pfnMax + 1;

  const cells = map.cells.map((c, i) => {
    const st = cellState(info.states, c);
    const label = describe(info.states, c);
    const single = c.to - c.from === 1;
    return h('button', {
      type: 'button',
      class: `cell ${st ? `st-${st}` : 'empty'}`,
      title: label,
      'aria-label': label,
      'data-from': c.from,
      'data-to': c.to,
      'data-state': st ?? 'none',
      tabindex: i === 0 ? 0 : -1,
      onclick: () => {
        if (!st) return;
        location.hash = single ? `#/page/${hex(c.from)}` : href(c.from, c.to);
      },
    });
  });
  const grid = h('div', { class: 'grid', role: 'group', 'aria-label': 'memory map cells' }, ...cells);
  rovingFocus(grid, cells);

  const legend = h(
    'ul',
    { class: 'legend' },
    ...info.states.map((s, i) =>
      h(
        'li',
        {},
        h(
          'a',
          { href: href(from, to, `&state=${s}`), title: STATE_HELP[s], 'aria-current': s === state },
          h('span', { class: `swatch st-${s}` }),
          `${s} `,
          h('span', { class: 'muted' }, num(info.stateCounts[i])),
        ),
      ),
    ),
  );

  const jump = h(
    'form',
    {
      class: 'jump',
      onsubmit: (e: Event) => {
        e.preventDefault();
        const v = (jump.querySelector('input') as HTMLInputElement).value.trim();
        if (v) location.hash = `#/page/${v}`;
      },
    },
    h('label', { for: 'jump-pfn' }, 'open pfn '),
    h('input', { id: 'jump-pfn', name: 'pfn', placeholder: '0x71760', size: 12, autocomplete: 'off' }),
    h('button', { type: 'submit' }, 'open'),
  );

  const rows = list.items.map((p) =>
    h(
      'tr',
      {},
      h('td', {}, pfnLink(p.pfn)),
      h('td', {}, h('span', { class: `swatch st-${p.state}` }), p.state),
      h('td', { class: 'n' }, num(p.events)),
    ),
  );
  const pageList = h(
    'section',
    { class: 'pagelist' },
    h('h3', {}, state ? `${state} pages in this range` : 'traced pages in this range'),
    pager(
      list.offset,
      100,
      list.total,
      (o) => (location.hash = href(from, to, `${stateQ}&offset=${o}`)),
      'pages',
    ),
    h(
      'div',
      { class: 'scroll', tabindex: 0, role: 'region', 'aria-label': 'pages' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h('tr', {}, h('th', {}, 'pfn'), h('th', {}, 'state'), h('th', { class: 'n' }, 'events')),
        ),
        h('tbody', {}, ...rows),
      ),
    ),
  );

  ctx.root.replaceChildren(
    h('h2', {}, 'Memory map'),
    h(
      'p',
      { class: 'range' },
      `pfns ${hex(from)}–${hex(to - 1)} (${num(span)} pfns), ${num(map.cellPfns)} pfn${map.cellPfns === 1 ? '' : 's'} per cell. `,
      whole ? '' : h('a', { href: href(outFrom, outTo) }, 'zoom out'),
      whole ? '' : ' · ',
      whole ? '' : h('a', { href: '#/map' }, 'whole range'),
    ),
    h(
      'p',
      { class: 'muted' },
      'A cell with a freeze-failed or leaked page shows it; otherwise its most common state. Click (or Enter) to zoom in; a one-pfn cell opens the page.',
    ),
    jump,
    h('div', { class: 'map-layout' }, h('div', {}, grid, legend), pageList),
  );
}
