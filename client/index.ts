/** The typed simgate client: openapi-fetch over the paths generated from the gateway's /openapi.json, with the errors and page walks callers need. */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths } from './schema.js';

type Schemas = components['schemas'];
export type Run = Schemas['Run'];
export type RunList = Schemas['RunList'];
export type Provider = Schemas['Provider'];
export type ProviderStatus = Schemas['ProviderStatus'];
export type Summary = Schemas['Summary'];
export type ReportTotals = Schemas['ReportTotals'];
export type ReportGroupKey = Schemas['ReportGroupKey'];
export type ReportProviderStatus = Schemas['ReportProviderStatus'];
export type Regressions = Schemas['Regressions'];
export type RegressionItem = Schemas['RegressionItem'];
export type ErrorEnvelope = Schemas['Error'];

/** The query of GET /v1/runs without the cursor (the walk sets it). */
export type RunsQuery = Omit<NonNullable<paths['/v1/runs']['get']['parameters']['query']>, 'cursor'>;
export type SummaryQuery = NonNullable<paths['/v1/reports/summary']['get']['parameters']['query']>;
export type RegressionsQuery = NonNullable<paths['/v1/reports/regressions']['get']['parameters']['query']>;

/** The gateway answered with its error envelope (or, through something that is not the gateway, a non-envelope error). */
export class SimgateError extends Error {
  readonly status: number;
  readonly code: string;
  readonly envelope: ErrorEnvelope | null;
  constructor(status: number, envelope: ErrorEnvelope | null, fallback: string) {
    super(envelope?.error.message ?? fallback);
    this.name = 'SimgateError';
    this.status = status;
    this.code = envelope?.error.code ?? `http_${status}`;
    this.envelope = envelope;
  }
}

/** The gateway could not be reached at all (refused, DNS, reset): says which URL was tried. */
export class SimgateConnectionError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach simgate at ${url}: ${reason}`);
    this.name = 'SimgateConnectionError';
  }
}

export interface SimgateClientOptions {
  /** The gateway's origin, e.g. http://127.0.0.1:8787 */
  baseUrl: string;
  /** A gateway key; sent as `Authorization: Bearer <key>`. */
  key?: string | undefined;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export type SimgateClient = Client<paths, 'application/json'>;

function reasonOf(e: unknown): string {
  const cause = e instanceof Error ? (e as Error & { cause?: unknown }).cause : undefined;
  if (cause && typeof cause === 'object') {
    const c = cause as { code?: unknown; message?: unknown };
    if (typeof c.code === 'string') return c.code === 'ECONNREFUSED' ? 'connection refused' : c.code;
    if (typeof c.message === 'string') return c.message;
  }
  return e instanceof Error ? e.message : String(e);
}

export function createSimgateClient(o: SimgateClientOptions): SimgateClient {
  const baseUrl = o.baseUrl.replace(/\/+$/, '');
  const inner = o.fetch ?? globalThis.fetch;
  const wrapped = async (req: Request): Promise<Response> => {
    try {
      return await inner(req);
    } catch (e) {
      if (e instanceof Error && e.name === 'AbortError') throw e;
      throw new SimgateConnectionError(baseUrl, reasonOf(e));
    }
  };
  return createClient<paths, 'application/json'>({
    baseUrl,
    fetch: wrapped,
    headers: { ...o.headers, ...(o.key ? { authorization: `Bearer ${o.key}` } : {}) },
  });
}

function isEnvelope(v: unknown): v is ErrorEnvelope {
  if (!v || typeof v !== 'object' || !('error' in v)) return false;
  const e = (v as { error: unknown }).error;
  return !!e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' && typeof (e as { code?: unknown }).code === 'string';
}

/** The data of an openapi-fetch result, or a SimgateError carrying the envelope. */
export function unwrap<T>(r: { data?: T; error?: unknown; response: Response }): T {
  if (r.response.ok && r.data !== undefined) return r.data;
  const text = typeof r.error === 'string' ? r.error.slice(0, 200) : '';
  throw new SimgateError(r.response.status, isEnvelope(r.error) ? r.error : null, `HTTP ${r.response.status}${text ? `: ${text}` : ''}`);
}

/** Every page of GET /v1/runs for `query`, following `next_cursor` until it is null. */
export async function* runPages(client: SimgateClient, query: RunsQuery = {}, o: { signal?: AbortSignal } = {}): AsyncGenerator<RunList> {
  let cursor: string | undefined;
  do {
    const page = unwrap(await client.GET('/v1/runs', { params: { query: { ...query, ...(cursor ? { cursor } : {}) } }, ...(o.signal ? { signal: o.signal } : {}) }));
    yield page;
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
}

/** Every run matching `query`, once each, newest first. */
export async function* allRuns(client: SimgateClient, query: RunsQuery = {}): AsyncGenerator<Run> {
  for await (const page of runPages(client, query)) yield* page.data;
}
