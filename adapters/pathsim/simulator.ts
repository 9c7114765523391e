/**
 * PathSim simulator: the read-only PathSim API (shared/vendor-docs/pathsim.txt) on loopback, built on simkit.
 *
 * Base URL `${origin}/v1`, `Authorization: Bearer <key>`:
 * - GET /v1/workspaces                         → `{success, data: Workspace[]}` (the inactive workspace included)
 * - GET /v1/workspaces/{workspaceId}/sessions   → `{success, data: SessionRow[], pagination: {total, limit, offset, hasMore}}`
 * - GET /v1/sessions/{sessionId}                → `{success, data: SessionDetail}`
 * - GET /v1/sessions/{sessionId}/recording      → info JSON; `?download=true` streams the bytes (Range supported)
 * Errors `{success: false, error: {code, message}}`; 429 with `Retry-After` and `X-RateLimit-Reset`;
 * `X-RateLimit-Limit/Remaining/Reset` on every answer. Limits: 100 per minute (sliding), 10 concurrent.
 *
 * Interpretations where the docs are vague (simgate's decisions):
 * - `type`, `source`, `objective`, `connected` match case-insensitively; an unknown value is 400 INVALID_PARAMETER.
 * - `search`: case-insensitive substring of `Virtual Customer` or `Target` (as decoded by standard query parsing,
 *   so a literal `+` must be sent as `%2B`); empty = no filter.
 * - `created_from`/`created_to`: ISO 8601 date (= 00:00:00.000Z that day) or date-time (zone optional, UTC when
 *   absent); inclusive bounds on the exact start time (ms), not on the minute shown in `Time`. Invalid → 400.
 * - `sort`: `-created_at` (default), `created_at`, `start_timestamp`, `-start_timestamp`; start_timestamp is the
 *   same instant as created_at. Anything else → 400.
 * - `limit` 1..100 (default 50), `offset` ≥ 0 (default 0), integers; otherwise 400. `pagination.total` counts the
 *   sessions after every filter; `hasMore` = offset + returned < total. An offset past the end gives `data: []`.
 */
import {
  SimServer,
  bearerAuth,
  fakeWav,
  finishTargets,
  intParam,
  rangeResponse,
  type SimRequest,
  type SimResponse,
  type SimulatorOptions,
  type VendorSimulator,
} from '../simkit.js';
import {
  addLateSessions,
  addSessions,
  fakeMp4,
  finishSession,
  generatePathsimData,
  isUnfinished,
  type PathsimData,
  type PathsimSession,
  type PathsimWorkspace,
} from './simdata.js';

export type { PathsimSession, PathsimWorkspace, PathsimRow, PathsimDetail } from './simdata.js';

export interface PathsimSimulator extends VendorSimulator<PathsimSession> {
  /** Ground truth: every session, newest first by exact `createdAt` (same as `runs()`). */
  sessions(): PathsimSession[];
  /** Ground truth: the 3 workspaces as served (the third has `isActive: false`). */
  workspaces(): PathsimWorkspace[];
  /**
   * Adds `n` sessions at the head, each strictly newer (exact ms) than every existing one; odd-numbered calls
   * start in the newest session's minute (same `Time`), even-numbered calls in a later minute. Without
   * `workspaceId` they go to the active workspaces. Returns them newest first.
   */
  addRuns(n: number, workspaceId?: string): PathsimSession[];
  /**
   * Adds `n` sessions, `Connected` and evaluated (`Achieved` / `Not Achieved`), below the head: the newest starts
   * `agoMs` before the newest session (at least 1 ms), the others 1–3 s apart before it, every exact start distinct.
   * They go to the active workspaces and are listed at their start. Returns them newest first.
   */
  addLate(n: number, agoMs: number): PathsimSession[];
  /** `_id` of every session still `In Progress` or `Connected` with `Objective: --`, newest first. */
  unfinishedIds(): string[];
  /**
   * Moves these sessions (`_id`; default: every unfinished one) to `Connected` + `Achieved`/`Not Achieved`, in the
   * list row and the detail (a running call gets its full transcript or steps, duration and recording).
   */
  finish(ids?: string[]): string[];
}

const errorBody = (_status: number, code: string, message: string): unknown => ({ success: false, error: { code, message } });
const fail = (status: number, code: string, message: string): SimResponse => ({ status, body: errorBody(status, code, message) });
const invalid = (message: string): SimResponse => fail(400, 'INVALID_PARAMETER', message);

const ENUMS: Record<string, { field: 'Test Type' | 'Source' | 'Objective' | 'Connected'; values: Record<string, string> }> = {
  type: { field: 'Test Type', values: { voice: 'Voice', web: 'Web' } },
  source: { field: 'Source', values: { campaign: 'Campaign', 'ad-hoc': 'Ad-hoc' } },
  objective: { field: 'Objective', values: { achieved: 'Achieved', not_achieved: 'Not Achieved' } },
  connected: { field: 'Connected', values: { connected: 'Connected', failed: 'Failed', system_error: 'System Error', in_progress: 'In Progress' } },
};
const SORTS: Record<string, 1 | -1> = { '-created_at': -1, created_at: 1, '-start_timestamp': -1, start_timestamp: 1 };
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Epoch ms of an ISO 8601 date or date-time, or null when it is not one (calendar-checked). */
export function parseIsoBound(v: string): number | null {
  const m = ISO.exec(v);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => (x === undefined ? undefined : Number(x)));
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return null;
  const frac = m[7] ? Number(`${m[7]}00`.slice(0, 3)) : 0;
  const base = Date.UTC(y!, mo! - 1, d!, h, mi, s, frac);
  const check = new Date(base);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d) return null;
  const z = m[8];
  if (!z || z === 'Z') return base;
  const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(z)!;
  const off = (Number(zm[2]) * 60 + Number(zm[3])) * 60_000;
  return zm[1] === '+' ? base - off : base + off;
}

function listSessions(data: PathsimData, workspaceId: string, q: URLSearchParams): SimResponse {
  if (!data.workspaces.some((w) => w.id === workspaceId)) return fail(404, 'NOT_FOUND', `Workspace ${workspaceId} not found`);
  const limit = intParam(q, 'limit', 50);
  if (limit === null || limit < 1 || limit > 100) return invalid('limit must be an integer between 1 and 100');
  const offset = intParam(q, 'offset', 0);
  if (offset === null) return invalid('offset must be a non-negative integer');
  const sortKey = q.get('sort') || '-created_at';
  const dir = SORTS[sortKey];
  if (dir === undefined) return invalid(`sort must be one of ${Object.keys(SORTS).join(', ')}`);
  const preds: ((s: PathsimSession) => boolean)[] = [(s) => s.workspaceId === workspaceId];
  for (const [name, { field, values }] of Object.entries(ENUMS)) {
    const v = q.get(name);
    if (!v) continue;
    const want = values[v.toLowerCase()];
    if (want === undefined) return invalid(`${name} must be one of ${Object.keys(values).join(', ')}`);
    preds.push((s) => s.row[field] === want);
  }
  const search = q.get('search')?.toLowerCase();
  if (search) preds.push((s) => s.row['Virtual Customer'].toLowerCase().includes(search) || s.row.Target.toLowerCase().includes(search));
  for (const [name, cmp] of [['created_from', 1], ['created_to', -1]] as const) {
    const v = q.get(name);
    if (!v) continue;
    const t = parseIsoBound(v);
    if (t === null) return invalid(`${name} must be an ISO 8601 date or date-time`);
    preds.push(cmp === 1 ? (s) => s.createdAt >= t : (s) => s.createdAt <= t);
  }
  const hits = data.sessions.filter((s) => preds.every((p) => p(s)));
  if (dir === 1) hits.reverse(); // sessions are kept newest first with distinct createdAt
  const page = hits.slice(offset, offset + limit);
  return {
    body: {
      success: true,
      data: page.map((s) => s.row),
      pagination: { total: hits.length, limit, offset, hasMore: offset + page.length < hits.length },
    },
  };
}

const WAV = fakeWav(2);
const MP4 = fakeMp4(16_384);

function recording(baseUrl: string, s: PathsimSession | undefined, req: SimRequest): SimResponse {
  if (!s) return fail(404, 'NOT_FOUND', 'Session not found');
  if (!s.detail.recording_url) return fail(404, 'NOT_FOUND', 'No recording available for this session');
  const web = s.row['Test Type'] === 'Web';
  const fileType = web ? 'video/mp4' : 'audio/wav';
  const id = s.row._id;
  if ((req.query.get('download') ?? '').toLowerCase() === 'true') {
    const res = rangeResponse(req, web ? MP4 : WAV, fileType);
    res.headers = { ...res.headers, 'Content-Disposition': `attachment; filename="recording_${id}.${web ? 'mp4' : 'wav'}"` };
    return res;
  }
  return {
    body: {
      success: true,
      data: {
        message: 'Recording available for download',
        download_url: `${baseUrl}/sessions/${id}/recording?download=true`,
        session_id: id,
        file_type: fileType,
        instructions: 'Add ?download=true to the URL to download the file directly',
      },
    },
  };
}

export async function startPathsimSimulator(opts: SimulatorOptions = {}): Promise<PathsimSimulator> {
  const apiKey = opts.apiKey ?? 'sim-pathsim-key';
  let data: PathsimData | null = null;
  let baseUrl = '';
  let byId = new Map<string, PathsimSession>();
  const handler = (req: SimRequest): SimResponse => {
    if (!data) return fail(503, 'UNAVAILABLE', 'starting');
    if (req.method !== 'GET') return fail(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed`);
    const p = req.path;
    if (p === '/v1/workspaces') return { body: { success: true, data: data.workspaces } };
    let m = /^\/v1\/workspaces\/([^/]+)\/sessions$/.exec(p);
    if (m) return listSessions(data, decodeURIComponent(m[1]!), req.query);
    m = /^\/v1\/sessions\/([^/]+)$/.exec(p);
    if (m) {
      const s = byId.get(decodeURIComponent(m[1]!));
      return s ? { body: { success: true, data: s.detail } } : fail(404, 'NOT_FOUND', 'Session not found');
    }
    m = /^\/v1\/sessions\/([^/]+)\/recording$/.exec(p);
    if (m) return recording(baseUrl, byId.get(decodeURIComponent(m[1]!)), req);
    return fail(404, 'NOT_FOUND', `No route for ${p}`);
  };
  const server = new SimServer({
    name: 'pathsim',
    auth: bearerAuth(apiKey),
    limits: { perWindow: 100, windowMs: 60_000, concurrency: 10, headers: true, retryAfter: true, ...opts.limits },
    errorBody,
    handler,
    latencyMs: opts.latencyMs,
  });
  const origin = await server.start(opts.port ?? 0, opts.host ?? '127.0.0.1');
  baseUrl = `${origin}/v1`;
  const d = generatePathsimData({ seed: opts.seed ?? 1, count: opts.count ?? 475, now: opts.now ?? Date.now(), drift: opts.drift ?? false, baseUrl });
  data = d;
  byId = new Map(d.sessions.map((s) => [s.row._id, s]));
  return {
    server,
    baseUrl,
    apiKey,
    runs: () => d.sessions.slice(),
    sessions: () => d.sessions.slice(),
    workspaces: () => d.workspaces.slice(),
    addRuns(n: number, workspaceId?: string): PathsimSession[] {
      if (workspaceId !== undefined && !d.workspaces.some((w) => w.id === workspaceId)) throw new Error(`unknown workspace ${workspaceId}`);
      const added = addSessions(d, n, workspaceId);
      for (const s of added) byId.set(s.row._id, s);
      return added;
    },
    addLate(n: number, agoMs: number): PathsimSession[] {
      const added = addLateSessions(d, n, agoMs);
      for (const s of added) byId.set(s.row._id, s);
      return added;
    },
    unfinishedIds: () => d.sessions.filter(isUnfinished).map((s) => s.row._id),
    finish(ids?: string[]): string[] {
      const targets = finishTargets(d.sessions.filter(isUnfinished).map((s) => s.row._id), ids);
      return targets.filter((id) => finishSession(d, byId.get(id)!));
    },
    close: () => server.close(),
  };
}
