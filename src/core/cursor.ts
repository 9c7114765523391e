/**
 * The opaque list cursor: versioned, HMAC-protected, bound to a hash of the query and the tenant.
 * It carries the merge position: the key of the last run returned and, per provider and source,
 * the vendor page to resume from.
 */
import * as z from 'zod';
import { GatewayError } from './errors.js';
import { b64url, fromB64url, hmac, hmacKey, sha256Hex, timingSafeEqual } from './crypto.js';

/** Sort key of a run: started_at (ms) then id; the merge emits in descending time, ascending id. */
export type Key = [number, string];

/** Negative when `a` comes before `b` in the list (newer first, then id ascending). */
export function cmpKey(a: Key, b: Key): number {
  if (a[0] !== b[0]) return b[0] - a[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

const KeySchema = z.tuple([z.number().finite(), z.string().max(512)]);
const Token = z.union([z.string().max(2048), z.number().int().min(0), z.null()]);

const CursorSchema = z.strictObject({
  v: z.literal(1),
  q: z.string().max(64),
  b: KeySchema.nullable(),
  p: z.record(
    z.string().max(32),
    z.strictObject({
      /** Present when the provider fell behind (failed on a page): its own boundary; null = from the start. */
      l: KeySchema.nullable().optional(),
      s: z.record(z.string().max(256), z.strictObject({ t: Token, d: z.literal(1).optional() })),
    }),
  ),
});
export type CursorState = z.infer<typeof CursorSchema>;
export type ProviderState = CursorState['p'][string];
export type SourceState = ProviderState['s'][string];

const VERSION = '1';

export class CursorCodec {
  private key: Promise<CryptoKey>;

  constructor(secret: string) {
    this.key = hmacKey(`simgate-cursor:${secret}`);
  }

  async encode(state: CursorState): Promise<string> {
    const body = b64url(new TextEncoder().encode(JSON.stringify(state)));
    const mac = (await hmac(await this.key, `${VERSION}.${body}`)).subarray(0, 16);
    return `${VERSION}.${body}.${b64url(mac)}`;
  }

  /** Decodes and verifies a cursor for the query hash `q`; anything wrong is `invalid_cursor`. */
  async decode(cursor: string, q: string): Promise<CursorState> {
    const bad = (why: string): GatewayError =>
      new GatewayError('invalid_cursor', `cursor is not valid: ${why}`, { details: [{ path: 'cursor', message: why }], retryable: false });
    const parts = cursor.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) throw bad('unknown format or version');
    const [, body, macText] = parts as [string, string, string];
    const mac = fromB64url(macText);
    if (!mac || mac.length !== 16) throw bad('integrity check failed');
    const expected = (await hmac(await this.key, `${VERSION}.${body}`)).subarray(0, 16);
    if (!timingSafeEqual(mac, expected)) throw bad('integrity check failed');
    const bytes = fromB64url(body);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes ?? new Uint8Array()));
    } catch {
      throw bad('garbled');
    }
    const r = CursorSchema.safeParse(json);
    if (!r.success) throw bad('garbled');
    if (r.data.q !== q) throw bad('it belongs to another query; start again without a cursor');
    return r.data;
  }
}

/** Canonical hash of a query (and the tenant), so that a cursor only continues the query that made it. */
export async function queryHash(tenant: string, filter: object): Promise<string> {
  const canon = JSON.stringify(
    Object.entries(filter)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, Array.isArray(v) ? [...(v as string[])].sort() : v])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );
  return (await sha256Hex(`${tenant}\n${canon}`)).slice(0, 32);
}
