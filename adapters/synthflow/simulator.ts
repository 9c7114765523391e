/**
 * Synthflow, simulated: the Platform API's simulation endpoints (base `${origin}/v2`), faithful to
 * docs.synthflow.ai and to simgate's decisions in shared/vendor-docs/ENDPOINTS.md.
 *
 *   GET /v2/simulations                                   runs, page_number/page_size, filters below
 *   GET /v2/simulations/{simulation_id}                   one run
 *   GET /v2/simulations/sessions                          groups, each embedding its full simulations
 *   GET /v2/simulations/session/{simulation_session_id}   one group (singular "session")
 *   GET /v2/assistants/                                   agents, limit/offset
 *   GET /recordings/{simulation_id}.wav                   the file host behind `recording_url` (no auth, Range)
 *
 * Interpretations where the docs are vague (written down as the brief asks):
 * - Order: newest `created_at` first; ties (many: a session starts several simulations in the same
 *   second) in a stable order, the later inserted first. Sessions: newest session created_at first,
 *   where a session's created_at is that of its earliest simulation.
 * - `start_date` / `end_date` are inclusive bounds on created_at (sessions: on the session's created_at).
 *   Accepted: `YYYY-MM-DD` (midnight UTC) or an ISO date-time with optional fraction and `Z`/`±HH:MM`
 *   (no zone = UTC); anything else → 422. start > end simply matches nothing.
 * - `simulation_session_id` must be a UUID (422 otherwise); `target_agent_id` is an exact match;
 *   empty parameters count as absent; unknown parameters are ignored.
 * - Paging errors (page_number < 1, page_size outside 1–100, non-integers): 422 on /simulations
 *   (its documented error), 400 on /simulations/sessions (its documented error). Enum/date/uuid → 422.
 *   A page past the end is 200 with no items. Next page ⇔ offset + len(items) < total_records.
 * - Error body everywhere: `{"detail":{"status":"error","description","request_id","category"}}`.
 * - Limits: 120 requests/min, 5 concurrent; no X-RateLimit-* headers; 429 carries `Retry-After`.
 *   Recording downloads pass through the same limiter (they are served by this one server).
 */
import { randomUUID } from 'node:crypto';
import {
  SimServer,
  bearerAuth,
  fakeWav,
  finishTargets,
  intParam,
  rangeResponse,
  type SimLimits,
  type SimRequest,
  type SimResponse,
  type SimulatorOptions,
  type VendorSimulator,
} from '../simkit.js';
import { SynthflowWorld, type SimRecord, type SynthflowAssistant, type SynthflowSession, type SynthflowSimulation } from './simdata.js';

export type { SynthflowAssistant, SynthflowSession, SynthflowSimulation, SynthflowTimelineItem } from './simdata.js';

/** Synthflow's limits as simgate's decisions set them (the vendor publishes none). */
export const SYNTHFLOW_LIMITS: SimLimits = { perWindow: 120, windowMs: 60_000, concurrency: 5, headers: false, retryAfter: true };

export interface SynthflowSimulator extends VendorSimulator<SynthflowSimulation> {
  /** Ground truth: every simulation served, in the served order (newest `created_at` first). Deep copies. */
  simulations(): SynthflowSimulation[];
  /** Ground truth: every session in the served order of `/simulations/sessions`, simulations embedded. Deep copies. */
  sessions(): SynthflowSession[];
  /** The agents listed by `/assistants/` (the first four are the simulations' target agents). */
  assistants(): SynthflowAssistant[];
  /**
   * Adds `n` simulations at the head and returns them (served order). Odd-numbered calls (1st, 3rd, …) tie with
   * the current newest `created_at` and join the newest session; even-numbered calls start 1–5 s later in a new
   * session. New simulations are `in-progress`.
   */
  addRuns(n: number): SynthflowSimulation[];
  /**
   * Adds `n` `completed` simulations with their `success_criteria_analysis`, in a new session, all created at
   * (newest created_at − `agoMs`) floored to the second and at least 1 s before it. Returns them (served order).
   */
  addLate(n: number, agoMs: number): SynthflowSimulation[];
  /** `simulation_id` of every simulation `in-progress`, `queued`, or `completed` without an analysis yet, served order. */
  unfinishedIds(): string[];
  /** Moves these simulations (default: every unfinished one) to `completed` with an analysis; session counts follow. */
  finish(ids?: string[]): string[];
}

const CATEGORY: Record<number, string> = {
  400: 'validation_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  405: 'method_not_allowed', 422: 'validation_error', 429: 'rate_limit_error',
};

/** Synthflow's error body (the shape its spec documents for other endpoints). */
export function synthflowErrorBody(status: number, description: string): unknown {
  return { detail: { status: 'error', description, request_id: randomUUID(), category: CATEGORY[status] ?? 'internal_server_error' } };
}

const fail = (status: number, description: string): SimResponse => ({ status, body: synthflowErrorBody(status, description) });
const ok = (response: unknown): SimResponse => ({ status: 200, body: { status: 'ok', response } });
const clone = <T>(x: T): T => structuredClone(x);

/** Normalises a UUID as pydantic accepts it (any case, with or without hyphens); null when not a UUID. */
function uuidParam(v: string): string | null {
  const h = v.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(h) || !/^[0-9a-f]{8}(-?[0-9a-f]{4}){3}-?[0-9a-f]{12}$/i.test(v)) return null;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** ISO 8601 date or date-time → epoch ms (no zone = UTC); null when invalid. */
export function parseSynthflowDate(v: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2})?(\.\d+)?(Z|z|[+-]\d{2}:?\d{2})?)?$/.exec(v);
  if (!m) return null;
  const [, date, hm, sec, frac, zone] = m;
  let z = zone ?? 'Z';
  if (/^[+-]\d{4}$/.test(z)) z = `${z.slice(0, 3)}:${z.slice(3)}`;
  const ms = Date.parse(`${date}T${hm ?? '00:00'}${sec ?? ':00'}${(frac ?? '').slice(0, 4)}${z.toUpperCase()}`);
  if (Number.isNaN(ms) || new Date(Date.parse(`${date}T00:00:00Z`)).toISOString().slice(0, 10) !== date) return null;
  return ms;
}

interface Page { page: number; size: number }
function paging(q: URLSearchParams, bad: number): Page | SimResponse {
  const page = intParam(q, 'page_number', 1);
  const size = intParam(q, 'page_size', 10);
  if (page === null) return fail(bad, 'page_number: Input should be a valid integer');
  if (page < 1) return fail(bad, 'page_number: Input should be greater than or equal to 1');
  if (size === null) return fail(bad, 'page_size: Input should be a valid integer');
  if (size < 1 || size > 100) return fail(bad, `page_size: Input should be ${size < 1 ? 'greater than or equal to 1' : 'less than or equal to 100'}`);
  return { page, size };
}

/** Parses start_date/end_date; an error response when one is invalid. */
function dateRange(q: URLSearchParams): { from: number; to: number } | SimResponse {
  let from = -Infinity;
  let to = Infinity;
  for (const name of ['start_date', 'end_date'] as const) {
    const v = q.get(name);
    if (!v) continue;
    const ms = parseSynthflowDate(v);
    if (ms === null) return fail(422, `${name}: Input should be a valid datetime`);
    if (name === 'start_date') from = ms;
    else to = ms;
  }
  return { from, to };
}

const isResponse = (x: unknown): x is SimResponse => typeof x === 'object' && x !== null && 'body' in x;

function pageOf<T>(all: T[], p: Page): { pagination: { total_records: number; limit: number; offset: number }; items: T[] } {
  const offset = (p.page - 1) * p.size;
  return { pagination: { total_records: all.length, limit: p.size, offset }, items: all.slice(offset, offset + p.size) };
}

function listSimulations(w: SynthflowWorld, q: URLSearchParams): SimResponse {
  const p = paging(q, 422);
  if (isResponse(p)) return p;
  const range = dateRange(q);
  if (isResponse(range)) return range;
  let recs: SimRecord[] = w.recs;
  const sidRaw = q.get('simulation_session_id');
  if (sidRaw) {
    const sid = uuidParam(sidRaw);
    if (!sid) return fail(422, 'simulation_session_id: Input should be a valid UUID');
    recs = recs.filter((x) => x.sim.simulation_session_id === sid);
  }
  const status = q.get('status');
  if (status) {
    if (!['in-progress', 'completed', 'failed'].includes(status)) {
      return fail(422, "status: Input should be 'in-progress', 'completed' or 'failed'");
    }
    recs = recs.filter((x) => x.sim.status === status);
  }
  const agent = q.get('target_agent_id');
  if (agent) recs = recs.filter((x) => x.sim.target_agent_id === agent);
  recs = recs.filter((x) => x.t >= range.from && x.t <= range.to);
  return ok(pageOf(recs.map((x) => x.sim), p));
}

function listSessions(w: SynthflowWorld, q: URLSearchParams): SimResponse {
  const p = paging(q, 400);
  if (isResponse(p)) return p;
  const range = dateRange(q);
  if (isResponse(range)) return range;
  const agent = q.get('target_agent_id');
  const all = w.sessions().filter((s) => (!agent || s.agentId === agent) && s.t >= range.from && s.t <= range.to);
  return ok(pageOf(all.map((s) => s.session), p));
}

function recording(w: SynthflowWorld, req: SimRequest, id: string): SimResponse {
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'Method Not Allowed');
  const sim = w.recs.find((x) => x.sim.simulation_id === id)?.sim;
  if (!sim?.recording_url) return fail(404, 'Recording not found');
  const last = sim.timeline?.[sim.timeline.length - 1];
  const seconds = Math.min(30, Math.max(1, Math.ceil(Number(last?.timestamp ?? 1)) + 2));
  return rangeResponse(req, fakeWav(seconds), 'audio/wav');
}

function route(w: SynthflowWorld, req: SimRequest): SimResponse {
  const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
  const rec = /^\/recordings\/([^/]+)\.wav$/.exec(path);
  if (rec) return recording(w, req, rec[1]!);
  if (req.method !== 'GET') return fail(405, 'Method Not Allowed');
  const q = req.query;
  if (path === '/v2/simulations') return listSimulations(w, q);
  if (path === '/v2/simulations/sessions') return listSessions(w, q);
  const sess = /^\/v2\/simulations\/session\/([^/]+)$/.exec(path);
  if (sess) {
    const id = uuidParam(sess[1]!);
    if (!id) return fail(422, 'simulation_session_id: Input should be a valid UUID');
    const s = w.sessions().find((x) => x.session.simulation_session_id === id);
    return s ? ok(s.session) : fail(404, 'Simulation session not found');
  }
  const one = /^\/v2\/simulations\/([^/]+)$/.exec(path);
  if (one) {
    const id = uuidParam(one[1]!);
    if (!id) return fail(422, 'simulation_id: Input should be a valid UUID');
    const s = w.recs.find((x) => x.sim.simulation_id === id);
    return s ? ok(s.sim) : fail(404, 'Simulation not found');
  }
  if (path === '/v2/assistants') {
    const limit = intParam(q, 'limit', 20);
    const offset = intParam(q, 'offset', 0);
    if (limit === null || limit < 1) return fail(400, 'limit: Input should be a positive integer');
    if (offset === null) return fail(400, 'offset: Input should be a non-negative integer');
    const all = w.assistants;
    return ok({ pagination: { total_records: all.length, limit, offset }, assistants: all.slice(offset, offset + limit) });
  }
  return fail(404, 'Not Found');
}

/** Starts the simulated Synthflow API on loopback. Defaults: seed 1, 220 simulations, now = Date.now(). */
export async function startSynthflowSimulator(opts: SimulatorOptions = {}): Promise<SynthflowSimulator> {
  const apiKey = opts.apiKey ?? 'sim-synthflow-key';
  const keyOk = bearerAuth(apiKey);
  const overrides = Object.fromEntries(Object.entries(opts.limits ?? {}).filter(([, v]) => v !== undefined));
  const ready: { world?: SynthflowWorld } = {};
  const server = new SimServer({
    name: 'synthflow',
    // The recording host serves signed-style public URLs: no API key there.
    auth: (req) => req.path.startsWith('/recordings/') || keyOk(req),
    limits: { ...SYNTHFLOW_LIMITS, ...overrides },
    errorBody: (status, _code, message) => synthflowErrorBody(status, message),
    handler: (req) => (ready.world ? route(ready.world, req) : fail(503, 'Service Unavailable')),
    latencyMs: opts.latencyMs,
  });
  const origin = await server.start(opts.port ?? 0, opts.host ?? '127.0.0.1');
  const w = new SynthflowWorld({ seed: opts.seed ?? 1, count: opts.count ?? 220, now: opts.now ?? Date.now(), origin, drift: opts.drift ?? false });
  ready.world = w;
  const simulations = (): SynthflowSimulation[] => clone(w.recs.map((x) => x.sim));
  return {
    server,
    baseUrl: `${origin}/v2`,
    apiKey,
    runs: simulations,
    simulations,
    sessions: () => clone(w.sessions().map((s) => s.session)),
    assistants: () => clone(w.assistants),
    addRuns: (n: number) => clone(w.addRuns(n).map((x) => x.sim)),
    addLate: (n: number, agoMs: number) => clone(w.addLate(n, agoMs).map((x) => x.sim)),
    unfinishedIds: () => w.unfinished().map((x) => x.sim.simulation_id),
    finish(ids?: string[]): string[] {
      const open = new Map(w.unfinished().map((x) => [x.sim.simulation_id, x]));
      return finishTargets([...open.keys()], ids).filter((id) => w.finish(open.get(id)!));
    },
    close: () => server.close(),
  };
}
