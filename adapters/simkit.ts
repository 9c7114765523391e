/**
 * Shared machinery for the vendor simulators: a real HTTP server on loopback with
 * auth, rate limits that count violations, fault injection, a request log and a
 * seeded PRNG. Each vendor's simulator (adapters/<vendor>/simulator.ts) supplies
 * only its routes, data and error body. Node-only: used by demo mode and tests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
}

export interface SimResponse {
  status?: number;
  headers?: Record<string, string>;
  /** JSON-serialisable body, or raw bytes/string when `raw` is true. */
  body?: unknown;
  raw?: boolean;
}

export type SimHandler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

/** A fault applies to the next `times` matching requests (default: until cleared). */
export interface Fault {
  /** Substring of the request path that the fault applies to; all paths when absent. */
  match?: string;
  /** Answer with this HTTP status and the vendor's error body. */
  status?: number;
  /** Seconds for `Retry-After` (with status 429). */
  retryAfterS?: number;
  /** Destroy the socket without answering. */
  reset?: boolean;
  /** Delay before answering (ms); combined with the normal answer unless another fault kind is set. */
  delayMs?: number;
  /** Answer 200 with a body that is not valid JSON. */
  malformed?: boolean;
  /** Send the headers and part of the body, then hold the rest back for this long (ms). */
  stallBodyMs?: number;
  times?: number;
}

export interface SimLimits {
  /** Requests allowed in any sliding window of `windowMs` (default 60 000 ms). */
  perWindow: number;
  windowMs?: number;
  /** Requests allowed in flight at once (undefined: unlimited). */
  concurrency?: number;
  /** Send `X-RateLimit-*` headers on every answer. */
  headers?: boolean;
  /** Send `Retry-After` on 429. */
  retryAfter?: boolean;
}

export interface SimStats {
  requests: number;
  /** Requests refused because they exceeded the published rate or concurrency limit. */
  violations: number;
  rateViolations: number;
  concurrencyViolations: number;
  maxInFlight: number;
  unauthorized: number;
  byPath: Record<string, number>;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  at: number;
}

export interface SimServerOptions {
  name: string;
  /** Returns true when the request carries a valid credential. */
  auth: (req: SimRequest) => boolean;
  limits: SimLimits;
  /** The vendor's error body for a status and code (`req`: the request answered, for bodies that echo its path). */
  errorBody: (status: number, code: string, message: string, req?: SimRequest) => unknown;
  handler: SimHandler;
  /** Artificial latency on every answer (ms). */
  latencyMs?: number;
}

export class SimServer {
  readonly stats: SimStats = {
    requests: 0,
    violations: 0,
    rateViolations: 0,
    concurrencyViolations: 0,
    maxInFlight: 0,
    unauthorized: 0,
    byPath: {},
  };
  readonly log: LoggedRequest[] = [];
  latencyMs: number;
  private faults: Fault[] = [];
  private inFlight = 0;
  private window: number[] = [];
  private server: http.Server | null = null;
  private readonly sockets = new Set<import('node:net').Socket>();
  origin = '';

  constructor(private readonly opts: SimServerOptions) {
    this.latencyMs = opts.latencyMs ?? 0;
  }

  injectFault(f: Fault): void {
    this.faults.push({ ...f });
  }

  clearFaults(): void {
    this.faults = [];
  }

  resetStats(): void {
    Object.assign(this.stats, {
      requests: 0,
      violations: 0,
      rateViolations: 0,
      concurrencyViolations: 0,
      maxInFlight: 0,
      unauthorized: 0,
      byPath: {},
    });
    this.log.length = 0;
  }

  /** Requests that were answered (any status) whose path contains `match`. */
  count(match = ''): number {
    return this.log.filter((l) => l.path.includes(match)).length;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = http.createServer((req, res) => {
      void this.serve(req, res);
    });
    server.keepAliveTimeout = 5000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    this.origin = `http://${host}:${addr.port}`;
    return this.origin;
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private takeFault(path: string): Fault | undefined {
    const i = this.faults.findIndex((f) => !f.match || path.includes(f.match));
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    if (f.times !== undefined) {
      f.times -= 1;
      if (f.times <= 0) this.faults.splice(i, 1);
    }
    return f;
  }

  private rateHeaders(now: number): Record<string, string> {
    const { perWindow, windowMs = 60_000 } = this.opts.limits;
    const oldest = this.window[0] ?? now;
    return {
      'X-RateLimit-Limit': String(perWindow),
      'X-RateLimit-Remaining': String(Math.max(0, perWindow - this.window.length)),
      'X-RateLimit-Reset': String(Math.ceil((oldest + windowMs) / 1000)),
    };
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const sreq: SimRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
    };
    const now = Date.now();
    this.stats.requests += 1;
    const { limits } = this.opts;
    const windowMs = limits.windowMs ?? 60_000;
    this.inFlight += 1;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight);
    let status = 200;
    try {
      while (this.window.length && this.window[0]! <= now - windowMs) this.window.shift();
      const send = (r: SimResponse): void => {
        status = r.status ?? 200;
        const headers: Record<string, string> = { ...(r.headers ?? {}) };
        if (limits.headers) Object.assign(headers, this.rateHeaders(Date.now()));
        let payload: string | Uint8Array;
        if (r.raw) {
          payload = r.body as string | Uint8Array;
        } else {
          payload = JSON.stringify(r.body ?? null);
          headers['Content-Type'] ??= 'application/json';
        }
        res.writeHead(status, headers);
        res.end(payload);
      };
      const err = (st: number, code: string, message: string, extra: Record<string, string> = {}): void =>
        send({ status: st, headers: extra, body: this.opts.errorBody(st, code, message, sreq) });

      if (!this.opts.auth(sreq)) {
        this.stats.unauthorized += 1;
        err(401, 'UNAUTHORIZED', 'invalid or missing API key');
        return;
      }
      if (limits.concurrency !== undefined && this.inFlight > limits.concurrency) {
        this.stats.violations += 1;
        this.stats.concurrencyViolations += 1;
        err(429, 'RATE_LIMITED', 'too many concurrent requests', limits.retryAfter ? { 'Retry-After': '1' } : {});
        return;
      }
      if (this.window.length >= limits.perWindow) {
        this.stats.violations += 1;
        this.stats.rateViolations += 1;
        const wait = Math.max(1, Math.ceil((this.window[0]! + windowMs - now) / 1000));
        err(429, 'RATE_LIMITED', 'rate limit exceeded', limits.retryAfter ? { 'Retry-After': String(wait) } : {});
        return;
      }
      this.window.push(now);
      this.stats.byPath[sreq.path] = (this.stats.byPath[sreq.path] ?? 0) + 1;

      const fault = this.takeFault(sreq.path);
      const delay = (fault?.delayMs ?? 0) + this.latencyMs;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (fault?.reset) {
        status = 0;
        req.socket.destroy();
        return;
      }
      if (fault?.stallBodyMs) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"success": true, "data": [');
        await new Promise((r) => setTimeout(r, fault.stallBodyMs));
        res.end(']}');
        return;
      }
      if (fault?.malformed) {
        send({ status: 200, raw: true, headers: { 'Content-Type': 'application/json' }, body: '{"data": [ {"oops": ' });
        return;
      }
      if (fault?.status) {
        const extra: Record<string, string> = fault.retryAfterS !== undefined ? { 'Retry-After': String(fault.retryAfterS) } : {};
        err(fault.status, fault.status === 429 ? 'RATE_LIMITED' : 'INTERNAL', 'injected fault', extra);
        return;
      }
      send(await this.opts.handler(sreq));
    } catch (e) {
      if (!res.headersSent) {
        status = 500;
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(this.opts.errorBody(500, 'INTERNAL', e instanceof Error ? e.message : 'error', sreq)));
      }
    } finally {
      this.inFlight -= 1;
      this.log.push({ method: sreq.method, path: sreq.path, query: url.search, status, at: now });
    }
  }
}

/** Bearer-token check shared by the vendors that use `Authorization: Bearer`. */
export function bearerAuth(key: string): (req: SimRequest) => boolean {
  return (req) => req.headers.authorization === `Bearer ${key}`;
}

/** Header-key check for vendors with an API-key header (`x-api-key`, `x-cekura-api-key`). */
export function headerAuth(header: string, key: string): (req: SimRequest) => boolean {
  const h = header.toLowerCase();
  return (req) => req.headers[h] === key;
}

/** Deterministic PRNG (mulberry32), so that generated data is the same for a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/** A hex id of `len` characters from the PRNG. */
export function hexId(r: () => number, len: number): string {
  let s = '';
  while (s.length < len) s += Math.floor(r() * 16).toString(16);
  return s;
}

/** A UUID-shaped id from the PRNG. */
export function uuidLike(r: () => number): string {
  const h = hexId(r, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Parses a positive integer query parameter; returns `def` when absent and null when invalid. */
export function intParam(q: URLSearchParams, name: string, def: number): number | null {
  const v = q.get(name);
  if (v === null || v === '') return def;
  if (!/^\d+$/.test(v)) return null;
  return Number(v);
}

/** A small WAV (silence) of `bytes` length, for recording downloads. */
export function fakeWav(seconds = 1): Uint8Array {
  const rate = 8000;
  const n = rate * seconds;
  const buf = Buffer.alloc(44 + n);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + n, 4);
  buf.write('WAVEfmt ', 8);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);
  buf.writeUInt16LE(1, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate, 28);
  buf.writeUInt16LE(1, 32);
  buf.writeUInt16LE(8, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(n, 40);
  buf.fill(128, 44);
  return new Uint8Array(buf);
}

/** Serves bytes honouring a single `Range: bytes=a-b` header, as a vendor file host would. */
export function rangeResponse(req: SimRequest, bytes: Uint8Array, contentType: string): SimResponse {
  const range = req.headers.range;
  const base = { 'Content-Type': contentType, 'Accept-Ranges': 'bytes' };
  const m = typeof range === 'string' ? /^bytes=(\d*)-(\d*)$/.exec(range) : null;
  if (!m || (m[1] === '' && m[2] === '')) {
    return { status: 200, raw: true, headers: { ...base, 'Content-Length': String(bytes.length) }, body: bytes };
  }
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, bytes.length - Number(m[2]));
    end = bytes.length - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? bytes.length - 1 : Math.min(Number(m[2]), bytes.length - 1);
  }
  if (start > end || start >= bytes.length) {
    return { status: 416, raw: true, headers: { ...base, 'Content-Range': `bytes */${bytes.length}` }, body: '' };
  }
  const part = bytes.subarray(start, end + 1);
  return {
    status: 206,
    raw: true,
    headers: { ...base, 'Content-Range': `bytes ${start}-${end}/${bytes.length}`, 'Content-Length': String(part.length) },
    body: part,
  };
}

/** Options every vendor simulator accepts. */
export interface SimulatorOptions {
  /** PRNG seed: the same seed (and `now`) gives the same data. */
  seed?: number;
  /** How many runs to generate. */
  count?: number;
  /** Epoch ms of "now": the newest generated run starts shortly before it. */
  now?: number;
  apiKey?: string;
  port?: number;
  host?: string;
  latencyMs?: number;
  /** Overrides of the vendor's published limits (tests use short windows). */
  limits?: Partial<SimLimits>;
  /** Mix in vendor drift: unknown enum values, odd types, a few unmappable items. */
  drift?: boolean;
}

/** What every vendor simulator returns from its `start…Simulator(opts)`. */
export interface VendorSimulator<TRun> {
  readonly server: SimServer;
  /** The base URL as the vendor's docs name it (what goes into config `baseUrl`). */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Ground truth: every native run the simulator serves, newest first. */
  runs(): TRun[];
  /** Adds `n` runs at the head (newer than every existing run) and returns them. */
  addRuns(n: number): TRun[];
  /**
   * Adds `n` finished, evaluated runs whose start lies `agoMs` before the newest run's start (listed late:
   * a long call the vendor lists only on completion). They sit below the head, at their start, in the
   * vendor's own order. Returns them.
   */
  addLate(n: number, agoMs: number): TRun[];
  /** The unified `native_id` of every run that is not finished yet (queued / running / in progress / evaluating), newest first. */
  unfinishedIds(): string[];
  /**
   * Moves these runs (unified native ids; default: every unfinished run) to a finished, evaluated state, exactly as
   * the vendor would show them once done: the list item, the detail and any group/batch/result counts that contain
   * them change together. Returns the ids it changed (ids that are unknown or already finished are left out).
   */
  finish(ids?: string[]): string[];
  close(): Promise<void>;
}

/**
 * The runs `finish(ids)` acts on: without `ids`, every unfinished one (newest first); with `ids`, those of them
 * that are unfinished, in the order given and each once.
 */
export function finishTargets(unfinished: readonly string[], ids?: readonly string[]): string[] {
  if (ids === undefined) return [...unfinished];
  const open = new Set(unfinished);
  return [...new Set(ids)].filter((id) => open.has(id));
}
