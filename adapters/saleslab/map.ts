/**
 * Sales Lab → Run. Pure functions; one table per enum with the vendor value on the left.
 * A run is a session (the rep under test) completed by its scorecard (GET /api/v1/scorecards/…),
 * which the list joins page by page. Times are UTC ISO at seconds precision (zone-less = UTC).
 */
import type { Evaluation, Role, Run, Status, Turn } from '../../schemas/run.js';
import { MapError } from '../../src/core/types.js';
import { asRecord, encodeKey, iso, isoMs, isoOrNull, lookup, num, role, str } from '../_shared/parse.js';

/** Session status → lifecycle (simgate's decision; only `scored` is documented). */
export const SESSION_STATUS: Record<string, Status> = {
  scored: 'completed',
  in_progress: 'running',
  live: 'running',
  ended: 'evaluating',
  scoring: 'evaluating',
  abandoned: 'failed',
  failed: 'failed',
};
/** Transcript speakers: `agent` is the AI prospect (the tester), the rep speaks as `user` (or `rep`). */
export const ROLES: Record<string, Role> = { agent: 'tester', user: 'target', rep: 'target' };

export const DEFAULT_PASS_SCORE = 70;

/** Names of reps and scenarios by id (from /users and /scenarios; empty when those failed). */
export interface Names {
  users: Map<string, string>;
  scenarios: Map<string, string>;
}
export const noNames = (): Names => ({ users: new Map(), scenarios: new Map() });

/** `[{id, <field>}]` → id → name; items without both are left out. */
export function nameIndex(items: unknown[], field: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const it of items) {
    const r = asRecord(it);
    const id = str(r['id']);
    const name = str(r[field]);
    if (id && name) m.set(id, name);
  }
  return m;
}

/** 's' for second-precision ISO, 'ms' when the text carries fractions of a second. */
export function precisionOf(v: unknown): Run['started_at_precision'] {
  return typeof v === 'string' && /T\d{2}:\d{2}:\d{2}\.\d+/.test(v) ? 'ms' : 's';
}

export const runId = (sessionId: string): string => `saleslab:${encodeKey([sessionId])}`;

/** Where a session's scorecard is served: its `scorecard_id`, else `scorecard.id`, else the session id. */
export function scorecardIdOf(session: unknown): string | null {
  const s = asRecord(session);
  return str(s['scorecard_id']) ?? str(asRecord(s['scorecard'])['id']) ?? str(s['id']);
}

/** Only a `scored` session has a scorecard to fetch. */
export const isScored = (session: unknown): boolean => asRecord(session)['status'] === 'scored';

/**
 * One session (list item or detail) → Run without its scorecard. A scored session reads
 * `completed`/`none` until `withScorecard` completes it.
 */
export function mapSession(item: unknown, names: Names = noNames()): Run {
  const s = asRecord(item);
  const id = str(s['id']);
  if (!id) throw new MapError('id missing');
  const startRaw = s['started_at'] ?? s['created_at'];
  const start = isoMs(startRaw, 'started_at');
  const statusRaw = str(s['status']) ?? '';
  const status = lookup(SESSION_STATUS, statusRaw, 'unknown');
  const secs = num(s['duration_seconds']);
  const duration = secs !== null && secs >= 0 ? Math.round(secs * 1000) : null;
  const endMs = isoOrNull(s['ended_at']) ?? (duration !== null && s['ended_at'] !== null ? start + duration : null);
  const userId = str(s['user_id']);
  const scenarioId = str(s['scenario_id']);
  return {
    id: runId(id),
    provider: 'saleslab',
    native_id: id,
    group_id: null,
    agent: { id: userId, name: userId ? (names.users.get(userId) ?? null) : null },
    scenario: { id: scenarioId, name: scenarioId ? (names.scenarios.get(scenarioId) ?? null) : null },
    channel: 'voice',
    target: null,
    source: 'unknown',
    status,
    status_raw: statusRaw,
    outcome: 'none',
    score: null,
    started_at: iso(start),
    started_at_precision: precisionOf(startRaw),
    ended_at: endMs !== null ? iso(endMs) : null,
    duration_ms: duration ?? (endMs !== null && endMs >= start ? endMs - start : null),
    summary: null,
    recording: null,
    latency_ms: null,
    raw: { session: s },
  };
}

/** "crushed_it: headline" (either part alone when the other is missing). */
export function summaryOf(card: Record<string, unknown>): string | null {
  const parts = [str(card['verdict']), str(card['headline'])].filter((x): x is string => x !== null);
  return parts.length ? parts.join(': ') : null;
}

/** The category breakdown → evaluations (no pass/fail per category: `passed` null). */
export function evaluationsOf(card: Record<string, unknown>): Evaluation[] {
  const cats = Array.isArray(card['categories']) ? card['categories'].map(asRecord) : [];
  return cats.flatMap((c): Evaluation[] => {
    const name = str(c['name']) ?? str(c['key']);
    return name ? [{ name, passed: null, score: num(c['score']), reasoning: null }] : [];
  });
}

/**
 * Completes a mapped session with its scorecard: `scorecard` is the scorecard's `data`, or null when
 * the vendor had none (404: not scored yet → evaluating). Sessions that are not `scored` stay as they are.
 */
export function withScorecard(run: Run, scorecard: unknown, passScore = DEFAULT_PASS_SCORE): Run {
  const session = asRecord(run.raw?.['session']);
  if (!isScored(session)) return { ...run, evaluations: [] };
  if (scorecard === null || scorecard === undefined) {
    return { ...run, status: 'evaluating', outcome: 'none', score: null, evaluations: [], raw: { session, scorecard: null } };
  }
  const card = asRecord(scorecard);
  const overall = num(card['overall_score']);
  return {
    ...run,
    status: 'completed',
    outcome: overall === null ? 'none' : overall >= passScore ? 'passed' : 'failed',
    score: overall === null ? null : { value: Math.min(1, Math.max(0, overall / 100)), raw: overall, max: 100 },
    summary: summaryOf(card),
    evaluations: evaluationsOf(card),
    raw: { session, scorecard: card },
  };
}

/** Transcript turns {role, message, time (seconds)} → turns with unified roles and at_ms. */
export function mapTranscript(v: unknown): Turn[] {
  if (!Array.isArray(v)) return [];
  return v.map(asRecord).flatMap((t): Turn[] => {
    const text = str(t['message']) ?? str(t['text']);
    if (text === null) return [];
    const secs = num(t['time']);
    return [{ role: role(ROLES, t['role']), text, at_ms: secs !== null && secs >= 0 ? Math.round(secs * 1000) : null }];
  });
}

/** The detail payload (session + transcript) and its scorecard → the full Run. */
export function mapDetail(session: unknown, scorecard: unknown, names: Names = noNames(), passScore = DEFAULT_PASS_SCORE): Run {
  const run = withScorecard(mapSession(session, names), scorecard, passScore);
  return { ...run, transcript: mapTranscript(asRecord(session)['transcript']) };
}
