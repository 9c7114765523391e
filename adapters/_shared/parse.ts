/**
 * Small parsers every adapter's mapping uses for vendor drift: times, durations,
 * numbers typed as strings, enum tables with an `unknown` fallback, transcript roles.
 */
import type { Role } from '../../schemas/run.js';
import { MapError } from '../../src/core/types.js';

/** Looks a vendor value up in a table; anything else is the fallback (`unknown`). */
export function lookup<T extends string>(table: Record<string, T>, value: unknown, fallback: T): T {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(table, value) ? table[value]! : fallback;
}

/** An ISO time (zone-less taken as UTC) as epoch ms; MapError when absent or unreadable. */
export function isoMs(v: unknown, what: string): number {
  if (typeof v !== 'string' || v === '') throw new MapError(`${what} missing`);
  const s = /[zZ]|[+-]\d{2}:?\d{2}$/.test(v) ? v : `${v}Z`;
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new MapError(`${what} unreadable`);
  return t;
}

export function isoOrNull(v: unknown): number | null {
  try {
    return isoMs(v, 'time');
  } catch {
    return null;
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();

/** A number given as a number or a numeric string ("10"); null otherwise. */
export function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** "4m 28s", "1h 2m 3s", "45s" → ms. */
export function unitDurationMs(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = /^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+(?:\.\d+)?)\s*s)?\s*$/i.exec(v);
  if (!m || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return null;
  return Math.round(((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000);
}

/** "MM:SS" or "H:MM:SS" → ms. */
export function clockDurationMs(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const m = /^\s*(?:(\d+):)?(\d{1,2}):(\d{2})\s*$/.exec(v);
  if (!m) return null;
  return ((Number(m[1] ?? 0) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000;
}

export function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null;
}

export function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return null;
}

/** Role of a transcript speaker from a vendor's role table; any other role is `system`. */
export function role(table: Record<string, Role>, v: unknown): Role {
  return lookup(table, typeof v === 'string' ? v.toLowerCase() : v, 'system');
}

export function asRecord(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

const SAFE = /^[A-Za-z0-9._-]+$/;

/** One id part with `~`, `:` and any character outside the run-id set as `~XX` (its UTF-8 bytes in hex). */
function escapePart(p: string): string {
  if (SAFE.test(p)) return p;
  return Array.from(new TextEncoder().encode(p), (b) => {
    const ch = String.fromCharCode(b);
    return SAFE.test(ch) ? ch : `~${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** Folds native ids into the path-safe part of a run id (`[A-Za-z0-9._~:-]`): escaped parts joined with `:`. */
export function encodeKey(parts: string[]): string {
  return parts.map(escapePart).join(':');
}

/** The inverse of encodeKey; null when the text is not an encoded key of `n` parts. */
export function decodeKey(key: string, n: number): string[] | null {
  const parts = key.split(':');
  if (parts.length !== n) return null;
  const out: string[] = [];
  for (const p of parts) {
    if (!/^(?:[A-Za-z0-9._-]|~[0-9A-F]{2})+$/.test(p)) return null;
    const bytes: number[] = [];
    for (let i = 0; i < p.length; i++) {
      if (p[i] === '~') {
        bytes.push(parseInt(p.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(p.charCodeAt(i));
    }
    try {
      out.push(new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes)));
    } catch {
      return null;
    }
  }
  return out;
}
