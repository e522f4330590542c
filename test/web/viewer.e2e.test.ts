/**
 * The viewer in a real headless Chromium (playwright-core, the Debian chromium): built fresh with
 * Vite, served by src/server on the real 6.12 migration_blocked trace and on the seed002 scenario.
 * Clicks through the memory map to a page and checks its timeline against the trace text; follows
 * a freeze failure to its holders; steps through seed002's fork. No request may leave 127.0.0.1.
 * Screenshots land in the temp directory (folioscope-viewer-*.png) for a person to look at.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProfile } from '../../src/kernel/profiles/index.js';
import { BUILTINS } from '../../src/scenario/builtins.js';
import { startServer, type RunningServer } from '../../src/server/http.js';
import { ScenarioView } from '../../src/server/scenario-view.js';
import { TraceView } from '../../src/server/trace-view.js';
import { readTrace } from '../../src/trace/reader.js';
import { REPO, readShared, sharedPath } from '../helpers/shared.js';
import { tracedCounts } from '../helpers/trace-text.js';

const CHROMIUM = '/usr/bin/chromium';
const TRACE = ['traces', '6.12', 'migration_blocked', 'trace-stack.txt.gz'];
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(
    `test/web: ${CHROMIUM} is missing, the browser tests are SKIPPED (apt-get install -y chromium)`,
  );

describe.skipIf(!hasChromium)('the viewer in Chromium', () => {
  let browser: BrowserContext;
  let traceSrv: RunningServer;
  let scenarioSrv: RunningServer;
  let scenario: ScenarioView;
  const external: string[] = [];
  const errors: string[] = [];
  const shots = mkdtempSync(join(tmpdir(), 'folioscope-viewer-'));

  beforeAll(async () => {
    const web = mkdtempSync(join(tmpdir(), 'folioscope-web-'));
    await build({
      configFile: join(REPO, 'web/vite.config.ts'),
      logLevel: 'silent',
      build: { outDir: web, emptyOutDir: true, sourcemap: false },
    });
    scenario = new ScenarioView(BUILTINS.seed002, 'builtin:seed002', loadProfile('6.12'));
    const [view, scView] = await Promise.all([
      readTrace(sharedPath(...TRACE)).then((r) => new TraceView(r)),
      scenario.trace().then((r) => new TraceView(r, '6.12')),
    ]);
    traceSrv = await startServer({ view }, 0, web);
    scenarioSrv = await startServer({ view: scView, scenario }, 0, web);
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'folioscope-chromium-')), {
      executablePath: CHROMIUM,
      args: ARGS,
      viewport: { width: 1400, height: 1000 },
    });
    await browser.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      external.push(url.href);
      return route.abort();
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await traceSrv?.close();
    await scenarioSrv?.close();
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(url);
    return page;
  }

  it('memory map: a click zooms, a one-pfn cell opens the page, whose timeline is the trace', async () => {
    const page = await open(`${traceSrv.url}#/map`);
    await page.locator('.cell[data-state="freeze-failed"]').first().click();
    await page.waitForURL(/#\/map\?from=/);
    await expect.poll(() => page.locator('.range').textContent()).toContain('1 pfn per cell');
    await page.screenshot({ path: join(shots, 'folioscope-viewer-map.png'), fullPage: true });
    const cell = page.locator('.cell[data-state="freeze-failed"]').first();
    const pfn = Number(await cell.getAttribute('data-from'));
    await cell.click();
    await page.waitForURL(new RegExp(`#/page/0x${pfn.toString(16)}$`));
    await expect.poll(() => page.locator('h2').textContent()).toBe(`pfn 0x${pfn.toString(16)}`);

    const truth = tracedCounts(readShared(...TRACE), pfn);
    const rows = page.locator('table.events tr[data-index]');
    expect(await rows.count()).toBe(Math.min(100, truth.length));
    const counts = await rows.locator('td.count').allTextContents();
    expect(counts.map(Number)).toEqual(truth.slice(0, 100).map((t) => t.count));
    expect(await page.locator('dd[data-field="count"]').textContent()).toBe(String(truth.at(-1)?.count));
    expect(await page.locator('dd[data-field="mapcount"]').textContent()).toMatch(
      new RegExp(`^${truth.at(-1)?.mapcount} `),
    );
    expect(await page.locator('svg.chart path.line-count').getAttribute('d')).toMatch(/^M/);
    // the failed freeze is in the table: val 2, ret 0
    const freeze = rows.filter({ has: page.locator('td', { hasText: /^freeze$/ }) });
    expect(await freeze.first().locator('td').nth(7).textContent()).toBe('0');
    // a row's holders: after the first event only the allocation reference
    await rows.first().locator('button').click();
    await expect.poll(() => page.locator('.holders-box h3').textContent()).toContain('event #0');
    expect(await page.locator('.holders-box tr[data-owner]').first().getAttribute('data-owner')).toBe(
      'allocation',
    );
    await page.screenshot({ path: join(shots, 'folioscope-viewer-page.png'), fullPage: true });
    await page.close();
  });

  it('memory map by keyboard: arrows move the focused cell, Enter zooms into it', async () => {
    const page = await open(`${traceSrv.url}#/map`);
    const first = page.locator('.cell[tabindex="0"]');
    await first.focus();
    await page.keyboard.press('ArrowRight');
    const focused = await page.locator('.cell:focus').getAttribute('data-from');
    const second = await page.locator('.cell').nth(1).getAttribute('data-from');
    expect(focused).toBe(second);
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`#/map\\?from=${await first.getAttribute('data-from')}&`));
    await page.close();
  });

  it('freeze failures: 64, each blocked by the pipe buffer; a pfn link opens the failing event', async () => {
    const page = await open(`${traceSrv.url}#/failures`);
    await expect.poll(() => page.locator('.pager span').first().textContent()).toBe('failures 1–50 of 64');
    const extra = await page.locator('table.failures td.extra').allTextContents();
    expect(extra.length).toBe(50);
    for (const x of extra) expect(x).toContain('pipe buffer');
    const row = page.locator('table.failures tbody tr').first();
    const line = await row.getAttribute('data-line');
    await row.locator('a.pfn').click();
    await page.waitForURL(/#\/page\/0x[0-9a-f]+\?line=/);
    await expect.poll(() => page.locator('table.events tr.selected').getAttribute('data-line')).toBe(line);
    await expect.poll(() => page.locator('.holders-box tr[data-owner="pipe"]').count()).toBe(1);
    await page.screenshot({ path: join(shots, 'folioscope-viewer-failure.png'), fullPage: true });
    await page.close();
  });

  it('seed002 step by step: the fork takes a reference and a mapping on the page', async () => {
    const page = await open(scenarioSrv.url);
    const stepNo = page.locator('.step-no');
    await expect.poll(() => stepNo.textContent()).toBe('step 1 of 7');
    for (const n of [2, 3, 4]) {
      await page.keyboard.press('ArrowRight');
      await expect.poll(() => stepNo.textContent()).toBe(`step ${n} of 7`);
    }
    expect(await page.locator('.statement code').textContent()).toBe('A fork B cpu=0');
    expect(await page.locator('.statements li[aria-current] code').textContent()).toBe('A fork B cpu=0');
    const anon = scenario.step(3, 0, 10).pages.items.find((p) => p.touched && p.type === null);
    const row = page.locator(`.step-pages tr[data-pfn="0x${anon?.pfn.toString(16)}"]`);
    // 6.12: 1 mapping + the lru_add batch's reference before; the child's PTE adds one
    expect(await row.locator('td[data-field="refcount"]').textContent()).toBe('2 → 3');
    expect(await row.locator('td[data-field="mapcount"]').textContent()).toBe('0 → 1');
    expect(await row.locator('td[data-field="meaning"]').textContent()).toContain('mapped 2x');
    expect(await page.locator('ol.trace li code').allTextContents()).toContainEqual(
      expect.stringMatching(/page_ref_mod: pfn=0x[0-9a-f]+ .*count=3 mapcount=0 .*val=1/),
    );
    await page.screenshot({ path: join(shots, 'folioscope-viewer-scenario.png'), fullPage: true });
    await page.locator('#next').click();
    await expect.poll(() => page.locator('.statement code').textContent()).toBe('B write page');
    await page.close();
  });

  it('nothing left 127.0.0.1 and the page logged no error', () => {
    expect(external).toEqual([]);
    expect(errors).toEqual([]);
  });
});
