/** Shared parsers for vendor drift. */
import { describe, expect, it } from 'vitest';
import { clockDurationMs, decodeKey, encodeKey, isoMs, num, unitDurationMs, bool } from '../../adapters/_shared/parse.js';
import { MapError } from '../../src/core/types.js';

describe('durations', () => {
  it('reads "4m 28s", "45s", "1h 2m 3s"', () => {
    expect(unitDurationMs('4m 28s')).toBe(268_000);
    expect(unitDurationMs('45s')).toBe(45_000);
    expect(unitDurationMs('1h 2m 3s')).toBe(3_723_000);
    expect(unitDurationMs('2m')).toBe(120_000);
    for (const bad of ['', 'soon', '4 minutes', null, 12]) expect(unitDurationMs(bad)).toBeNull();
  });
  it('reads "MM:SS" and "H:MM:SS"', () => {
    expect(clockDurationMs('01:23')).toBe(83_000);
    expect(clockDurationMs('1:02:03')).toBe(3_723_000);
    for (const bad of ['1:2', 'ab:cd', '', undefined]) expect(clockDurationMs(bad)).toBeNull();
  });
});

describe('times and numbers', () => {
  it('reads zone-less ISO times as UTC', () => {
    expect(isoMs('2026-05-06T17:00:00', 't')).toBe(Date.UTC(2026, 4, 6, 17));
    expect(isoMs('2026-05-06T17:00:00Z', 't')).toBe(Date.UTC(2026, 4, 6, 17));
    expect(isoMs('2026-05-06T19:00:00+02:00', 't')).toBe(Date.UTC(2026, 4, 6, 17));
    expect(() => isoMs('not-a-date', 't')).toThrow(MapError);
    expect(() => isoMs(undefined, 't')).toThrow(MapError);
  });
  it('reads numbers typed as strings', () => {
    expect(num('10')).toBe(10);
    expect(num(7.5)).toBe(7.5);
    expect(num('')).toBeNull();
    expect(num('ten')).toBeNull();
    expect(bool('true')).toBe(true);
    expect(bool('yes')).toBeNull();
  });
});

describe('run id keys', () => {
  it('round-trips ids with characters outside the URL-safe set', () => {
    const parts = ['agent_D5D0p7TUs66TTAEAx', 'batch_s0OJu2JWR8R45Fai', 'job/ü ~x:y'];
    const key = encodeKey(parts);
    expect(key).toMatch(/^[A-Za-z0-9._~:-]+$/);
    expect(key.startsWith('agent_D5D0p7TUs66TTAEAx:batch_s0OJu2JWR8R45Fai:')).toBe(true);
    expect(decodeKey(key, 3)).toEqual(parts);
    expect(encodeKey(['68963b44e7b3ba1e58b7c60a'])).toBe('68963b44e7b3ba1e58b7c60a');
  });
  it('rejects malformed keys', () => {
    for (const bad of ['a:b', 'a~zz', 'a~', 'a b', '', 'x~FF']) expect(decodeKey(bad, 1)).toBeNull();
    expect(decodeKey('a:b', 3)).toBeNull();
  });
});
