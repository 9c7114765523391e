/** The cursor codec: round trip, integrity, binding to the query and tenant, garbage. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CursorCodec, queryHash, type CursorState } from '../../src/core/cursor.js';
import { GatewayError } from '../../src/core/errors.js';

const codec = new CursorCodec('secret-one');
const state = (q: string): CursorState => ({
  v: 1,
  q,
  b: [1_754_675_000_000, 'pathsim:68963b44e7b3ba1e58b7c60a'],
  p: { pathsim: { s: { ws1: { t: 100 }, ws2: { t: null, d: 1 } } }, saleslab: { l: null, s: { all: { t: '2026-05-06T17:00:00Z' } } } },
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof GatewayError ? e.code : 'other';
  }
}

describe('cursor codec', () => {
  it('round-trips a state', async () => {
    const q = await queryHash('acme', { channel: ['voice'] });
    const c = await codec.encode(state(q));
    expect(c).toMatch(/^1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await codec.decode(c, q)).toEqual(state(q));
  });

  it('rejects any single changed character as invalid_cursor', async () => {
    const q = await queryHash('acme', {});
    const c = await codec.encode(state(q));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: c.length - 1 }), fc.constantFrom('A', 'z', '0', '-', '_', '.'), async (i, ch) => {
        fc.pre(c[i] !== ch);
        const bad = c.slice(0, i) + ch + c.slice(i + 1);
        expect(await code(codec.decode(bad, q))).toBe('invalid_cursor');
      }),
      { numRuns: 200 },
    );
  });

  it('rejects garbage, other versions, other secrets, other queries and other tenants', async () => {
    const q = await queryHash('acme', { provider: ['pathsim'] });
    const c = await codec.encode(state(q));
    for (const bad of ['', 'x', '1..', '1.e30.AAAA', `2${c.slice(1)}`, c + 'A', '1.%%%.AAAA', 'null']) {
      expect(await code(codec.decode(bad, q)), bad).toBe('invalid_cursor');
    }
    expect(await code(new CursorCodec('secret-two').decode(c, q))).toBe('invalid_cursor');
    expect(await code(codec.decode(c, await queryHash('acme', { provider: ['cekura'] })))).toBe('invalid_cursor');
    expect(await code(codec.decode(c, await queryHash('other', { provider: ['pathsim'] })))).toBe('invalid_cursor');
  });

  it('rejects a well-signed body that is not a cursor state', async () => {
    const q = await queryHash('acme', {});
    // sign arbitrary JSON with the right key: still not a valid state
    const forged = await codec.encode({ v: 1, q, b: null, p: { pathsim: { s: { a: { t: 1.5 } } } } } as unknown as CursorState);
    expect(await code(codec.decode(forged, q))).toBe('invalid_cursor');
  });

  it('hashes queries canonically (order of keys and list members does not matter)', async () => {
    expect(await queryHash('t', { status: ['failed', 'running'], channel: ['voice'] })).toBe(await queryHash('t', { channel: ['voice'], status: ['running', 'failed'] }));
    expect(await queryHash('t', { q: 'a' })).not.toBe(await queryHash('t', { q: 'b' }));
    expect(await queryHash('t', { q: undefined })).toBe(await queryHash('t', {}));
  });
});
