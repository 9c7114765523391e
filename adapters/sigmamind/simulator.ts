/**
 * SigmaMind simulator: the chat-simulation batch-run API (docs.sigmamind.ai) as a loopback HTTP
 * server, built on simkit's SimServer. Base URL = origin; every path carries `/v1`.
 *
 *   GET /v1/agents                                   page/size envelope of agents
 *   GET /v1/test-runs?agentId&batchId&page&size      simgate's inferred list endpoint (not in the vendor docs)
 *   GET /v1/test-runs/{jobId}?batchId&agentId        one test run (both query params required)
 *   GET /v1/batch-runs?agentId&page&size             batches of an agent, newest first
 *   GET /v1/batch-runs/{batchId}?agentId             one batch (no envelope)
 *
 * Interpretations where the docs are vague (ENDPOINTS.md §003 + "simgate's decisions"):
 * - Pages are zero-based; `size` defaults to 20, must be 1..100; `page` must be a non-negative
 *   integer. Anything else → 400. A page past the end is 200 with `data: []`, `hasNext: false`.
 * - `totalPages = ceil(totalCount / size)`, `hasNext = page < totalPages - 1`, `hasPrevious = page > 0`.
 * - Test runs and batch runs are listed newest `createdDate` first; ties (many: all jobs of a
 *   batch share its createdDate, or lie 1-3 ms after it) keep one stable order across requests.
 * - `agentId` is required wherever the docs require it (and on the inferred list): missing → 400,
 *   unknown agent → 404. `batchId` on the list is a filter: an unknown or foreign batch gives an
 *   empty page. The detail endpoints answer 404 when the job/batch is not in that batch/agent.
 * - Every non-2xx body is Spring's `{error, message, path, status, timestamp}`; 429 carries `Retry-After`.
 * - `/v1/agents` lists every agent (single-prompt agents) with the same page/size envelope.
 */
import http from 'node:http';
import {
  SimServer,
  finishTargets,
  headerAuth,
  intParam,
  type SimLimits,
  type SimRequest,
  type SimResponse,
  type SimulatorOptions,
  type VendorSimulator,
} from '../simkit.js';
import type { components } from '../../schemas/vendors/sigmamind.gen.js';
import { addBatch, addLateBatch, finishTestRun, generate, isUnfinished, type Agent, type BatchRun, type RunTruth, type SimState, type TestRun } from './simdata.js';

export type { Agent, BatchRun, RunTruth, TestRun } from './simdata.js';
export type ErrorBody = components['schemas']['ErrorBody'];
export { TIE_BOUNDARIES } from './simdata.js';

/** SigmaMind's limits as simgate assumes them (the vendor publishes none): 120/min, 5 concurrent. */
export const SIGMAMIND_LIMITS: SimLimits = { perWindow: 120, windowMs: 60_000, concurrency: 5, headers: false, retryAfter: true };
export const SIGMAMIND_MAX_SIZE = 100;
export const SIGMAMIND_DEFAULT_SIZE = 20;

export type SigmaMindSimulatorOptions = SimulatorOptions;

export interface SigmaMindSimulator extends VendorSimulator<TestRun> {
  /** Ground truth: every test run as served (wire shape, deep copies), newest first. */
  runs(): TestRun[];
  /**
   * Ground truth with context, newest first (the order of the list endpoint): `agentId`, `batchId`,
   * `jobId`, `createdMs` (also for the drift run whose `createdDate` is missing on the wire) and `run`.
   */
  testRuns(): RunTruth[];
  /** The agents as `GET /v1/agents` serves them. */
  agents(): Agent[];
  /** Batch runs as served, newest first; only `agentId`'s when given. */
  batches(agentId?: string): BatchRun[];
  /**
   * Adds one new batch of `n` runs at the head for `agentId` (default: the agent of the newest
   * run) and returns its runs, newest first. Odd calls (1st, 3rd, …) create it strictly newer than
   * the current newest run; even calls tie with it to the millisecond.
   */
  addRuns(n: number, agentId?: string): TestRun[];
  /**
   * Adds one new batch of `n` finished, evaluated runs (`completedDate` + `isSuccessful` true/false) for the agent
   * of the newest run, created `agoMs` before the newest run (at least 1 ms). Returns its runs, newest first.
   */
  addLate(n: number, agoMs: number): TestRun[];
  /** `jobId` of every run without `completedDate`, or completed with the verdict still null, newest first. */
  unfinishedIds(): string[];
  /** Moves these runs (default: every unfinished one) to completed with a verdict; their batches' counts follow. */
  finish(ids?: string[]): string[];
}

/** Spring Boot's error body. */
export function sigmamindErrorBody(status: number, message: string, path: string): ErrorBody {
  return { error: http.STATUS_CODES[status] ?? 'Error', message, path, status, timestamp: new Date().toISOString() };
}

const MESSAGES: Record<string, string> = {
  UNAUTHORIZED: 'Invalid or missing API key',
  RATE_LIMITED: 'Too many requests',
};

interface Paging {
  page: number;
  size: number;
}

function paging(q: URLSearchParams): Paging | string {
  const page = intParam(q, 'page', 0);
  const size = intParam(q, 'size', SIGMAMIND_DEFAULT_SIZE);
  if (page === null) return `Invalid value for parameter 'page': ${q.get('page')}`;
  if (size === null || size < 1) return `Invalid value for parameter 'size': ${q.get('size')}`;
  if (size > SIGMAMIND_MAX_SIZE) return `size must be less than or equal to ${SIGMAMIND_MAX_SIZE}`;
  return { page, size };
}

function envelope<T>(all: T[], p: Paging): { data: T[]; page: number; size: number; totalCount: number; totalPages: number; hasNext: boolean; hasPrevious: boolean } {
  const totalPages = Math.ceil(all.length / p.size);
  return {
    data: all.slice(p.page * p.size, (p.page + 1) * p.size),
    page: p.page,
    size: p.size,
    totalCount: all.length,
    totalPages,
    hasNext: p.page < totalPages - 1,
    hasPrevious: p.page > 0,
  };
}

export async function startSigmaMindSimulator(opts: SigmaMindSimulatorOptions = {}): Promise<SigmaMindSimulator> {
  const apiKey = opts.apiKey ?? 'sim-sigmamind-key';
  const st: SimState = generate(opts.seed ?? 1, opts.count ?? 250, opts.now ?? Date.now(), opts.drift ?? false);
  const clone = <T>(x: T): T => structuredClone(x);

  const fail = (req: SimRequest, status: number, message: string): SimResponse => ({
    status,
    body: sigmamindErrorBody(status, message, req.path),
  });
  const agentOf = (id: string) => st.agents.find((a) => a.ref.agentId === id);

  /** Common checks for the agent-scoped endpoints; returns the agentId or an error answer. */
  const needAgent = (req: SimRequest, ...required: string[]): string | SimResponse => {
    for (const name of required) {
      if (!req.query.get(name)) return fail(req, 400, `Required request parameter '${name}' for method parameter type String is not present`);
    }
    const agentId = req.query.get('agentId')!;
    return agentOf(agentId) ? agentId : fail(req, 404, `Agent not found: ${agentId}`);
  };

  const handler = (req: SimRequest): SimResponse => {
    const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'v1' || parts.length < 2 || parts.length > 3) return fail(req, 404, 'No static resource found');
    const [, coll, id] = parts;
    if (!['agents', 'test-runs', 'batch-runs'].includes(coll!) || (coll === 'agents' && id !== undefined)) {
      return fail(req, 404, 'No static resource found');
    }
    if (req.method !== 'GET') return fail(req, 405, `Request method '${req.method}' is not supported`);

    if (coll === 'agents') {
      const p = paging(req.query);
      if (typeof p === 'string') return fail(req, 400, p);
      return { body: envelope(st.agents.map((a) => a.agent), p) };
    }

    if (coll === 'test-runs' && id === undefined) {
      const p = paging(req.query);
      if (typeof p === 'string') return fail(req, 400, p);
      const agentId = needAgent(req, 'agentId');
      if (typeof agentId !== 'string') return agentId;
      const batchId = req.query.get('batchId');
      const rows = st.runs.filter((x) => x.agentId === agentId && (!batchId || x.batchId === batchId)).map((x) => x.run);
      return { body: envelope(rows, p) };
    }

    if (coll === 'test-runs') {
      const agentId = needAgent(req, 'batchId', 'agentId');
      if (typeof agentId !== 'string') return agentId;
      const batchId = req.query.get('batchId');
      const hit = st.runs.find((x) => x.jobId === id && x.batchId === batchId && x.agentId === agentId);
      return hit ? { body: hit.run } : fail(req, 404, `Test run not found: ${id}`);
    }

    if (id === undefined) {
      const p = paging(req.query);
      if (typeof p === 'string') return fail(req, 400, p);
      const agentId = needAgent(req, 'agentId');
      if (typeof agentId !== 'string') return agentId;
      return { body: envelope(st.batches.filter((b) => b.agentId === agentId).map((b) => b.batch), p) };
    }

    const agentId = needAgent(req, 'agentId');
    if (typeof agentId !== 'string') return agentId;
    const hit = st.batches.find((b) => b.batchId === id && b.agentId === agentId);
    return hit ? { body: hit.batch } : fail(req, 404, `Batch run not found: ${id}`);
  };

  const server = new SimServer({
    name: 'sigmamind',
    auth: headerAuth('X-API-Key', apiKey),
    limits: { ...SIGMAMIND_LIMITS, ...(opts.limits ?? {}) },
    errorBody: (status, code, message, req) =>
      sigmamindErrorBody(status, MESSAGES[code] ?? message, req?.path ?? '/'),
    handler,
    latencyMs: opts.latencyMs ?? 0,
  });
  const origin = await server.start(opts.port ?? 0, opts.host ?? '127.0.0.1');

  return {
    server,
    baseUrl: origin,
    apiKey,
    runs: () => st.runs.map((x) => clone(x.run)),
    testRuns: () => st.runs.map((x) => clone(x)),
    agents: () => st.agents.map((a) => clone(a.agent)),
    batches: (agentId?: string) => st.batches.filter((b) => !agentId || b.agentId === agentId).map((b) => clone(b.batch)),
    addRuns: (n: number, agentId?: string) => addBatch(st, n, agentId).map((x) => clone(x.run)),
    addLate: (n: number, agoMs: number) => addLateBatch(st, n, agoMs).map((x) => clone(x.run)),
    unfinishedIds: () => st.runs.filter(isUnfinished).map((x) => x.jobId),
    finish(ids?: string[]): string[] {
      const open = new Map(st.runs.filter(isUnfinished).map((x) => [x.jobId, x]));
      return finishTargets([...open.keys()], ids).filter((id) => finishTestRun(st, open.get(id)!));
    },
    close: () => server.close(),
  };
}
