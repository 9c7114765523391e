/** The Redis index store: items, documents and sync leases of every source in Redis, shared by every gateway instance. */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Key } from '../core/cursor.js';
import type { IndexedItem, IndexStore, SourceStats } from '../index/types.js';
import { currentCell, type Cell, type Grain, type Roll } from '../reports/rollup.js';

/**
 * Largest `t` the store holds (epoch ms, about the year 287,000): every `t` must be an integer in
 * [0, T_MAX]; `put` throws a RangeError for anything else rather than corrupting the order.
 */
export const T_MAX = 9e15;
const DIGITS = 16;

/**
 * Keys per source S (under the prefix, `simgate:` by default):
 * - `ix:S:z` ZSET, every score 0, members `member(t, id)`: ZRANGEBYLEX ascending is (t desc, id asc)
 * - `ix:S:h` HASH id → the IndexedItem as JSON, `t` first (`{"t":…,"id":…}`: the put script reads it)
 * - `ix:S:u` ZSET of the non-final items' members scored by `seen` (ties in keyset order, like memory)
 * - `ix:S:d` HASH of documents, `ix:S:l` the lease (owner, PX ttl); `ix:count` items over every source.
 * - `ix:S:r` HASH id → the item's rollup contribution (JSON); `ix:S:c:<day>` HASH of that UTC day's cells:
 *   `<cell>\u0001<counter>` → integer, `<cell>\u0001lp|lf` → `t|id` (the newest final passed / failed run);
 *   `ix:S:days` ZSET of the days that have cells (a report reads only those); the coarse grain (a provider's day)
 *   likewise in `ix:S:c:1:<day>` and `ix:S:days1`.
 * Members compare byte-wise, which is `cmpKey`'s order for ids below U+D800 (ASCII ids included).
 * Not for Redis Cluster: scripts touch a source's keys and the global counter together.
 */
export function member(t: number, id: string): string {
  return `${String(T_MAX - t).padStart(DIGITS, '0')}|${id}`;
}

/** Returns the HMGET of the ids of the members `ms` (`sub(m, 18)`), in chunks that `unpack` can take. */
const ITEMS = `local function items(ms, h)
  local out, ids = {}, {}
  for i = 1, #ms do
    ids[#ids + 1] = string.sub(ms[i], ${DIGITS + 2})
    if #ids == 1000 or i == #ms then
      local vs = redis.call('HMGET', h, unpack(ids))
      for j = 1, #vs do out[#out + 1] = vs[j] end
      ids = {}
    end
  end
  return out
end
`;

/** KEYS z h; ARGV lower bound (BYLEX), count (-1 = all). */
const RANGE = `${ITEMS}return items(redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+', 'LIMIT', 0, ARGV[2]), KEYS[2])`;

/** KEYS u h; ARGV last rank (-1 = all). */
const UNFINISHED = `${ITEMS}return items(redis.call('ZRANGE', KEYS[1], 0, ARGV[1]), KEYS[2])`;

/**
 * Adds (sign 1) or takes back (sign -1) a contribution `r`: its counters (and, fine grain only, its marks) in the
 * day hash of the fine cell `r.c` under `prefix` (days kept in KEYS[6]) and in that of the coarse cell `r.g` under
 * `prefix .. '1:'` (days in KEYS[7]).
 */
const ROLL = `local function grain(key, days, d, c, r, sign, marks)
  for f, n in pairs(r.v) do
    if n ~= 0 then
      local field = c .. '\\1' .. f
      if redis.call('HINCRBY', key, field, string.format('%d', sign * n)) == 0 then redis.call('HDEL', key, field) end
    end
  end
  if sign < 0 then
    if redis.call('EXISTS', key) == 0 then redis.call('ZREM', days, d) end
    return
  end
  redis.call('ZADD', days, d, d)
  if not marks then return end
  for _, m in ipairs({'lp', 'lf'}) do
    local mark = r[m]
    if mark then
      local field = c .. '\\1' .. m
      local cur = redis.call('HGET', key, field)
      local better = true
      if cur then
        local ct, cid = string.match(cur, '^(%d+)|(.*)$')
        ct = tonumber(ct)
        if ct > mark[1] or (ct == mark[1] and cid <= mark[2]) then better = false end
      end
      if better then redis.call('HSET', key, field, string.format('%d', mark[1]) .. '|' .. mark[2]) end
    end
  end
end
local function roll(prefix, r, sign)
  local d = string.format('%d', r.d)
  grain(prefix .. d, KEYS[6], d, r.c, r, sign, true)
  if r.g then grain(prefix .. '1:' .. d, KEYS[7], d, r.g, r, sign, false) end
end
`;

/**
 * KEYS z h u count r days days1; ARGV[1] the day-hash prefix, then per item: id, member, final (1/0), seen, json, roll ('' for
 * none). Replacing an item takes its old contribution back and adds the new one in the same script. Returns how
 * many ids were new.
 */
const PUT = `${ROLL}local added = 0
for i = 2, #ARGV, 6 do
  local id, m = ARGV[i], ARGV[i + 1]
  local old = redis.call('HGET', KEYS[2], id)
  if old then
    local ot = string.match(old, '^{"t":(%d+),')
    if not ot then return redis.error_reply('simgate index: unreadable item ' .. id) end
    local om = string.format('%0${DIGITS}.0f', ${T_MAX} - tonumber(ot)) .. '|' .. id
    if om ~= m then
      redis.call('ZREM', KEYS[1], om)
      redis.call('ZREM', KEYS[3], om)
    end
  else
    added = added + 1
  end
  local oldroll = redis.call('HGET', KEYS[5], id)
  if oldroll then roll(ARGV[1], cjson.decode(oldroll), -1) end
  if ARGV[i + 5] ~= '' then
    roll(ARGV[1], cjson.decode(ARGV[i + 5]), 1)
    redis.call('HSET', KEYS[5], id, ARGV[i + 5])
  elseif oldroll then
    redis.call('HDEL', KEYS[5], id)
  end
  redis.call('ZADD', KEYS[1], 0, m)
  redis.call('HSET', KEYS[2], id, ARGV[i + 4])
  if ARGV[i + 2] == '1' then redis.call('ZREM', KEYS[3], m) else redis.call('ZADD', KEYS[3], ARGV[i + 3], m) end
end
if added > 0 then redis.call('INCRBY', KEYS[4], added) end
return added`;

/** KEYS lease; ARGV owner, ttl ms. Takes a free lease or renews the owner's. */
const LEASE = `local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** KEYS lease; ARGV owner. Deletes the lease only when the owner holds it. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** A Lua script run by EVALSHA, sent again with EVAL when Redis does not know it (NOSCRIPT after a restart). */
class Script {
  private readonly sha: string;
  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(client: Redis, keys: string[], args: string[]): Promise<unknown> {
    const all = keys.length ? [...keys, ...args] : args;
    try {
      return await client.evalsha(this.sha, keys.length, all);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return client.eval(this.lua, keys.length, all);
    }
  }
}

const scripts = { range: new Script(RANGE), unfinished: new Script(UNFINISHED), put: new Script(PUT), lease: new Script(LEASE), release: new Script(RELEASE) };

/** Items in the script's batch: the put script's ARGV stays far from Redis's limits and no call blocks it long. */
const PUT_CHUNK = 1000;

function check(item: IndexedItem): void {
  if (typeof item.id !== 'string') throw new TypeError('index item without an id');
  if (!Number.isSafeInteger(item.t) || item.t < 0 || item.t > T_MAX) {
    throw new RangeError(`index item ${item.id}: t must be an integer epoch ms in [0, ${T_MAX}], got ${item.t}`);
  }
  if (!Number.isFinite(item.seen)) throw new RangeError(`index item ${item.id}: seen must be finite, got ${item.seen}`);
  if (typeof item.json !== 'string') throw new TypeError(`index item ${item.id}: json must be a string`);
}

/** `t` first: the put script reads the old `t` from the stored text. */
const serialise = (i: IndexedItem): string =>
  JSON.stringify({ t: i.t, id: i.id, final: i.final === true, seen: i.seen, json: i.json, ...(i.facets ? { facets: i.facets } : {}), ...(i.roll ? { roll: i.roll } : {}) });

function parse(text: string): IndexedItem {
  const o = JSON.parse(text) as Partial<IndexedItem>;
  if (typeof o.id !== 'string' || typeof o.t !== 'number' || typeof o.final !== 'boolean' || typeof o.seen !== 'number' || typeof o.json !== 'string') {
    throw new Error('simgate index: unreadable item in redis');
  }
  const facets = o.facets && typeof o.facets === 'object' && Array.isArray(o.facets.h) ? { facets: o.facets } : {};
  const roll = o.roll && typeof o.roll === 'object' && typeof o.roll.c === 'string' ? { roll: o.roll } : {};
  return { id: o.id, t: o.t, final: o.final, seen: o.seen, json: o.json, ...facets, ...roll };
}

/** The reply of the range and unfinished scripts: item texts, null for a member without its hash entry. */
function items(reply: unknown): IndexedItem[] {
  if (!Array.isArray(reply)) throw new Error('simgate index: unexpected reply from redis');
  const out: IndexedItem[] = [];
  for (const v of reply as unknown[]) if (typeof v === 'string') out.push(parse(v));
  return out;
}

/** A count for ZRANGEBYLEX LIMIT / ZRANGE: null = nothing asked, -1 = all. */
function count(limit: number): number | null {
  if (!(limit >= 1)) return null;
  return Number.isFinite(limit) ? Math.floor(limit) : -1;
}

/** The exclusive ZRANGEBYLEX bound of the items after `key`; null when nothing can come after it. */
function bound(key: Key | null): string | null {
  if (!key) return '-';
  const [t, id] = key;
  if (Number.isNaN(t)) throw new RangeError('range: the key t is NaN');
  if (t > T_MAX) return '-';
  if (t < 0) return null;
  // between two integers: every item at floor(t) comes after, whatever its id
  if (!Number.isInteger(t)) return `[${member(Math.floor(t), '')}`;
  return `(${member(t, id)}`;
}

/** A contribution as the put script reads it (`d` an integer, marks as [t, id]). */
const rollText = (r: Roll): string => JSON.stringify(r);

/** The cells of one day hash. */
function cellsOf(d: number, h: Record<string, string>): Cell[] {
  const cells = new Map<string, Cell>();
  for (const [field, value] of Object.entries(h)) {
    const at = field.lastIndexOf('\u0001');
    if (at < 0) continue;
    const c = field.slice(0, at);
    const name = field.slice(at + 1);
    let cell = cells.get(c);
    if (!cell) cells.set(c, (cell = { d, c, v: {} }));
    if (name === 'lp' || name === 'lf') {
      const bar = value.indexOf('|');
      cell[name] = [Number(value.slice(0, bar)), value.slice(bar + 1)];
    } else cell.v[name] = Number(value);
  }
  // the hash holds every counter flat (`k<bin>` included): the bins go apart as in every store's cells
  return [...cells.values()].filter((c) => (c.v['n'] ?? 0) > 0).map(currentCell);
}

export class RedisIndexStore implements IndexStore {
  readonly name = 'redis';
  private readonly prefix: string;
  /** Items over every source (all instances sharing the prefix) past which `room()` says no; unbounded by default. */
  private readonly maxItems: number;

  constructor(
    private readonly client: Redis,
    o: { prefix?: string; maxItems?: number } = {},
  ) {
    [this.prefix, this.maxItems] = [o.prefix ?? 'simgate:', o.maxItems ?? Infinity];
  }

  private key(source: string, kind: 'z' | 'h' | 'u' | 'd' | 'l' | 'r' | 'c:' | 'days' | 'days1'): string {
    return `${this.prefix}ix:${source}:${kind}`;
  }

  healthy(): boolean {
    return this.client.status === 'ready';
  }

  async get(source: string, ids: string[]): Promise<Map<string, IndexedItem>> {
    const out = new Map<string, IndexedItem>();
    if (!ids.length) return out;
    const values = await this.client.hmget(this.key(source, 'h'), ...ids);
    values.forEach((v, i) => v !== null && out.set(ids[i]!, parse(v)));
    return out;
  }

  async put(source: string, batch: IndexedItem[]): Promise<number> {
    batch.forEach(check);
    const keys = [this.key(source, 'z'), this.key(source, 'h'), this.key(source, 'u'), `${this.prefix}ix:count`, this.key(source, 'r'), this.key(source, 'days'), this.key(source, 'days1')];
    let added = 0;
    for (let at = 0; at < batch.length; at += PUT_CHUNK) {
      const args: string[] = [this.key(source, 'c:')];
      for (const i of batch.slice(at, at + PUT_CHUNK)) args.push(i.id, member(i.t, i.id), i.final ? '1' : '0', String(i.seen), serialise(i), i.roll ? rollText(i.roll) : '');
      added += Number(await scripts.put.run(this.client, keys, args));
    }
    return added;
  }

  async range(source: string, after: Key | null, limit: number): Promise<IndexedItem[]> {
    const from = bound(after);
    const n = count(limit);
    if (from === null || n === null) return [];
    return items(await scripts.range.run(this.client, [this.key(source, 'z'), this.key(source, 'h')], [from, String(n)]));
  }

  async unfinished(source: string, limit: number): Promise<IndexedItem[]> {
    const n = count(limit);
    if (n === null) return [];
    const last = n < 0 ? -1 : n - 1;
    return items(await scripts.unfinished.run(this.client, [this.key(source, 'u'), this.key(source, 'h')], [String(last)]));
  }

  async cells(source: string, fromDay: number, toDay: number, grain: Grain = 0): Promise<Cell[]> {
    if (!(toDay > fromDay)) return [];
    const days = (await this.client.zrangebyscore(this.key(source, grain ? 'days1' : 'days'), fromDay, `(${toDay}`)).map(Number);
    const p = this.client.pipeline();
    const prefix = `${this.key(source, 'c:')}${grain ? '1:' : ''}`;
    for (const d of days) p.hgetall(`${prefix}${d}`);
    const r = days.length ? await p.exec() : [];
    if (!r) throw new Error('simgate index: cells pipeline aborted');
    const out: Cell[] = [];
    r.forEach(([e, v], i) => {
      if (e) throw e;
      out.push(...cellsOf(days[i]!, v as Record<string, string>));
    });
    return out;
  }

  async stats(source: string): Promise<SourceStats> {
    const z = this.key(source, 'z');
    const r = await this.client.multi().zcard(z).zrange(z, 0, 0).zrange(z, -1, -1).exec();
    if (!r) throw new Error('simgate index: stats transaction aborted');
    for (const [e] of r) if (e) throw e;
    const n = Number(r[0]![1]);
    const t = (reply: unknown): number | null => {
      const m = Array.isArray(reply) && typeof reply[0] === 'string' ? reply[0] : null;
      return m === null ? null : T_MAX - Number(m.slice(0, DIGITS));
    };
    return n ? { items: n, oldest: t(r[2]![1]), newest: t(r[1]![1]) } : { items: 0, oldest: null, newest: null };
  }

  /** Always a round trip (it throws while Redis is down); true unless `maxItems` items are held over every source. */
  async room(): Promise<boolean> {
    const held = Number((await this.client.get(`${this.prefix}ix:count`)) ?? 0);
    return held < this.maxItems;
  }

  getDoc(source: string, name: string): Promise<string | null> {
    return this.client.hget(this.key(source, 'd'), name);
  }

  async setDoc(source: string, name: string, value: string): Promise<void> {
    await this.client.hset(this.key(source, 'd'), name, value);
  }

  async getDocs(keys: Array<[string, string]>): Promise<Array<string | null>> {
    if (!keys.length) return [];
    const p = this.client.pipeline();
    for (const [source, name] of keys) p.hget(this.key(source, 'd'), name);
    const r = await p.exec();
    if (!r) throw new Error('simgate index: getDocs pipeline aborted');
    return r.map(([e, v]) => {
      if (e) throw e;
      return typeof v === 'string' ? v : null;
    });
  }

  async lease(source: string, owner: string, ttlMs: number): Promise<boolean> {
    if (!Number.isFinite(ttlMs)) throw new RangeError(`lease: ttlMs must be finite, got ${ttlMs}`);
    const ttl = String(Math.max(1, Math.ceil(ttlMs)));
    return Number(await scripts.lease.run(this.client, [this.key(source, 'l')], [owner, ttl])) === 1;
  }

  async release(source: string, owner: string): Promise<void> {
    await scripts.release.run(this.client, [this.key(source, 'l')], [owner]);
  }
}
