/** The running-count check: every event's count against the count per page (consistency.ts). */
import type { CheckResponse } from '../../../src/server/api.js';
import { get } from '../api.js';
import { h, num, pager, pfnLink } from '../dom.js';
import type { ViewContext } from '../main.js';

const LIMIT = 100;

export async function renderCheck(ctx: ViewContext): Promise<void> {
  const offset = Number(ctx.params.get('offset') ?? 0);
  const severity = ctx.params.get('severity');
  const sev = severity === 'info' || severity === 'finding' ? `&severity=${severity}` : '';
  const w = await get<CheckResponse>(`/api/check?offset=${offset}&limit=${LIMIT}${sev}`);
  if (!ctx.current()) return;
  const kinds =
    Object.entries(w.byKind)
      .map(([k, n]) => `${k} ${num(n)}`)
      .join(', ') || 'none';
  const filter = (s: string, label: string) =>
    h('a', { href: `#/check${s ? `?severity=${s}` : ''}`, 'aria-current': (severity ?? '') === s }, label);
  ctx.root.replaceChildren(
    h('h2', {}, 'Check'),
    h(
      'p',
      {},
      `${num(w.eventsChecked)} events on ${num(w.pagesChecked)} pages checked; mismatches by kind: ${kinds}.`,
    ),
    h(
      'p',
      { class: 'filters' },
      'show: ',
      filter('', 'all'),
      ' · ',
      filter('finding', 'findings'),
      ' · ',
      filter('info', 'explained (info)'),
    ),
    pager(w.offset, LIMIT, w.total, (o) => (location.hash = `#/check?offset=${o}${sev}`), 'mismatches'),
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['pfn', 'line', 'kind', 'severity', 'event', 'expected', 'actual', 'note'].map((c) =>
            h('th', {}, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...w.items.map((x) =>
          h(
            'tr',
            { class: x.severity },
            h('td', {}, pfnLink(x.pfn, x.line)),
            h('td', { class: 'n' }, num(x.line)),
            h('td', {}, x.kind),
            h('td', {}, x.severity),
            h('td', {}, x.event),
            h('td', { class: 'n' }, x.expected),
            h('td', { class: 'n' }, x.actual),
            h('td', {}, x.note),
          ),
        ),
      ),
    ),
  );
}
