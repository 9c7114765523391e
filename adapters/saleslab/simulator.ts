/**
 * Sales Lab (saleslab.cloud) simulator: the read-only scorecard API as a real HTTP server on loopback.
 *
 * Faithful to the vendor docs (scorecard.txt, ENDPOINTS.md §002 and simgate's decisions):
 * - Base URL is the origin; every path carries `/api/v1`. Auth `Authorization: Bearer <token>` (no prefix check).
 * - Envelope `{ok: true, data}`; the sessions list adds `next_cursor`. Every non-2xx body is
 *   `{ok: false, error: {code, message}}` (UNAUTHORIZED 401, FORBIDDEN 403, NOT_FOUND 404, BAD_REQUEST 400,
 *   RATE_LIMITED 429). 60 requests/min per token; no rate-limit headers and no Retry-After on 429.
 * - Sessions list, newest `started_at` first (ties keep a stable order). Interpretation of the vague parts:
 *   `from`/`to` are inclusive bounds on started_at; `cursor` is INCLUSIVE (started_at <= cursor), so a page
 *   repeats the sessions of the previous page's last timestamp (the vendor's quirk, kept); `next_cursor` is the
 *   started_at of the last item, or null when nothing remains after this page (including an empty page).
 *   Datetimes without a zone are UTC. `limit` outside 1–100, a non-integer limit, an unparsable datetime or a
 *   `user_id` that is not a uuid → 400 BAD_REQUEST. An unknown (well-formed) user_id gives an empty page.
 * - Scorecard of a session: /scorecards/{scorecard_id} when the session carries one, else /scorecards/{id};
 *   404 NOT_FOUND for any other id and for sessions that are not `scored`.
 * - Analytics summary: from defaults to now − 30 days, to to now (the simulator's clock: `now`, moved forward
 *   by addRuns); counts sessions with started_at in [from, to]; avg_score is the rounded mean over scored
 *   sessions (null when none).
 */
import {
  SimServer,
  bearerAuth,
  finishTargets,
  intParam,
  rng,
  type SimRequest,
  type SimResponse,
  type SimulatorOptions,
  type VendorSimulator,
} from '../simkit.js';
import {
  MAX_TIE,
  finishRun,
  generate,
  isUnfinished,
  iso,
  makeLateRun,
  makeRun,
  type SaleslabRun,
  type SaleslabScenario,
  type SaleslabUser,
} from './simdata.js';

export type { SaleslabRun, SaleslabScenario, SaleslabUser, SaleslabSession, SaleslabScorecard, SaleslabTurn } from './simdata.js';
export { SESSION_STATUSES, VERDICTS, TIE_PAGE_SIZES, MAX_TIE } from './simdata.js';

export const SALESLAB_SCOPES = ['sessions:read', 'scorecards:read', 'scenarios:read', 'users:read', 'analytics:read'] as const;

export interface SaleslabSimulatorOptions extends SimulatorOptions {
  /** The token's scopes (default: all five); a request outside them gets 403 FORBIDDEN "Missing scope: …". */
  scopes?: string[];
}

export interface SaleslabSimulator extends VendorSimulator<SaleslabRun> {
  /** Ground truth: every session newest `started_at` first, with its transcript and scorecard (or null). Same as runs(). */
  sessions(): SaleslabRun[];
  /** Ground truth of GET /api/v1/users (last_session_at computed from the current sessions). */
  users(): SaleslabUser[];
  /** Ground truth of GET /api/v1/scenarios (active first, then archived). */
  scenarios(): SaleslabScenario[];
  /** The id under which a session's scorecard is served: `scorecard_id` when present, else the session id. */
  scorecardIdOf(run: SaleslabRun): string;
  /** The simulator's "now" (epoch ms): analytics defaults are relative to it. */
  now(): number;
  /**
   * Inserts `n` sessions at the head and returns them newest first. Odd-numbered calls (1st, 3rd, …) start
   * strictly after the current newest started_at; even-numbered calls tie their first session with it
   * (when that tie group has fewer than 8 members). Visible to the following requests.
   */
  addRuns(n: number): SaleslabRun[];
  /**
   * Adds `n` `scored` sessions (scorecard served) below the head: the newest starts `agoMs` before the newest
   * started_at (floored to the second, at least 1 s before it), the others 1–3 s apart before it; a start whose
   * tie group is full (8) moves 1 s back. Each is first among the sessions of its second. Returns them newest first.
   */
  addLate(n: number, agoMs: number): SaleslabRun[];
  /** `id` of every session `live`, `in_progress`, `ended`, `scoring` (or drift `paused`), newest first. */
  unfinishedIds(): string[];
  /** Moves these sessions (default: every unfinished one) to `scored` and serves their scorecard. */
  finish(ids?: string[]): string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Parses an ISO datetime query value: undefined when absent, null when invalid. A zone-less datetime is UTC. */
function dateParam(q: URLSearchParams, name: string): number | undefined | null {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!ISO.test(v)) return null;
  const withZone = v.includes('T') && !/(Z|[+-]\d{2}:?\d{2})$/.test(v) ? `${v}Z` : v;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? null : ms;
}

const ok = (data: unknown, extra: Record<string, unknown> = {}): SimResponse => ({ body: { ok: true, data, ...extra } });
const fail = (status: number, code: string, message: string): SimResponse => ({
  status,
  body: { ok: false, error: { code, message } },
});

export async function startSaleslabSimulator(opts: SaleslabSimulatorOptions = {}): Promise<SaleslabSimulator> {
  const seed = opts.seed ?? 1;
  const apiKey = opts.apiKey ?? 'sim-saleslab-key';
  const fixedNow = opts.now !== undefined;
  let clock = opts.now ?? Date.now();
  const data = generate(seed, opts.count ?? 180, clock, opts.drift ?? false);
  const runs = data.runs;
  const scopes = new Set(opts.scopes ?? SALESLAB_SCOPES);
  let addCalls = 0;

  const now = (): number => Math.max(clock, fixedNow ? clock : Date.now());
  const scorecardIdOf = (run: SaleslabRun): string => run.session.scorecard_id ?? run.session.id;
  const users = (): SaleslabUser[] =>
    data.users.map((u) => {
      const mine = runs.find((x) => x.session.user_id === u.id); // runs are newest first
      return { ...u, last_session_at: mine ? mine.session.started_at : null };
    });

  function listSessions(q: URLSearchParams): SimResponse {
    const limit = intParam(q, 'limit', 50);
    if (limit === null || limit < 1 || limit > 100) return fail(400, 'BAD_REQUEST', 'limit must be an integer between 1 and 100');
    const from = dateParam(q, 'from');
    const to = dateParam(q, 'to');
    const cursor = dateParam(q, 'cursor');
    if (from === null) return fail(400, 'BAD_REQUEST', 'from must be an ISO datetime');
    if (to === null) return fail(400, 'BAD_REQUEST', 'to must be an ISO datetime');
    if (cursor === null) return fail(400, 'BAD_REQUEST', 'invalid cursor');
    const userId = q.get('user_id') || undefined;
    if (userId !== undefined && !UUID.test(userId)) return fail(400, 'BAD_REQUEST', 'user_id must be a uuid');
    const matching = runs.filter(({ session: s }) => {
      const t = Date.parse(s.started_at);
      return (
        (from === undefined || t >= from) &&
        (to === undefined || t <= to) &&
        (cursor === undefined || t <= cursor) &&
        (userId === undefined || s.user_id === userId)
      );
    });
    const page = matching.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = last && matching.length > page.length ? last.session.started_at : null;
    return ok(page.map((x) => ({ ...x.session })), { next_cursor: nextCursor });
  }

  function summary(q: URLSearchParams): SimResponse {
    const fromQ = dateParam(q, 'from');
    const toQ = dateParam(q, 'to');
    if (fromQ === null) return fail(400, 'BAD_REQUEST', 'from must be an ISO datetime');
    if (toQ === null) return fail(400, 'BAD_REQUEST', 'to must be an ISO datetime');
    const to = toQ ?? now();
    const from = fromQ ?? to - 30 * 86_400_000;
    if (from > to) return fail(400, 'BAD_REQUEST', 'from must not be after to');
    const inRange = runs.filter((x) => {
      const t = Date.parse(x.session.started_at);
      return t >= from && t <= to;
    });
    const scored = inRange.filter((x) => x.session.status === 'scored');
    const scores = scored.flatMap((x) => (x.scorecard ? [Number(x.scorecard.overall_score)] : []));
    return ok({
      from: iso(from),
      to: iso(to),
      sessions: inRange.length,
      scored: scored.length,
      avg_score: scores.length ? Math.round(scores.reduce((a, b) => a + b, 0) / scores.length) : null,
      unique_reps: new Set(inRange.map((x) => x.session.user_id)).size,
    });
  }

  const SCOPE_OF: [RegExp, string][] = [
    [/^\/api\/v1\/sessions(\/[^/]+)?$/, 'sessions:read'],
    [/^\/api\/v1\/scorecards\/[^/]+$/, 'scorecards:read'],
    [/^\/api\/v1\/scenarios$/, 'scenarios:read'],
    [/^\/api\/v1\/users$/, 'users:read'],
    [/^\/api\/v1\/analytics\/summary$/, 'analytics:read'],
  ];

  function handle(req: SimRequest): SimResponse {
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    const scope = req.method === 'GET' ? SCOPE_OF.find(([re]) => re.test(path))?.[1] : undefined;
    if (!scope) return fail(404, 'NOT_FOUND', `no route for ${req.method} ${req.path}`);
    if (!scopes.has(scope)) return fail(403, 'FORBIDDEN', `Missing scope: ${scope}`);
    const raw = path.split('/')[4] ?? '';
    let id = raw;
    try {
      id = decodeURIComponent(raw);
    } catch {
      /* keep the raw segment: no session or scorecard has it */
    }
    if (path === '/api/v1/sessions') return listSessions(req.query);
    if (path.startsWith('/api/v1/sessions/')) {
      const run = runs.find((x) => x.session.id === id);
      return run ? ok({ ...run.session, transcript: run.transcript }) : fail(404, 'NOT_FOUND', 'Session not found');
    }
    if (path.startsWith('/api/v1/scorecards/')) {
      const run = runs.find((x) => x.scorecard && scorecardIdOf(x) === id);
      return run?.scorecard ? ok(run.scorecard) : fail(404, 'NOT_FOUND', 'Scorecard not found');
    }
    if (path === '/api/v1/scenarios') return ok(data.scenarios.map((s) => ({ ...s })));
    if (path === '/api/v1/users') return ok(users());
    return summary(req.query);
  }

  const server = new SimServer({
    name: 'saleslab',
    auth: bearerAuth(apiKey),
    limits: { perWindow: 60, windowMs: 60_000, headers: false, retryAfter: false, ...opts.limits },
    errorBody: (_status, code, message) => ({ ok: false, error: { code, message } }),
    handler: handle,
    latencyMs: opts.latencyMs,
  });
  const origin = await server.start(opts.port ?? 0, opts.host ?? '127.0.0.1');

  function addRuns(n: number): SaleslabRun[] {
    addCalls += 1;
    const r = rng((Math.imul(seed, 7919) + Math.imul(addCalls, 104_729)) >>> 0);
    const head = runs[0]?.session.started_at;
    let ts = head ? Date.parse(head) : Math.floor(now() / 1000) * 1000;
    let group = head ? runs.filter((x) => x.session.started_at === head).length : MAX_TIE;
    const created: SaleslabRun[] = [];
    for (let j = 0; j < n; j++) {
      const tie = j === 0 ? addCalls % 2 === 0 : r() < 0.35;
      if (!tie || group >= MAX_TIE) {
        ts += (30 + Math.floor(r() * 870)) * 1000;
        group = 0;
      }
      group += 1;
      created.push(makeRun(r, ts, true, data.ctx));
    }
    created.reverse();
    runs.unshift(...created);
    clock = Math.max(clock, ts);
    return [...created];
  }

  /** The PRNG of addLate and finish (one stream, so that the same calls give the same data). */
  const life = rng((Math.imul(seed, 7919) ^ 0x5a1e5) >>> 0);

  function addLate(n: number, agoMs: number): SaleslabRun[] {
    const headMs = runs[0] ? Date.parse(runs[0].session.started_at) : Math.floor(now() / 1000) * 1000;
    let ts = Math.min(Math.floor((headMs - agoMs) / 1000) * 1000, headMs - 1000);
    const created: SaleslabRun[] = [];
    for (let j = 0; j < n; j++) {
      while (runs.filter((x) => x.session.started_at === iso(ts)).length >= MAX_TIE) ts -= 1000;
      const run = makeLateRun(life, ts, headMs, data.ctx);
      const at = runs.findIndex((x) => Date.parse(x.session.started_at) <= ts);
      runs.splice(at < 0 ? runs.length : at, 0, run);
      created.push(run);
      ts -= (1 + Math.floor(life() * 3)) * 1000;
    }
    return created;
  }

  const unfinished = (): SaleslabRun[] => runs.filter(isUnfinished);

  function finish(ids?: string[]): string[] {
    const open = new Map(unfinished().map((x) => [x.session.id, x]));
    return finishTargets([...open.keys()], ids).filter((id) => finishRun(life, open.get(id)!, data.ctx));
  }

  return {
    server,
    baseUrl: origin,
    apiKey,
    runs: () => [...runs],
    sessions: () => [...runs],
    users,
    scenarios: () => data.scenarios.map((s) => ({ ...s })),
    scorecardIdOf,
    now,
    addRuns,
    addLate,
    unfinishedIds: () => unfinished().map((x) => x.session.id),
    finish,
    close: () => server.close(),
  };
}
