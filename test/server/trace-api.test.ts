/**
 * The viewer's JSON API on a real trace: 6.12 migration_blocked with stacks, where every failed
 * page_ref_freeze is blocked by a pipe buffer (notes.txt: 64 failed freezes, 46,510 events). The
 * per-page answers are checked against the trace text itself, read here with a regex, not the store.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CheckResponse,
  EventEntry,
  FreezeFailureJson,
  HoldersJson,
  InfoResponse,
  MapResponse,
  PageListItem,
  PageResponse,
  SeriesResponse,
  TimelineEntry,
  Window,
} from '../../src/server/api.js';
import { startServer, type RunningServer } from '../../src/server/http.js';
import { TraceView } from '../../src/server/trace-view.js';
import { readTrace } from '../../src/trace/reader.js';
import { readShared, sharedPath } from '../helpers/shared.js';
import { tracedCounts } from '../helpers/trace-text.js';
import { getJson } from './fetch.js';

const TRACE = ['traces', '6.12', 'migration_blocked', 'trace-stack.txt.gz'];

let srv: RunningServer;
let text: string;

beforeAll(async () => {
  const web = mkdtempSync(join(tmpdir(), 'folioscope-web-'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>viewer</title>');
  const view = new TraceView(await readTrace(sharedPath(...TRACE)));
  srv = await startServer({ view }, 0, web);
  text = readShared(...TRACE);
});

afterAll(() => srv.close());

describe('viewer API on 6.12 migration_blocked (trace-stack)', () => {
  it('info: the counts of notes.txt, and a state for every traced page', async () => {
    const { status, body } = await getJson<InfoResponse>(srv.url, '/api/info');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      mode: 'trace',
      profile: '6.12',
      events: 46510,
      freezeFailures: 64,
      stacks: true,
    });
    expect(body.stateCounts.reduce((a, b) => a + b, 0)).toBe(body.pages);
    expect(body.stateCounts[body.states.indexOf('freeze-failed')]).toBe(64);
    expect(body.scenario).toBeNull();
  });

  it('freeze failures: all 64 name the pipe buffer as the extra holder, in windows', async () => {
    const a = await getJson<Window<FreezeFailureJson>>(srv.url, '/api/freeze-failures?limit=50');
    const b = await getJson<Window<FreezeFailureJson>>(srv.url, '/api/freeze-failures?offset=50&limit=50');
    expect([a.body.total, a.body.items.length, b.body.items.length]).toEqual([64, 50, 14]);
    for (const f of [...a.body.items, ...b.body.items]) {
      expect(f.event).toBe('page_ref_freeze');
      expect(f.actual).toBeGreaterThan(f.expected);
      expect(f.extra.map((x) => x.label)).toContain('pipe buffer');
      expect(f.extra.find((x) => x.owner === 'pipe')?.stack.length).toBeGreaterThan(0);
      // the 6.12 pipe's get: splice_folio_into_pipe's folio_get, a page_ref_mod
      expect(f.extra.find((x) => x.owner === 'pipe')?.event).toBe('page_ref_mod');
    }
  });

  it('map: cells count every traced page once, per state; a pfn range zooms', async () => {
    const info = (await getJson<InfoResponse>(srv.url, '/api/info')).body;
    const all = (await getJson<MapResponse>(srv.url, '/api/map?cells=1024')).body;
    expect(all.cells.length).toBeLessThanOrEqual(1024);
    const sums = info.states.map((_, i) => all.cells.reduce((n, c) => n + c.counts[i], 0));
    expect(sums).toEqual(info.stateCounts);
    const f = (await getJson<Window<FreezeFailureJson>>(srv.url, '/api/freeze-failures?limit=1')).body
      .items[0];
    const zoom = (
      await getJson<MapResponse>(srv.url, `/api/map?from=${f.pfn - 10}&to=${f.pfn + 10}&cells=1024`)
    ).body;
    expect(zoom.cellPfns).toBe(1);
    const cell = zoom.cells.find((c) => c.from === f.pfn);
    expect(cell?.counts[info.states.indexOf('freeze-failed')]).toBe(1);
    const list = await getJson<Window<PageListItem>>(srv.url, `/api/pages?state=freeze-failed&limit=100`);
    expect(list.body.total).toBe(64);
    expect(list.body.items.map((p) => p.pfn)).toContain(f.pfn);
  });

  it('page: events, counts and series as the trace prints them', async () => {
    const f = (await getJson<Window<FreezeFailureJson>>(srv.url, '/api/freeze-failures?limit=1')).body
      .items[0];
    const truth = tracedCounts(text, f.pfn);
    const page = (await getJson<PageResponse>(srv.url, `/api/page/0x${f.pfn.toString(16)}`)).body;
    expect(page.state).toBe('freeze-failed');
    expect(page.events).toBe(truth.length);
    expect([page.count, page.mapcount]).toEqual([truth.at(-1)?.count, truth.at(-1)?.mapcount]);
    expect(page.freezeFailureLines).toContain(f.line);

    const ev = (await getJson<Window<TimelineEntry>>(srv.url, `/api/page/${f.pfn}/events?limit=500`)).body;
    const events = ev.items.filter((e): e is EventEntry => e.kind === 'event');
    expect(events.map((e) => ({ count: e.count, mapcount: e.mapcount }))).toEqual(truth);
    expect(ev.items.some((e) => e.kind === 'marker')).toBe(true);

    const s = (await getJson<SeriesResponse>(srv.url, `/api/page/${f.pfn}/series?points=5000`)).body;
    expect(s.points.map((p) => p.count)).toEqual(truth.map((t) => t.count));
    // raw _mapcount -1 = not mapped (0 mappings), n = n + 1 mappings (6.12 prints the raw value)
    expect(s.points.map((p) => p.mapped)).toEqual(truth.map((t) => t.mapcount + 1));
    const few = (await getJson<SeriesResponse>(srv.url, `/api/page/${f.pfn}/series?points=4`)).body;
    expect(few.points.length).toBe(4);
    expect(Math.max(...few.points.map((p) => p.countMax))).toBe(Math.max(...truth.map((t) => t.count)));
  });

  it('page events at a line: the window holding the failed freeze, and its holders', async () => {
    const f = (await getJson<Window<FreezeFailureJson>>(srv.url, '/api/freeze-failures?limit=1')).body
      .items[0];
    const w = (
      await getJson<Window<TimelineEntry>>(srv.url, `/api/page/${f.pfn}/events?limit=10&line=${f.line}`)
    ).body;
    const at = w.items.find((e): e is EventEntry => e.kind === 'event' && e.line === f.line);
    expect(at).toMatchObject({ event: 'page_ref_freeze', ret: 0, count: f.actual, val: f.expected });
    expect(w.offset % 10).toBe(0);
    const h = (await getJson<HoldersJson>(srv.url, `/api/page/${f.pfn}/holders?index=${at?.index}`)).body;
    expect(h.line).toBe(f.line);
    expect(h.holders.map((x) => x.owner).sort()).toEqual(f.holders.map((x) => x.owner).sort());
    expect(h.holders.some((x) => x.label === 'pipe buffer')).toBe(true);
  });

  it('check: the consistency report, windowed and filtered', async () => {
    const all = (await getJson<CheckResponse>(srv.url, '/api/check?limit=5')).body;
    expect(all.eventsChecked).toBe(46510);
    expect(all.items.length).toBe(Math.min(5, all.total));
    const findings = (await getJson<CheckResponse>(srv.url, '/api/check?severity=finding')).body;
    expect(findings.total).toBe(0);
  });

  it('bad requests: 4xx with a JSON error', async () => {
    const cases: [string, number, RegExp][] = [
      ['/api/page/zz', 400, /expected a pfn/],
      ['/api/page/0x1', 404, /no events/],
      ['/api/nope', 404, /no API endpoint/],
      ['/api/info/extra', 404, /no API endpoint/],
      ['/api/pages?state=bogus', 400, /state must be one of/],
      ['/api/map?from=10&to=5', 400, /empty pfn range/],
      ['/api/map?cells=100000', 400, /cells must be/],
      ['/api/map?from=-4', 400, /expected a pfn/],
      ['/api/freeze-failures?limit=abc', 400, /limit: expected a non-negative integer/],
      ['/api/check?severity=loud', 400, /severity/],
      ['/api/scenario', 404, /no scenario/],
    ];
    for (const [path, status, error] of cases) {
      const r = await getJson<{ error: string }>(srv.url, path);
      expect([path, r.status]).toEqual([path, status]);
      expect(r.body.error).toMatch(error);
    }
    const f = (await getJson<Window<FreezeFailureJson>>(srv.url, '/api/freeze-failures?limit=1')).body
      .items[0];
    const h = await getJson<{ error: string }>(srv.url, `/api/page/${f.pfn}/holders?index=100000`);
    expect(h.status).toBe(400);
    expect((await getJson<{ error: string }>(srv.url, '/api/info', { method: 'POST' })).status).toBe(405);
  });

  it('static files: the page with a no-network CSP; nothing outside the web root; other hosts refused', async () => {
    const res = await fetch(srv.url);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<title>viewer</title>');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect((await fetch(new URL('/nope.js', srv.url))).status).toBe(404);
    // node:http sends the path as written (fetch() normalises it) and may set Host (fetch() may not)
    const raw = (path: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) =>
        get({ host: '127.0.0.1', port: new URL(srv.url).port, path, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject),
      );
    expect(await raw('/..%2f..%2f..%2fetc%2fpasswd')).toBe(404);
    expect(await raw('/%E0%A4%A')).toBe(400);
    expect(await raw('/index.html')).toBe(200);
    expect(await raw('/api/info', { host: 'attacker.example' })).toBe(403);
  });
});
