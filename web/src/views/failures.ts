/** Every failed page_ref_freeze: what the freezer expected, what it found, and who held the extra references. */
import type { FreezeFailureJson, HolderJson, Window } from '../../../src/server/api.js';
import { get } from '../api.js';
import { h, num, pager, pfnLink } from '../dom.js';
import type { ViewContext } from '../main.js';
import { holdersTable } from './holders.js';

const LIMIT = 50;

const brief = (hs: readonly HolderJson[]) =>
  hs.map((x) => `${x.label} ×${x.refs}${x.stack[0] ? ` (${x.stack[0]})` : ''}`).join(', ') || 'none';

function failureRow(f: FreezeFailureJson): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-pfn': f.pfn, 'data-line': f.line },
    h('td', {}, pfnLink(f.pfn, f.line)),
    h('td', { class: 'n' }, num(f.line)),
    h('td', { class: 'n' }, `${f.expected} / ${f.actual}`),
    h('td', {}, h('code', {}, f.caller.slice(1, 3).join(' < ') || f.caller[0] || 'no stack')),
    h('td', { class: 'extra' }, brief(f.extra)),
    h(
      'td',
      {},
      h(
        'details',
        {},
        h('summary', {}, 'holders and stacks'),
        holdersTable(f.extra, 'extra references: what blocked the freeze'),
        holdersTable(f.expectedHolders, 'expected references'),
        holdersTable(
          [
            {
              owner: 'freezer',
              label: 'the freezer',
              refs: 0,
              line: f.line,
              task: null,
              event: 'page_ref_freeze',
              stack: f.caller,
            },
          ],
          'freezer',
        ),
        f.unexplained
          ? h('p', { class: 'warn' }, `${f.unexplained} reference(s) the trace does not explain`)
          : '',
      ),
    ),
  );
}

export async function renderFailures(ctx: ViewContext): Promise<void> {
  const offset = Number(ctx.params.get('offset') ?? 0);
  const w = await get<Window<FreezeFailureJson>>(`/api/freeze-failures?offset=${offset}&limit=${LIMIT}`);
  if (!ctx.current()) return;
  const head = ['pfn', 'line', 'expected / found', 'freezer', 'extra holders', ''];
  ctx.root.replaceChildren(
    h('h2', {}, 'Failed page_ref_freeze'),
    h(
      'p',
      { class: 'muted' },
      'The freezer expects the references it counts for itself (page cache, its isolation or lookup); every other outstanding reference is extra: that is what blocked migration, compaction or reclaim.',
    ),
    pager(w.offset, LIMIT, w.total, (o) => (location.hash = `#/failures?offset=${o}`), 'failures'),
    h(
      'table',
      { class: 'failures' },
      h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
      h('tbody', {}, ...w.items.map(failureRow)),
    ),
  );
}
