/** GET /v1/providers: each of the tenant's providers with capabilities, health, rate limit and run index. */
import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import type { App } from '../app.js';
import type { Gateway } from '../core/gateway.js';
import { ProviderInfo } from '../../schemas/run.js';
import { NoQuery } from '../../schemas/query.js';
import { errorResponses } from './runs.js';

const route = createRoute({
  method: 'get',
  path: '/v1/providers',
  operationId: 'listProviders',
  tags: ['providers'],
  summary: "The tenant's providers: capabilities (which filters go down to the vendor), health, rate limit, run index",
  security: [{ gatewayKey: [] }],
  request: { query: NoQuery },
  responses: {
    200: { description: 'Providers', content: { 'application/json': { schema: z.object({ data: z.array(ProviderInfo) }) } } },
    ...errorResponses(400, 401, 403),
  },
});

export function registerProviders(app: App, gateway: Gateway): void {
  app.openapi(route, async (c) => {
    const tenant = c.get('principal').tenant;
    const data = await Promise.all(
      gateway.providersOf(tenant).map(async (p): Promise<ProviderInfo> => {
        const a = gateway.adapter(p);
        const h = gateway.health.get(p);
        const limits = gateway.limitsOf(p);
        const tp = gateway.deps.config.tenants[tenant]!.providers[p]!;
        const key = gateway.limiterKey(p, await gateway.fingerprint(tp.apiKey));
        const breaker = gateway.breakerState(tenant, p);
        const state = breaker === 'open' ? 'down' : !h || h.consecutiveFailures === 0 ? 'ok' : h.consecutiveFailures >= 3 ? 'down' : 'degraded';
        return {
          id: p,
          name: a.spec.name,
          capabilities: a.capabilities,
          health: {
            state,
            breaker,
            last_success_at: h?.lastSuccessAt ? new Date(h.lastSuccessAt).toISOString() : null,
            last_error: h?.lastError ?? null,
          },
          rate_limit: { per_minute: limits.perMinute, concurrency: limits.concurrency, queued: gateway.deps.limiter.queued(key) },
          index: gateway.index ? await gateway.index.summary(tenant, p) : { state: 'disabled', runs: 0, oldest: null, fresh_as_of: null },
        };
      }),
    );
    return c.json({ data }, 200);
  });
}
