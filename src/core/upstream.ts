/**
 * The upstream client: one vendor credential, behind the limiter, with a timeout, retries
 * with jittered backoff for 5xx / resets / timeouts, waits on 429, and every failure turned
 * into one typed GatewayError (provider_error / provider_unavailable / provider_timeout, or
 * rate_limited when the vendor budget cannot serve a call before the request's deadline).
 * Every wait — the limiter's queue, a backoff, a 429, the answer itself — ends at the deadline.
 */
import type { ProviderId } from '../../schemas/run.js';
import { GatewayError } from './errors.js';
import { LimiterTimeout, PRIORITY, type Limiter, type Limits } from './limiter.js';
import type { Logger } from './log.js';
import type { VendorSpec } from './types.js';
import { POLICIES, type Cache, type PolicyName } from './cache.js';
import type { RequestScope } from './scope.js';
import type { Breaker } from './breaker.js';
import type { Metrics } from './metrics.js';

export interface UpstreamOptions {
  provider: ProviderId;
  spec: VendorSpec;
  baseUrl: string;
  apiKey: string;
  fetch: typeof fetch;
  limiter: Limiter;
  /** Limiter key: provider + fingerprint of the credential (one vendor key = one budget). */
  limiterKey: string;
  limits: Limits;
  timeoutMs: number;
  retries: number;
  timing: RequestScope;
  log: Logger;
  clock?: () => number;
  /** Longest single wait on a vendor's 429 before giving up (ms). */
  maxRateWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Shared cache with this call's key prefix (tenant, provider, credential fingerprint). */
  cache?: { cache: Cache; prefix: string };
  breaker?: Breaker;
  metrics?: Metrics;
  /** The limiter priority of these calls (PRIORITY in limiter.ts; default: a client's request). */
  priority?: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class Upstream {
  private readonly clock: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly o: UpstreamOptions) {
    this.clock = o.clock ?? Date.now;
    this.sleep = o.sleep ?? defaultSleep;
  }

  get provider(): ProviderId {
    return this.o.provider;
  }

  /** Absolute URL for a path under the base URL (or an absolute vendor URL), with a query. */
  url(pathOrUrl: string, query: Record<string, string> = {}): string {
    const u = new URL(/^https?:\/\//.test(pathOrUrl) ? pathOrUrl : this.o.baseUrl + pathOrUrl);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    u.searchParams.sort();
    return u.toString();
  }

  /**
   * The credential header, only for the vendor's own origin: an absolute URL elsewhere (a signed
   * recording link on a storage host) is fetched without it, so the key never leaves for a third party.
   */
  private authHeaders(url: string): Record<string, string> {
    if (new URL(url).origin !== new URL(this.o.baseUrl).origin) return {};
    const { header, scheme } = this.o.spec.auth;
    return { [header]: scheme ? `${scheme} ${this.o.apiKey}` : this.o.apiKey };
  }

  /** Removes the credential from any text that came back from the vendor. */
  private scrub(text: string): string {
    return this.o.apiKey ? text.split(this.o.apiKey).join('[redacted]') : text;
  }

  private fail(code: 'provider_error' | 'provider_unavailable' | 'provider_timeout' | 'rate_limited', message: string, retryAfterS?: number, upstreamStatus?: number): GatewayError {
    return new GatewayError(code, `${this.o.spec.name}: ${this.scrub(message)}`, {
      provider: this.o.provider,
      ...(retryAfterS !== undefined ? { retryAfterS } : {}),
      ...(upstreamStatus !== undefined ? { upstreamStatus } : {}),
    });
  }

  /** Retry-After (seconds or HTTP date) or X-RateLimit-Reset (epoch seconds) as a wait in ms. */
  private rateWait(res: Response): number {
    const ra = res.headers.get('retry-after');
    if (ra) {
      const s = Number(ra);
      if (Number.isFinite(s)) return Math.max(0, s * 1000);
      const d = Date.parse(ra);
      if (!Number.isNaN(d)) return Math.max(0, d - this.clock());
    }
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    if (reset > 0) {
      const ms = reset > 1e12 ? reset : reset * 1000;
      return Math.max(0, ms - this.clock());
    }
    return 1000;
  }

  /**
   * Sends a GET and returns the response once it is 2xx (or one of the `pass` statuses), else throws.
   * The body is not read here, so that recordings can stream.
   */
  async request(pathOrUrl: string, query: Record<string, string> = {}, o: { headers?: Record<string, string>; pass?: number[] } = {}): Promise<Response> {
    const url = this.url(pathOrUrl, query);
    const path = new URL(url).pathname;
    const maxRateWait = this.o.maxRateWaitMs ?? 65_000;
    const breaker = this.o.breaker;
    const deadline = this.o.timing.deadline;
    if (breaker && !breaker.allow()) {
      throw this.fail('provider_unavailable', 'circuit open after repeated failures; not calling the vendor', Math.ceil(breaker.retryInMs() / 1000) || 1);
    }
    let attempt = 0;
    let rateWaits = 0;
    for (;;) {
      if (this.clock() >= deadline) throw this.fail('provider_timeout', 'no answer within the request deadline');
      const started = this.clock();
      let res: Response;
      let sentAt = started;
      try {
        const send = (): Promise<Response> => {
          sentAt = this.clock();
          return this.fetchOnce(url, o.headers ?? {});
        };
        res = await this.o.limiter.schedule(this.o.limiterKey, this.o.limits, send, {
          priority: this.o.priority ?? PRIORITY.request,
          holdMs: this.timeoutMs(),
          background: this.o.timing.background,
          ...(Number.isFinite(deadline) ? { deadline } : {}),
        });
      } catch (e) {
        if (e instanceof LimiterTimeout) {
          this.o.metrics?.inc('simgate_upstream_requests_total', { provider: this.o.provider, status: 'limited' });
          const s = Math.max(1, Math.ceil(e.retryAfterMs / 1000));
          throw this.fail('rate_limited', `the vendor's rate limit (${this.o.limits.perMinute} calls per minute) cannot serve this call before the deadline; retry in ${s} s`, s);
        }
        const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
        this.o.timing.add(this.o.provider, started, this.clock());
        this.o.metrics?.observe('simgate_upstream_request_duration_seconds', { provider: this.o.provider }, (this.clock() - sentAt) / 1000);
        this.o.metrics?.inc('simgate_upstream_requests_total', { provider: this.o.provider, status: timedOut ? 'timeout' : 'error' });
        this.o.log.log('warn', 'upstream failed', { provider: this.o.provider, path, error: timedOut ? 'timeout' : 'network', attempt });
        if (attempt < this.o.retries && (await this.backoff(attempt++, deadline))) continue;
        breaker?.failure();
        throw timedOut ? this.fail('provider_timeout', `no answer within ${this.timeoutMs()} ms`) : this.fail('provider_unavailable', 'connection failed');
      }
      this.o.timing.add(this.o.provider, started, this.clock());
      this.o.metrics?.inc('simgate_upstream_requests_total', { provider: this.o.provider, status: String(res.status) });
      // the vendor's time to its answer's headers (not the limiter's wait before the call)
      this.o.metrics?.observe('simgate_upstream_request_duration_seconds', { provider: this.o.provider }, (this.clock() - sentAt) / 1000);
      this.adaptToRateHeaders(res, sentAt);
      if (res.ok || o.pass?.includes(res.status)) {
        breaker?.success();
        return res;
      }
      const body = await readError(res);
      const vendorMsg = this.o.spec.errorMessage(body) ?? `HTTP ${res.status}`;
      this.o.log.log('warn', 'upstream error status', { provider: this.o.provider, path, status: res.status, attempt });
      if (res.status === 429) {
        // the vendor's own limit: wait as long as it says (shared with every call on this credential) and resume
        const wait = this.rateWait(res);
        if (this.clock() + wait >= deadline) {
          breaker?.success();
          throw this.fail('rate_limited', `rate limited by the vendor (${vendorMsg}); retry in ${Math.ceil(wait / 1000)} s`, Math.max(1, Math.ceil(wait / 1000)));
        }
        if (wait <= maxRateWait && rateWaits < 5) {
          rateWaits += 1;
          this.o.limiter.pause(this.o.limiterKey, this.clock() + wait);
          continue;
        }
        breaker?.success();
        throw this.fail('provider_unavailable', `rate limited by the vendor (${vendorMsg})`, Math.ceil(wait / 1000));
      }
      if (res.status >= 500) {
        if (attempt < this.o.retries && (await this.backoff(attempt++, deadline))) continue;
        breaker?.failure();
        throw this.fail(res.status === 503 ? 'provider_unavailable' : 'provider_error', `vendor answered ${res.status}: ${vendorMsg}`, undefined, res.status);
      }
      breaker?.success();
      if (res.status === 401 || res.status === 403) {
        throw this.fail('provider_error', `vendor rejected the configured credential (${res.status})`, undefined, res.status);
      }
      throw this.fail('provider_error', `vendor answered ${res.status}: ${vendorMsg}`, undefined, res.status);
    }
  }

  /** The timeout of one call: the vendor's, cut short by the request's deadline. */
  private timeoutMs(): number {
    return Math.max(1, Math.min(this.o.timeoutMs, this.o.timing.deadline - this.clock()));
  }

  /**
   * The vendor's rate headers: `X-RateLimit-Remaining: n` with its reset allows no more than n more starts on this
   * credential until then (several syncs may call at once). At 0, our own count may already hold the calls back —
   * then our limiter's wait is the more precise one (the vendor's reset is rounded to whole seconds).
   */
  private adaptToRateHeaders(res: Response, sentAt: number): void {
    const left = res.headers.get('x-ratelimit-remaining');
    if (res.status === 429 || left === null || !/^\d+$/.test(left)) return;
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    if (!(reset > 0)) return;
    if (left === '0' && this.o.limiter.full(this.o.limiterKey, this.o.limits)) return;
    this.o.limiter.hint(this.o.limiterKey, Number(left), reset > 1e12 ? reset : reset * 1000, sentAt, this.o.limits);
  }

  /** The vendor's answer as text (null on an allowed 404), checked to be JSON before anyone may cache it. */
  private async fetchJsonText(url: string, allow404: boolean, parsed?: (v: unknown) => void): Promise<string | null> {
    const res = await this.request(url, {}, allow404 ? { pass: [404] } : {});
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    // the timeout covers the body too: a vendor that sends headers and then stalls is a timeout
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bodyMs = this.timeoutMs();
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void res.body?.cancel().catch(() => {});
        reject(this.fail('provider_timeout', `answer body not read within ${bodyMs} ms`));
      }, bodyMs);
    });
    const text = await Promise.race([
      res.text().catch(() => {
        throw this.fail('provider_unavailable', 'connection dropped while reading the answer');
      }),
      stalled,
    ]).finally(() => clearTimeout(timer));
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw this.fail('provider_error', 'vendor sent a body that is not valid JSON');
    }
    parsed?.(value);
    return text;
  }

  /**
   * GET a JSON body; null on 404 when `allow404`. Malformed JSON is a provider error. Answers are cached
   * under the tenant, provider, credential fingerprint and normalized URL, for as long as `cache` says.
   */
  async json(pathOrUrl: string, query: Record<string, string> = {}, o: { allow404?: boolean; cache?: PolicyName | 'none' } = {}): Promise<unknown> {
    const url = this.url(pathOrUrl, query);
    const cache = this.o.cache;
    const policy = o.cache ?? 'list';
    // a body this call fetched itself is parsed once; a cached (or shared) one is parsed here
    let mine: { value: unknown } | undefined;
    const load = (): Promise<string | null> => this.fetchJsonText(url, o.allow404 ?? false, (value) => (mine = { value }));
    let text: string | null;
    if (!cache || policy === 'none') {
      text = await load();
    } else {
      // `no-cache` re-reads what can change; reference data and what is final keep coming from the cache
      const r = await cache.cache.get(`${cache.prefix}${url}`, load, () => POLICIES[policy], {
        bypass: this.o.timing.bypassCache && policy === 'list',
        background: this.o.timing.background,
        deadline: this.o.timing.deadline,
        late: () => this.fail('provider_timeout', 'no answer within the request deadline'),
        share: (this.o.priority ?? PRIORITY.request) <= PRIORITY.request ? 'request' : 'sync',
      });
      this.o.timing.noteCache(this.o.provider, r.result);
      text = r.value;
    }
    if (text === null) return null;
    return mine ? mine.value : (JSON.parse(text) as unknown);
  }

  /**
   * Streams a vendor file (a recording): content type and length passed on, `Range` forwarded and
   * 206/416 answered as the vendor answers them; null when the vendor has no such file (404).
   */
  async file(pathOrUrl: string, query: Record<string, string>, range: string | undefined, fallbackType?: string): Promise<Response | null> {
    const res = await this.request(pathOrUrl, query, { pass: [404, 416], headers: range ? { range } : {} });
    if (res.status === 404) {
      await res.body?.cancel();
      return null;
    }
    const headers = new Headers();
    for (const h of ['content-type', 'content-length', 'content-range', 'accept-ranges']) {
      const v = res.headers.get(h);
      if (v) headers.set(h, v);
    }
    if (fallbackType && !headers.has('content-type')) headers.set('content-type', fallbackType);
    return new Response(res.body, { status: res.status, headers });
  }

  private async fetchOnce(url: string, headers: Record<string, string>): Promise<Response> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(new DOMException('timeout', 'TimeoutError')), this.timeoutMs());
    try {
      const res = await this.o.fetch(url, { headers: { accept: 'application/json', ...headers, ...this.authHeaders(url) }, signal: ctrl.signal });
      return res;
    } catch (e) {
      if (ctrl.signal.aborted) throw new DOMException('timeout', 'TimeoutError');
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits before a retry; false (no wait) when the retry could not finish before the deadline. */
  private async backoff(attempt: number, deadline: number): Promise<boolean> {
    const base = 100 * 2 ** attempt;
    const ms = base / 2 + Math.random() * base;
    if (this.clock() + ms + 50 >= deadline) return false;
    await this.sleep(ms);
    return true;
  }
}

async function readError(res: Response): Promise<unknown> {
  try {
    const text = await res.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text.slice(0, 200);
    }
  } catch {
    return undefined;
  }
}
