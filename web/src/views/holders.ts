/** A holders table: who holds the references on a page, with the stack that took each. */
import type { HolderJson } from '../../../src/server/api.js';
import { h, num, pfnLink, stackDetails } from '../dom.js';

export function holdersTable(holders: readonly HolderJson[], caption: string): HTMLElement {
  if (holders.length === 0) return h('p', { class: 'muted' }, `${caption}: none`);
  return h(
    'table',
    { class: 'holders' },
    h('caption', {}, caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'owner'),
        h('th', { class: 'n' }, 'refs'),
        h('th', {}, 'taken at line'),
        h('th', {}, 'task'),
        h('th', {}, 'stack'),
      ),
    ),
    h(
      'tbody',
      {},
      ...holders.map((x) =>
        h(
          'tr',
          { 'data-owner': x.owner },
          h(
            'td',
            {},
            x.label,
            x.migratedFrom?.length
              ? h('span', { class: 'muted' }, ' migrated from ', ...x.migratedFrom.map((p) => pfnLink(p)))
              : '',
          ),
          h('td', { class: 'n' }, x.refs),
          h(
            'td',
            { class: 'n' },
            // an unknown owner without a line: a freeze's extra references counted, not told apart
            x.line !== null ? num(x.line) : x.owner === 'unknown' ? 'not told apart' : 'before the trace',
          ),
          h('td', {}, x.task ?? ''),
          // without a stack, the get's tracepoint says a little of it (page_ref_mod_unless: a try_get)
          h(
            'td',
            {},
            x.stack.length > 0 ? stackDetails(x.stack) : h('span', { class: 'muted' }, x.event ?? ''),
          ),
        ),
      ),
    ),
  );
}
