/**
 * One page: what it ended as, its refcount/mappings/flags over its events (chart.ts), the
 * references outstanding after the selected event, and its events with their stacks, a window
 * at a time. #/page/<pfn>?line=N opens the window holding line N; ?i=K selects event K.
 */
import type {
  EventEntry,
  HoldersJson,
  PageResponse,
  SeriesResponse,
  TimelineEntry,
  Window,
} from '../../../src/server/api.js';
import { get } from '../api.js';
import { stepChart } from '../chart.js';
import { h, hex, num, pager, seconds, stackDetails } from '../dom.js';
import type { ViewContext } from '../main.js';
import { STATE_HELP } from './map.js';
import { holdersTable } from './holders.js';

const LIMIT = 100;

function eventRow(e: EventEntry, selected: boolean, select: (i: number) => void): HTMLTableRowElement {
  const flags = e.flagsDecoded ? `${e.flags} (= ${e.flagsDecoded})` : e.flags;
  return h(
    'tr',
    {
      'data-index': e.index,
      'data-line': e.line,
      class: selected ? 'selected' : '',
      'aria-selected': selected,
    },
    h(
      'td',
      { class: 'n' },
      h(
        'button',
        {
          type: 'button',
          class: 'linkish',
          title: 'holders after this event',
          onclick: () => select(e.index),
        },
        `#${e.index}`,
      ),
    ),
    h('td', { class: 'n' }, num(e.line)),
    h('td', { class: 'n' }, seconds(e.timestampNs)),
    h('td', { class: 'n' }, e.cpu),
    h('td', {}, e.task),
    h('td', {}, e.event.replace(/^page_ref_/, '')),
    h('td', { class: 'n' }, e.val),
    h('td', { class: 'n' }, e.ret ?? ''),
    h('td', { class: 'n count' }, e.count),
    h(
      'td',
      { class: 'n', title: e.mapcountMeaning },
      e.mapcount,
      h('div', { class: 'muted small' }, e.mapcountMeaning),
    ),
    h('td', { class: 'flags' }, flags, stackDetails(e.stack)),
  );
}

function timeline(entries: TimelineEntry[], selected: number, select: (i: number) => void): HTMLTableElement {
  const head = [
    '#',
    'line',
    'time (s)',
    'cpu',
    'task',
    'event',
    'val',
    'ret',
    'count',
    'mapcount',
    'flags / stack',
  ];
  return h(
    'table',
    { class: 'events' },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h(
      'tbody',
      {},
      ...entries.map((e) =>
        e.kind === 'marker'
          ? h(
              'tr',
              { class: 'marker' },
              h('td', {}, ''),
              h('td', { class: 'n' }, num(e.line)),
              h('td', { class: 'n' }, seconds(e.timestampNs)),
              h('td', { class: 'n' }, e.cpu),
              h('td', {}, e.task),
              h('td', { colspan: 6 }, `marker: ${e.text}`),
            )
          : eventRow(e, e.index === selected, select),
      ),
    ),
  );
}

export async function renderPage(ctx: ViewContext, arg: string | undefined): Promise<void> {
  if (!arg) throw new Error('no pfn in the address (#/page/<pfn>)');
  const { params } = ctx;
  const line = params.get('line');
  const offset = Number(params.get('offset') ?? 0);
  const evQuery =
    line !== null
      ? `line=${line}`
      : `offset=${params.has('i') ? Number(params.get('i')) - (Number(params.get('i')) % LIMIT) : offset}`;
  const [page, series, events] = await Promise.all([
    get<PageResponse>(`/api/page/${arg}`),
    get<SeriesResponse>(`/api/page/${arg}/series?points=800`),
    get<Window<TimelineEntry>>(`/api/page/${arg}/events?limit=${LIMIT}&${evQuery}`),
  ]);
  if (!ctx.current()) return;
  const at = (l: number) => events.items.find((e): e is EventEntry => e.kind === 'event' && e.line === l);
  let selected = params.has('i')
    ? Number(params.get('i'))
    : line !== null
      ? (at(Number(line))?.index ?? -1)
      : page.events - 1;
  if (selected < 0) selected = events.items.find((e): e is EventEntry => e.kind === 'event')?.index ?? 0;
  const pfn = hex(page.pfn);
  const base = `#/page/${pfn}`;

  const holdersBox = h('section', { class: 'holders-box', 'aria-live': 'polite' });
  const showHolders = (hj: HoldersJson, index: number) =>
    holdersBox.replaceChildren(
      h('h3', {}, `References after event #${index} (line ${num(hj.line)}, ${hj.event}, count ${hj.count})`),
      holdersTable(hj.holders, 'outstanding references'),
      hj.event === 'page_ref_freeze' && hj.count === 0
        ? h(
            'p',
            { class: 'muted' },
            'count frozen at 0: the freezer owns these references until it unfreezes or frees the page',
          )
        : hj.unexplained
          ? h('p', { class: 'warn' }, `${hj.unexplained} reference(s) the trace does not explain`)
          : '',
    );
  const select = async (index: number) => {
    if (index < events.offset || index >= events.offset + LIMIT) {
      location.hash = `${base}?i=${index}`;
      return;
    }
    selected = index;
    for (const tr of ctx.root.querySelectorAll<HTMLTableRowElement>('table.events tr[data-index]')) {
      const on = Number(tr.dataset.index) === index;
      tr.classList.toggle('selected', on);
      tr.setAttribute('aria-selected', String(on));
    }
    chartBox.replaceChildren(stepChart(series, selected, (i) => void select(i)));
    showHolders(await get<HoldersJson>(`/api/page/${pfn}/holders?index=${index}`), index);
  };
  const chartBox = h(
    'div',
    { class: 'chart-box' },
    stepChart(series, selected, (i) => void select(i)),
  );

  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'state'),
    h(
      'dd',
      {},
      h('span', { class: `swatch st-${page.state}` }),
      page.state,
      h('span', { class: 'muted' }, ` — ${STATE_HELP[page.state]}`),
    ),
    h('dt', {}, 'events'),
    h('dd', {}, `${num(page.events)} (lines ${num(page.firstLine)}–${num(page.lastLine)})`),
    h('dt', {}, 'last count'),
    h('dd', { 'data-field': 'count' }, String(page.count)),
    h('dt', {}, 'last mapcount'),
    h('dd', { 'data-field': 'mapcount' }, `${page.mapcount} (${page.mapcountMeaning})`),
    page.freezeFailureLines.length ? h('dt', {}, 'failed freezes') : '',
    page.freezeFailureLines.length
      ? h(
          'dd',
          {},
          ...page.freezeFailureLines.flatMap((l, i) => [
            i ? ', ' : '',
            h('a', { href: `${base}?line=${l}` }, `line ${num(l)}`),
          ]),
        )
      : '',
    page.leak ? h('dt', {}, 'leak') : '',
    page.leak
      ? h(
          'dd',
          { class: 'warn' },
          `count ${page.leak.start} before the trace → ${page.leak.end} at line ${num(page.leak.line)}`,
        )
      : '',
  );

  ctx.root.replaceChildren(
    h('h2', {}, `pfn ${pfn}`),
    facts,
    h('h3', {}, 'refcount, mappings and flags over the page’s events'),
    chartBox,
    holdersBox,
    h('h3', {}, 'Events'),
    pager(events.offset, LIMIT, events.total, (o) => (location.hash = `${base}?offset=${o}`), 'events'),
    timeline(events.items, selected, (i) => void select(i)),
  );
  if (selected >= events.offset && selected < events.offset + LIMIT) await select(selected);
  else showHolders(page.holders, page.events - 1);
  ctx.root.querySelector('tr.selected')?.scrollIntoView({ block: 'nearest' });
}
