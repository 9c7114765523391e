/**
 * One run, group or recording of a tenant (GET /v1/runs/{id}, /v1/groups/{id}, …/recording) and the
 * full runs a list's `include=transcript,evaluations` asks for: through the cache, within the deadline.
 */
import type { Group, ProviderId, ProviderStatus, Run } from '../../schemas/run.js';
import type { Include } from '../../schemas/query.js';
import { FINAL_STATUSES } from '../index/absorb.js';
import { POLICIES, cachePrefix } from './cache.js';
import { GatewayError } from './errors.js';
import type { Gateway } from './gateway.js';
import type { RequestScope } from './scope.js';
import { MapError } from './types.js';

export class Details {
  /**
   * Answers of GET /v1/runs/{id} by tenant, run and include, with the cached text they were made from; a finished
   * run's answer (it cannot change) is served from here without reading the cache again, until `until`.
   */
  private readonly answers = new Map<string, { source: string; body: string; until: number | null }>();

  constructor(private readonly gw: Gateway) {}

  /** Fetches each run in full where the list did not carry transcript / evaluations. */
  async enrich(tenant: string, runs: Run[], scope: RequestScope, providers: Record<string, ProviderStatus>): Promise<Run[]> {
    const out = [...runs];
    const todo = runs.map((r, i) => ({ r, i })).filter(({ r }) => r.transcript === undefined || r.evaluations === undefined);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const { r, i } = todo[next++]!;
        try {
          const full = await this.fetchRun(tenant, r.provider, r.id.slice(r.provider.length + 1), scope);
          if (full) out[i] = { ...r, transcript: full.transcript ?? [], evaluations: full.evaluations ?? [] };
        } catch (e) {
          const err = e instanceof GatewayError ? e : new GatewayError('provider_error', `${r.provider}: detail failed`);
          providers[r.provider] = { status: 'error', error: { code: err.code, message: `detail of ${r.id}: ${err.message}`, retryable: err.retryable } };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, todo.length) }, worker));
    return out;
  }

  /** Runs one adapter call for a provider, recording its health; an unreadable vendor item is a provider_error. */
  private async call<T>(provider: ProviderId, fn: () => Promise<T>): Promise<T> {
    try {
      const out = await fn();
      this.gw.record(provider);
      return out;
    } catch (e) {
      const err =
        e instanceof MapError
          ? new GatewayError('provider_error', `${this.gw.adapter(provider).spec.name}: the vendor's answer cannot be read (${e.message})`, { provider, retryable: false })
          : e;
      if (err instanceof GatewayError) this.gw.record(provider, err);
      throw err;
    }
  }

  /**
   * One run from its adapter, through the cache: a finished run is immutable and kept long,
   * an unfinished one briefly; `Cache-Control: no-cache` asks the vendor afresh.
   */
  private async fetchRun(tenant: string, provider: ProviderId, key: string, scope: RequestScope): Promise<Run | null> {
    const text = await this.fetchRunText(tenant, provider, key, scope);
    return text ? (JSON.parse(text) as Run) : null;
  }

  /** The run as JSON text, through the cache (the cache is asked first: a hit builds no upstream client). */
  private async fetchRunText(tenant: string, provider: ProviderId, key: string, scope: RequestScope): Promise<string | null> {
    const load = async (): Promise<string | null> => {
      const ctx = await this.gw.context(tenant, provider, scope);
      const run = await this.call(provider, () => this.gw.adapter(provider).getRun(ctx, key));
      // the index's copy follows what the vendor just said (a run still running, say)
      if (run) this.gw.index?.noteRun(tenant, provider, run, scope.background);
      return run ? JSON.stringify(run) : null;
    };
    const cache = this.gw.deps.cache;
    const tp = this.gw.deps.config.tenants[tenant]?.providers[provider];
    if (!cache || !tp) return load();
    const prefix = cachePrefix(tenant, provider, await this.gw.fingerprint(tp.apiKey));
    const final = (v: string): boolean => FINAL_STATUSES.has((JSON.parse(v) as Run).status);
    const r = await cache.get(`${prefix}run:${key}`, load, (v) => (final(v) ? POLICIES.long : POLICIES.list), {
      bypass: scope.bypassCache,
      // `no-cache` re-reads a run that can still change; a finished one comes from the cache
      keep: final,
      background: scope.background,
      deadline: scope.deadline,
      late: () => new GatewayError('provider_timeout', `${this.gw.adapter(provider).spec.name}: no answer within the request deadline`, { provider }),
    });
    scope.noteCache(provider, r.result);
    return r.value;
  }

  /**
   * GET /v1/runs/{id} as response text (`{"data": Run}` with transcript and evaluations). The answer for a
   * cached run is remembered while the cached text stays the same, so a cache hit is not re-serialised.
   */
  async getRunJson(tenant: string, id: string, include: Include[], scope: RequestScope): Promise<string> {
    const { provider, native } = this.gw.parseRunId(tenant, id);
    const memoKey = `${tenant}|${provider}|${native}|${include.length ? [...include].sort().join(',') : ''}`;
    const now = this.gw.deps.clock();
    const known = this.answers.get(memoKey);
    if (known?.until && known.until > now && this.gw.deps.cache) {
      this.gw.deps.metrics?.inc('simgate_cache_requests_total', { result: 'hit' });
      return known.body;
    }
    const text = await this.fetchRunText(tenant, provider, native, scope);
    if (!text) throw new GatewayError('not_found', `no run ${id}`, { retryable: false });
    if (known && known.source === text) return known.body;
    const run = JSON.parse(text) as Run;
    const body = JSON.stringify({ data: shape({ ...run, transcript: run.transcript ?? [], evaluations: run.evaluations ?? [] }, ['transcript', 'evaluations', ...include]) });
    if (this.answers.size >= 2000) this.answers.clear();
    this.answers.set(memoKey, { source: text, body, until: FINAL_STATUSES.has(run.status) ? now + POLICIES.long.freshMs : null });
    return body;
  }

  async getGroup(tenant: string, id: string, scope: RequestScope): Promise<Group> {
    const { provider, native } = this.gw.parseRunId(tenant, id);
    const groups = this.gw.adapter(provider).groups;
    if (!groups) throw new GatewayError('not_found', `${provider} has no groups`, { retryable: false });
    const ctx = await this.gw.context(tenant, provider, scope);
    const g = await this.call(provider, () => groups.get(ctx, native));
    if (!g) throw new GatewayError('not_found', `no group ${id}`, { retryable: false });
    const { raw: _raw, ...rest } = g;
    return rest;
  }

  async recording(tenant: string, id: string, range: string | undefined, scope: RequestScope): Promise<Response> {
    const { provider, native } = this.gw.parseRunId(tenant, id);
    const a = this.gw.adapter(provider);
    if (!a.recording) throw new GatewayError('not_found', `${provider} runs have no recordings`, { retryable: false });
    const ctx = await this.gw.context(tenant, provider, scope);
    const res = await this.call(provider, () => a.recording!(ctx, native, range));
    if (!res) throw new GatewayError('not_found', `run ${id} has no recording`, { retryable: false });
    if (res.status === 416) {
      await res.body?.cancel().catch(() => {});
      if (!range) throw new GatewayError('provider_error', `${a.spec.name}: answered 416 to a request without Range`, { provider, retryable: false });
      // the vendor's `bytes */N`, or the size a one-byte read reveals
      let size = sizeOf(res);
      if (size === null) {
        const probe = await this.call(provider, () => a.recording!(ctx, native, 'bytes=0-0'));
        await probe?.body?.cancel().catch(() => {});
        size = probe ? sizeOf(probe) : null;
      }
      throw rangeError(range, size);
    }
    if (res.status === 200 && range) {
      // a vendor that ignores Range: a Range past the end is still answered as HTTP says
      const size = sizeOf(res);
      if (size !== null && unsatisfiable(range, size)) {
        await res.body?.cancel().catch(() => {});
        throw rangeError(range, size);
      }
    }
    return res;
  }
}

/** The size of a file: the complete length of Content-Range (after its `/`) or, on a whole answer, Content-Length. */
function sizeOf(res: Response): number | null {
  const m = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
  if (m) return Number(m[1]);
  const len = res.headers.get('content-length');
  return res.status === 200 && len && /^\d+$/.test(len) ? Number(len) : null;
}

/** Does a `bytes=` Range ask for no byte of a file of `size` bytes? (A Range that cannot be read is ignored, as HTTP says.) */
export function unsatisfiable(range: string, size: number): boolean {
  const m = /^bytes=(.+)$/i.exec(range.trim());
  if (!m) return false;
  const specs = m[1]!.split(',').map((x) => /^\s*(\d*)\s*-\s*(\d*)\s*$/.exec(x));
  if (specs.some((x) => !x || (x[1] === '' && x[2] === ''))) return false;
  return specs.every((x) => (x![1] !== '' ? Number(x![1]) >= size : Number(x![2]) === 0 || size === 0));
}

function rangeError(range: string, size: number | null): GatewayError {
  const asked = range.length > 100 ? `${range.slice(0, 100)}…` : range;
  return new GatewayError(
    'range_not_satisfiable',
    size === null ? `the Range ${asked} asks for no byte of the recording` : `the Range ${asked} asks for no byte of the recording (${size} bytes)`,
    { retryable: false, ...(size === null ? {} : { headers: { 'Content-Range': `bytes */${size}` } }) },
  );
}

/** Leaves out what the client did not ask for. */
export function shape(run: Run, include: Include[]): Run {
  const out: Run = { ...run };
  if (!include.includes('transcript')) delete out.transcript;
  if (!include.includes('evaluations')) delete out.evaluations;
  if (!include.includes('raw')) delete out.raw;
  return out;
}
