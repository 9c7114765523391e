/** Cekura mapping: every enum value, documented quirks and drift, times, durations, roles, ids. Fixtures from the vendor docs. */
import { describe, expect, it } from 'vitest';
import { resultOfGroup } from '../../adapters/cekura/index.js';
import {
  BINARY_TYPES, IS_CRONJOB, ROLES, RUN_AS_TEXT, STATUS, audioType, evaluationsOf, mapFull, mapGroup, mapResult, mapRun, runEntries,
  scoreOf, startOf, statusOf, successRate, transcriptOf,
} from '../../adapters/cekura/map.js';
import { decodeKey, encodeKey } from '../../adapters/_shared/parse.js';
import { MapError } from '../../src/core/types.js';
import { Group, Run } from '../../schemas/run.js';

// the docs' run (evaluation-results.txt / get-result example), with illustrative values
const RUN = {
  id: 86368, scenario: 13, scenario_name: 'Book a cleaning', personality_name: 'Polite', outbound_number: '+16285551234', inbound_number: '+14155550101',
  expected_outcome: { score: 100, explanation: ['✅ Positive outcome explanation with checkmark emoji', '❌ Negative outcome explanation with X emoji'], outcome_alignments: [{ outcome: 'booked', prompt_part: 'book', aligned: true }] },
  success: true,
  evaluation: { metrics: [
    { id: 7, name: 'Instruction Follow', type: 'binary_workflow_adherence', score: 5, explanation: ['✅ followed'], function_name: 'instruction_follow', extra: { categories: [{ category: 'Workflow' }], percentiles: { p50: 1.2 } } },
    { id: 15, name: 'Empathy', type: 'continuous_qualitative', score: 3.5, explanation: 'Warm tone' },
    { id: 30, name: 'Call Outcome', type: 'enum', score: null, explanation: 'Classified', enum: 'resolved' },
  ] },
  timestamp: '2026-05-06T17:58:00Z', executed_at: '2026-05-06T17:58:02Z', error_message: '', status: 'completed', duration: '01:23',
  metadata: {},
};
// the docs' result list item
const RESULT = {
  id: 123, name: 'Test Result 1', agent: 123, agent_name: 'Test Agent 1', agent_inbound: true, status: 'completed', success_rate: 0.5,
  run_as_text: false, is_cronjob: false, runs: { '86368': RUN }, met_expected_outcome_count: '1', total_expected_outcome_count: '1',
  total_runs_count: '1', completed_runs_count: '1', success_runs_count: '1', failed_runs_count: '0', scenarios: [{ id: 13, name: 'Scenario 1' }],
  run_type: null, agent_version: null, created_at: '2021-01-01T00:00:00Z', updated_at: '2021-01-01T00:10:00Z',
};
const run = (over: Record<string, unknown>): Record<string, unknown> => ({ ...RUN, ...over });

describe('enum tables', () => {
  it('maps every run/result status; anything else (scaling_up) is unknown with the vendor value kept', () => {
    expect(STATUS).toEqual({
      pending: 'queued', in_queue: 'queued', running: 'running', in_progress: 'running', evaluating: 'evaluating',
      completed: 'completed', failed: 'failed', timeout: 'timed_out', cancelled: 'cancelled',
    });
    for (const [v, s] of Object.entries(STATUS)) expect(statusOf(run({ status: v })).status, v).toBe(s);
    const r = mapRun(RESULT, run({ status: 'scaling_up' }));
    expect(r).toMatchObject({ status: 'unknown', status_raw: 'scaling_up', outcome: 'none' });
    expect(mapGroup({ ...RESULT, status: 'scaling_up' }).status).toBe('unknown');
    expect(mapGroup({ ...RESULT, status: 'timeout' }).status).toBe('timed_out');
  });

  it('takes the outcome from success once completed, and none otherwise', () => {
    expect(statusOf(run({ success: true }))).toEqual({ status: 'completed', outcome: 'passed' });
    expect(statusOf(run({ success: false }))).toEqual({ status: 'completed', outcome: 'failed' });
    expect(statusOf(run({ success: 'true' }))).toEqual({ status: 'completed', outcome: 'passed' });
    expect(statusOf(run({ success: null }))).toEqual({ status: 'completed', outcome: 'none' });
    expect(statusOf(run({ status: 'evaluating', success: false }))).toEqual({ status: 'evaluating', outcome: 'none' });
  });

  it('a run with an error_message broke: status failed, outcome none, the message as summary', () => {
    const msg = 'Call failed to connect: busy (SIP 486).';
    expect(statusOf(run({ status: 'completed', success: false, error_message: msg }))).toEqual({ status: 'failed', outcome: 'none' });
    const r = mapRun(RESULT, run({ status: 'completed', error_message: msg }));
    expect(r).toMatchObject({ status: 'failed', status_raw: 'completed', outcome: 'none', summary: msg });
  });

  it('channel from run_as_text and source from is_cronjob (booleans or "true"/"false")', () => {
    expect(RUN_AS_TEXT).toEqual({ true: 'chat', false: 'voice' });
    expect(IS_CRONJOB).toEqual({ true: 'scheduled', false: 'api' });
    expect(mapRun(RESULT, RUN)).toMatchObject({ channel: 'voice', source: 'api' });
    expect(mapRun({ ...RESULT, run_as_text: true, is_cronjob: true }, RUN)).toMatchObject({ channel: 'chat', source: 'scheduled' });
    expect(mapRun({ ...RESULT, run_as_text: 'true', is_cronjob: 'true' }, RUN)).toMatchObject({ channel: 'chat', source: 'scheduled' });
    expect(mapRun({ ...RESULT, is_cronjob: 'false' }, RUN).source).toBe('api');
    const { run_as_text: _a, is_cronjob: _c, ...bare } = RESULT;
    expect(mapRun(bare, RUN)).toMatchObject({ channel: 'voice', source: 'api' });
  });

  it('transcript roles: Testing Agent → tester, Main Agent → target, anything else → system', () => {
    expect(ROLES).toEqual({ 'testing agent': 'tester', 'main agent': 'target' });
    const t = transcriptOf({ transcript_object: [
      { role: 'Testing Agent', content: 'Hi', timestamp: 1 }, { role: 'Main Agent', content: 'Hello', timestamp: 2.45 }, { role: 'Narrator', content: '…', timestamp: 'x' },
    ] });
    expect(t).toEqual([{ role: 'tester', text: 'Hi', at_ms: 1000 }, { role: 'target', text: 'Hello', at_ms: 2450 }, { role: 'system', text: '…', at_ms: null }]);
  });

  it('reads the "[MM:SS] Role: text" transcript when there is no transcript_object', () => {
    expect(transcriptOf({ transcript: '[00:01] Main Agent: Thanks for calling.\n[01:02] Testing Agent: Hi: I need\nhelp\n[1:00:00] Other: bye' })).toEqual([
      { role: 'target', text: 'Thanks for calling.', at_ms: 1000 },
      { role: 'tester', text: 'Hi: I need\nhelp', at_ms: 62_000 },
      { role: 'system', text: 'bye', at_ms: 3_600_000 },
    ]);
    expect(transcriptOf({})).toEqual([]);
  });

  it('evaluations: binary metrics pass on score > 0 or a boolean passed; explanations joined; enum value in the reasoning', () => {
    expect([...BINARY_TYPES].sort()).toEqual(['binary', 'binary_qualitative', 'binary_workflow_adherence']);
    expect(evaluationsOf(RUN)).toEqual([
      { name: 'Instruction Follow', passed: true, score: 5, reasoning: '✅ followed' },
      { name: 'Empathy', passed: null, score: 3.5, reasoning: 'Warm tone' },
      { name: 'Call Outcome', passed: null, score: null, reasoning: 'resolved: Classified' },
    ]);
    const more = evaluationsOf({ evaluation: { metrics: [
      { id: 1, name: 'Q', type: 'binary_qualitative', score: 0, explanation: ['a', 'b'] },
      { id: 2, eval_type: 'binary', type: 'binary_workflow_adherence', passed: false, score: 5, explanation: '' },
      { id: 3, function_name: 'fn_only', type: 'numeric', score: '1200' },
      { id: 4, type: 'mystery' },
    ] } });
    expect(more).toEqual([
      { name: 'Q', passed: false, score: 0, reasoning: 'a\nb' },
      { name: 'metric 2', passed: false, score: 5, reasoning: null },
      { name: 'fn_only', passed: null, score: 1200, reasoning: null },
      { name: 'metric 4', passed: null, score: null, reasoning: null },
    ]);
    expect(evaluationsOf({})).toBeUndefined();
    expect(evaluationsOf({ evaluation: {} })).toEqual([]);
  });
});

describe('times, durations, score', () => {
  it('reads timestamps at second or millisecond precision; zone-less and Django-style are UTC', () => {
    expect(startOf({ timestamp: '2026-05-06T17:58:00Z' })).toEqual({ ms: Date.UTC(2026, 4, 6, 17, 58), precision: 's' });
    expect(startOf({ timestamp: '2026-05-06T17:58:00.123456Z' })).toEqual({ ms: Date.UTC(2026, 4, 6, 17, 58, 0, 123), precision: 'ms' });
    expect(startOf({ timestamp: '2026-05-06T17:58:00' })).toEqual({ ms: Date.UTC(2026, 4, 6, 17, 58), precision: 's' });
    expect(startOf({ timestamp: '2021-01-01 00:00:00' }).ms).toBe(Date.UTC(2021, 0, 1));
    expect(startOf({ timestamp: '2026-05-06T19:58:00+02:00' }).ms).toBe(Date.UTC(2026, 4, 6, 17, 58));
    expect(startOf({ timestamp: null, executed_at: '2026-05-06T17:58:02Z' }).ms).toBe(Date.UTC(2026, 4, 6, 17, 58, 2));
    expect(() => startOf({})).toThrow(MapError);
    expect(() => startOf({ timestamp: 'yesterday' })).toThrow(MapError);
  });

  it('duration "MM:SS" / "H:MM:SS" gives duration_ms and ended_at once the call is over; none while it runs', () => {
    expect(mapRun(RESULT, RUN)).toMatchObject({ duration_ms: 83_000, ended_at: '2026-05-06T17:59:23.000Z', started_at: '2026-05-06T17:58:00.000Z', started_at_precision: 's' });
    expect(mapRun(RESULT, run({ duration: '1:02:03' })).duration_ms).toBe(3_723_000);
    expect(mapRun(RESULT, run({ status: 'timeout', duration: '15:00' })).duration_ms).toBe(900_000);
    expect(mapRun(RESULT, run({ status: 'running', duration: '00:40' }))).toMatchObject({ duration_ms: null, ended_at: null });
    expect(mapRun(RESULT, run({ status: 'pending', duration: '00:00' }))).toMatchObject({ duration_ms: null, ended_at: null });
    expect(mapRun(RESULT, run({ duration: 'soon' }))).toMatchObject({ duration_ms: null, ended_at: null });
  });

  it('score from expected_outcome.score (0–100), null until evaluated or out of range', () => {
    expect(scoreOf(RUN)).toEqual({ value: 1, raw: 100, max: 100 });
    expect(scoreOf(run({ expected_outcome: { score: '40' } }))).toEqual({ value: 0.4, raw: 40, max: 100 });
    expect(scoreOf(run({ expected_outcome: { score: null } }))).toBeNull();
    expect(scoreOf(run({ expected_outcome: { score: 150 } }))).toBeNull();
    expect(scoreOf({})).toBeNull();
  });
});

describe('runs of a result', () => {
  it('maps the docs example to a valid Run with its result fields', () => {
    const [r] = mapResult(RESULT);
    expect(Run.parse(r)).toMatchObject({
      id: 'cekura:123:86368', provider: 'cekura', native_id: '86368', group_id: 'cekura:123',
      agent: { id: '123', name: 'Test Agent 1' }, scenario: { id: '13', name: 'Book a cleaning' },
      target: '+14155550101', outcome: 'passed', recording: null, latency_ms: null,
      summary: '✅ Positive outcome explanation with checkmark emoji\n❌ Negative outcome explanation with X emoji',
    });
    expect(r!.transcript).toBeUndefined();
    expect(r!.evaluations).toHaveLength(3);
    expect(r!.raw).toEqual({ result: { ...RESULT, runs: undefined }, run: RUN });
  });

  it('target is the agent number: inbound_number for an inbound agent, outbound_number for an outbound one', () => {
    expect(mapRun({ ...RESULT, agent_inbound: false }, RUN).target).toBe('+16285551234');
    expect(mapRun({ ...RESULT, agent_inbound: undefined }, RUN).target).toBe('+16285551234');
    expect(mapRun(RESULT, run({ inbound_number: '' })).target).toBe('+16285551234');
  });

  it('accepts runs as a dict keyed by run id string or as an array, and sorts newest first (timestamp, then id desc)', () => {
    const a = run({ id: 9, timestamp: '2026-05-06T17:00:00Z' });
    const b = run({ id: 10, timestamp: '2026-05-06T17:00:00Z' });
    const c = run({ id: 11, timestamp: '2026-05-06T16:00:00Z' });
    const order = ['cekura:123:10', 'cekura:123:9', 'cekura:123:11'];
    expect(mapResult({ ...RESULT, runs: { 9: a, 11: c, 10: b } }).map((r) => r.id)).toEqual(order);
    expect(mapResult({ ...RESULT, runs: [c, a, b] }).map((r) => r.id)).toEqual(order);
    const { id: _id, ...noId } = a;
    expect(runEntries({ 77: noId })[0]![0]).toBe('77');
    expect(mapResult({ ...RESULT, runs: { 77: noId } })[0]!.native_id).toBe('77');
    expect(mapResult({ ...RESULT, runs: {} })).toEqual([]);
    expect(mapResult({ ...RESULT, runs: null })).toEqual([]);
  });

  it('an unreadable run (no id, no start) or result (no id) is a MapError', () => {
    const { id: _id, ...noId } = RUN;
    expect(() => mapResult({ ...RESULT, runs: [noId] })).toThrow(MapError);
    expect(() => mapResult({ ...RESULT, runs: [run({ timestamp: 'garbage' })] })).toThrow(MapError);
    expect(() => mapResult({ ...RESULT, id: null })).toThrow(MapError);
  });

  it('run ids round-trip through encodeKey/decodeKey; group ids parse back', () => {
    expect(decodeKey(encodeKey(['4012', '86368']), 2)).toEqual(['4012', '86368']);
    expect(resultOfGroup('cekura:4012')).toBe('4012');
    for (const bad of ['cekura:abc', 'cekura:1:2', 'pathsim:4012', 'cekura:', 'cekura:007']) expect(resultOfGroup(bad), bad).toBeNull();
  });
});

describe('detail', () => {
  const FULL = {
    ...RUN, result_id: 123, result_name: 'Test Result 1', agent: 123, agent_name: 'Test Agent 1', run_as_text: false,
    transcript: '[00:01] Main Agent: Hi', transcript_object: [{ role: 'Main Agent', content: 'Hi', timestamp: 1 }],
    voice_recording_url: 'https://files.example/rec/86368.wav?sig=abc', evaluation_status: 'success', is_reviewed: false,
  };
  it('completes the run of the result with the runs/bulk transcript and recording', () => {
    const r = Run.parse(mapFull(RESULT, RUN, FULL));
    expect(r).toMatchObject({ id: 'cekura:123:86368', transcript: [{ role: 'target', text: 'Hi', at_ms: 1000 }], recording: { content_type: 'audio/wav', url: '/v1/runs/cekura:123:86368/recording' } });
    expect(r.evaluations).toHaveLength(3);
    expect(r.raw).toMatchObject({ run: RUN, full: FULL });
  });
  it('falls back to the run inside the result (no transcript, no recording) or to runs/bulk alone', () => {
    expect(mapFull(RESULT, RUN, null)).toMatchObject({ transcript: [], recording: null, source: 'api', target: '+14155550101' });
    expect(mapFull({}, null, FULL)).toMatchObject({ id: 'cekura:123:86368', agent: { id: '123', name: 'Test Agent 1' }, group_id: 'cekura:123' });
  });
  it('content type from the recording file name', () => {
    expect(audioType('https://x/a.mp3?X-Amz=1')).toBe('audio/mpeg');
    expect(audioType('https://x.wav/a')).toBe('application/octet-stream');
    expect(audioType('https://x/a.WAV')).toBe('audio/wav');
  });
});

describe('groups', () => {
  it('maps the docs example: counts, pass rate, created_at', () => {
    expect(Group.parse(mapGroup(RESULT))).toMatchObject({
      id: 'cekura:123', native_id: '123', name: 'Test Result 1', started_at: '2021-01-01T00:00:00.000Z', status: 'completed',
      counts: { total: 1, passed: 1, failed: 0, errored: 0, pending: 0 }, pass_rate: 1,
    });
  });

  it('derives counts from the embedded runs with the run rules', () => {
    const runs = [
      run({ id: 1, success: true }), run({ id: 2, success: false }), run({ id: 3, status: 'failed', error_message: 'busy' }),
      run({ id: 4, status: 'timeout' }), run({ id: 5, status: 'in_queue' }), run({ id: 6, status: 'evaluating' }), run({ id: 7, status: 'cancelled' }),
    ];
    const g = mapGroup({ ...RESULT, runs, total_runs_count: '7', created_at: '2026-05-06T17:00:00' });
    expect(g.counts).toEqual({ total: 7, passed: 1, failed: 1, errored: 2, pending: 2 });
    expect(g.pass_rate).toBe(0.5);
    expect(g.started_at).toBe('2026-05-06T17:00:00.000Z'); // zone-less = UTC
  });

  it('falls back to the string-typed vendor counts when the runs are not all embedded', () => {
    const g = mapGroup({ ...RESULT, runs: [], total_runs_count: '10', completed_runs_count: '6', success_runs_count: '4', failed_runs_count: '3' });
    expect(g.counts).toEqual({ total: 10, passed: 4, failed: 2, errored: 1, pending: 3 });
    expect(g.pass_rate).toBeCloseTo(4 / 6);
    const pct = mapGroup({ ...RESULT, runs: [], total_runs_count: '4', completed_runs_count: '4', success_runs_count: undefined, success_rate: 75.0, failed_runs_count: '1' });
    expect(pct.counts).toMatchObject({ total: 4, passed: 3, failed: 1 });
    expect(mapGroup({ ...RESULT, runs: [], total_runs_count: '0', completed_runs_count: '0', success_runs_count: '0', failed_runs_count: '0' }).pass_rate).toBeNull();
  });

  it('success_rate is 0..1, a percentage above 1', () => {
    expect(successRate(0.75)).toBe(0.75);
    expect(successRate(75.0)).toBe(0.75);
    expect(successRate('100.0')).toBe(1);
    expect(successRate(null)).toBeNull();
  });

  it('a result without id or created_at is a MapError', () => {
    expect(() => mapGroup({ ...RESULT, id: undefined })).toThrow(MapError);
    expect(() => mapGroup({ ...RESULT, created_at: null })).toThrow(MapError);
  });
});
