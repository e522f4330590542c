/**
 * A scenario step by step: its statements, and for the selected one the page_ref lines it made
 * (with the model's call path) and every page seen so far after it: refcount, raw _mapcount and
 * what it means, flags, type, AnonExclusive, the lru_add batches' references; what changed is
 * marked. ←/→ (or p/n) step; the statements are links.
 */
import type { ScenarioResponse, StepPage, StepResponse } from '../../../src/server/api.js';
import { get } from '../api.js';
import { h, hex, pager, stackDetails } from '../dom.js';
import type { ViewContext } from '../main.js';

const LIMIT = 200;
let keys: ((e: KeyboardEvent) => void) | undefined;

function changed<T>(now: T, before: T | undefined, show: (v: T) => string = String): HTMLElement {
  if (before === undefined || before === now) return h('span', {}, show(now));
  return h(
    'span',
    { class: 'changed', title: `was ${show(before)}` },
    h('s', {}, show(before)),
    ' → ',
    show(now),
  );
}

function pageRow(p: StepPage): HTMLTableRowElement {
  const b = p.before ?? undefined;
  return h(
    'tr',
    { 'data-pfn': hex(p.pfn), class: p.touched ? 'touched' : '' },
    h(
      'td',
      {},
      h('a', { href: `#/page/${hex(p.pfn)}`, class: 'pfn' }, hex(p.pfn)),
      p.before ? '' : h('span', { class: 'new' }, ' new'),
    ),
    h('td', { class: 'n', 'data-field': 'refcount' }, changed(p.refcount, b?.refcount)),
    h('td', { class: 'n', 'data-field': 'mapcount' }, changed(p.mapcountRaw, b?.mapcountRaw)),
    h(
      'td',
      { 'data-field': 'meaning' },
      p.mapcountMeaning,
      p.type ? '' : h('span', { class: 'muted' }, ` (page_mapcount ${p.mappings})`),
    ),
    h('td', { class: 'flags', 'data-field': 'flags' }, changed(p.flags, b?.flags)),
    h('td', {}, p.type ?? (p.buddyOrder !== null ? `buddy order ${p.buddyOrder}` : '')),
    h('td', {}, p.anonExclusive ? 'yes' : 'no'),
    h('td', { class: 'n' }, p.batchRefs || ''),
  );
}

export async function renderScenario(ctx: ViewContext, arg: string | undefined): Promise<void> {
  const step = Number(arg ?? 0);
  const offset = Number(ctx.params.get('offset') ?? 0);
  const [sc, st] = await Promise.all([
    get<ScenarioResponse>('/api/scenario'),
    get<StepResponse>(
      `/api/scenario/step/${Number.isInteger(step) ? step : 0}?offset=${offset}&limit=${LIMIT}`,
    ),
  ]);
  if (!ctx.current()) return;
  const go = (s: number) => {
    if (s >= 0 && s < sc.steps) location.hash = `#/scenario/${s}`;
  };
  if (keys) document.removeEventListener('keydown', keys);
  keys = (e: KeyboardEvent) => {
    if (!document.querySelector('.stepper') || e.altKey || e.ctrlKey || e.metaKey) return;
    if ((e.target as HTMLElement).closest('input, textarea, select')) return;
    if (e.key === 'ArrowRight' || e.key === 'n') go(st.step + 1);
    else if (e.key === 'ArrowLeft' || e.key === 'p') go(st.step - 1);
    else return;
    e.preventDefault();
  };
  document.addEventListener('keydown', keys);

  const list = h(
    'ol',
    { class: 'statements' },
    ...sc.statements.map((s) =>
      h(
        'li',
        { class: s.step === null ? 'skipped' : '', 'aria-current': s.step === st.step ? 'step' : false },
        s.step === null
          ? h(
              'span',
              { title: `not run on profile ${sc.profile}` },
              h('code', {}, s.text),
              ' (other profiles)',
            )
          : h(
              'a',
              { href: `#/scenario/${s.step}` },
              h('span', { class: 'muted' }, `${s.step + 1}. `),
              h('code', {}, s.text),
            ),
      ),
    ),
  );
  const events = st.events.length
    ? h(
        'ol',
        { class: 'trace' },
        ...st.events.map((e) => h('li', {}, h('code', {}, e.text), stackDetails(e.stack, 'model path'))),
      )
    : h('p', { class: 'muted' }, 'no page_ref events: this statement changes no refcount');
  const head = ['pfn', 'refcount', '_mapcount', 'meaning', 'flags', 'type', 'anon-excl', 'lru batch refs'];
  const pages = h(
    'table',
    { class: 'step-pages' },
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', {}, c)))),
    h('tbody', {}, ...st.pages.items.map(pageRow)),
  );

  ctx.root.replaceChildren(
    h('h2', {}, `Scenario ${sc.name} on profile ${sc.profile}`),
    h(
      'div',
      { class: 'scenario-layout' },
      h('nav', { 'aria-label': 'statements' }, list),
      h(
        'section',
        { class: 'step' },
        h(
          'div',
          { class: 'stepper' },
          h(
            'button',
            { type: 'button', id: 'prev', disabled: st.step === 0, onclick: () => go(st.step - 1) },
            '← prev',
          ),
          h('span', { class: 'step-no' }, `step ${st.step + 1} of ${st.steps}`),
          h(
            'button',
            { type: 'button', id: 'next', disabled: st.step + 1 >= st.steps, onclick: () => go(st.step + 1) },
            'next →',
          ),
        ),
        h(
          'h3',
          { class: 'statement' },
          h('code', {}, st.statement.text),
          h('span', { class: 'muted' }, ` (line ${st.statement.line})`),
        ),
        h('h4', {}, `trace lines (${st.events.length})`),
        events,
        h('h4', {}, 'pages after the step (touched by it first)'),
        st.pages.total > LIMIT
          ? pager(
              st.pages.offset,
              LIMIT,
              st.pages.total,
              (o) => (location.hash = `#/scenario/${st.step}?offset=${o}`),
              'pages',
            )
          : '',
        pages,
      ),
    ),
  );
}
