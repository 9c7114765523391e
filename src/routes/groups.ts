/** GET /v1/groups, /v1/groups/{id}: batches of runs where the vendor has them. */
import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import type { App } from '../app.js';
import type { Gateway } from '../core/gateway.js';
import { Group, GroupList } from '../../schemas/run.js';
import { GroupsQuery, NoQuery, groupFilterOf } from '../../schemas/query.js';
import { errorResponses } from './runs.js';

const listRoute = createRoute({
  method: 'get',
  path: '/v1/groups',
  operationId: 'listGroups',
  tags: ['groups'],
  summary: 'Batches of runs (Synthflow simulation sessions, SigmaMind batch runs, Cekura results), merged, newest first',
  description:
    'Read from the run index, like /v1/runs: same pagination, cursor, freshness and partial-result envelope. Its filters: `provider`, `status`, `group_id`, ' +
    '`q` (group name), `from`/`to` (started_at). A group has no outcome, channel or agent of its own: `outcome`, `channel`, `agent_id` and `include` ' +
    'are unknown parameters here (400 `invalid_request`).',
  security: [{ gatewayKey: [] }],
  request: { query: GroupsQuery },
  responses: {
    200: { description: 'A page of groups', content: { 'application/json': { schema: GroupList } } },
    ...errorResponses(400, 401, 403, 429, 502, 503, 504),
  },
});

const oneRoute = createRoute({
  method: 'get',
  path: '/v1/groups/{id}',
  operationId: 'getGroup',
  tags: ['groups'],
  summary: 'One group with its counts and pass rate',
  security: [{ gatewayKey: [] }],
  request: { params: z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'cekura:4012' }) }), query: NoQuery },
  responses: {
    200: { description: 'The group', content: { 'application/json': { schema: z.object({ data: Group }) } } },
    ...errorResponses(400, 401, 403, 404, 429, 502, 503, 504),
  },
});

export function registerGroups(app: App, gateway: Gateway): void {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const page = await gateway.listGroups(c.get('principal').tenant, groupFilterOf(q), { limit: q.limit, cursor: q.cursor }, c.get('scope'));
    return c.json(page, 200);
  });
  app.openapi(oneRoute, async (c) => {
    const g = await gateway.details.getGroup(c.get('principal').tenant, c.req.valid('param').id, c.get('scope'));
    return c.json({ data: g }, 200);
  });
}
