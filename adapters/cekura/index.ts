/**
 * Cekura (evaluation-results API): the spec (auth, endpoints, pagination, limits, errors) as data,
 * one listing source per agent (config `agentIds`, else every agent of `GET /aiagents/`), the runs
 * of each result embedded in the result list, detail (`runs/bulk` + the result), recording, groups
 * (= results). Mapping lives in map.ts.
 *
 * Pushed down: `agent_id` (only that agent's source) and `group_id` (only that result, read through its
 * detail endpoint). Not `q`: the vendor's `search` looks at the result name, not at agent / scenario /
 * target. Groups also push `q` down as `search` (name terms: a superset of the substring match).
 */
import * as z from 'zod';
import type { RunFilter } from '../../schemas/query.js';
import type { Group } from '../../schemas/run.js';
import type { Adapter, AdapterContext, Listable, ListSource, Pagination, VendorSpec } from '../../src/core/types.js';
import { asRecord, decodeKey, str } from '../_shared/parse.js';
import { mapFull, mapGroup, mapResult, runEntries } from './map.js';
import { envelopeOf } from '../_shared/envelope.js';

const V1 = '/test_framework/v1';

export const spec: VendorSpec = {
  name: 'Cekura',
  defaultBaseUrl: 'https://api.cekura.ai',
  auth: { header: 'X-CEKURA-API-KEY' },
  // the vendor publishes per-plan limits without numbers: simgate's decided defaults
  limits: { perMinute: 120, concurrency: 5 },
  timeoutMs: 10_000,
  errorMessage: (body) => str(asRecord(body)['detail']) ?? undefined,
};

const DrfPage = z.object({ next: z.string().nullable(), results: z.array(z.unknown()) }).loose();
const Agents = z.object({ next: z.string().nullable(), results: z.array(z.object({ id: z.union([z.number().int(), z.string()]) }).loose()) }).loose();
const Detail = z.object({ id: z.union([z.number(), z.string()]) }).loose();
const Bulk = z.array(z.unknown());

const envelope = envelopeOf('cekura', 'Cekura');


const PAGE_SIZE = 100;
const MAX_AGENT_PAGES = 50;
const isId = (s: string): boolean => /^\d{1,18}$/.test(s) && String(Number(s)) === s;

/** DRF page numbers from 1; more ⇔ `next` is not null. */
const drf: Pagination = {
  style: 'page',
  pageParam: 'page',
  sizeParam: 'page_size',
  firstPage: 1,
  size: PAGE_SIZE,
  hasMore: (body) => envelope(DrfPage, body, 'results page').next !== null,
};
/** A result detail is one page with everything (DRF ignores the page parameters on a detail path). */
const single: Pagination = { ...drf, hasMore: () => false };

/** The tenant's agents: config `agentIds`, else every agent the key sees (DRF pages of `/aiagents/`). */
async function agentIds(ctx: AdapterContext): Promise<string[]> {
  const configured = ctx.cfg.agentIds?.map(String);
  if (configured?.length) {
    const bad = configured.filter((a) => !isId(a));
    if (bad.length) ctx.log.log('warn', 'cekura agentIds that are not integers are left out', { count: bad.length });
    return [...new Set(configured.filter(isId))];
  }
  const ids: string[] = [];
  for (let page = 1; page <= MAX_AGENT_PAGES; page++) {
    const body = envelope(Agents, await ctx.http.json(`${V1}/aiagents/`, { page: String(page), page_size: String(PAGE_SIZE) }, { cache: 'meta' }), 'agents');
    ids.push(...body.results.map((a) => String(a.id)).filter(isId));
    if (body.next === null || body.results.length === 0) break;
  }
  return [...new Set(ids)];
}

/** The result id inside a unified group id (`cekura:<result id>`), or null. */
export function resultOfGroup(groupId: string): string | null {
  if (!groupId.startsWith('cekura:')) return null;
  const id = decodeKey(groupId.slice('cekura:'.length), 1)?.[0];
  return id !== undefined && isId(id) ? id : null;
}

/**
 * The sources of a walk (runs or groups). With `group_id`: that result's detail alone (none when it does
 * not exist, belongs to another agent than `agent_id`, or to an agent outside the configured ones).
 */
async function sourcesFor<T extends Listable>(
  ctx: AdapterContext,
  f: RunFilter,
  map: (item: unknown) => T[],
  extra: Record<string, string>,
): Promise<ListSource<T>[]> {
  if (f.group_id !== undefined) {
    const id = resultOfGroup(f.group_id);
    if (!id) return [];
    const body = await ctx.http.json(`${V1}/results/${id}/`, {}, { allow404: true });
    if (body === null) return [];
    const agent = str(envelope(Detail, body, 'result')['agent']);
    if (f.agent_id !== undefined && agent !== f.agent_id) return [];
    const configured = ctx.cfg.agentIds?.map(String);
    if (configured?.length && (agent === null || !configured.includes(agent))) return [];
    return [{
      id: `result:${id}`,
      path: `${V1}/results/${id}/`,
      query: {},
      pagination: single,
      items: (b) => [envelope(Detail, b, 'result')],
      map,
    }];
  }
  let agents = await agentIds(ctx);
  if (f.agent_id !== undefined) agents = agents.filter((a) => a === f.agent_id);
  return agents.map((a) => ({
    id: `agent:${a}`,
    path: `${V1}/results/`,
    query: { agent_id: a, ...extra },
    pagination: drf,
    items: (b) => envelope(DrfPage, b, 'results page').results,
    map,
  }));
}

/** Run key = [result id, run id], both integers. */
function runKey(key: string): { result: string; run: string } | null {
  const parts = decodeKey(key, 2);
  return parts && isId(parts[0]!) && isId(parts[1]!) ? { result: parts[0]!, run: parts[1]! } : null;
}

/** The run from runs/bulk (it names its result: another result's run is not this key's). */
async function bulkRun(ctx: AdapterContext, k: { result: string; run: string }): Promise<Record<string, unknown> | null> {
  const body = await ctx.http.json(`${V1}/runs/bulk/`, { run_ids: k.run }, { allow404: true });
  if (body === null) return null;
  const hit = envelope(Bulk, body, 'runs/bulk').map(asRecord).find((r) => str(r['id']) === k.run);
  if (!hit) return null;
  const owner = str(hit['result_id']);
  return owner === null || owner === k.result ? hit : null;
}

export const cekura: Adapter = {
  id: 'cekura',
  spec,
  capabilities: {
    filters_pushed_down: ['agent_id', 'group_id'],
    has_transcripts: true,
    has_recordings: true,
    has_scores: true,
    has_groups: true,
  },
  sources: (ctx, f) => sourcesFor(ctx, f, mapResult, {}),
  async getRun(ctx, key) {
    const k = runKey(key);
    if (!k) return null;
    const [detail, full] = await Promise.all([ctx.http.json(`${V1}/results/${k.result}/`, {}, { allow404: true }), bulkRun(ctx, k)]);
    const result = detail === null ? null : envelope(Detail, detail, 'result');
    const summary = result ? (runEntries(result['runs']).find(([id]) => id === k.run)?.[1] ?? null) : null;
    if (!summary && !full) return null;
    return mapFull(result ?? {}, summary, full);
  },
  async recording(ctx, key, range) {
    const k = runKey(key);
    if (!k) return null;
    const url = str((await bulkRun(ctx, k))?.['voice_recording_url']);
    if (!url) return null;
    // an absolute (often presigned) file URL; the credential goes only to the vendor's own origin
    return ctx.http.file(url, {}, range);
  },
  groups: {
    sources: (ctx, f) => sourcesFor<Group>(ctx, f, (item) => [mapGroup(item)], f.q !== undefined ? { search: f.q } : {}),
    async get(ctx, key) {
      const id = decodeKey(key, 1)?.[0];
      if (id === undefined || !isId(id)) return null;
      const body = await ctx.http.json(`${V1}/results/${id}/`, {}, { allow404: true });
      return body === null ? null : mapGroup(envelope(Detail, body, 'result'));
    },
  },
};
