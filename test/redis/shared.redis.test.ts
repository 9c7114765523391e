/**
 * Several instances behind one Redis: two gateway processes share the vendors' budgets (the
 * simulators count violations), cached data never crosses tenants, and a Redis outage degrades
 * to local state and recovers by itself. Real redis-server, real processes, real simulators.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPathsimSimulator, type PathsimSimulator } from '../../adapters/pathsim/simulator.js';
import { startSaleslabSimulator, type SaleslabSimulator } from '../../adapters/saleslab/simulator.js';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/core/log.js';
import { startGateway } from '../../src/server.js';
import type { RunList } from '../../schemas/run.js';
import { client, drive } from '../helpers.js';
import { gatewayProcess, redisServer, type RedisServer } from './harness.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await redisServer();
});
afterAll(async () => redis?.stop());

/** Sends `paths` through `url`, `concurrency` at a time, without the cache; returns the statuses. */
const driveAt = (url: string, key: string, paths: string[], concurrency = 6): Promise<number[]> => drive(client(url, key), paths, concurrency);

describe('two gateway processes sharing Redis', () => {
  it("never exceed PathSim's rate and concurrency limits together", async () => {
    // PathSim's 100/min and 10 concurrent, scaled down in time so the limit binds within seconds
    const sim: PathsimSimulator = await startPathsimSimulator({ seed: 11, limits: { perWindow: 20, windowMs: 3000, concurrency: 4 }, latencyMs: 150 });
    const config: Config = {
      tenants: { t: { keys: [{ key: 'shared-key-01', scopes: ['runs:read'] }], providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } } },
      providers: { pathsim: { rateLimit: { perMinute: 20, windowMs: 3000, concurrency: 4 }, timeoutMs: 30_000 } },
      cursorSecret: 'shared-cursor-secret',
    };
    const [a, b] = await Promise.all([gatewayProcess(config, { REDIS_URL: redis.url }), gatewayProcess(config, { REDIS_URL: redis.url })]);
    try {
      const ids = sim.sessions().slice(0, 48).map((s) => `/v1/runs/pathsim:${s.row._id}`);
      const [sa, sb] = await Promise.all([driveAt(a.url, 'shared-key-01', ids.slice(0, 24)), driveAt(b.url, 'shared-key-01', ids.slice(24))]);
      expect([...sa, ...sb].every((s) => s === 200)).toBe(true);
      expect(sim.server.count('/sessions/')).toBe(48);
      expect(sim.server.stats.violations).toBe(0);
      expect(sim.server.stats.maxInFlight).toBeLessThanOrEqual(4);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await sim.close();
    }
  });

  it("never exceed Sales Lab's per-token rate (no rate headers, no Retry-After)", async () => {
    const sim: SaleslabSimulator = await startSaleslabSimulator({ seed: 12, limits: { perWindow: 10, windowMs: 3000 } });
    const config: Config = {
      tenants: { t: { keys: [{ key: 'shared-key-02', scopes: ['runs:read'] }], providers: { saleslab: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } } },
      providers: { saleslab: { rateLimit: { perMinute: 10, windowMs: 3000 }, timeoutMs: 30_000 } },
    };
    const [a, b] = await Promise.all([gatewayProcess(config, { REDIS_URL: redis.url }), gatewayProcess(config, { REDIS_URL: redis.url })]);
    try {
      const ids = sim.sessions().filter((s) => s.session.status === 'scored').slice(0, 14).map((s) => `/v1/runs/saleslab:${s.session.id}`);
      const [sa, sb] = await Promise.all([driveAt(a.url, 'shared-key-02', ids.slice(0, 7), 3), driveAt(b.url, 'shared-key-02', ids.slice(7), 3)]);
      expect([...sa, ...sb].every((s) => s === 200)).toBe(true);
      expect(sim.server.stats.requests).toBeGreaterThan(20);
      expect(sim.server.stats.violations).toBe(0);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await sim.close();
    }
  });
});

describe('cache isolation through Redis', () => {
  it("tenant A's cached data never reaches tenant B", async () => {
    const sim = await startPathsimSimulator({ seed: 13, limits: { perWindow: 100_000 } });
    const r = redis.client();
    await r.flushdb();
    const gw = await startGateway({
      config: {
        tenants: {
          a: { keys: [{ key: 'tenant-a-key', scopes: ['runs:read'] }], providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } },
          // same vendor credential: sees the same vendor data, but through its own cache entries
          b: { keys: [{ key: 'tenant-b-key', scopes: ['runs:read'] }], providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } },
          // a credential the vendor rejects: A's cached pages must not answer for it
          c: { keys: [{ key: 'tenant-c-key', scopes: ['runs:read'] }], providers: { pathsim: { apiKey: 'not-the-vendor-key', baseUrl: sim.baseUrl } } },
        },
        providers: { pathsim: { rateLimit: { perMinute: 100_000, concurrency: 10 } } },
      },
      redisUrl: redis.url,
      log: silentLogger,
    });
    try {
      const a = client(gw.url, 'tenant-a-key', { cache: true });
      const first = await a.json<RunList>('/v1/runs?limit=20');
      const again = await a.json<RunList>('/v1/runs?limit=20');
      expect(first.body.providers['pathsim']!.cache).toBe('miss');
      expect(again.body.providers['pathsim']!.cache).toBe('hit');
      const b = await client(gw.url, 'tenant-b-key', { cache: true }).json<RunList>('/v1/runs?limit=20');
      expect(b.body.providers['pathsim']!.cache).toBe('miss');
      const c = await client(gw.url, 'tenant-c-key', { cache: true }).json<{ error: { code: string } }>('/v1/runs?limit=20');
      expect(c.status).toBe(502);
      expect(c.body.error.code).toBe('provider_error');
      const keys = await r.keys('simgate:c:*');
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.every((k) => /\|(a|b)\|pathsim\|[0-9a-f]{16}\|/.test(k))).toBe(true);
      expect(keys.some((k) => k.includes(sim.apiKey))).toBe(false);
    } finally {
      r.disconnect();
      await gw.close(100);
      await sim.close();
    }
  });
});

describe('Redis outage', () => {
  it('keeps serving without Redis, says so in /readyz, and recovers when Redis returns', async () => {
    const sim = await startPathsimSimulator({ seed: 14, limits: { perWindow: 100_000 } });
    const gw = await startGateway({
      config: {
        tenants: { t: { keys: [{ key: 'outage-key-1', scopes: ['runs:read'] }], providers: { pathsim: { apiKey: sim.apiKey, baseUrl: sim.baseUrl } } } },
        providers: { pathsim: { rateLimit: { perMinute: 100_000, concurrency: 10 } } },
      },
      redisUrl: redis.url,
      log: silentLogger,
    });
    const c = client(gw.url, 'outage-key-1', { cache: true });
    try {
      expect((await c.get('/readyz', null)).status).toBe(200);
      expect((await c.json('/v1/runs?limit=10')).status).toBe(200);

      await redis.stop();
      for (let i = 0; i < 5; i++) {
        const r = await c.json<RunList>(`/v1/runs?limit=10&q=${'abcde'[i]}`);
        expect(r.status).toBe(200);
      }
      const run = sim.sessions()[3]!;
      expect((await c.json(`/v1/runs/pathsim:${run.row._id}`)).status).toBe(200);
      const notReady = await c.json<{ data: { status: string; checks: { redis: { ok: boolean; message: string } } } }>('/readyz', null);
      expect(notReady.status).toBe(503);
      expect(notReady.body.data.checks.redis.ok).toBe(false);

      await redis.start();
      let ready = 0;
      for (let i = 0; i < 60 && ready !== 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        ready = (await c.get('/readyz', null)).status;
      }
      expect(ready).toBe(200);
      const fresh = redis.client();
      expect((await c.json('/v1/runs?limit=10&q=z')).status).toBe(200);
      expect(await fresh.dbsize()).toBeGreaterThan(0);
      fresh.disconnect();
    } finally {
      await gw.close(100);
      await sim.close();
    }
  });
});
