/**
 * Gateway keys: each belongs to one tenant and carries scopes. Keys are held only as
 * SHA-256 digests and compared in constant time against every entry (no early exit).
 */
import type { Config, Scope } from './config.js';
import { hexToBytes, sha256Hex, timingSafeEqual } from './core/crypto.js';

export interface Principal {
  tenant: string;
  scopes: Scope[];
  /** A short digest prefix naming the key (for its rate limit and logs; never the key). */
  keyId: string;
  /** The key's own request limit per minute; null = no limit (the operator asked for none). */
  perMinute: number | null;
}

interface Entry {
  digest: Uint8Array;
  principal: Principal;
}

export class KeyRing {
  private constructor(private readonly entries: Entry[]) {}

  static async from(config: Config): Promise<KeyRing> {
    const entries: Entry[] = [];
    for (const [tenant, t] of Object.entries(config.tenants)) {
      for (const k of t.keys) {
        const hex = 'key' in k ? await sha256Hex(k.key) : k.sha256.toLowerCase();
        entries.push({
          digest: hexToBytes(hex),
          principal: { tenant, scopes: k.scopes, keyId: hex.slice(0, 12), perMinute: k.perMinute ?? null },
        });
      }
    }
    return new KeyRing(entries);
  }

  /** Keys already verified (bounded): the digest and comparison run once per key, not per request. */
  private readonly seen = new Map<string, Principal | null>();

  /** The principal of a presented key, or null. Every entry is compared, whatever matches. */
  async verify(key: string): Promise<Principal | null> {
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    const p = await this.compare(key);
    if (this.seen.size >= 10_000) this.seen.clear();
    this.seen.set(key, p);
    return p;
  }

  private async compare(key: string): Promise<Principal | null> {
    const digest = hexToBytes(await sha256Hex(key));
    let found: Principal | null = null;
    for (const e of this.entries) {
      if (timingSafeEqual(digest, e.digest) && !found) found = e.principal;
    }
    return found;
  }
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearer(header: string | undefined): string | null {
  const m = header ? /^Bearer[ ]+([^\s]+)\s*$/i.exec(header) : null;
  return m ? m[1]! : null;
}
