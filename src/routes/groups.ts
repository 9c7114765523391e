/** GET /v1/groups, /v1/groups/{id}: batches of runs where the vendor has them. */
import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../app.js';
import type { Gateway } from '../core/gateway.js';
import { Group, GroupList } from '../../schemas/run.js';
import { RunsQuery, filterOf } from '../../schemas/query.js';
import { errorResponses } from './runs.js';

const listRoute = createRoute({
  method: 'get',
  path: '/v1/groups',
  summary: 'Batches of runs (Synthflow simulation sessions, SigmaMind batch runs, Cekura results), merged, newest first',
  description:
    'Read from the run index, like /v1/runs: same pagination, cursor, freshness and partial-result envelope. Filters that apply to groups: `provider`, `status`, `group_id`, ' +
    '`q` (group name), `from`/`to` (started_at); run-only filters (`outcome`, `channel`, `agent_id`) and `include` are ignored.',
  security: [{ gatewayKey: [] }],
  request: { query: RunsQuery },
  responses: {
    200: { description: 'A page of groups', content: { 'application/json': { schema: GroupList } } },
    ...errorResponses(400, 401, 403, 429, 502, 503, 504),
  },
});

const oneRoute = createRoute({
  method: 'get',
  path: '/v1/groups/{id}',
  summary: 'One group with its counts and pass rate',
  security: [{ gatewayKey: [] }],
  request: { params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'cekura:4012' }) }) },
  responses: {
    200: { description: 'The group', content: { 'application/json': { schema: z.object({ data: Group }) } } },
    ...errorResponses(401, 403, 404, 429, 502, 503, 504),
  },
});

export function registerGroups(app: App, gateway: Gateway): void {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const f = filterOf(q);
    const page = await gateway.listGroups(c.get('principal').tenant, { ...f, outcome: undefined, channel: undefined, agent_id: undefined }, { limit: q.limit, cursor: q.cursor }, c.get('scope'));
    return c.json(page, 200);
  });
  app.openapi(oneRoute, async (c) => {
    const g = await gateway.details.getGroup(c.get('principal').tenant, c.req.valid('param').id, c.get('scope'));
    return c.json({ data: g }, 200);
  });
}
