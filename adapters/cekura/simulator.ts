/**
 * Cekura (evaluation-results API) simulator: a real HTTP server on loopback that behaves like
 * `https://api.cekura.ai` for the endpoints simgate reads (see schemas/vendors/cekura.yaml).
 *
 * Interpretations where the vendor is silent (ENDPOINTS.md "simgate's decisions" + DRF defaults):
 * - Lists are DRF PageNumberPagination: `page` 1-based (also `last`), default `page_size` 10, max 100
 *   (above → 400 `{"detail":…}`; 0 or not an integer → 400 too). `page` not an integer, < 1 or past the
 *   last page → 404 `{"detail":"Invalid page."}`; page 1 of an empty list is a 200 with `results: []`.
 *   `next`/`previous` are absolute URLs built from the Host header with the query keys sorted (as DRF's
 *   replace_query_param does); `previous` of page 2 drops `page`.
 * - Results are ordered newest `created_at` first, ties by id descending; the runs inside a result newest
 *   `timestamp` first, ties by id descending (ids ascend with age, so that is one global order).
 * - `search` is DRF SearchFilter on `name`: terms split on whitespace/commas, every term must occur
 *   (case-insensitive). `agent_id`, `project_id` are exact; `scenarios` = comma-separated ids, a result
 *   matches when it used any of them. A non-integer filter value → 400. Unknown ids → an empty page.
 * - `runs/bulk/?run_ids=1,2,3`: required; JSON array or non-integer token → 400; unknown ids are left out;
 *   the array comes newest first. `runs/{id}/` and runs/bulk return the full run (transcript, recording);
 *   results embed the shorter run (docs' `runs` dict fields) in the list and in the detail.
 * - Paths without their trailing slash answer 301 to the slashed path (Django APPEND_SLASH).
 * - Recordings `/recordings/{run_id}.wav` behave like presigned file URLs: no API key, `Range` honoured.
 * - Errors are DRF `{"detail": "…"}`; 429 carries `Retry-After` (no X-RateLimit-* headers).
 */
import {
  SimServer, fakeWav, finishTargets, headerAuth, intParam, rangeResponse, rng,
  type SimRequest, type SimResponse, type SimulatorOptions, type VendorSimulator,
} from '../simkit.js';
import {
  AGENT_DEFS, OPEN_RUN_STATUSES, finishRunRec, generate, makeLateResult, makeResult, renderDetail, renderResult, renderRun,
  type CekuraAgent, type CekuraResult, type CekuraRun, type ResultRec,
} from './simdata.js';

export type { CekuraAgent, CekuraResult, CekuraResultDetail, CekuraRun, CekuraRunSummary } from './simdata.js';

const PREFIX = '/test_framework/v1';
const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 10;
const DRF_DETAIL: Record<number, string> = {
  400: 'Bad request.', 401: 'Invalid API key.', 403: 'You do not have permission to perform this action.', 404: 'Not found.',
  405: 'Method not allowed.', 429: 'Request was throttled.', 500: 'A server error occurred.', 502: 'Bad gateway.',
  503: 'Service temporarily unavailable, try again later.', 504: 'Gateway timeout.',
};

export interface CekuraSimulator extends VendorSimulator<CekuraRun> {
  /** Ground truth: every result list item exactly as served (drift included), newest first. */
  results(): CekuraResult[];
  /** Ground truth: every run as the full object of runs/bulk (carries `result_id` and `agent`), newest first = (timestamp desc, id desc). Same as `runs()`. */
  allRuns(): CekuraRun[];
  /** The three AI agents (ids 101, 102, 103). */
  agents(): CekuraAgent[];
  /**
   * Adds one new result at the head with `n` runs (agent rotating 101→102→103) and returns its runs, newest first.
   * Odd calls (1st, 3rd, …) are strictly newer than everything; even calls tie: the result shares the head
   * result's `created_at` and every new run the newest run's `timestamp` (the new ids are higher, so they sort first).
   */
  addRuns(n: number): CekuraRun[];
  /**
   * Adds one new `completed` result with `n` completed, evaluated runs (agent rotating 101→102→103), created — and
   * every run launched — `agoMs` before the newest run's `timestamp` (floored to the second, at least 1 s before),
   * moved back second by second until no older result has a run launched after it, so that results stay
   * (created_at desc, id desc) and the walk of their runs (timestamp desc, id desc). New ids are the highest.
   * Returns its runs, newest first.
   */
  addLate(n: number, agoMs: number): CekuraRun[];
  /** `id` (as a string) of every run `pending`, `in_queue`, `running`, `in_progress`, `evaluating` (or drift `scaling_up`), newest first. */
  unfinishedIds(): string[];
  /** Moves these runs (default: every unfinished one) to `completed` with their evaluation; result statuses and counts follow. */
  finish(ids?: string[]): string[];
}

const bad = (status: number, detail: string): SimResponse => ({ status, body: { detail } });

/** Starts the simulator. `count` is the number of runs (default 225 ≈ 45 results of 2–8 runs). */
export async function startCekuraSimulator(opts: SimulatorOptions = {}): Promise<CekuraSimulator> {
  const apiKey = opts.apiKey ?? 'sim-cekura-key';
  const drift = opts.drift ?? false;
  const seed = opts.seed ?? 1;
  const keyAuth = headerAuth('X-CEKURA-API-KEY', apiKey);
  let results: ResultRec[] = [];
  let addCalls = 0;
  const wavCache = new Map<number, Uint8Array>();

  const findRun = (id: number): { run: ResultRec['runs'][number]; res: ResultRec } | undefined => {
    for (const res of results) {
      const run = res.runs.find((x) => x.id === id);
      if (run) return { run, res };
    }
    return undefined;
  };

  const paginate = <T, U>(req: SimRequest, items: T[], render: (x: T) => U): SimResponse => {
    const size = intParam(req.query, 'page_size', DEFAULT_PAGE_SIZE);
    if (size === null || size < 1 || size > MAX_PAGE_SIZE) return bad(400, `page_size must be an integer between 1 and ${MAX_PAGE_SIZE}.`);
    const pages = Math.max(1, Math.ceil(items.length / size));
    const raw = req.query.get('page') || '1';
    const page = raw === 'last' ? pages : /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(page >= 1 && page <= pages)) return bad(404, 'Invalid page.');
    const host = typeof req.headers.host === 'string' ? `http://${req.headers.host}` : server.origin;
    const link = (p: number): string => {
      const q = new URLSearchParams(req.query);
      if (p === 1) q.delete('page');
      else q.set('page', String(p));
      q.sort();
      const s = q.toString();
      return `${host}${req.path}${s ? `?${s}` : ''}`;
    };
    return {
      body: {
        count: items.length,
        next: page < pages ? link(page + 1) : null,
        previous: page > 1 ? link(page - 1) : null,
        results: items.slice((page - 1) * size, page * size).map(render),
      },
    };
  };

  /** Integer filter: undefined when absent, null when invalid. */
  const intFilter = (q: URLSearchParams, name: string): number | undefined | null => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    return /^\d+$/.test(v) ? Number(v) : null;
  };

  const listResults = (req: SimRequest): SimResponse => {
    const q = req.query;
    const agentId = intFilter(q, 'agent_id');
    const projectId = intFilter(q, 'project_id');
    if (agentId === null) return bad(400, 'agent_id: Enter a whole number.');
    if (projectId === null) return bad(400, 'project_id: Enter a whole number.');
    const scenRaw = q.get('scenarios');
    let scen: number[] | undefined;
    if (scenRaw) {
      const toks = scenRaw.split(',').map((t) => t.trim()).filter(Boolean);
      if (!toks.every((t) => /^\d+$/.test(t))) return bad(400, 'scenarios must be a comma-separated list of scenario ids, e.g. scenarios=1,2.');
      scen = toks.map(Number);
    }
    const terms = (q.get('search') ?? '').toLowerCase().split(/[\s,]+/).filter(Boolean);
    const picked = results.filter((r) =>
      (agentId === undefined || r.def.agent.id === agentId) &&
      (projectId === undefined || r.def.agent.project === projectId) &&
      (!scen || r.runs.some((x) => scen.includes(x.scenario.id))) &&
      terms.every((t) => r.name.toLowerCase().includes(t)));
    return paginate(req, picked, (r) => renderResult(r, server.origin, drift));
  };

  const listAgents = (req: SimRequest): SimResponse => {
    const projectId = intFilter(req.query, 'project_id');
    if (projectId === null) return bad(400, 'project_id: Enter a whole number.');
    const term = (req.query.get('q') ?? '').toLowerCase();
    return paginate(req, AGENT_DEFS.map((d) => d.agent).filter((a) =>
      (projectId === undefined || a.project === projectId) && a.agent_name.toLowerCase().includes(term)), (a) => ({ ...a }));
  };

  const bulk = (req: SimRequest): SimResponse => {
    const raw = req.query.get('run_ids');
    if (raw === null || raw.trim() === '') return bad(400, 'run_ids query parameter is required.');
    const toks = raw.split(',').map((t) => t.trim()).filter(Boolean);
    if (!toks.length || !toks.every((t) => /^\d+$/.test(t))) return bad(400, 'run_ids must be a comma-separated list of integers, e.g. run_ids=1,2,3.');
    const want = new Set(toks.map(Number));
    return { body: results.flatMap((res) => res.runs.filter((x) => want.has(x.id)).map((x) => renderRun(x, res, server.origin))) };
  };

  const handler = (req: SimRequest): SimResponse => {
    if (req.method !== 'GET') return bad(405, `Method "${req.method}" not allowed.`);
    const p = req.path;
    let m: RegExpExecArray | null;
    if (p === `${PREFIX}/aiagents/`) return listAgents(req);
    if (p === `${PREFIX}/results/`) return listResults(req);
    if (p === `${PREFIX}/runs/bulk/`) return bulk(req);
    if ((m = new RegExp(`^${PREFIX}/results/(\\d+)/$`).exec(p))) {
      const res = results.find((r) => r.id === Number(m![1]));
      return res ? { body: renderDetail(res, server.origin, drift) } : bad(404, 'Not found.');
    }
    if ((m = new RegExp(`^${PREFIX}/runs/(\\d+)/$`).exec(p))) {
      const hit = findRun(Number(m[1]));
      return hit ? { body: renderRun(hit.run, hit.res, server.origin) } : bad(404, 'Not found.');
    }
    if ((m = /^\/recordings\/(\d+)\.wav$/.exec(p))) {
      const id = Number(m[1]);
      const full = findRun(id);
      if (!full || !renderRun(full.run, full.res, server.origin).voice_recording_url) return bad(404, 'Not found.');
      if (!wavCache.has(id)) wavCache.set(id, fakeWav(1 + (id % 2)));
      return rangeResponse(req, wavCache.get(id)!, 'audio/wav');
    }
    if (p.startsWith(`${PREFIX}/`) && !p.endsWith('/')) {
      const q = req.query.toString();
      return { status: 301, headers: { Location: `${p}/${q ? `?${q}` : ''}` }, body: '', raw: true };
    }
    return bad(404, 'Not found.');
  };

  const server = new SimServer({
    name: 'cekura',
    auth: (req) => req.path.startsWith('/recordings/') || keyAuth(req),
    limits: { perWindow: 120, windowMs: 60_000, concurrency: 5, headers: false, retryAfter: true, ...opts.limits },
    errorBody: (status) => ({ detail: DRF_DETAIL[status] ?? 'Error.' }),
    handler,
    latencyMs: opts.latencyMs ?? 0,
  });
  await server.start(opts.port ?? 0, opts.host ?? '127.0.0.1');
  results = generate(seed, opts.now ?? Date.now(), opts.count ?? 225, drift);

  /** The PRNG of addLate and finish (one stream, so that the same calls give the same data). */
  const life = rng((Math.imul(seed, 7919) ^ 0x1a7e) >>> 0);
  let lateCalls = 0;
  /** Every run that is not final yet with its result, newest first (the order of allRuns). */
  const openRuns = (): { run: ResultRec['runs'][number]; res: ResultRec }[] =>
    results.flatMap((res) => res.runs.filter((run) => OPEN_RUN_STATUSES.has(run.status)).map((run) => ({ run, res })));

  const allRuns = (): CekuraRun[] => results.flatMap((res) => res.runs.map((x) => renderRun(x, res, server.origin)));

  return {
    server,
    baseUrl: server.origin,
    apiKey,
    runs: allRuns,
    allRuns,
    results: () => results.map((r) => renderResult(r, server.origin, drift)),
    agents: () => AGENT_DEFS.map((d) => ({ ...d.agent })),
    addRuns(n: number): CekuraRun[] {
      addCalls += 1;
      const r = rng(seed * 7919 + addCalls);
      const head = results[0];
      const newestTs = head?.runs[0]?.ts ?? Math.floor((opts.now ?? Date.now()) / 1000);
      const tie = addCalls % 2 === 0 && head !== undefined;
      const created = tie ? head.created : newestTs + 5;
      const ts = Array.from({ length: n }, (_, i) => (tie ? newestTs : created + (i < n / 2 ? 2 : 1)));
      const def = AGENT_DEFS[(addCalls - 1) % AGENT_DEFS.length]!;
      const res = makeResult(r, def, 'completed', created, ts, results.length + 1, false);
      let runId = Math.max(0, ...results.flatMap((x) => x.runs.map((y) => y.id))) + n;
      res.id = Math.max(0, ...results.map((x) => x.id)) + 1;
      for (const run of res.runs) run.id = runId--;
      results = [res, ...results];
      return res.runs.map((x) => renderRun(x, res, server.origin));
    },
    addLate(n: number, agoMs: number): CekuraRun[] {
      lateCalls += 1;
      const newestTs = results[0]?.runs[0]?.ts ?? Math.floor((opts.now ?? Date.now()) / 1000);
      let created = Math.min(Math.floor((newestTs * 1000 - agoMs) / 1000), newestTs - 1);
      // an older result (created at or before) must not have a run launched after the new result's runs
      while (results.some((x) => x.created <= created && x.runs.some((y) => y.ts > created))) created -= 1;
      const def = AGENT_DEFS[(lateCalls - 1) % AGENT_DEFS.length]!;
      const res = makeLateResult(life, def, created, n, results.length + 1, newestTs);
      let topRun = 0;
      let topResult = 0;
      for (const x of results) {
        topResult = Math.max(topResult, x.id);
        for (const y of x.runs) topRun = Math.max(topRun, y.id);
      }
      let runId = topRun + n;
      res.id = topResult + 1;
      for (const run of res.runs) run.id = runId--;
      const at = results.findIndex((x) => x.created <= created);
      results.splice(at < 0 ? results.length : at, 0, res);
      return res.runs.map((x) => renderRun(x, res, server.origin));
    },
    unfinishedIds: () => openRuns().map(({ run }) => String(run.id)),
    finish(ids?: string[]): string[] {
      const open = new Map(openRuns().map((x) => [String(x.run.id), x]));
      return finishTargets([...open.keys()], ids).filter((id) => {
        const hit = open.get(id)!;
        return finishRunRec(life, hit.res, hit.run);
      });
    },
    close: () => server.close(),
  };
}
