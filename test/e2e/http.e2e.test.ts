/**
 * HTTP conventions over real HTTP with the simulators: br or gzip when the client accepts it (JSON, CSV, the docs
 * bundle) and never for a recording or a client that does not; ETag and 304 on a run, a group and the reports
 * (the index is kept still — no head sync, no refresh — so that the same request gives the same bytes).
 */
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type SimulatorSet } from '../../adapters/simulators.js';
import type { RunList } from '../../schemas/run.js';
import type { RunningGateway } from '../../src/server.js';
import { client, gatewayFor, untilReady, walk } from '../helpers.js';

const KEY = 'http-key-000001';
let set: SimulatorSet;
let gw: RunningGateway;

beforeAll(async () => {
  set = await startSimulators({ seed: 81, now: Date.now(), limits: { perWindow: 100_000, concurrency: 50 } });
  gw = await gatewayFor({ tenants: { t: { keys: [{ key: KEY, scopes: ['runs:read', 'reports:read'] }], providers: set.providers } }, providers: set.tuning, index: { maxStalenessMs: 3_600_000, refreshMinMs: 3_600_000, refreshMaxMs: 3_600_000 } });
  await walk(client(gw.url, KEY, { cache: true }), 'limit=100');
  await untilReady(client(gw.url, KEY, { cache: true }), 60_000);
}, 90_000);
afterAll(async () => {
  await gw?.close(100);
  await set?.close();
});

/** A raw GET (node:http sends no Accept-Encoding unless asked, and does not decode): status, headers, bytes. */
function raw(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${gw.url}${path}`, { headers: { authorization: `Bearer ${KEY}`, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('compression', () => {
  it('gzips JSON, CSV and the docs bundle for a client that accepts it, and the bytes decode to the plain answer', async () => {
    for (const path of ['/v1/runs?limit=100', '/v1/reports/summary?group_by=provider,day&format=csv', '/docs/assets/swagger-ui-bundle.js', '/openapi.json']) {
      const plain = await raw(path);
      const zipped = await raw(path, { 'accept-encoding': 'gzip' });
      expect(plain.headers['content-encoding'], path).toBeUndefined();
      expect(zipped.headers['content-encoding'], path).toBe('gzip');
      expect(zipped.body.length, path).toBeLessThan(plain.body.length / 2);
      const decoded = gunzipSync(zipped.body).toString();
      // the runs page carries fresh_as_of and ids of the same walk: compare what does not move
      if (path.startsWith('/v1/runs')) expect((JSON.parse(decoded) as RunList).data.map((r) => r.id)).toEqual((JSON.parse(plain.body.toString()) as RunList).data.map((r) => r.id));
      else expect(decoded, path).toBe(plain.body.toString());
    }
  });

  it('answers br to a client that takes br (preferred to gzip), decoding to the same bytes', async () => {
    const { brotliDecompressSync } = await import('node:zlib');
    for (const path of ['/docs/assets/swagger-ui-bundle.js', '/openapi.json']) {
      const plain = await raw(path);
      const br = await raw(path, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding'], path).toBe('br');
      expect(br.headers['vary']?.toLowerCase()).toContain('accept-encoding');
      expect(br.body.length, path).toBeLessThan(plain.body.length / 2);
      expect(brotliDecompressSync(br.body).toString(), path).toBe(plain.body.toString());
    }
  });

  it('never compresses a recording (its bytes and Range pass as the vendor sent them)', async () => {
    const runs = (await walk(client(gw.url, KEY, { cache: true }), 'limit=100')).runs;
    const withRecording = runs.find((r) => r.recording !== null);
    expect(withRecording).toBeDefined();
    const r = await raw(`/v1/runs/${withRecording!.id}/recording`, { 'accept-encoding': 'gzip', range: 'bytes=0-99' });
    expect([200, 206]).toContain(r.status);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.headers['content-type']).toMatch(/^(audio|video)\//);
  });
});

describe('ETag and 304', () => {
  it('a run, a group and a report answer 304 to their own ETag, and 200 with the body to another', async () => {
    const runs = (await walk(client(gw.url, KEY, { cache: true }), 'limit=100')).runs;
    const group = runs.find((r) => r.group_id !== null)!.group_id!;
    for (const path of [`/v1/runs/${runs.at(-1)!.id}`, `/v1/groups/${group}`, '/v1/reports/summary?group_by=provider', '/v1/reports/regressions']) {
      // a run can still change between two requests (a refresh gives a Sales Lab session its scorecard): then the
      // answer must be 200 with another body and another ETag, and the next pair is tried
      let matched = false;
      for (let attempt = 0; attempt < 5 && !matched; attempt++) {
        const first = await raw(path);
        expect(first.status, path).toBe(200);
        const tag = first.headers.etag;
        expect(tag, path).toMatch(/^(W\/)?"[0-9a-f-]+"$/);
        const again = await raw(path, { 'if-none-match': tag! });
        if (again.status === 200) {
          expect(again.body.toString(), path).not.toBe(first.body.toString());
          expect(again.headers.etag).not.toBe(tag);
          continue;
        }
        expect(again.status, path).toBe(304);
        expect(again.body.length).toBe(0);
        expect(again.headers.etag).toBe(tag);
        const other = await raw(path, { 'if-none-match': '"not-this-one"' });
        expect(other.status, path).toBe(200);
        matched = true;
      }
      expect(matched, `${path}: a 304 for an unchanged answer`).toBe(true);
    }
  });
});

describe('small conventions', () => {
  it('serves a favicon, and /docs/ as well as /docs', async () => {
    const icon = await raw('/favicon.ico');
    expect(icon.status).toBe(200);
    expect(icon.headers['content-type']).toBe('image/png');
    expect(icon.body.subarray(1, 4).toString()).toBe('PNG');
    const docs = await raw('/docs');
    const slash = await raw('/docs/');
    expect(slash.status).toBe(200);
    expect(slash.body.toString()).toBe(docs.body.toString());
    expect(docs.body.toString()).toContain('href="/favicon.ico"');
  });
});

describe('CORS', () => {
  it('allows nothing by default: no Access-Control-Allow-Origin, a preflight is not answered as one', async () => {
    const r = await raw('/v1/runs?limit=1', { origin: 'https://app.example' });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    const pre = await fetch(`${gw.url}/v1/runs`, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'GET' } });
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('with cors.origins: a preflight is answered without a key, a listed origin may read the answer and its headers, another may not', async () => {
    const g = await gatewayFor({ tenants: { t: { keys: [{ key: KEY, scopes: ['runs:read'] }], providers: { pathsim: set.providers.pathsim! } } }, providers: set.tuning, cors: { origins: ['https://app.example'] } });
    try {
      const pre = await fetch(`${g.url}/v1/runs`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization, cache-control' },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      const ok = await fetch(`${g.url}/v1/runs?limit=1`, { headers: { origin: 'https://app.example', authorization: `Bearer ${KEY}` } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(ok.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('x-request-id');
      const other = await fetch(`${g.url}/v1/runs?limit=1`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${KEY}` } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      // the key is still asked for on the request itself
      expect((await fetch(`${g.url}/v1/runs?limit=1`, { headers: { origin: 'https://app.example' } })).status).toBe(401);
    } finally {
      await g.close(100);
    }
  });
});
