/** The dashboard at GET / in Debian's chromium, in front of the five simulators: the key, the API's figures, the view in the URL, a run's recording. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSimulators, type SimulatorSet } from '../../adapters/simulators.js';
import { DASHBOARD_FILES, UPLOT_FILES } from '../../src/routes/dashboard.js';
import { startGateway, type RunningGateway } from '../../src/server.js';
import { silentLogger } from '../../src/core/log.js';
import type { Regressions, Summary } from '../../schemas/report.js';
import type { Run } from '../../schemas/run.js';
import { client, untilReady, type Client } from '../helpers.js';
import { lowContrast, unlabelled } from './a11y.js';

const CHROMIUM = '/usr/bin/chromium';
const KEY = 'k-dashboard';
/** A key that may read reports but not runs. */
const REPORTS_KEY = 'k-reports-only';
let set: SimulatorSet;
let gw: RunningGateway;
let api: Client;
let browser: Browser;

/** What a page did: its API calls, requests that left the gateway's origin, console errors. */
interface Watched {
  page: Page;
  calls: string[];
  outside: string[];
  errors: string[];
}

async function watch(o: { width?: number; height?: number } = {}): Promise<Watched> {
  const page = await browser.newPage({ viewport: { width: o.width ?? 1280, height: o.height ?? 900 } });
  const w: Watched = { page, calls: [], outside: [], errors: [] };
  const origin = new URL(gw.url).origin;
  await page.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.origin !== origin) {
      w.outside.push(u.href);
      return route.abort();
    }
    return route.continue();
  });
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/v1/')) w.calls.push(u.pathname + u.search);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') w.errors.push(m.text());
  });
  page.on('pageerror', (e) => w.errors.push(e.message));
  return w;
}

/** Waits until the view's load `n` (counted from 1 in this page) has drawn everything. */
const loaded = (page: Page, n: number) => page.waitForFunction((k) => Number(document.body.dataset['loaded'] ?? 0) >= k, n, { timeout: 20_000 });

async function signIn(w: Watched, path = '/', key = KEY): Promise<void> {
  await w.page.goto(gw.url + path);
  await w.page.getByLabel('Gateway key', { exact: true }).fill(key);
  await w.page.getByRole('button', { name: 'Sign in' }).click();
  await loaded(w.page, 1);
}

/** The view's period as the page sends it (whole UTC days, today included). */
function period(): { from: string; to: string } {
  const today = Date.parse(new Date().toISOString().slice(0, 10));
  return { from: new Date(today - 29 * 86_400_000).toISOString().slice(0, 10), to: new Date(today + 86_400_000).toISOString().slice(0, 10) };
}

const pct = (r: number | null): string => (r === null ? '—' : `${(r * 100).toFixed(1)} %`);
const num = (n: number): string => n.toLocaleString('en-US');

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  set = await startSimulators({ seed: 11, limits: { perWindow: 100_000, concurrency: 50 } });
  const config = { tenants: { t: { keys: [
          { key: KEY, scopes: ['runs:read' as const, 'reports:read' as const] },
          { key: REPORTS_KEY, scopes: ['reports:read' as const] },
        ], providers: set.providers } }, providers: set.tuning };
  // warm: the index backfills at once, as under `npm start`
  gw = await startGateway({ config, port: 0, log: silentLogger, warm: true });
  api = client(gw.url, KEY, { cache: true });
  await untilReady(client(gw.url, KEY));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
  await mkdir('test-results', { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await gw?.close(100);
  await set?.close();
});

describe('the dashboard page and its assets', () => {
  it('serves the page publicly with a CSP, and only the allow-listed assets', async () => {
    const page = await fetch(`${gw.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'.*media-src 'self' blob:/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(await page.text()).toContain('/dashboard/assets/dashboard.js');
    for (const [name, type] of [['dashboard.js', /^text\/javascript/], ['dashboard.css', /^text\/css/], ['uPlot.iife.min.js', /^text\/javascript/], ['uPlot.min.css', /^text\/css/]] as const) {
      const r = await fetch(`${gw.url}/dashboard/assets/${name}`);
      expect(r.status, name).toBe(200);
      expect(r.headers.get('content-type')).toMatch(type);
      expect(r.headers.get('cache-control')).toMatch(/max-age|no-cache/);
    }
    for (const bad of ['nope.js', 'index.html', '..%2Fserver.ts', '%2E%2E%2Fapp.ts']) {
      const r = await fetch(`${gw.url}/dashboard/assets/${bad}`);
      expect(r.status, bad).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    // the allow-list is exactly the folder (index.html is the page itself)
    const files = (await readdir('src/dashboard')).filter((f) => f !== 'index.html').sort();
    expect([...DASHBOARD_FILES].sort()).toEqual(files);
    expect(UPLOT_FILES).toEqual(['uPlot.iife.min.js', 'uPlot.min.css']);
  });
});

describe('the dashboard in chromium', () => {
  it('asks for the key, then shows the API figures, the trend, the regressions and the newest failed runs, in one view of ≤ 8 calls', async () => {
    const w = await watch();
    await w.page.goto(gw.url + '/');
    await expect.poll(() => w.page.getByLabel('Gateway key', { exact: true }).isVisible()).toBe(true);
    expect(await w.page.locator('#main').isHidden()).toBe(true);
    expect(w.calls).toEqual([]); // nothing is asked of the API without a key
    await w.page.getByLabel('Gateway key', { exact: true }).fill(KEY);
    await w.page.keyboard.press('Enter');
    await loaded(w.page, 1);
    expect(await w.page.evaluate(() => [sessionStorage.getItem('simgate.key'), localStorage.length, document.cookie])).toEqual([KEY, 0, '']);

    // one view: the calls it made, all carrying the period
    const view = [...w.calls];
    expect(view.length).toBeLessThanOrEqual(8);
    const { from, to } = period();
    expect(view.filter((c) => !c.startsWith('/v1/providers')).every((c) => c.includes(`from=${from}`) && c.includes(`to=${to}`))).toBe(true);

    // the cards show the API's own figures (the test asks the API itself, default period)
    const summary = (await api.json<Summary>('/v1/reports/summary?group_by=provider')).body;
    expect(summary.data.from.slice(0, 10)).toBe(from);
    expect(await w.page.locator('#cards [data-provider]').count()).toBe(5);
    for (const g of summary.data.groups) {
      const card = w.page.locator(`#cards [data-provider="${g.key.provider}"]`);
      const fig = (f: string) => card.locator(`[data-figure="${f}"]`).textContent();
      expect(await fig('runs'), g.key.provider).toBe(num(g.totals.runs));
      expect(await fig('pass_rate')).toBe(pct(g.totals.pass_rate));
      if (g.totals.pass_rate !== null) expect(await fig('evaluated')).toBe(num(g.totals.passed + g.totals.failed));
      for (const f of ['passed', 'failed', 'errored', 'pending', 'not_evaluated', 'cancelled'] as const) expect(await fig(f), f).toBe(num(g.totals[f]));
      expect(await card.textContent()).toMatch(/synced \d+ (s|min) ago/);
      expect(await card.locator('[data-health]').getAttribute('data-health')).toBe('ok');
    }

    // the trend: a uPlot chart with a series per provider, and the same days in its table
    const trend = (await api.json<Summary>(`/v1/reports/summary?group_by=provider,day&from=${from}&to=${to}`)).body;
    expect(await w.page.locator('#trend canvas').count()).toBeGreaterThan(0);
    expect(await w.page.locator('#trend .u-legend .u-series').count()).toBe(1 + new Set(trend.data.groups.map((g) => g.key.provider)).size);
    expect(await w.page.locator('#trend [role="img"]').getAttribute('aria-label')).toMatch(/Daily pass rate/);
    expect(await w.page.locator('#trend details tbody tr').count()).toBe(new Set(trend.data.groups.map((g) => g.key.day)).size);

    // the regressions of the same period, in the API's order
    const reg = (await api.json<Regressions>(`/v1/reports/regressions?from=${from}&to=${to}`)).body;
    expect(reg.data.items.length).toBeGreaterThan(0);
    expect(await w.page.locator('#regressions tbody tr').count()).toBe(reg.data.items.length);
    expect(await w.page.locator('#regressions tbody tr').first().getAttribute('data-verdict')).toBe(reg.data.items[0]!.verdict);
    expect(await w.page.locator('#regressions table').first().locator('th[scope="col"]').count()).toBe(8);

    // the newest failed and errored runs
    const failed = (await api.json<{ data: Run[] }>(`/v1/runs?outcome=failed&limit=10&from=${from}&to=${to}`)).body.data;
    expect(await w.page.locator('#failed tbody tr').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-run-row')))).toEqual(failed.map((r) => r.id));
    const errored = (await api.json<{ data: Run[] }>(`/v1/runs?status=failed,timed_out&limit=10&from=${from}&to=${to}`)).body.data;
    expect(await w.page.locator('#errored tbody tr').count()).toBe(errored.length);

    // accessible: every control labelled, text contrast ≥ 4.5:1, a visible focus ring on keyboard focus
    expect(await w.page.evaluate(unlabelled)).toEqual([]);
    expect(await w.page.evaluate(lowContrast, 4.5)).toEqual([]);
    await w.page.getByRole('checkbox', { name: 'PathSim', exact: true }).focus();
    await w.page.keyboard.press('Tab');
    expect(await w.page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.value)).toBe('synthflow');
    expect(await w.page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');

    await w.page.evaluate(() => {
      (document.activeElement as HTMLElement | null)?.blur();
      window.scrollTo(0, 0);
    });
    await w.page.screenshot({ path: 'docs/dashboard.png' });
    expect(w.outside).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.page.close();
  });

  it('keeps the view in the URL: a reloaded ?provider=pathsim shows only PathSim, and the form pushes the new view', async () => {
    const w = await watch();
    await signIn(w, '/?provider=pathsim');
    const only = async () => w.page.locator('#cards [data-provider]').evaluateAll((cs) => cs.map((c) => c.getAttribute('data-provider')));
    expect(await only()).toEqual(['pathsim']);
    await w.page.reload();
    await loaded(w.page, 1);
    expect(await only()).toEqual(['pathsim']);
    expect(w.calls.filter((c) => c.startsWith('/v1/reports') || c.startsWith('/v1/runs')).every((c) => c.includes('provider=pathsim'))).toBe(true);
    expect(await w.page.getByRole('checkbox', { name: 'PathSim', exact: true }).isChecked()).toBe(true);
    expect(await w.page.getByRole('checkbox', { name: 'Cekura', exact: true }).isChecked()).toBe(false);

    await w.page.getByRole('checkbox', { name: 'Cekura', exact: true }).check();
    await w.page.locator('#from').fill('2026-01-01');
    await w.page.getByRole('button', { name: 'Show', exact: true }).click();
    await loaded(w.page, 2);
    expect(new URL(w.page.url()).search).toBe(`?from=2026-01-01&to=${period().to}&provider=pathsim,cekura`);
    expect(await only()).toEqual(['pathsim', 'cekura']);
    await w.page.goBack();
    await loaded(w.page, 3);
    expect(await only()).toEqual(['pathsim']);
    expect(w.outside).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.page.close();
  });

  it('opens a run: transcript, evaluations and its recording played from a blob URL; the dialog traps focus and closes on Escape', async () => {
    const { from, to } = period();
    const list = async (q: string) => (await api.json<{ data: Run[] }>(`/v1/runs?provider=synthflow&limit=10&from=${from}&to=${to}&${q}`)).body.data;
    const target = [...(await list('outcome=failed')), ...(await list('status=failed,timed_out'))].find((r) => r.recording !== null);
    expect(target, 'a newest failed or errored Synthflow run with a recording').toBeDefined();
    const run = (await api.json<{ data: Run }>(`/v1/runs/${target!.id}`)).body.data;
    expect(run.transcript?.length).toBeGreaterThan(0);

    const w = await watch();
    await signIn(w, '/?provider=synthflow');
    const before = w.calls.length;
    const opener = w.page.locator(`#failed button[data-run="${run.id}"], #errored button[data-run="${run.id}"]`).first();
    await opener.click();
    await w.page.waitForSelector('#detail[open] .transcript, #detail[open] .meta');
    expect(await w.page.locator('#detail-title').textContent()).toContain(run.scenario.name ?? '');
    expect(await w.page.locator('#detail .transcript li').count()).toBe(run.transcript?.length);
    expect(await w.page.locator('#detail tbody tr').count()).toBe(run.evaluations?.length);
    const media = w.page.locator('#detail audio, #detail video');
    await w.page.waitForFunction(() => {
      const m = document.querySelector<HTMLMediaElement>('#detail audio, #detail video');
      return !!m && m.src.startsWith('blob:') && m.readyState >= 1 && m.duration > 0;
    }, null, { timeout: 15_000 });
    expect(await media.evaluate((m: HTMLMediaElement) => m.duration)).toBeGreaterThan(0);
    await media.evaluate((m: HTMLMediaElement) => m.play());
    await w.page.waitForFunction(() => (document.querySelector<HTMLMediaElement>('#detail audio, #detail video')?.currentTime ?? 0) > 0, null, { timeout: 10_000 });
    // the run and its recording, both with the key: two calls
    expect(w.calls.slice(before)).toEqual([`/v1/runs/${encodeURIComponent(run.id)}`, `/v1/runs/${encodeURIComponent(run.id)}/recording`]);

    for (let i = 0; i < 12; i++) {
      await w.page.keyboard.press(i % 4 === 3 ? 'Shift+Tab' : 'Tab');
      expect(await w.page.evaluate(() => !!document.activeElement?.closest('#detail'))).toBe(true);
    }
    await w.page.keyboard.press('Escape');
    expect(await w.page.locator('#detail').evaluate((d: HTMLDialogElement) => d.open)).toBe(false);
    expect(await opener.evaluate((b) => b === document.activeElement)).toBe(true);
    expect(w.outside).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.page.close();
  });

  it('never refetches on its own: ten minutes later the view has made no more calls; Refresh makes the same six again', async () => {
    const w = await watch();
    await w.page.clock.install();
    await signIn(w);
    const first = [...w.calls];
    await w.page.clock.runFor('10:00');
    await new Promise((r) => setTimeout(r, 300));
    expect(w.calls).toEqual(first);
    await w.page.getByRole('button', { name: 'Refresh' }).click();
    await loaded(w.page, 2);
    expect(w.calls.slice(first.length).sort()).toEqual([...first].sort());
    await w.page.close();
  });

  it('asks for the key again when the gateway refuses it', async () => {
    const w = await watch();
    await w.page.goto(gw.url + '/');
    await w.page.getByLabel('Gateway key', { exact: true }).fill('not-a-key');
    await w.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => w.page.locator('#login-error').textContent()).toMatch(/401/);
    expect(await w.page.locator('#main').isHidden()).toBe(true);
    expect(await w.page.evaluate(() => sessionStorage.getItem('simgate.key'))).toBeNull();
    expect(await w.page.evaluate(() => document.activeElement?.id)).toBe('key');
    await w.page.close();
  });

  it('names the provider a partial answer left out, and says so on its card', async () => {
    const w = await watch();
    // the gateway answers whole here; the page is shown a summary whose Cekura part timed out
    await w.page.route('**/v1/reports/summary?*', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as Summary;
      body.partial = true;
      body.providers['cekura'] = { status: 'error', runs_seen: 0, fresh_as_of: null, error: { code: 'provider_timeout', message: 'cekura: no answer within 10000 ms', retryable: true } };
      body.data.groups = body.data.groups.filter((g) => g.key.provider !== 'cekura');
      await route.fulfill({ response: res, json: body });
    });
    await signIn(w);
    const notice = w.page.locator('#notices [data-partial="cekura"]');
    expect(await notice.textContent()).toMatch(/^Cekura is missing from the cards, the trend \(provider_timeout: cekura: no answer within 10000 ms\)/);
    expect(await w.page.locator('#notices [data-partial]').count()).toBe(1);
    expect(await w.page.locator('#cards [data-provider="cekura"]').textContent()).toContain('Left out of the figures: provider_timeout');
    expect(await w.page.locator('#cards [data-provider="pathsim"] [data-figure="runs"]').count()).toBe(1);
    expect(w.errors).toEqual([]);
    await w.page.close();
  });

  it('with a key without runs:read shows the reports and says what the key may not read', async () => {
    const w = await watch();
    await signIn(w, '/', REPORTS_KEY);
    expect(await w.page.locator('#login').isHidden()).toBe(true);
    expect(await w.page.locator('#cards [data-provider] [data-figure="runs"]').count()).toBe(5);
    expect(await w.page.locator('#regressions tbody tr').count()).toBeGreaterThan(0);
    expect(await w.page.locator('#failed').textContent()).toMatch(/lacks the scope/);
    expect(await w.page.locator('#cards [data-provider="pathsim"]').textContent()).toMatch(/Health unavailable: this key lacks the scope/);
    await w.page.close();
  });

  it('reads on a phone (390×844): one column, no sideways scrolling of the page', async () => {
    const w = await watch({ width: 390, height: 844 });
    await signIn(w);
    expect(await w.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const [a, b] = await w.page.locator('#cards [data-provider]').evaluateAll((cs) => cs.slice(0, 2).map((c) => c.getBoundingClientRect().left));
    expect(a).toBe(b);
    expect(await w.page.evaluate(lowContrast, 4.5)).toEqual([]);
    await w.page.screenshot({ path: 'test-results/dashboard-phone.png', fullPage: true });
    expect(w.outside).toEqual([]);
    expect(w.errors).toEqual([]);
    await w.page.close();
  });
});
