/**
 * SigmaMind: the spec (auth, endpoints, pagination, limits, errors) as data, one listing source per
 * agent (config `agentIds`, else every agent of `GET /v1/agents`), the three-id detail fetch and
 * the batch runs as groups. Mapping lives in map.ts. Chat simulations: no recordings.
 */
import * as z from 'zod';
import type { Group, Run } from '../../schemas/run.js';
import type { RunFilter } from '../../schemas/query.js';
import type { Adapter, AdapterContext, ListSource, Pagination, VendorSpec } from '../../src/core/types.js';
import { asRecord, decodeKey, str } from '../_shared/parse.js';
import { mapBatch, mapTestRun, PROVIDER } from './map.js';
import { envelopeOf } from '../_shared/envelope.js';

export const spec: VendorSpec = {
  name: 'SigmaMind',
  defaultBaseUrl: 'https://api.sigmamind.ai',
  auth: { header: 'X-API-Key' },
  // the vendor publishes none: simgate's default
  limits: { perMinute: 120, concurrency: 5 },
  timeoutMs: 10_000,
  // Spring's body: {error, message, path, status, timestamp}
  errorMessage: (body) => {
    const b = asRecord(body);
    return str(b['message']) ?? str(b['error']) ?? undefined;
  },
};

const PAGE_SIZE = 100;
/** A guard against a vendor whose `hasNext` never ends (agents are walked outside the merge). */
const MAX_AGENT_PAGES = 100;

const PageEnvelope = z.object({ data: z.array(z.unknown()), hasNext: z.boolean() }).loose();
const AgentItem = z.object({ agentId: z.union([z.string().min(1), z.number()]) }).loose();
const Detail = z.record(z.string(), z.unknown());

const envelope = envelopeOf(PROVIDER, 'SigmaMind');


/** Zero-based pages of `size` items; the vendor's `hasNext` says whether there is more. */
const pagination = (what: string): Pagination => ({
  style: 'page',
  pageParam: 'page',
  sizeParam: 'size',
  firstPage: 0,
  size: PAGE_SIZE,
  hasMore: (body) => envelope(PageEnvelope, body, what).hasNext,
});

interface AgentRef {
  id: string;
  name: string | null;
}

/** The tenant's agents: config `agentIds`, else every page of GET /v1/agents. */
export async function agentsOf(ctx: AdapterContext): Promise<AgentRef[]> {
  if (ctx.cfg.agentIds?.length) return [...new Set(ctx.cfg.agentIds.map(String))].map((id) => ({ id, name: null }));
  const out = new Map<string, AgentRef>();
  for (let page = 0; page < MAX_AGENT_PAGES; page++) {
    const body = envelope(PageEnvelope, await ctx.http.json('/v1/agents', { page: String(page), size: String(PAGE_SIZE) }, { cache: 'meta' }), 'agents');
    for (const item of body.data) {
      const a = AgentItem.safeParse(item);
      if (!a.success) continue;
      const id = String(a.data.agentId);
      if (!out.has(id)) out.set(id, { id, name: str(a.data['agentName']) });
    }
    if (!body.hasNext || body.data.length === 0) break;
  }
  return [...out.values()];
}

/** Is this agent one of the tenant's? With config `agentIds` that list decides; otherwise the vendor credential does. */
const allowed = (ctx: AdapterContext, agentId: string): boolean => !ctx.cfg.agentIds?.length || ctx.cfg.agentIds.map(String).includes(agentId);

/** `sigmamind:<agentId>:<batchId>` → its two ids; null for anything else (no SigmaMind run or group can match it). */
export function parseGroupId(id: string): { agentId: string; batchId: string } | null {
  if (!id.startsWith(`${PROVIDER}:`)) return null;
  const k = decodeKey(id.slice(PROVIDER.length + 1), 2);
  return k ? { agentId: k[0]!, batchId: k[1]! } : null;
}

/**
 * Which agents' sources a filter needs and the vendor query for them. SigmaMind filters test runs
 * by `agentId` (a source per agent) and by `batchId`; both narrow to exactly the matching runs'
 * superset. Everything else is filtered by the gateway.
 */
export function pushdown(agents: AgentRef[], f: RunFilter): { agents: AgentRef[]; query: Record<string, string> } {
  let keep = agents;
  const query: Record<string, string> = {};
  if (f.agent_id !== undefined) keep = keep.filter((a) => a.id === f.agent_id);
  if (f.group_id !== undefined) {
    const g = parseGroupId(f.group_id);
    if (!g) return { agents: [], query };
    keep = keep.filter((a) => a.id === g.agentId);
    query['batchId'] = g.batchId;
  }
  return { agents: keep, query };
}

async function sources(ctx: AdapterContext, f: RunFilter): Promise<ListSource[]> {
  const { agents, query } = pushdown(await agentsOf(ctx), f);
  return agents.map(
    (a): ListSource<Run> => ({
      id: a.id,
      path: '/v1/test-runs',
      query: { agentId: a.id, ...query },
      pagination: pagination('test runs'),
      items: (body) => envelope(PageEnvelope, body, 'test runs').data,
      map: (item) => [mapTestRun(item, a.id, a.name)],
    }),
  );
}

async function groupSources(ctx: AdapterContext, f: RunFilter): Promise<ListSource<Group>[]> {
  let agents = await agentsOf(ctx);
  if (f.group_id !== undefined) {
    const g = parseGroupId(f.group_id);
    agents = g ? agents.filter((a) => a.id === g.agentId) : [];
  }
  return agents.map(
    (a): ListSource<Group> => ({
      id: a.id,
      path: '/v1/batch-runs',
      query: { agentId: a.id },
      pagination: pagination('batch runs'),
      items: (body) => envelope(PageEnvelope, body, 'batch runs').data,
      map: (item) => [mapBatch(item, a.id, a.name)],
    }),
  );
}

export const sigmamind: Adapter = {
  id: PROVIDER,
  spec,
  capabilities: {
    filters_pushed_down: ['agent_id', 'group_id'],
    has_transcripts: true,
    has_recordings: false,
    has_scores: false,
    has_groups: true,
  },
  sources,
  async getRun(ctx, key) {
    const k = decodeKey(key, 3);
    if (!k) return null;
    const [agentId, batchId, jobId] = k as [string, string, string];
    if (!allowed(ctx, agentId)) return null;
    const body = await ctx.http.json(`/v1/test-runs/${encodeURIComponent(jobId)}`, { batchId, agentId }, { allow404: true });
    if (body === null) return null;
    const run = mapTestRun(envelope(Detail, body, 'test run'), agentId);
    return { ...run, transcript: run.transcript ?? [] };
  },
  groups: {
    sources: groupSources,
    async get(ctx, key) {
      const k = decodeKey(key, 2);
      if (!k) return null;
      const [agentId, batchId] = k as [string, string];
      if (!allowed(ctx, agentId)) return null;
      const body = await ctx.http.json(`/v1/batch-runs/${encodeURIComponent(batchId)}`, { agentId }, { allow404: true });
      if (body === null) return null;
      return mapBatch(envelope(Detail, body, 'batch run'), agentId);
    },
  },
};
