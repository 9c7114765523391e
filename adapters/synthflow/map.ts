/**
 * Synthflow → Run / Group. Pure functions; one table per enum with the vendor value on the left.
 * A simulation (= run) is a full SimulationReadOut in both the list and the detail, so list items
 * carry their transcript (timeline) and evaluations (success_criteria_analysis) already.
 * A session (= group) has no status of its own: it is derived from its counts (see groupOf).
 */
import type { Evaluation, Group, Role, Run, Status, Turn } from '../../schemas/run.js';
import { MapError } from '../../src/core/types.js';
import { asRecord, bool, encodeKey, iso, isoMs, isoOrNull, lookup, num, role, str } from '../_shared/parse.js';

/** SimulationReadOut.status → status (`completed` without an analysis yet is `evaluating`, see statusOf). */
export const STATUS: Record<string, Status> = {
  'in-progress': 'running',
  completed: 'completed',
  failed: 'failed',
};

/** timeline.sender_type → role (`tester` = the persona agent, `target` = the agent under test); anything else is system. */
export const ROLES: Record<string, Role> = {
  persona: 'tester',
  user: 'tester',
  customer: 'tester',
  agent: 'target',
  assistant: 'target',
  target: 'target',
};

/** Unified status → the vendor's `status` query value, where one exists (pushdown). */
export const STATUS_QUERY: Partial<Record<Status, string>> = {
  running: 'in-progress',
  evaluating: 'completed',
  completed: 'completed',
  failed: 'failed',
};

export const runId = (simulationId: string): string => `synthflow:${encodeKey([simulationId])}`;
export const groupId = (sessionId: string): string => `synthflow:${encodeKey([sessionId])}`;

/** Status and outcome of one simulation (simgate's decisions table). */
export function statusOf(sim: Record<string, unknown>): { status: Status; outcome: Run['outcome'] } {
  const status = lookup(STATUS, sim['status'], 'unknown');
  const analysis = sim['success_criteria_analysis'];
  if (status !== 'completed') return { status, outcome: 'none' };
  if (analysis === null || analysis === undefined) return { status: 'evaluating', outcome: 'none' };
  const ok = bool(asRecord(analysis)['success']);
  return { status: 'completed', outcome: ok === null ? 'none' : ok ? 'passed' : 'failed' };
}

/** created_at ("2024-01-15T09:30:00Z") → epoch ms and its precision; MapError when unreadable. */
export function startOf(v: unknown): { ms: number; precision: Run['started_at_precision'] } {
  const ms = isoMs(v, 'created_at');
  const frac = typeof v === 'string' && /T\d{2}:\d{2}:\d{2}\.\d+/.test(v);
  return { ms, precision: frac ? 'ms' : 's' };
}

/** Offset of a timeline entry from the run's start: `timestamp` seconds (number or "1.1"), else its datetime − created_at. */
export function atMs(entry: Record<string, unknown>, startMs: number): number | null {
  const s = num(entry['timestamp']);
  if (s !== null && s >= 0) return Math.round(s * 1000);
  const t = isoOrNull(entry['timestamp_datetime']);
  return t !== null && t >= startMs ? t - startMs : null;
}

/** timeline → turns; entries without text are left out. */
export function transcriptOf(timeline: unknown, startMs: number): Turn[] {
  if (!Array.isArray(timeline)) return [];
  const turns: Turn[] = [];
  for (const e of timeline.map(asRecord)) {
    const text = str(e['value']);
    if (text === null) continue;
    turns.push({ role: role(ROLES, e['sender_type']), text, at_ms: atMs(e, startMs) });
  }
  return turns;
}

/** success_criteria_analysis.evaluations, named by success_criteria[i] (else "criterion i+1"). */
export function evaluationsOf(sim: Record<string, unknown>): Evaluation[] {
  const evals = asRecord(sim['success_criteria_analysis'])['evaluations'];
  if (!Array.isArray(evals)) return [];
  const names = Array.isArray(sim['success_criteria']) ? sim['success_criteria'] : [];
  return evals.map((e, i): Evaluation => {
    const ev = asRecord(e);
    return { name: str(names[i]) ?? `criterion ${i + 1}`, passed: bool(ev['success']), score: null, reasoning: str(ev['reasoning']) };
  });
}

/** One SimulationReadOut → Run (full: the list and the detail carry the same object). */
export function mapSimulation(item: unknown): Run {
  const sim = asRecord(item);
  const id = str(sim['simulation_id']);
  if (!id) throw new MapError('simulation_id missing');
  const start = startOf(sim['created_at']);
  const { status, outcome } = statusOf(sim);
  const session = str(sim['simulation_session_id']);
  const rid = runId(id);
  return {
    id: rid,
    provider: 'synthflow',
    native_id: id,
    group_id: session ? groupId(session) : null,
    agent: { id: str(sim['target_agent_id']), name: str(sim['agent_name']) },
    scenario: { id: str(sim['simulation_case_id']), name: str(sim['simulation_case_name']) },
    channel: 'voice',
    target: str(sim['target_phone_number']),
    source: 'unknown',
    status,
    status_raw: typeof sim['status'] === 'string' ? sim['status'] : String(sim['status'] ?? ''),
    outcome,
    score: null,
    started_at: iso(start.ms),
    started_at_precision: start.precision,
    ended_at: null,
    duration_ms: null,
    summary: str(asRecord(sim['error_info'])['message']),
    evaluations: evaluationsOf(sim),
    transcript: transcriptOf(sim['timeline'], start.ms),
    recording: str(sim['recording_url']) ? { content_type: 'audio/wav', url: `/v1/runs/${rid}/recording` } : null,
    latency_ms: null,
    raw: { simulation: sim },
  };
}

/** A count typed as a number or a numeric string; 0 when absent. */
const count = (v: unknown): number => {
  const n = num(v);
  return n !== null && n >= 0 ? Math.floor(n) : 0;
};

/**
 * One SimulationSessionReadOut → Group. started_at = its earliest simulation's created_at; name = the first
 * simulation's case name (a session has no name of its own); counts from the session's counters, with
 * passed/failed (and evaluating, counted as pending) derived from the embedded simulations.
 */
export function mapSession(item: unknown): Group {
  const s = asRecord(item);
  const id = str(s['simulation_session_id']);
  if (!id) throw new MapError('simulation_session_id missing');
  const sims = Array.isArray(s['simulations']) ? s['simulations'].map(asRecord) : [];
  const starts = sims.map((x) => isoOrNull(x['created_at'])).filter((t): t is number => t !== null);
  if (!starts.length) throw new MapError('session has no simulation with a readable created_at');
  const states = sims.map(statusOf);
  const passed = states.filter((x) => x.status === 'completed' && x.outcome === 'passed').length;
  const failed = states.filter((x) => x.status === 'completed' && x.outcome === 'failed').length;
  const evaluating = states.filter((x) => x.status === 'evaluating').length;
  const vendorPending = count(s['pending_simulations']);
  const status: Status = vendorPending > 0 ? 'running' : evaluating > 0 ? 'evaluating' : 'completed';
  return {
    id: groupId(id),
    provider: 'synthflow',
    native_id: id,
    name: str(sims[0]?.['simulation_case_name']),
    started_at: iso(Math.min(...starts)),
    status,
    counts: {
      total: count(s['total_simulations']),
      passed,
      failed,
      errored: count(s['failed_simulations']),
      pending: vendorPending + evaluating,
    },
    pass_rate: passed + failed > 0 ? passed / (passed + failed) : null,
    raw: { session: s },
  };
}
