/**
 * The viewer: a hash router over the views. #/map, #/page/<pfn>, #/failures, #/leaks, #/check,
 * #/scenario/<step>. Each view renders into <main> from the API's windows and aggregates.
 */
import type { InfoResponse } from '../../src/server/api.js';
import { ApiFailure, get } from './api.js';
import { h, num } from './dom.js';
import { renderCheck } from './views/check.js';
import { renderFailures } from './views/failures.js';
import { renderLeaks } from './views/leaks.js';
import { renderMap } from './views/map.js';
import { renderPage } from './views/page.js';
import { renderScenario } from './views/scenario.js';
import './style.css';

export interface ViewContext {
  info: InfoResponse;
  root: HTMLElement;
  params: URLSearchParams;
  /** false once the user navigated elsewhere: late answers must not draw */
  current(): boolean;
}

type View = (ctx: ViewContext, arg: string | undefined) => Promise<void>;

const VIEWS: Record<string, View> = {
  map: renderMap,
  page: renderPage,
  failures: renderFailures,
  leaks: renderLeaks,
  check: renderCheck,
  scenario: renderScenario,
};

let generation = 0;

function header(info: InfoResponse): void {
  const src = document.getElementById('source') as HTMLElement;
  const secs = info.seconds === null ? '' : ` over ${info.seconds.toFixed(3)} s`;
  src.replaceChildren(
    h('span', { class: 'src-name' }, info.source),
    ` — ${num(info.events)} page_ref events on ${num(info.pages)} pages${secs}; profile ${info.profile ?? 'unknown'}` +
      `${info.stacks ? '' : '; no stacks (owners unknown)'}${info.unparsed ? `; ${num(info.unparsed)} unparsed lines` : ''}`,
  );
  const links: [string, string][] = [
    ['#/map', 'Memory map'],
    ['#/failures', `Freeze failures (${num(info.freezeFailures)})`],
    ['#/leaks', `Leaks (${num(info.leaks)})`],
    ['#/check', `Check (${num(info.findings)} findings)`],
  ];
  if (info.scenario) links.unshift(['#/scenario/0', `Scenario (${info.scenario.steps} steps)`]);
  (document.getElementById('nav') as HTMLElement).replaceChildren(
    ...links.map(([href, text]) => h('a', { href, 'data-view': href.split('/')[1] }, text)),
  );
}

async function route(info: InfoResponse): Promise<void> {
  const root = document.getElementById('app') as HTMLElement;
  const hash = location.hash.replace(/^#\/?/, '') || (info.scenario ? 'scenario/0' : 'map');
  const [path, query] = hash.split('?');
  const [name, arg] = path.split('/');
  const view = VIEWS[name];
  const mine = ++generation;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a'))
    a.toggleAttribute('aria-current', a.dataset.view === name);
  root.replaceChildren(h('p', { class: 'loading' }, 'loading…'));
  const ctx: ViewContext = {
    info,
    root,
    params: new URLSearchParams(query),
    current: () => mine === generation,
  };
  try {
    if (!view) throw new ApiFailure(`no view "${name}"`);
    await view(ctx, arg);
  } catch (err) {
    if (!ctx.current()) return;
    root.replaceChildren(
      h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err)),
    );
  }
}

async function start(): Promise<void> {
  let info: InfoResponse;
  try {
    info = await get<InfoResponse>('/api/info');
  } catch (err) {
    (document.getElementById('source') as HTMLElement).textContent =
      `cannot reach the server: ${String(err)}`;
    return;
  }
  header(info);
  window.addEventListener('hashchange', () => void route(info));
  await route(info);
}

void start();
