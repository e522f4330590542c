/** Pages that end with references their owners should have dropped, and what was excluded as legitimate. */
import type { LeaksResponse } from '../../../src/server/api.js';
import { get } from '../api.js';
import { h, num, pager, pfnLink } from '../dom.js';
import type { ViewContext } from '../main.js';
import { holdersTable } from './holders.js';

const LIMIT = 25;

export async function renderLeaks(ctx: ViewContext): Promise<void> {
  const offset = Number(ctx.params.get('offset') ?? 0);
  const w = await get<LeaksResponse>(`/api/leaks?offset=${offset}&limit=${LIMIT}`);
  if (!ctx.current()) return;
  const excluded = h(
    'table',
    {},
    h(
      'caption',
      {},
      `${num(w.excludedPages)} pages end above their start count with references that persist legitimately`,
    ),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'owner'),
        h('th', {}, 'why it persists'),
        h('th', { class: 'n' }, 'pages'),
        h('th', { class: 'n' }, 'refs'),
      ),
    ),
    h(
      'tbody',
      {},
      ...w.excluded.map((x) =>
        h(
          'tr',
          {},
          h('td', {}, x.owner),
          h('td', {}, x.reason),
          h('td', { class: 'n' }, num(x.pages)),
          h('td', { class: 'n' }, num(x.refs)),
        ),
      ),
    ),
  );
  ctx.root.replaceChildren(
    h('h2', {}, 'Leaks'),
    pager(w.offset, LIMIT, w.total, (o) => (location.hash = `#/leaks?offset=${o}`), 'leaks'),
    ...w.items.map((l) =>
      h(
        'article',
        { class: 'failure', 'data-pfn': l.pfn },
        h(
          'h3',
          {},
          pfnLink(l.pfn),
          `: count ${l.start} before its first event, ${l.end} after its last (line ${num(l.line)})`,
        ),
        holdersTable(l.unmatched, 'references that should have been dropped'),
      ),
    ),
    excluded,
  );
}
