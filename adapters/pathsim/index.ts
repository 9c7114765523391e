/**
 * PathSim: the spec (auth, endpoints, pagination, limits, errors) as data, the sources of
 * a runs walk (every workspace), detail and recording. Mapping lives in map.ts.
 */
import * as z from 'zod';
import type { RunFilter } from '../../schemas/query.js';
import type { Adapter, AdapterContext, ListSource, VendorSpec } from '../../src/core/types.js';
import { asRecord, decodeKey, str } from '../_shared/parse.js';
import { mapDetail, mapRow } from './map.js';
import { envelopeOf } from '../_shared/envelope.js';

export const spec: VendorSpec = {
  name: 'PathSim',
  defaultBaseUrl: 'https://api.pathsim.com/v1',
  auth: { header: 'Authorization', scheme: 'Bearer' },
  limits: { perMinute: 100, concurrency: 10 },
  timeoutMs: 10_000,
  errorMessage: (body) => str(asRecord(asRecord(body)['error'])['message']) ?? undefined,
};

const ListEnvelope = z.object({
  success: z.literal(true),
  data: z.array(z.unknown()),
  pagination: z.object({ hasMore: z.boolean() }).loose(),
});
const Workspaces = z.object({ success: z.literal(true), data: z.array(z.object({ id: z.string().min(1) }).loose()) });
const Detail = z.object({ success: z.literal(true), data: z.record(z.string(), z.unknown()) });

const envelope = envelopeOf('pathsim', 'PathSim');

const MINUTE = 60_000;
const floorMinute = (t: number): number => t - (t % MINUTE);

/** Filters PathSim can apply itself. Each goes down only where it narrows to a superset of the answer. */
export function pushdown(f: RunFilter): Record<string, string> {
  const q: Record<string, string> = { sort: '-created_at' };
  if (f.channel?.length === 1 && (f.channel[0] === 'voice' || f.channel[0] === 'web')) q['type'] = f.channel[0];
  if (f.outcome?.length === 1 && f.outcome[0] !== 'none') q['objective'] = f.outcome[0] === 'passed' ? 'achieved' : 'not_achieved';
  if (f.status?.length === 1) {
    const s = f.status[0];
    if (s === 'running') q['connected'] = 'in_progress';
    else if (s === 'completed' || s === 'evaluating') q['connected'] = 'connected';
  }
  if (f.q) q['search'] = f.q;
  // Time is the minute floor of PathSim's exact created_at: widen to whole minutes (the gateway filters exactly after)
  if (f.from !== undefined) q['created_from'] = new Date(floorMinute(f.from)).toISOString();
  if (f.to !== undefined) q['created_to'] = new Date(floorMinute(f.to - 1) + MINUTE).toISOString();
  return q;
}

async function sources(ctx: AdapterContext, f: RunFilter): Promise<ListSource[]> {
  const ws = envelope(Workspaces, await ctx.http.json('/workspaces', {}, { cache: 'meta' }), 'workspaces');
  const query = pushdown(f);
  return ws.data.map(
    (w): ListSource => ({
      id: w.id,
      path: `/workspaces/${encodeURIComponent(w.id)}/sessions`,
      query,
      pagination: {
        style: 'offset',
        offsetParam: 'offset',
        limitParam: 'limit',
        size: 100,
        hasMore: (body) => envelope(ListEnvelope, body, 'sessions').pagination.hasMore,
      },
      items: (body) => envelope(ListEnvelope, body, 'sessions').data,
      map: (item) => [mapRow(item)],

    }),
  );
}

/** The session id inside a run id's native key, or null. */
const sessionId = (key: string): string | null => decodeKey(key, 1)?.[0] ?? null;

export const pathsim: Adapter = {
  id: 'pathsim',
  spec,
  capabilities: {
    filters_pushed_down: ['channel', 'status', 'outcome', 'q', 'from', 'to'],
    has_transcripts: true,
    has_recordings: true,
    has_scores: false,
    has_groups: false,
  },
  sources,
  async getRun(ctx, key) {
    const native = sessionId(key);
    if (!native) return null;
    const body = await ctx.http.json(`/sessions/${encodeURIComponent(native)}`, {}, { allow404: true });
    if (body === null) return null;
    return mapDetail(envelope(Detail, body, 'session').data);
  },
  async recording(ctx, key, range) {
    const native = sessionId(key);
    if (!native) return null;
    return ctx.http.file(`/sessions/${encodeURIComponent(native)}/recording`, { download: 'true' }, range);
  },
};
