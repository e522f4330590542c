/**
 * The step-through of a built-in scenario: seed002 (write, fork, the child writes, both exit).
 * Its per-step page state must be the demo's (src/scenario/demo.ts runs the same story with
 * direct calls), and the simulated trace must load into the trace views.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/kernel/profiles/index.js';
import type { ProfileName } from '../../src/kernel/profiles/types.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { runForkCowDemo } from '../../src/scenario/demo.js';
import type { InfoResponse, ScenarioResponse, StepResponse } from '../../src/server/api.js';
import { startServer, type RunningServer } from '../../src/server/http.js';
import { ScenarioView } from '../../src/server/scenario-view.js';
import { TraceView } from '../../src/server/trace-view.js';
import { getJson } from './fetch.js';

describe.each(['6.1', '6.12'] as ProfileName[])('seed002 step by step on %s', (profile) => {
  let srv: RunningServer;
  let sc: ScenarioView;

  beforeAll(async () => {
    sc = new ScenarioView(BUILTINS.seed002, 'builtin:seed002', loadProfile(profile));
    srv = await startServer({ view: new TraceView(await sc.trace(), profile), scenario: sc }, 0);
  });
  afterAll(() => srv.close());

  const step = async (n: number) => (await getJson<StepResponse>(srv.url, `/api/scenario/step/${n}`)).body;

  it('lists the statements, one step each', async () => {
    const { body } = await getJson<ScenarioResponse>(srv.url, '/api/scenario');
    expect(body.statements.map((s) => s.text)).toEqual([
      'task A comm=demo cpu=0',
      'A mmap page anon 1',
      'A write page',
      'A fork B cpu=0',
      'B write page',
      'B exit',
      'A exit',
    ]);
    expect(body.statements.map((s) => s.step)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(body.steps).toBe(7);
  });

  it("after each story step the pages are the demo's", async () => {
    const demo = runForkCowDemo(loadProfile(profile));
    // demo steps: A writes, A forks, B writes, B exits, A exits = statements 2..6
    for (const [i, d] of demo.steps.entries()) {
      const st = await step(i + 2);
      for (const want of d.pages) {
        const got = st.pages.items.find((p) => `0x${p.pfn.toString(16)}` === want.pfn);
        expect(got, `step ${i + 2} ${want.pfn}`).toBeDefined();
        expect({ ...got, pfn: want.pfn }).toMatchObject({
          pfn: want.pfn,
          refcount: want.refcount,
          mapcountRaw: want.mapcountRaw,
          mappings: want.mappings,
          flags: want.flags,
          anonExclusive: want.anonExclusive,
          type: want.type,
          batchRefs: want.batchRefs,
        });
      }
      // the same records; the clocks differ, so compare from the event name on
      const body = (line: string) => line.slice(line.indexOf('page_ref_'));
      expect(st.events.map((e) => body(e.text))).toEqual(d.events.map((e) => body(e.line)));
    }
  });

  it("fork: the page's refcount and mapcount each go up by one, PG_anon_exclusive is cleared", async () => {
    const fork = await step(3);
    expect(fork.statement.text).toBe('A fork B cpu=0');
    const anon = fork.pages.items.find((p) => p.touched && p.type === null);
    expect(anon?.before).not.toBeNull();
    expect(anon?.refcount).toBe((anon?.before?.refcount ?? NaN) + 1);
    expect([anon?.before?.mapcountRaw, anon?.mapcountRaw, anon?.mappings]).toEqual([0, 1, 2]);
    expect(anon?.anonExclusive).toBe(false);
    const get = fork.events.find((e) => e.pfn === anon?.pfn);
    expect(get?.text).toMatch(/page_ref_mod: .* val=1/);
    expect(get?.stack).toContain('copy_page_range');
  });

  it('the simulated trace loads as a trace: info, map and page timelines', async () => {
    const info = (await getJson<InfoResponse>(srv.url, '/api/info')).body;
    expect(info).toMatchObject({ mode: 'scenario', events: sc.run.events.length, profile });
    expect(info.scenario).toEqual({ name: 'builtin:seed002', steps: 7 });
    // both exit: every page seen is free again
    expect(info.stateCounts[info.states.indexOf('free')]).toBe(info.pages);
  });

  it('bad steps: 404 past the end, 400 for a non-number', async () => {
    expect((await getJson(srv.url, '/api/scenario/step/7')).status).toBe(404);
    expect((await getJson(srv.url, '/api/scenario/step/x')).status).toBe(400);
    expect((await getJson(srv.url, '/api/scenario/walk/1')).status).toBe(404);
  });
});
