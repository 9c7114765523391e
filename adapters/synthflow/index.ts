/**
 * Synthflow: the spec (auth, endpoints, pagination, limits, errors) as data, the runs walk
 * (`GET /simulations`, one source), the groups walk (`GET /simulations/sessions`), detail and
 * recording. Mapping lives in map.ts.
 */
import * as z from 'zod';
import type { RunFilter } from '../../schemas/query.js';
import type { Group, Status } from '../../schemas/run.js';
import type { Adapter, AdapterContext, Listable, ListSource, Pagination, VendorSpec } from '../../src/core/types.js';
import { asRecord, decodeKey, str } from '../_shared/parse.js';
import { mapSession, mapSimulation, STATUS_QUERY } from './map.js';
import { envelopeOf } from '../_shared/envelope.js';

export const spec: VendorSpec = {
  name: 'Synthflow',
  defaultBaseUrl: 'https://api.synthflow.ai/v2',
  auth: { header: 'Authorization', scheme: 'Bearer' },
  // the vendor publishes none: simgate's decided defaults
  limits: { perMinute: 120, concurrency: 5 },
  timeoutMs: 10_000,
  errorMessage: (body) => {
    const detail = asRecord(body)['detail'];
    if (typeof detail === 'string') return detail;
    if (Array.isArray(detail)) return str(asRecord(detail[0])['msg']) ?? undefined;
    return str(asRecord(detail)['description']) ?? str(asRecord(body)['message']) ?? undefined;
  },
};

const count = z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]);
const ListEnvelope = z.object({
  status: z.literal('ok'),
  response: z.object({
    pagination: z.object({ total_records: count, offset: count.optional() }).loose(),
    items: z.array(z.unknown()),
  }),
});
const Detail = z.object({ status: z.literal('ok'), response: z.record(z.string(), z.unknown()) });

const envelope = envelopeOf('synthflow', 'Synthflow');

const PAGE_SIZE = 100;
/** Page style from 1; more ⇔ offset + items < total_records (offset from the page number when the vendor omits it). */
const pagination = (what: string): Pagination => ({
  style: 'page',
  pageParam: 'page_number',
  sizeParam: 'page_size',
  firstPage: 1,
  size: PAGE_SIZE,
  hasMore: (body, page) => {
    const { pagination: p, items } = envelope(ListEnvelope, body, what).response;
    return (p.offset ?? (page - 1) * PAGE_SIZE) + items.length < p.total_records;
  },
});

/** Synthflow ids are UUIDs (the API answers 422 to anything else): a key that is not one names no run. */
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
/** The native id inside `synthflow:<key>` (runs and groups), or null. */
function nativeOf(key: string): string | null {
  const id = decodeKey(key, 1)?.[0];
  return id && UUID.test(id) ? id : null;
}

const SEC = 1000;
/** from/to widened to whole seconds (created_at has second precision; the vendor's bounds are inclusive). */
function window(f: RunFilter): Record<string, string> {
  const q: Record<string, string> = {};
  const isoSec = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (f.from !== undefined) q['start_date'] = isoSec(Math.floor(f.from / SEC) * SEC);
  if (f.to !== undefined) q['end_date'] = isoSec(Math.ceil(f.to / SEC) * SEC);
  return q;
}

/**
 * Filters Synthflow can apply itself, each only where its answer is a superset of the exact one.
 * null when no Synthflow run can match (a group id of another provider, a channel other than voice).
 */
export function pushdown(f: RunFilter): Record<string, string> | null {
  if (f.channel && !f.channel.includes('voice')) return null;
  const q = window(f);
  if (f.status?.length) {
    const vendor = new Set(f.status.map((s) => STATUS_QUERY[s as Status]));
    const [only] = vendor;
    if (vendor.size === 1 && only !== undefined) q['status'] = only;
  }
  if (f.agent_id !== undefined) q['target_agent_id'] = f.agent_id;
  if (f.group_id !== undefined) {
    if (!f.group_id.startsWith('synthflow:')) return null;
    const session = decodeKey(f.group_id.slice('synthflow:'.length), 1)?.[0];
    if (session === undefined) return null;
    // the vendor refuses a session id that is not a UUID: such a group is then found by the gateway's own filter
    if (UUID.test(session)) q['simulation_session_id'] = session;
  }
  return q;
}

function source<T extends Listable>(id: string, path: string, query: Record<string, string>, map: (item: unknown) => T[]): ListSource<T> {
  return { id, path, query, pagination: pagination(id), items: (body) => envelope(ListEnvelope, body, id).response.items, map };
}

async function sources(_ctx: AdapterContext, f: RunFilter): Promise<ListSource[]> {
  const query = pushdown(f);
  return query ? [source('simulations', '/simulations', query, (item) => [mapSimulation(item)])] : [];
}

async function groupSources(_ctx: AdapterContext, f: RunFilter): Promise<ListSource<Group>[]> {
  if (f.group_id !== undefined && !f.group_id.startsWith('synthflow:')) return [];
  return [source<Group>('sessions', '/simulations/sessions', window(f), (item) => [mapSession(item)])];
}


async function detail(ctx: AdapterContext, path: string, what: string): Promise<Record<string, unknown> | null> {
  const body = await ctx.http.json(path, {}, { allow404: true });
  return body === null ? null : envelope(Detail, body, what).response;
}

export const synthflow: Adapter = {
  id: 'synthflow',
  spec,
  capabilities: {
    filters_pushed_down: ['status', 'agent_id', 'group_id', 'from', 'to'],
    has_transcripts: true,
    has_recordings: true,
    has_scores: false,
    has_groups: true,
  },
  sources,
  async getRun(ctx, key) {
    const id = nativeOf(key);
    if (!id) return null;
    const sim = await detail(ctx, `/simulations/${encodeURIComponent(id)}`, 'simulation');
    return sim ? mapSimulation(sim) : null;
  },
  async recording(ctx, key, range) {
    const id = nativeOf(key);
    if (!id) return null;
    const sim = await detail(ctx, `/simulations/${encodeURIComponent(id)}`, 'simulation');
    const url = str(sim?.['recording_url']);
    if (!url || !/^https?:\/\//i.test(url)) return null;
    // recording_url is absolute, on the vendor's storage; the credential goes only to the vendor's own origin
    return ctx.http.file(url, {}, range, 'audio/wav');
  },
  groups: {
    sources: groupSources,
    async get(ctx, key) {
      const id = nativeOf(key);
      if (!id) return null;
      const session = await detail(ctx, `/simulations/session/${encodeURIComponent(id)}`, 'session');
      return session ? mapSession(session) : null;
    },
  },
};
