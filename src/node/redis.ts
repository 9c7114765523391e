/**
 * Redis-backed shared state for several Node instances (REDIS_URL): the cache store, the
 * vendor rate limiter (Bottleneck clustered on Redis) and the per-key gateway limit. Every
 * piece falls back to its in-process twin while Redis is down, and ioredis reconnects by itself.
 */
import { Redis } from 'ioredis';
import Bottleneck from 'bottleneck';
import type { CacheStore } from '../core/cache.js';
import { LimiterTimeout, LocalLimiter, type Limiter, type Limits, type ScheduleOptions } from '../core/limiter.js';
import type { Logger } from '../core/log.js';
import { MemoryKeyLimiter, WINDOW_MS, type KeyHit, type KeyLimiter } from '../core/ratelimit.js';

const PREFIX = 'simgate:';

/** One ioredis client that fails fast while disconnected (no offline queue) and reconnects forever. */
export function connectRedis(url: string, log: Logger): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: 1000,
    lazyConnect: false,
    retryStrategy: (times) => Math.min(100 * times, 1000),
  });
  let down = false;
  client.on('error', (e: Error) => {
    if (!down) log.log('warn', 'redis unavailable; serving without the shared cache', { error: e.message });
    down = true;
  });
  client.on('ready', () => {
    if (down) log.log('info', 'redis reconnected');
    down = false;
  });
  return client;
}

export class RedisStore implements CacheStore {
  readonly name = 'redis';
  constructor(private readonly client: Redis) {}

  async get(key: string): Promise<string | null> {
    return this.client.get(PREFIX + 'c:' + key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.client.set(PREFIX + 'c:' + key, value, 'PX', Math.max(1, Math.round(ttlMs)));
  }
}

/** Fixed-window counters in Redis, shared by every instance; in memory while Redis is down. */
export class RedisKeyLimiter implements KeyLimiter {
  private readonly local: MemoryKeyLimiter;

  constructor(
    private readonly client: Redis,
    private readonly clock: () => number = Date.now,
  ) {
    this.local = new MemoryKeyLimiter(clock);
  }

  async hit(id: string, perMinute: number): Promise<KeyHit> {
    const now = this.clock();
    const start = now - (now % WINDOW_MS);
    try {
      const key = `${PREFIX}rl:${id}:${start}`;
      const r = await this.client.multi().incr(key).pexpire(key, WINDOW_MS + 1000).exec();
      const count = Number(r?.[0]?.[1]);
      if (!Number.isFinite(count)) throw new Error('no count');
      return { ok: count <= perMinute, retryAfterS: Math.ceil((start + WINDOW_MS - now) / 1000), remaining: Math.max(0, perMinute - count) };
    } catch {
      return this.local.hit(id, perMinute);
    }
  }
}

class LimiterDown extends Error {}

/**
 * Bottleneck per provider and credential, clustered through Redis: every instance draws on one
 * budget. `minTime` spaces starts so that no window — fixed or sliding — sees more than the limit;
 * `heartbeatInterval` 200 ms. While Redis is down, calls go through an in-process limiter.
 */
export class RedisLimiter implements Limiter {
  private readonly limiters = new Map<string, Bottleneck>();
  private readonly local = new LocalLimiter();
  private readonly pausedUntil = new Map<string, number>();
  private readonly aborts = new Set<() => void>();
  private readonly connection: Bottleneck.IORedisConnection;

  constructor(
    private readonly client: Redis,
    private readonly log: Logger,
  ) {
    this.connection = new Bottleneck.IORedisConnection({ client });
    this.connection.on('error', (e: Error) => this.log.log('warn', 'rate limiter lost redis', { error: e.message }));
    client.on('close', () => {
      for (const a of [...this.aborts]) a();
    });
  }

  private bottleneck(key: string, l: Limits): Bottleneck {
    const windowMs = l.windowMs ?? 60_000;
    const id = `${PREFIX}lim:${key}:${l.perMinute}:${windowMs}:${l.concurrency}`;
    let b = this.limiters.get(id);
    if (!b) {
      b = new Bottleneck({
        id,
        datastore: 'ioredis',
        connection: this.connection,
        clearDatastore: false,
        maxConcurrent: l.concurrency,
        // 8% margin: arrival jitter at the vendor must not push any window over its limit
        minTime: Math.ceil((windowMs / l.perMinute) * 1.08),
        reservoir: l.perMinute,
        reservoirRefreshAmount: l.perMinute,
        reservoirRefreshInterval: windowMs,
        heartbeatInterval: 200,
        timeout: 10 * 60_000,
      });
      b.on('error', (e: Error) => this.log.log('warn', 'rate limiter error', { error: e.message }));
      this.limiters.set(id, b);
    }
    return b;
  }

  /** Is Redis usable? A client still making its first connection is waited for briefly. */
  private async healthy(): Promise<boolean> {
    if (this.client.status === 'ready') return true;
    if (this.client.status !== 'connecting' && this.client.status !== 'connect' && this.client.status !== 'wait') return false;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      this.client.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    });
    return (this.client.status as string) === 'ready';
  }

  queued(key: string): number {
    let n = this.local.queued(key);
    for (const [id, b] of this.limiters) if (id.startsWith(`${PREFIX}lim:${key}:`)) n += b.counts().QUEUED ?? 0;
    return n;
  }

  full(key: string, limits: Limits): boolean {
    return this.local.full(key, limits);
  }

  /** This instance's view: the vendor's pause, or its own local count while Redis is down (the shared budget is not known here). */
  estimate(key: string, limits: Limits, priority: number): number {
    return Math.max(this.pausedUntil.get(key) ?? 0, this.local.estimate(key, limits, priority));
  }

  pause(key: string, untilMs: number): void {
    this.pausedUntil.set(key, Math.max(this.pausedUntil.get(key) ?? 0, untilMs));
    this.local.pause(key, untilMs);
  }

  /** The shared budget already spaces every instance's calls; a vendor that says none are left holds this instance back. */
  hint(key: string, remaining: number, untilMs: number, sentAt: number, limits: Limits): void {
    if (remaining <= 0) this.pause(key, untilMs);
    this.local.hint(key, remaining, untilMs, sentAt, limits);
  }

  async schedule<T>(key: string, limits: Limits, fn: () => Promise<T>, o: ScheduleOptions = {}): Promise<T> {
    const wait = (this.pausedUntil.get(key) ?? 0) - Date.now();
    if (wait > 0) {
      if (o.deadline !== undefined && Date.now() + wait > o.deadline) throw new LimiterTimeout(wait);
      await new Promise((r) => setTimeout(r, wait));
    }
    if (!(await this.healthy())) return this.local.schedule(key, limits, fn, o);
    const b = this.bottleneck(key, limits);
    if (o.deadline !== undefined) await this.refuseLate(b, limits, o.deadline);
    let started = false;
    let cancelled = false;
    let abort = (): void => {};
    const down = new Promise<never>((_, reject) => {
      abort = () => {
        if (!started) reject(new LimiterDown('redis went away'));
      };
    });
    this.aborts.add(abort);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = o.deadline;
    const late =
      deadline === undefined
        ? null
        : new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              if (started) return;
              // the queued job stays in Bottleneck's queue but will not call the vendor when its turn comes
              cancelled = true;
              reject(new LimiterTimeout(Math.ceil((limits.windowMs ?? 60_000) / limits.perMinute) * (b.counts().QUEUED ?? 1)));
            }, Math.max(0, deadline - Date.now()));
          });
    const job = b.schedule({ priority: o.priority ?? 5 }, async () => {
      if (cancelled) return undefined as T;
      started = true;
      this.aborts.delete(abort);
      return fn();
    });
    try {
      return await Promise.race(late ? [job, down, late] : [job, down]);
    } catch (e) {
      if (started || e instanceof LimiterTimeout) throw e;
      // the shared limiter failed before the call started: run it under the local one instead
      cancelled = true;
      job.catch(() => {});
      return this.local.schedule(key, limits, fn, o);
    } finally {
      clearTimeout(timer);
      this.aborts.delete(abort);
    }
  }

  /**
   * Refuses at once a call that cannot start before its deadline: the shared budget is spent and the calls
   * queued here ahead of it need longer than is left (each start is spaced by `minTime`).
   */
  private async refuseLate(b: Bottleneck, limits: Limits, deadline: number): Promise<void> {
    const spacing = Math.ceil(((limits.windowMs ?? 60_000) / limits.perMinute) * 1.08);
    const queued = (b.counts().QUEUED ?? 0) + (b.counts().RECEIVED ?? 0);
    let reservoir: number | null = null;
    try {
      reservoir = await b.currentReservoir();
    } catch {
      return;
    }
    const expected = Date.now() + (reservoir !== null && reservoir > queued ? queued * spacing : (queued + 1) * spacing);
    if (expected > deadline && reservoir !== null && reservoir <= queued) throw new LimiterTimeout(expected - Date.now());
  }

  async close(): Promise<void> {
    try {
      await this.connection.disconnect(false);
    } catch {
      // already gone
    }
  }
}
