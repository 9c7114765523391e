/**
 * SigmaMind → Run and Group. Pure functions; one table per enum with the vendor value on the left.
 * A test run (job) has no status field: its lifecycle is read from `completedDate` and the verdict
 * `isSuccessful` (the older docs generation spells it `isSuccesful`; both are read). A batch run has
 * no status either: it is running while attempts are neither successful nor failed.
 */
import type { Evaluation, Group, Role, Run, Status, Turn } from '../../schemas/run.js';
import { MapError } from '../../src/core/types.js';
import { asRecord, bool, encodeKey, iso, isoMs, isoOrNull, lookup, num, role, str } from '../_shared/parse.js';

/** Speakers in `conversation`: `user` is the simulated customer, the agent under test answers as `assistant` (or `agent`). */
export const ROLES: Record<string, Role> = { user: 'tester', assistant: 'target', agent: 'target' };

/** The verdict (`isSuccessful`, read as text) → outcome; `null` = not evaluated yet. */
export const VERDICT: Record<string, 'passed' | 'failed' | 'pending'> = { true: 'passed', false: 'failed', null: 'pending' };

/** The lifecycle, from whether `completedDate` is set and the verdict. */
export const LIFECYCLE: Record<string, Status> = {
  open: 'running',
  'completed/pending': 'evaluating',
  'completed/passed': 'completed',
  'completed/failed': 'completed',
};

export const PROVIDER = 'sigmamind';

/** `sigmamind:` + the key of the three ids GET /v1/test-runs/{jobId}?batchId&agentId needs. */
export const runId = (agentId: string, batchId: string, jobId: string): string => `${PROVIDER}:${encodeKey([agentId, batchId, jobId])}`;
/** `sigmamind:` + the key of the two ids GET /v1/batch-runs/{batchId}?agentId needs. */
export const groupId = (agentId: string, batchId: string): string => `${PROVIDER}:${encodeKey([agentId, batchId])}`;

/** How precise an ISO time really is: fractional seconds → ms, seconds → s, else min. */
export function isoPrecision(v: string): Run['started_at_precision'] {
  if (/T\d{2}:\d{2}:\d{2}[.,]\d+/.test(v)) return 'ms';
  if (/T\d{2}:\d{2}:\d{2}/.test(v)) return 's';
  return 'min';
}

/** The verdict with the old docs' typo as a fallback: `true`, `false`, `null` (not evaluated) or the odd value as text. */
export function verdictOf(d: Record<string, unknown>): { key: string; value: boolean | null } {
  const v = d['isSuccessful'] !== undefined ? d['isSuccessful'] : d['isSuccesful'];
  if (v === undefined || v === null) return { key: 'null', value: null };
  const b = bool(v);
  return b === null ? { key: typeof v === 'string' ? v : JSON.stringify(v), value: null } : { key: String(b), value: b };
}

/** Status, outcome and the raw values they came from (`completed/true`, `open/null`, …). */
export function statusOf(d: Record<string, unknown>): { status: Status; outcome: Run['outcome']; raw: string } {
  const done = d['completedDate'] !== undefined && d['completedDate'] !== null && d['completedDate'] !== '';
  const v = verdictOf(d);
  const raw = `${done ? 'completed' : 'open'}/${v.key}`;
  if (!done) return { status: lookup(LIFECYCLE, 'open', 'unknown'), outcome: 'none', raw };
  const verdict = lookup(VERDICT, v.key, 'unknown');
  if (verdict === 'unknown') return { status: 'unknown', outcome: 'none', raw };
  const status = lookup(LIFECYCLE, `completed/${verdict}`, 'unknown');
  return { status, outcome: verdict === 'pending' ? 'none' : verdict, raw };
}

/** `conversation` → turns; undefined when the payload has no conversation at all. */
export function transcriptOf(conv: unknown): Turn[] | undefined {
  if (!Array.isArray(conv)) return undefined;
  return conv.map(asRecord).flatMap((m): Turn[] => {
    const text = str(m['content']);
    return text === null ? [] : [{ role: role(ROLES, m['role']), text, at_ms: null }];
  });
}

/** The one criterion SigmaMind evaluates; empty until the run is evaluated. */
export function evaluationsOf(d: Record<string, unknown>): Evaluation[] {
  const v = verdictOf(d).value;
  if (v === null) return [];
  return [{ name: 'success criteria', passed: v, score: null, reasoning: str(d['remarks']) }];
}

/**
 * One test run (list item or detail; both carry the full object) → Run. `agentId` is the agent
 * whose listing (or run id) it came from: the run id carries it, since the vendor needs it to fetch
 * the run again. `agentName` fills in where the run does not name its agent.
 */
export function mapTestRun(item: unknown, agentId: string, agentName: string | null = null): Run {
  const d = asRecord(item);
  const jobId = str(d['jobId']);
  if (!jobId) throw new MapError('jobId missing');
  const batchId = str(d['batchId']);
  if (!batchId) throw new MapError('batchId missing');
  const created = d['createdDate'];
  const start = isoMs(created, 'createdDate');
  const end = isoOrNull(d['completedDate']);
  const agent = asRecord(d['agent']);
  const tc = asRecord(d['testCase']);
  const { status, outcome, raw } = statusOf(d);
  const transcript = transcriptOf(d['conversation']);
  return {
    id: runId(agentId, batchId, jobId),
    provider: PROVIDER,
    native_id: jobId,
    group_id: groupId(agentId, batchId),
    agent: { id: str(agent['agentId']) ?? agentId, name: str(agent['name']) ?? agentName },
    scenario: { id: str(tc['testCaseId']), name: str(tc['label']) },
    channel: 'chat',
    target: null,
    source: 'unknown',
    status,
    status_raw: raw,
    outcome,
    score: null,
    started_at: iso(start),
    started_at_precision: isoPrecision(created as string),
    ended_at: end !== null ? iso(end) : null,
    duration_ms: end !== null && end >= start ? end - start : null,
    summary: str(d['remarks']),
    evaluations: evaluationsOf(d),
    ...(transcript !== undefined ? { transcript } : {}),
    recording: null,
    latency_ms: null,
    raw: { testRun: d },
  };
}

/** Attempt counts of a batch (numbers given as strings are read; a missing total is the sum). */
export function countsOf(d: Record<string, unknown>): Group['counts'] {
  const passed = Math.max(0, num(d['successfulAttempts']) ?? 0);
  const failed = Math.max(0, num(d['failedAttempts']) ?? 0);
  const total = Math.max(num(d['totalAttempts']) ?? 0, passed + failed);
  return { total, passed, failed, errored: 0, pending: total - passed - failed };
}

/** One batch run → Group. */
export function mapBatch(item: unknown, agentId: string, agentName: string | null = null): Group {
  const d = asRecord(item);
  const batchId = str(d['batchId']);
  if (!batchId) throw new MapError('batchId missing');
  const start = isoMs(d['createdDate'], 'createdDate');
  const labels = (Array.isArray(d['testCases']) ? d['testCases'] : []).map((t) => str(asRecord(t)['label'])).filter((l): l is string => l !== null);
  const counts = countsOf(d);
  const judged = counts.passed + counts.failed;
  return {
    id: groupId(agentId, batchId),
    provider: PROVIDER,
    native_id: batchId,
    name: labels.length ? labels.join(', ') : (str(asRecord(d['agent'])['name']) ?? agentName),
    started_at: iso(start),
    status: counts.pending > 0 ? 'running' : 'completed',
    counts,
    pass_rate: judged > 0 ? counts.passed / judged : null,
    raw: { batchRun: d },
  };
}
