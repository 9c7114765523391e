/** GET /v1/runs, /v1/runs/{id}, /v1/runs/{id}/recording. */
import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import type { App } from '../app.js';
import type { Gateway } from '../core/gateway.js';
import { etagOf, matchesTag } from '../core/etag.js';
import { ErrorEnvelope, Run, RunList } from '../../schemas/run.js';
import { NoQuery, RunQuery, RunsQuery, filterOf } from '../../schemas/query.js';

export const errorResponses = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [c, { description: ERROR_TEXT[c] ?? 'Error', content: { 'application/json': { schema: ErrorEnvelope } } }]),
  );

const ERROR_TEXT: Record<number, string> = {
  400: '`invalid_request` (details name the parameter) or `invalid_cursor`',
  401: '`unauthorized`: missing or unknown gateway key',
  403: '`forbidden`: the key lacks the scope',
  404: '`not_found`: malformed id, unknown provider, another tenant\'s run, or no such run',
  405: '`method_not_allowed`, with `Allow`',
  416: '`range_not_satisfiable`, with `Content-Range: bytes */<size>`: the Range asks for no byte of the recording',
  429: '`rate_limited`, with Retry-After: the key\'s own limit, or the vendor\'s budget cannot serve the call before the deadline',
  502: '`provider_error`: every requested provider failed',
  503: '`provider_unavailable`',
  504: '`provider_timeout`',
};

const IdParam = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'pathsim:68963b44e7b3ba1e58b7c60a' }),
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/runs',
  operationId: 'listRuns',
  tags: ['runs'],
  summary: 'Runs of all the tenant\'s providers, merged, newest started_at first',
  description:
    'Read from the run index (each vendor list synced once; see docs/run-index.md). Following `next_cursor` until it is null returns every matching run ' +
    'exactly once, across ties of `started_at` and while vendors add runs at the head. A cursor only continues the query (filters) and tenant that made it. ' +
    'Each provider says `fresh_as_of`, `index` (`ready` / `backfilling` with `oldest`) and, when a head sync it needed failed, `sync_error`. ' +
    'No request waits longer than `requestTimeoutMs`: a provider that cannot give its part in time carries `provider_timeout`, `partial` is true and its ' +
    'runs come on later pages. `Cache-Control: no-cache` re-syncs the head of each vendor list first. Only when every requested provider fails is the answer an error.',
  security: [{ gatewayKey: [] }],
  request: { query: RunsQuery },
  responses: {
    200: { description: 'A page of runs', content: { 'application/json': { schema: RunList } } },
    ...errorResponses(400, 401, 403, 429, 502, 503, 504),
  },
});

const oneRoute = createRoute({
  method: 'get',
  path: '/v1/runs/{id}',
  operationId: 'getRun',
  tags: ['runs'],
  summary: 'One run in full (transcript and evaluations included)',
  description:
    'A finished run comes from the cache; `Cache-Control: no-cache` fetches a run that can still change. Not served within `requestTimeoutMs`: ' +
    '504 `provider_timeout`, or 429 `rate_limited` with `Retry-After` when the vendor\'s rate limit holds it back.',
  security: [{ gatewayKey: [] }],
  request: { params: IdParam, query: RunQuery },
  responses: {
    200: { description: 'The run', content: { 'application/json': { schema: z.object({ data: Run }) } } },
    ...errorResponses(400, 401, 403, 404, 429, 502, 503, 504),
  },
});

const recordingRoute = createRoute({
  method: 'get',
  path: '/v1/runs/{id}/recording',
  operationId: 'getRunRecording',
  tags: ['runs'],
  summary: "The run's recording, streamed from the vendor with the vendor's credentials",
  description: 'Content type passed on; `Range` honoured where the vendor honours it (206 with Content-Range).',
  security: [{ gatewayKey: [] }],
  request: { params: IdParam, query: NoQuery },
  responses: {
    200: { description: 'The recording', content: { 'audio/wav': { schema: z.any() }, 'video/mp4': { schema: z.any() } } },
    206: { description: 'Part of the recording (Range)' },
    ...errorResponses(400, 401, 403, 404, 416, 429, 502, 503, 504),
  },
});

export function registerRuns(app: App, gateway: Gateway): void {
  app.openapi(listRoute, async (c) => {
    const q = c.req.valid('query');
    const page = await gateway.listRuns(c.get('principal').tenant, filterOf(q), { limit: q.limit, cursor: q.cursor, include: q.include ?? [] }, c.get('scope'));
    return c.json(page, 200);
  });

  app.openapi(oneRoute, async (c) => {
    const { id } = c.req.valid('param');
    const body = await gateway.details.getRunJson(c.get('principal').tenant, id, c.req.valid('query').include ?? [], c.get('scope'));
    // its own ETag, from the text (memoized for a finished run): no hashing of the answer as a stream
    const tag = etagOf(body);
    if (matchesTag(c.req.header('if-none-match'), tag)) return c.body(null, 304, { ETag: tag }) as never;
    return c.body(body, 200, { 'Content-Type': 'application/json', ETag: tag }) as never;
  });

  app.openapi(recordingRoute, async (c) => {
    const { id } = c.req.valid('param');
    const res = await gateway.details.recording(c.get('principal').tenant, id, c.req.header('range'), c.get('scope'));
    return res as never;
  });
}
