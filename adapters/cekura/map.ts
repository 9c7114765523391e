/**
 * Cekura (evaluation-results API) → Run / Group. Pure functions; one table per enum with the vendor
 * value on the left. A result (= group) embeds its runs (`runs`: a dict keyed by run id string, or an
 * array); the list walk maps one result to its runs, newest first (timestamp desc, then id desc), which
 * continues the vendor's order (results newest first, the runs of later results older).
 */
import type { Channel, Evaluation, Group, Role, Run, Source, Status, Turn } from '../../schemas/run.js';
import { MapError } from '../../src/core/types.js';
import { asRecord, bool, clockDurationMs, encodeKey, iso, isoMs, lookup, num, role, str } from '../_shared/parse.js';

/** Run and result `status` (ENDPOINTS.md decisions); anything else (e.g. `scaling_up`) → unknown. */
export const STATUS: Record<string, Status> = {
  pending: 'queued',
  in_queue: 'queued',
  running: 'running',
  in_progress: 'running',
  evaluating: 'evaluating',
  completed: 'completed',
  failed: 'failed',
  timeout: 'timed_out',
  cancelled: 'cancelled',
};
/** `run_as_text` → channel (absent: a voice run). */
export const RUN_AS_TEXT: Record<string, Channel> = { true: 'chat', false: 'voice' };
/** `is_cronjob` (boolean, or "true"/"false" typed as string) → source (absent: started through the API/dashboard). */
export const IS_CRONJOB: Record<string, Source> = { true: 'scheduled', false: 'api' };
/** Transcript speakers; keys lower-case because `role()` compares case-insensitively (vendor: `Testing Agent`, `Main Agent`). */
export const ROLES: Record<string, Role> = { 'testing agent': 'tester', 'main agent': 'target' };
/** Metric types whose score is a pass/fail (score > 0 = pass); latest API: `eval_type: "binary"` + boolean `passed`. */
export const BINARY_TYPES: ReadonlySet<unknown> = new Set(['binary_workflow_adherence', 'binary_qualitative', 'binary']);

/** Statuses after which the call is over, so that `duration` is the call's length. */
const ENDED = new Set<Status>(['evaluating', 'completed', 'failed', 'timed_out', 'cancelled']);

export const groupId = (resultId: string): string => `cekura:${encodeKey([resultId])}`;
export const runId = (resultId: string, run: string): string => `cekura:${encodeKey([resultId, run])}`;

/** The runs of a result as [run id, run] pairs: a dict keyed by run id string, or an array (id inside). */
export function runEntries(runs: unknown): Array<[string | null, Record<string, unknown>]> {
  if (Array.isArray(runs)) return runs.map((r) => [str(asRecord(r)['id']), asRecord(r)]);
  return Object.entries(asRecord(runs)).map(([k, r]) => [str(asRecord(r)['id']) ?? (k || null), asRecord(r)]);
}

/** A run start: `timestamp` (or `executed_at`), zone-less = UTC; precision from the string. */
export function startOf(run: Record<string, unknown>): { ms: number; precision: Run['started_at_precision'] } {
  const v = run['timestamp'] ?? run['executed_at'];
  const ms = isoMs(v, 'run timestamp');
  return { ms, precision: /T?\d{2}:\d{2}:\d{2}\.\d/.test(String(v)) ? 'ms' : 's' };
}

/** Status and outcome: a run with an error_message broke (failed, no verdict); the verdict is `success` once completed. */
export function statusOf(run: Record<string, unknown>): { status: Status; outcome: Run['outcome'] } {
  if (str(run['error_message'])) return { status: 'failed', outcome: 'none' };
  const status = lookup(STATUS, run['status'], 'unknown');
  if (status !== 'completed') return { status, outcome: 'none' };
  const ok = bool(run['success']);
  return { status, outcome: ok === null ? 'none' : ok ? 'passed' : 'failed' };
}

/** expected_outcome.score (0–100) → {value 0..1, raw, max 100}; null until evaluated or out of range. */
export function scoreOf(run: Record<string, unknown>): Run['score'] {
  const raw = num(asRecord(run['expected_outcome'])['score']);
  return raw !== null && raw >= 0 && raw <= 100 ? { value: raw / 100, raw, max: 100 } : null;
}

/** A string or a list of strings → one text; null when empty. */
export function text(v: unknown): string | null {
  if (Array.isArray(v)) return v.map(str).filter((s): s is string => s !== null).join('\n') || null;
  return str(v);
}

/** evaluation.metrics → evaluations; undefined when the payload carries no `evaluation` at all. */
export function evaluationsOf(run: Record<string, unknown>): Evaluation[] | undefined {
  if (run['evaluation'] === undefined || run['evaluation'] === null) return undefined;
  const metrics = asRecord(run['evaluation'])['metrics'];
  return (Array.isArray(metrics) ? metrics : []).map((m): Evaluation => {
    const x = asRecord(m);
    const score = num(x['score']);
    const binary = BINARY_TYPES.has(x['eval_type']) || BINARY_TYPES.has(x['type']);
    const passed = binary ? (bool(x['passed']) ?? (score !== null ? score > 0 : null)) : null;
    const why = text(x['explanation']);
    const value = str(x['enum']);
    return {
      name: str(x['name']) ?? str(x['function_name']) ?? `metric ${str(x['id']) ?? '?'}`,
      passed,
      score,
      reasoning: value ? (why ? `${value}: ${why}` : value) : why,
    };
  });
}

/** transcript_object → turns (timestamp = seconds from the start); else the "[MM:SS] Role: text" transcript. */
export function transcriptOf(run: Record<string, unknown>): Turn[] {
  const obj = run['transcript_object'];
  if (Array.isArray(obj)) {
    return obj.map((e): Turn => {
      const x = asRecord(e);
      const at = num(x['timestamp']);
      return { role: role(ROLES, x['role']), text: str(x['content']) ?? str(x['text']) ?? '', at_ms: at === null ? null : Math.round(at * 1000) };
    });
  }
  const turns: Turn[] = [];
  for (const line of typeof run['transcript'] === 'string' ? run['transcript'].split('\n') : []) {
    const m = /^\s*\[(?:(\d+):)?(\d+):(\d{2})\]\s*([^:]+):\s?(.*)$/.exec(line);
    if (m) turns.push({ role: role(ROLES, m[4]!.trim()), text: m[5]!, at_ms: ((Number(m[1] ?? 0) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 });
    else if (turns.length && line.trim()) turns[turns.length - 1]!.text += `\n${line}`;
    else if (line.trim()) turns.push({ role: 'system', text: line, at_ms: null });
  }
  return turns;
}

const AUDIO: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mpeg', m4a: 'audio/mp4', ogg: 'audio/ogg', webm: 'audio/webm' };
/** The recording's content type from the file name of its URL. */
export function audioType(url: string): string {
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url.replace(/^https?:\/\/[^/]+/, ''))?.[1]?.toLowerCase() ?? '';
  return lookup(AUDIO, ext, 'application/octet-stream');
}

/** The result fields a run needs (from the result, or from a runs/bulk run that carries them). */
function resultFields(result: Record<string, unknown>, run: Record<string, unknown>): {
  id: string | null; agent: Run['agent']; channel: Channel; source: Source; inbound: boolean | null;
} {
  const asText = bool(result['run_as_text'] ?? run['run_as_text']);
  const cron = bool(result['is_cronjob']);
  return {
    id: str(result['id']) ?? str(run['result_id']),
    agent: { id: str(result['agent']) ?? str(run['agent']), name: str(result['agent_name']) ?? str(run['agent_name']) },
    channel: lookup(RUN_AS_TEXT, String(asText ?? false), 'unknown'),
    source: lookup(IS_CRONJOB, String(cron ?? false), 'unknown'),
    inbound: bool(result['agent_inbound']),
  };
}

/**
 * One run of a result → Run. The number under test is the agent's: `inbound_number` for an inbound agent
 * (the tester calls it), `outbound_number` for an outbound one; unknown direction → outbound ?? inbound.
 */
export function mapRun(result: Record<string, unknown>, run: Record<string, unknown>, idHint: string | null = null): Run {
  const r = resultFields(result, run);
  if (!r.id) throw new MapError('result id missing');
  const native = str(run['id']) ?? idHint;
  if (!native) throw new MapError(`run id missing in result ${r.id}`);
  const start = startOf(run);
  const { status, outcome } = statusOf(run);
  const duration = ENDED.has(status) ? clockDurationMs(run['duration']) : null;
  const out = str(run['outbound_number']);
  const inn = str(run['inbound_number']);
  const { runs: _runs, ...resultRaw } = result;
  const evaluations = evaluationsOf(run);
  return {
    id: runId(r.id, native),
    provider: 'cekura',
    native_id: native,
    group_id: groupId(r.id),
    agent: r.agent,
    scenario: { id: str(run['scenario']), name: str(run['scenario_name']) },
    channel: r.channel,
    target: r.inbound === true ? (inn ?? out) : r.inbound === false ? (out ?? inn) : (out ?? inn),
    source: r.source,
    status,
    status_raw: str(run['status']) ?? '',
    outcome,
    score: scoreOf(run),
    started_at: iso(start.ms),
    started_at_precision: start.precision,
    ended_at: duration !== null ? iso(start.ms + duration) : null,
    duration_ms: duration,
    summary: str(run['error_message']) ?? text(asRecord(run['expected_outcome'])['explanation']),
    ...(evaluations ? { evaluations } : {}),
    recording: null,
    latency_ms: null,
    raw: { result: resultRaw, run },
  };
}

const newestFirst = (a: Run, b: Run): number => {
  const d = Date.parse(b.started_at) - Date.parse(a.started_at);
  if (d !== 0) return d;
  const [x, y] = [Number(a.native_id), Number(b.native_id)];
  return Number.isFinite(x) && Number.isFinite(y) ? y - x : b.native_id < a.native_id ? -1 : b.native_id > a.native_id ? 1 : 0;
};

/** A result list item → its runs, newest first. Any run that cannot be mapped makes the whole item a MapError. */
export function mapResult(item: unknown): Run[] {
  const result = asRecord(item);
  return runEntries(result['runs']).map(([id, run]) => mapRun(result, run, id)).sort(newestFirst);
}

/** GET /v1/runs/{id}: the run inside its result, completed by the runs/bulk run (transcript, recording). */
export function mapFull(result: Record<string, unknown>, summary: Record<string, unknown> | null, full: Record<string, unknown> | null): Run {
  const run = { ...(summary ?? {}), ...(full ?? {}) };
  const base = mapRun(result, run);
  const url = str(run['voice_recording_url']);
  return {
    ...base,
    evaluations: base.evaluations ?? [],
    transcript: transcriptOf(run),
    recording: url ? { content_type: audioType(url), url: `/v1/runs/${base.id}/recording` } : null,
    raw: { ...(base.raw ?? {}), run: summary, ...(full ? { full } : {}) },
  };
}

/** success_rate as 0..1: documented as a decimal, seen as a percentage (> 1). */
export function successRate(v: unknown): number | null {
  const n = num(v);
  if (n === null || n < 0) return null;
  return n > 1 ? Math.min(1, n / 100) : n;
}

/**
 * A result → Group. Counts come from the embedded runs, mapped with the run rules (passed/failed = completed
 * with that verdict, errored = failed + timed out, pending = queued + running + evaluating), when the runs
 * are all there; otherwise from the vendor's string-typed counts.
 */
export function mapGroup(item: unknown): Group {
  const r = asRecord(item);
  const id = str(r['id']);
  if (!id) throw new MapError('result id missing');
  const started = isoMs(r['created_at'], 'result created_at');
  const entries = runEntries(r['runs']);
  const total = num(r['total_runs_count']);
  let counts: Group['counts'];
  if (entries.length > 0 && (total === null || total === entries.length)) {
    const st = entries.map(([, run]) => statusOf(run));
    const n = (p: (s: (typeof st)[number]) => boolean): number => st.filter(p).length;
    counts = {
      total: entries.length,
      passed: n((s) => s.outcome === 'passed'),
      failed: n((s) => s.outcome === 'failed'),
      errored: n((s) => s.status === 'failed' || s.status === 'timed_out'),
      pending: n((s) => s.status === 'queued' || s.status === 'running' || s.status === 'evaluating'),
    };
  } else {
    const all = total ?? entries.length;
    const completed = num(r['completed_runs_count']) ?? 0;
    const rate = successRate(r['success_rate']);
    const passed = num(r['success_runs_count']) ?? (rate !== null ? Math.round(rate * all) : 0);
    const failed = Math.max(0, completed - passed);
    // the vendor's failed_runs_count also holds completed runs that missed the expected outcome
    const errored = Math.max(0, (num(r['failed_runs_count']) ?? 0) - failed);
    counts = { total: all, passed, failed, errored, pending: Math.max(0, all - completed - errored) };
  }
  const judged = counts.passed + counts.failed;
  return {
    id: groupId(id),
    provider: 'cekura',
    native_id: id,
    name: str(r['name']),
    started_at: iso(started),
    status: lookup(STATUS, r['status'], 'unknown'),
    counts,
    pass_rate: judged ? counts.passed / judged : null,
    raw: r,
  };
}
