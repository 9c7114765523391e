/**
 * PathSim → Run. Pure functions; one table per enum with the vendor value on the left.
 * Rows use the "Test History" column names; `Time` is UTC at minute precision, except web
 * runs whose `test_id` (test_YYYYMMDD_HHMMSS_ffffff) carries the exact start.
 */
import type { Channel, Evaluation, Role, Run, Source, Status, Turn } from '../../schemas/run.js';
import { MapError } from '../../src/core/types.js';
import { asRecord, bool, encodeKey, iso, lookup, num, role, str, unitDurationMs } from '../_shared/parse.js';

export const TEST_TYPE: Record<string, Channel> = { Voice: 'voice', Web: 'web' };
export const SOURCE: Record<string, Source> = { Campaign: 'campaign', 'Ad-hoc': 'ad_hoc' };
/** Connected column → status; `Connected` itself depends on the Objective (see statusOf). */
export const CONNECTED: Record<string, Status> = {
  'In Progress': 'running',
  Failed: 'failed',
  'System Error': 'failed',
  Connected: 'completed',
};
export const OBJECTIVE: Record<string, 'passed' | 'failed' | 'pending' | 'unknown'> = {
  Achieved: 'passed',
  'Not Achieved': 'failed',
  '--': 'pending',
};
/** Speakers in PathSim transcripts: the tester speaks as `agent`, the called business as `user`. */
export const ROLES: Record<string, Role> = { agent: 'tester', user: 'target' };

export function statusOf(connected: unknown, objective: unknown): { status: Status; outcome: Run['outcome'] } {
  const c = lookup(CONNECTED, connected, 'unknown');
  if (c !== 'completed') return { status: c, outcome: 'none' };
  const o = lookup(OBJECTIVE, objective, 'unknown');
  if (o === 'pending') return { status: 'evaluating', outcome: 'none' };
  if (o === 'passed' || o === 'failed') return { status: 'completed', outcome: o };
  return { status: 'unknown', outcome: 'none' };
}

/** "08/08/2025 18:00" (UTC) → epoch ms. */
export function parseTime(v: unknown): number {
  const m = typeof v === 'string' ? /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2})$/.exec(v.trim()) : null;
  if (!m) throw new MapError('Time missing or not MM/DD/YYYY HH:mm');
  const t = Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), Number(m[4]), Number(m[5]));
  if (Number.isNaN(t) || Number(m[1]) > 12 || Number(m[2]) > 31 || Number(m[4]) > 23 || Number(m[5]) > 59) {
    throw new MapError('Time out of range');
  }
  return t;
}

/** `test_20250808_142100_719132` → epoch ms (microseconds truncated); null for other ids. */
export function testIdTime(v: unknown): number | null {
  const m = typeof v === 'string' ? /^test_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})_(\d{6})$/.exec(v) : null;
  if (!m) return null;
  const [, y, mo, d, h, mi, s, us] = m.map(Number) as number[];
  const t = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) + Math.floor(us! / 1000);
  return Number.isNaN(t) ? null : t;
}

/** When the row says the run started, and how precisely. */
export function startOf(row: Record<string, unknown>): { ms: number; precision: Run['started_at_precision'] } {
  const minute = parseTime(row['Time']);
  const exact = testIdTime(row['test_id']);
  // trust the test_id only when it agrees with the Time column's minute
  if (exact !== null && exact - minute >= 0 && exact - minute < 60_000) return { ms: exact, precision: 'ms' };
  return { ms: minute, precision: 'min' };
}

/** One list row → Run (list fields only). */
export function mapRow(item: unknown): Run {
  const row = asRecord(item);
  const id = str(row['_id']);
  if (!id) throw new MapError('_id missing');
  const start = startOf(row);
  const connected = str(row['Connected']) ?? '';
  const objective = str(row['Objective']) ?? '';
  const { status, outcome } = statusOf(connected, objective);
  return {
    id: `pathsim:${encodeKey([id])}`,
    provider: 'pathsim',
    native_id: id,
    group_id: null,
    agent: { id: null, name: null },
    scenario: { id: null, name: str(row['Virtual Customer']) },
    channel: lookup(TEST_TYPE, row['Test Type'], 'unknown'),
    target: str(row['Target']),
    source: lookup(SOURCE, row['Source'], 'unknown'),
    status,
    status_raw: `${connected}/${objective}`,
    outcome,
    score: null,
    started_at: iso(start.ms),
    started_at_precision: start.precision,
    ended_at: null,
    duration_ms: null,
    summary: null,
    recording: null,
    latency_ms: null,
    raw: { session: row },
  };
}

/** The single transcript string ("user: …\nagent: …") → turns with roles. */
export function splitTranscript(text: unknown): Turn[] {
  if (typeof text !== 'string' || text.trim() === '') return [];
  const marker = /(?:^|\n|\s)(user|agent|assistant|system):\s*/gi;
  const turns: Turn[] = [];
  const hits = [...text.matchAll(marker)];
  if (!hits.length) return [{ role: 'system', text: text.trim(), at_ms: null }];
  const lead = text.slice(0, hits[0]!.index).trim();
  if (lead) turns.push({ role: 'system', text: lead, at_ms: null });
  hits.forEach((h, i) => {
    const start = h.index + h[0].length;
    const end = i + 1 < hits.length ? hits[i + 1]!.index : text.length;
    const body = text.slice(start, end).trim();
    if (body) turns.push({ role: role(ROLES, h[1]), text: body, at_ms: null });
  });
  return turns;
}

const FLAGS = ['call_successful', 'test_successful', 'objective_met', 'reached_target_website', 'intent_achieved'] as const;

/** The detail payload → the full Run (transcript, evaluations, duration, latency, recording). */
export function mapDetail(item: unknown): Run {
  const d = asRecord(item);
  const base = mapRow(d);
  const startMs = Date.parse(base.started_at);
  const duration = unitDurationMs(d['duration']);
  const evaluations: Evaluation[] = FLAGS.filter((f) => bool(d[f]) !== null).map((f) => ({
    name: f,
    passed: bool(d[f]),
    score: null,
    reasoning: null,
  }));
  const steps = Array.isArray(d['steps']) ? d['steps'].map(asRecord) : [];
  const transcript =
    base.channel === 'web' && steps.length
      ? steps.map((s): Turn => {
          const at = num(s['timestamp']);
          const text = [str(s['action']), str(s['target'])].filter(Boolean).join(': ') + (str(s['value']) ? ` — ${str(s['value'])}` : '');
          return { role: 'tester', text, at_ms: at !== null && at >= startMs ? at - startMs : null };
        })
      : splitTranscript(d['transcript']);
  const lat = asRecord(d['far_end_latency_stats']);
  const hasLatency = num(lat['average_ms']) !== null;
  return {
    ...base,
    target: base.target ?? str(d['to_number']) ?? str(d['target_url']),
    ended_at: duration !== null ? iso(startMs + duration) : null,
    duration_ms: duration,
    summary: str(d['summary']),
    evaluations,
    transcript,
    recording: str(d['recording_url'])
      ? { content_type: base.channel === 'web' ? 'video/mp4' : 'audio/wav', url: `/v1/runs/${base.id}/recording` }
      : null,
    latency_ms: hasLatency ? { avg: num(lat['average_ms']), min: num(lat['min_ms']), max: num(lat['max_ms']), p50: null } : null,
    raw: { session: d },
  };
}
