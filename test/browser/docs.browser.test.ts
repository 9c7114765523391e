/** /docs renders in a real browser (Debian's chromium) with no request leaving loopback. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import type { RunningGateway } from '../../src/server.js';
import { gatewayFor } from '../helpers.js';

const CHROMIUM = '/usr/bin/chromium';
let gw: RunningGateway;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  gw = await gatewayFor({ tenants: { t: { keys: [{ key: 'k-docs', scopes: ['runs:read'] }], providers: {} } } });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await gw?.close(100);
});

describe('GET /docs', () => {
  it('renders the interactive reference from local assets only', async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.hostname !== '127.0.0.1' && u.protocol !== 'data:') {
        outside.push(u.href);
        return route.abort();
      }
      return route.continue();
    });
    await page.goto(`${gw.url}/docs`);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 20_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toContain('simgate');
    await page.waitForSelector('.opblock-summary-path');
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent?.replace(/\u200b/g, '')));
    expect(paths).toContain('/v1/runs');
    expect(paths).toContain('/v1/runs/{id}/recording');
    expect(outside).toEqual([]);
    await page.screenshot({ path: 'test-results/docs.png' });
    await page.close();
  });
});
