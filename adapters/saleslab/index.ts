/**
 * Sales Lab (the scorecard API): the spec (auth, endpoints, pagination, limits, errors) as data,
 * the runs walk (the sessions list, each page joined with its scorecards), and the detail.
 * No groups and no recordings: the vendor has neither. Mapping lives in map.ts.
 *
 * Upstream cost (60 requests/min per token): every list request of the gateway costs /users and
 * /scenarios once, each vendor page read one /sessions call plus one /scorecards call per `scored`
 * session on it (memoised within the request, so the tie rows an inclusive cursor repeats are not
 * fetched twice). The core joins a whole vendor page each time a gateway page resumes inside it, so
 * a full walk of the simulator's 180 sessions (115 scored) costs 238 calls at limit=100, 363 at
 * limit=37 and 1222 at limit=10 (≈ 4, 6 and 20 minutes of the vendor's budget).
 * A detail costs /sessions/{id} + its scorecard + /users + /scenarios.
 */
import * as z from 'zod';
import type { RunFilter } from '../../schemas/query.js';
import type { Run } from '../../schemas/run.js';
import type { Adapter, AdapterContext, ListSource, VendorSpec } from '../../src/core/types.js';
import { asRecord, decodeKey, str } from '../_shared/parse.js';
import { DEFAULT_PASS_SCORE, isScored, mapDetail, mapSession, nameIndex, scorecardIdOf, withScorecard, type Names } from './map.js';
import { envelopeOf } from '../_shared/envelope.js';
import { GatewayError } from '../../src/core/errors.js';

export const spec: VendorSpec = {
  name: 'Sales Lab',
  // no default: the docs name no host, so config must give the origin (paths carry /api/v1)
  auth: { header: 'Authorization', scheme: 'Bearer' },
  limits: { perMinute: 60, concurrency: 4 },
  timeoutMs: 10_000,
  errorMessage: (body) => {
    const e = asRecord(asRecord(body)['error']);
    return str(e['message']) ?? str(e['code']) ?? undefined;
  },
};

/** Scorecards fetched at once while joining a page. */
export const JOIN_CONCURRENCY = 4;

const SessionList = z.object({ ok: z.literal(true), data: z.array(z.unknown()), next_cursor: z.string().nullish() }).loose();
const ItemList = z.object({ ok: z.literal(true), data: z.array(z.unknown()) }).loose();
const One = z.object({ ok: z.literal(true), data: z.record(z.string(), z.unknown()) }).loose();

const envelope = envelopeOf('saleslab', 'Sales Lab');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SECOND = 1000;
/** ISO at seconds precision, as the vendor documents its datetimes. */
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * Filters Sales Lab applies itself, each widened to a superset of the exact answer: `from`/`to` are
 * inclusive bounds on started_at (from floored, to ceiled to the second); `agent_id` is the rep's
 * `user_id` (a uuid; the vendor rejects anything else with 400).
 */
export function pushdown(f: RunFilter): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.from !== undefined) q['from'] = isoSeconds(Math.floor(f.from / SECOND) * SECOND);
  if (f.to !== undefined) q['to'] = isoSeconds(Math.ceil(f.to / SECOND) * SECOND);
  if (f.agent_id !== undefined && UUID.test(f.agent_id)) q['user_id'] = f.agent_id;
  return q;
}

/**
 * True when no Sales Lab run can match, so that no vendor call is spent: every run is voice, has no
 * group, and its agent is a rep whose id is a uuid.
 */
export function nothingCanMatch(f: RunFilter): boolean {
  if (f.channel && !f.channel.includes('voice')) return true;
  if (f.group_id !== undefined) return true;
  return f.agent_id !== undefined && !UUID.test(f.agent_id);
}

/** Scored runs end `completed` or `evaluating` (no scorecard yet): when neither is wanted, no scorecard matters. */
export const needsScorecards = (f: RunFilter): boolean => !f.status || f.status.includes('completed') || f.status.includes('evaluating');

/** Runs `fn` over `xs` with at most `n` at once, keeping the order; stops starting new calls after a failure. */
async function mapLimit<T, U>(xs: T[], n: number, fn: (x: T) => Promise<U>): Promise<U[]> {
  const out = new Array<U>(xs.length);
  let next = 0;
  let failed = false; // after a failure, spend no more of the vendor's budget on this page
  const worker = async (): Promise<void> => {
    while (!failed && next < xs.length) {
      const i = next++;
      try {
        out[i] = await fn(xs[i]!);
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, xs.length) }, worker));
  return out;
}

/**
 * Rep and scenario names; a failure (scope missing, vendor down) leaves the names null, never the walk. `degraded`
 * says the names may be there a moment later (not a lasting 401/403/404 refusal): the run index then keeps such
 * runs open and reads them again. Under `ctx.strict` (the index reading a run again) such a failure fails the read.
 */
async function names(ctx: AdapterContext): Promise<Names & { degraded: boolean }> {
  let degraded = false;
  const list = async (path: string, field: string): Promise<Map<string, string>> => {
    try {
      return nameIndex(envelope(ItemList, await ctx.http.json(path, {}, { cache: 'meta' }), path).data, field);
    } catch (e) {
      const lasting = e instanceof GatewayError && [401, 403, 404].includes(e.upstreamStatus ?? 0);
      if (ctx.strict && !lasting) throw e;
      degraded ||= !lasting;
      ctx.log.log('warn', 'names unavailable; runs keep null names', { provider: 'saleslab', path, error: e instanceof Error ? e.message : 'failed' });
      return new Map();
    }
  };
  const [users, scenarios] = await Promise.all([list('/api/v1/users', 'full_name'), list('/api/v1/scenarios', 'name')]);
  return { users, scenarios, degraded };
}

/** A scorecard's `data`, or null when the vendor has none (404: not scored yet). */
async function fetchScorecard(ctx: AdapterContext, id: string): Promise<unknown> {
  const body = await ctx.http.json(`/api/v1/scorecards/${encodeURIComponent(id)}`, {}, { allow404: true, cache: 'long' });
  return body === null ? null : envelope(One, body, 'scorecard').data;
}

const passScore = (ctx: AdapterContext): number => ctx.cfg.passScore ?? DEFAULT_PASS_SCORE;

async function sources(ctx: AdapterContext, f: RunFilter): Promise<ListSource[]> {
  if (nothingCanMatch(f)) return [];
  const n = await names(ctx);
  const withCards = needsScorecards(f);
  const cards = new Map<string, Promise<unknown>>();
  const card = (id: string): Promise<unknown> => {
    let p = cards.get(id);
    if (!p) {
      p = fetchScorecard(ctx, id);
      cards.set(id, p);
      p.catch(() => cards.delete(id)); // a failure is not remembered
    }
    return p;
  };
  const join = (runs: Run[]): Promise<Run[]> =>
    mapLimit(runs, JOIN_CONCURRENCY, async (run) => {
      const session = run.raw?.['session'];
      if (!isScored(session)) return withScorecard(run, null);
      const id = scorecardIdOf(session);
      return withCards && id ? withScorecard(run, await card(id), passScore(ctx)) : run;
    });
  return [
    {
      id: 'sessions',
      path: '/api/v1/sessions',
      query: pushdown(f),
      pagination: {
        style: 'cursor',
        cursorParam: 'cursor',
        limitParam: 'limit',
        size: 100,
        next: (body) => envelope(SessionList, body, 'sessions').next_cursor ?? null,
        inclusive: true,
      },
      items: (body) => envelope(SessionList, body, 'sessions').data,
      map: (item) => [mapSession(item, n)],
      join,
      ...(n.degraded ? { degraded: true } : {}),
    },
  ];
}

export const saleslab: Adapter = {
  id: 'saleslab',
  spec,
  capabilities: {
    filters_pushed_down: ['from', 'to', 'agent_id'],
    has_transcripts: true,
    has_recordings: false,
    has_scores: true,
    has_groups: false,
  },
  sources,
  async getRun(ctx, key) {
    const id = decodeKey(key, 1)?.[0];
    if (!id) return null;
    const [body, n] = await Promise.all([ctx.http.json(`/api/v1/sessions/${encodeURIComponent(id)}`, {}, { allow404: true }), names(ctx)]);
    if (body === null) return null;
    const session = envelope(One, body, 'session').data;
    const cardId = isScored(session) ? scorecardIdOf(session) : null;
    const scorecard = cardId ? await fetchScorecard(ctx, cardId) : null;
    // an unreadable session is a provider_error: the gateway turns a MapError from getRun into one
    return mapDetail(session, scorecard, n, passScore(ctx));
  },
};
