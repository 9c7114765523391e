/** Synthflow mapping: every enum value, the documented quirks and drift, times, roles, ids, groups, pushdown. */
import { describe, expect, it } from 'vitest';
import { decodeKey } from '../../adapters/_shared/parse.js';
import { pushdown, spec, synthflow } from '../../adapters/synthflow/index.js';
import { atMs, mapSession, mapSimulation, ROLES, runId, startOf, STATUS, statusOf, transcriptOf } from '../../adapters/synthflow/map.js';
import { Group, Run } from '../../schemas/run.js';
import { MapError } from '../../src/core/types.js';

/** The SimulationReadOut of the vendor docs' example (docs.synthflow.ai, list simulation sessions), ids made real. */
const DOC_SIM = {
  simulation_id: '3f2b8c1e-5d4a-4c3b-9e2f-1a2b3c4d5e6f',
  simulation_session_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  simulation_case_id: 'string',
  simulation_case_name: 'string',
  simulation_case_prompt: 'string',
  success_criteria: ['string'],
  call_success_type: 'all',
  persona_agent_id: 'string',
  persona_phone_number: 'string',
  target_agent_id: 'string',
  agent_name: 'string',
  agent_avatar_url: 'string',
  target_phone_number: 'string',
  target_call_id: 'string',
  custom_variables: {},
  status: 'in-progress',
  workspace_id: 'string',
  created_at: '2024-01-15T09:30:00Z',
  updated_at: '2024-01-15T09:30:00Z',
  error_info: { message: 'string', code: 1, type: 'string' },
  recording_url: 'string',
  timeline: [{ sender_type: 'string', value: 'string', type: 'string', timestamp_datetime: '2024-01-15T09:30:00Z', timestamp: 1.1 }],
  success_criteria_analysis: { success: true, evaluations: [{ success: true, reasoning: 'string' }] },
};
const sim = (over: Record<string, unknown>): Record<string, unknown> => ({ ...DOC_SIM, ...over });

describe('synthflow map: the docs example', () => {
  it('maps every Run field', () => {
    const run = Run.parse(mapSimulation(DOC_SIM));
    expect(run).toMatchObject({
      id: 'synthflow:3f2b8c1e-5d4a-4c3b-9e2f-1a2b3c4d5e6f',
      provider: 'synthflow',
      native_id: DOC_SIM.simulation_id,
      group_id: 'synthflow:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      agent: { id: 'string', name: 'string' },
      scenario: { id: 'string', name: 'string' },
      channel: 'voice',
      target: 'string',
      source: 'unknown',
      status: 'running',
      status_raw: 'in-progress',
      outcome: 'none',
      score: null,
      started_at: '2024-01-15T09:30:00.000Z',
      started_at_precision: 's',
      ended_at: null,
      duration_ms: null,
      summary: 'string',
      latency_ms: null,
      recording: { content_type: 'audio/wav', url: '/v1/runs/synthflow:3f2b8c1e-5d4a-4c3b-9e2f-1a2b3c4d5e6f/recording' },
    });
    expect(run.transcript).toEqual([{ role: 'system', text: 'string', at_ms: 1100 }]);
    expect(run.evaluations).toEqual([{ name: 'string', passed: true, score: null, reasoning: 'string' }]);
    expect(run.raw).toEqual({ simulation: DOC_SIM });
  });
});

describe('synthflow map: status and outcome tables', () => {
  it('each vendor status has its unified value; anything else is unknown with the raw value kept', () => {
    expect(STATUS).toEqual({ 'in-progress': 'running', completed: 'completed', failed: 'failed' });
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ status: 'in-progress' }, 'running', 'none'],
      [{ status: 'completed' }, 'completed', 'passed'],
      [{ status: 'completed', success_criteria_analysis: { success: false, evaluations: [] } }, 'completed', 'failed'],
      [{ status: 'completed', success_criteria_analysis: null }, 'evaluating', 'none'],
      [{ status: 'completed', success_criteria_analysis: undefined }, 'evaluating', 'none'],
      [{ status: 'completed', success_criteria_analysis: { success: 'true', evaluations: [] } }, 'completed', 'passed'],
      [{ status: 'completed', success_criteria_analysis: { evaluations: [] } }, 'completed', 'none'],
      [{ status: 'failed' }, 'failed', 'none'],
      [{ status: 'queued' }, 'unknown', 'none'],
      [{ status: 'COMPLETED' }, 'unknown', 'none'],
      [{ status: null }, 'unknown', 'none'],
    ];
    for (const [over, status, outcome] of cases) expect(statusOf(sim(over)), JSON.stringify(over)).toEqual({ status, outcome });
    const queued = mapSimulation(sim({ status: 'queued' }));
    expect([queued.status, queued.status_raw]).toEqual(['unknown', 'queued']);
  });

  it('a running run with an analysis (drift) still has no verdict', () => {
    expect(mapSimulation(sim({ status: 'in-progress' })).outcome).toBe('none');
  });
});

describe('synthflow map: times', () => {
  it('created_at at second precision is "s", with a fraction "ms", without a zone UTC', () => {
    expect(startOf('2024-01-15T09:30:00Z')).toEqual({ ms: Date.UTC(2024, 0, 15, 9, 30), precision: 's' });
    expect(startOf('2024-01-15T09:30:00.250Z')).toEqual({ ms: Date.UTC(2024, 0, 15, 9, 30, 0, 250), precision: 'ms' });
    expect(startOf('2024-01-15T09:30:00')).toEqual({ ms: Date.UTC(2024, 0, 15, 9, 30), precision: 's' });
    expect(startOf('2024-01-15T10:30:00+01:00').ms).toBe(Date.UTC(2024, 0, 15, 9, 30));
  });

  it('an unreadable or missing created_at or simulation_id is a MapError (the item is skipped)', () => {
    for (const over of [{ created_at: 'not-a-date' }, { created_at: null }, { created_at: undefined }, { simulation_id: '' }, { simulation_id: null }]) {
      expect(() => mapSimulation(sim(over)), JSON.stringify(over)).toThrow(MapError);
    }
  });

  it('at_ms from timestamp seconds (number or numeric string), else timestamp_datetime − created_at', () => {
    const start = Date.UTC(2024, 0, 15, 9, 30);
    expect(atMs({ timestamp: 1.1 }, start)).toBe(1100);
    expect(atMs({ timestamp: '2.5' }, start)).toBe(2500);
    expect(atMs({ timestamp: 0 }, start)).toBe(0);
    expect(atMs({ timestamp: null, timestamp_datetime: '2024-01-15T09:30:07Z' }, start)).toBe(7000);
    expect(atMs({ timestamp: 'soon', timestamp_datetime: '2024-01-15T09:30:04.5Z' }, start)).toBe(4500);
    expect(atMs({ timestamp: null, timestamp_datetime: '2024-01-15T09:29:00Z' }, start)).toBeNull();
    expect(atMs({}, start)).toBeNull();
  });
});

describe('synthflow map: transcript roles', () => {
  it('persona/user/customer → tester, agent/assistant/target → target, anything else system (any case)', () => {
    expect(ROLES).toEqual({ persona: 'tester', user: 'tester', customer: 'tester', agent: 'target', assistant: 'target', target: 'target' });
    const types = ['persona', 'user', 'customer', 'agent', 'assistant', 'target', 'Agent', 'PERSONA', 'system_note', 'string', null];
    const turns = transcriptOf(types.map((t, i) => ({ sender_type: t, value: `line ${i}`, timestamp: i })), 0);
    expect(turns.map((t) => t.role)).toEqual(['tester', 'tester', 'tester', 'target', 'target', 'target', 'target', 'tester', 'system', 'system', 'system']);
    expect(turns.map((t) => t.at_ms)).toEqual(types.map((_, i) => i * 1000));
  });

  it('a null timeline is an empty transcript; entries without text are left out', () => {
    expect(mapSimulation(sim({ timeline: null })).transcript).toEqual([]);
    expect(transcriptOf([{ sender_type: 'agent', value: '' }, { sender_type: 'agent' }, 'junk', { sender_type: 'agent', value: 'hi' }], 0)).toEqual([
      { role: 'target', text: 'hi', at_ms: null },
    ]);
  });
});

describe('synthflow map: evaluations, summary, recording', () => {
  it('evaluations are named by success_criteria[i], else "criterion i+1"', () => {
    const run = mapSimulation(
      sim({
        status: 'completed',
        success_criteria: ['Agent verifies the date of birth'],
        success_criteria_analysis: { success: false, evaluations: [{ success: true, reasoning: 'ok' }, { success: false, reasoning: 'skipped' }, { success: null }] },
      }),
    );
    expect(run.evaluations).toEqual([
      { name: 'Agent verifies the date of birth', passed: true, score: null, reasoning: 'ok' },
      { name: 'criterion 2', passed: false, score: null, reasoning: 'skipped' },
      { name: 'criterion 3', passed: null, score: null, reasoning: null },
    ]);
    expect(mapSimulation(sim({ success_criteria: null, success_criteria_analysis: null })).evaluations).toEqual([]);
  });

  it('summary is error_info.message; no error_info, no summary; no recording_url, no recording', () => {
    const failed = mapSimulation(sim({ status: 'failed', error_info: { message: 'Target agent did not answer the call', code: 408, type: 'no_answer' }, recording_url: null }));
    expect(failed.summary).toBe('Target agent did not answer the call');
    expect(failed.recording).toBeNull();
    expect(mapSimulation(sim({ error_info: null })).summary).toBeNull();
  });

  it('missing agent, case or phone fields are null; a missing session is a null group_id', () => {
    const run = mapSimulation(sim({ agent_name: null, target_agent_id: undefined, simulation_case_name: null, target_phone_number: null, simulation_session_id: null }));
    expect(run).toMatchObject({ agent: { id: null, name: null }, scenario: { name: null }, target: null, group_id: null });
  });
});

describe('synthflow map: ids', () => {
  it('run ids round-trip through encodeKey/decodeKey, also for ids with unsafe characters', () => {
    for (const id of [DOC_SIM.simulation_id, 'a b/c:d~é', 'x']) {
      const rid = runId(id);
      expect(rid).toMatch(/^synthflow:[A-Za-z0-9._~:-]+$/);
      expect(decodeKey(rid.slice('synthflow:'.length), 1)).toEqual([id]);
    }
  });

  it('getRun/groups.get answer null for malformed keys without calling the vendor', async () => {
    const ctx = { http: { json: () => Promise.reject(new Error('no call expected')) } } as unknown as Parameters<typeof synthflow.getRun>[0];
    for (const key of ['', 'abc', 'a:b', '~ZZ', '3f2b8c1e-5d4a-4c3b-9e2f', `${DOC_SIM.simulation_id}:x`]) {
      expect(await synthflow.getRun(ctx, key), key).toBeNull();
      expect(await synthflow.groups!.get(ctx, key), key).toBeNull();
      expect(await synthflow.recording!(ctx, key, undefined), key).toBeNull();
    }
  });
});

/** The SimulationSessionReadOut of the docs example, with simulations of every state. */
const DOC_SESSION = {
  simulation_session_id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
  simulations: [
    sim({ status: 'completed', created_at: '2024-01-15T09:30:05Z', simulation_case_name: 'Reschedule a cleaning' }),
    sim({ status: 'completed', success_criteria_analysis: { success: false, evaluations: [] } }),
    sim({ status: 'completed', success_criteria_analysis: null }),
    sim({ status: 'failed', created_at: '2024-01-15T09:29:58Z' }),
    sim({ status: 'in-progress', created_at: 'not-a-date' }),
  ],
  total_simulations: 5,
  completed_simulations: 3,
  failed_simulations: 1,
  pending_simulations: 1,
};

describe('synthflow map: sessions → groups', () => {
  it('counts, status, name, started_at and pass rate', () => {
    const g = Group.parse(mapSession(DOC_SESSION));
    expect(g).toEqual({
      id: 'synthflow:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      provider: 'synthflow',
      native_id: DOC_SESSION.simulation_session_id,
      name: 'Reschedule a cleaning',
      started_at: '2024-01-15T09:29:58.000Z',
      status: 'running',
      counts: { total: 5, passed: 1, failed: 1, errored: 1, pending: 2 },
      pass_rate: 0.5,
      raw: { session: DOC_SESSION },
    });
  });

  it('no pending → evaluating while a completed simulation has no analysis, else completed; counts as strings', () => {
    const sims = DOC_SESSION.simulations.slice(0, 4);
    const base = { ...DOC_SESSION, simulations: sims, total_simulations: '4', completed_simulations: '3', failed_simulations: '1', pending_simulations: '0' };
    expect(mapSession(base)).toMatchObject({ status: 'evaluating', counts: { total: 4, passed: 1, failed: 1, errored: 1, pending: 1 } });
    const done = mapSession({ ...base, simulations: [sims[3]] , total_simulations: 1, completed_simulations: 0, pending_simulations: 0 });
    expect(done).toMatchObject({ status: 'completed', name: 'string', counts: { total: 1, passed: 0, failed: 0, errored: 1, pending: 0 }, pass_rate: null });
  });

  it('a session without id or without any readable simulation time is a MapError', () => {
    expect(() => mapSession({ ...DOC_SESSION, simulation_session_id: null })).toThrow(MapError);
    expect(() => mapSession({ ...DOC_SESSION, simulations: [] })).toThrow(MapError);
    expect(() => mapSession({ ...DOC_SESSION, simulations: null })).toThrow(MapError);
    expect(mapSession({ ...DOC_SESSION, simulations: [sim({ simulation_case_name: null })] }).name).toBeNull();
  });
});

describe('synthflow pushdown', () => {
  const T = Date.UTC(2025, 5, 1, 12, 0, 0);
  it('status goes down only when every asked status is one vendor value', () => {
    expect(pushdown({ status: ['running'] })).toEqual({ status: 'in-progress' });
    expect(pushdown({ status: ['failed'] })).toEqual({ status: 'failed' });
    expect(pushdown({ status: ['completed'] })).toEqual({ status: 'completed' });
    expect(pushdown({ status: ['evaluating'] })).toEqual({ status: 'completed' });
    expect(pushdown({ status: ['completed', 'evaluating'] })).toEqual({ status: 'completed' });
    for (const s of [['running', 'failed'], ['unknown'], ['queued'], ['completed', 'cancelled'], ['timed_out']]) expect(pushdown({ status: s }), s.join()).toEqual({});
  });

  it('agent_id → target_agent_id; group_id → the decoded simulation_session_id', () => {
    expect(pushdown({ agent_id: 'a-1' })).toEqual({ target_agent_id: 'a-1' });
    expect(pushdown({ group_id: `synthflow:${DOC_SESSION.simulation_session_id}` })).toEqual({ simulation_session_id: DOC_SESSION.simulation_session_id });
    expect(pushdown({ group_id: 'synthflow:not-a-uuid' })).toEqual({});
    expect(pushdown({ group_id: 'cekura:4012' })).toBeNull();
    expect(pushdown({ group_id: 'synthflow:bad%key' })).toBeNull();
  });

  it('from/to widen to whole seconds (inclusive vendor bounds on created_at)', () => {
    expect(pushdown({ from: T + 250, to: T + 60_500 })).toEqual({ start_date: '2025-06-01T12:00:00Z', end_date: '2025-06-01T12:01:01Z' });
    expect(pushdown({ from: T, to: T + 1000 })).toEqual({ start_date: '2025-06-01T12:00:00Z', end_date: '2025-06-01T12:00:01Z' });
  });

  it('a channel other than voice needs no vendor call', () => {
    expect(pushdown({ channel: ['web', 'chat'] })).toBeNull();
    expect(pushdown({ channel: ['voice', 'web'] })).toEqual({});
  });
});

describe('synthflow spec', () => {
  it('reads the error message of every body shape the vendor uses', () => {
    expect(spec.errorMessage({ detail: { status: 'error', description: 'Simulation not found', request_id: 'r', category: 'not_found_error' } })).toBe('Simulation not found');
    expect(spec.errorMessage({ detail: 'Not authenticated' })).toBe('Not authenticated');
    expect(spec.errorMessage({ detail: [{ loc: ['query', 'status'], msg: 'Input should be in-progress' }] })).toBe('Input should be in-progress');
    expect(spec.errorMessage({ message: 'oops' })).toBe('oops');
    expect(spec.errorMessage('<html>')).toBeUndefined();
  });

  it('has more pages while offset + items < total_records', () => {
    const p = synthflow.sources;
    expect(typeof p).toBe('function');
    const body = (offset: number | undefined, n: number, total: number | string): unknown => ({
      status: 'ok',
      response: { pagination: { total_records: total, limit: 100, ...(offset === undefined ? {} : { offset }) }, items: Array(n).fill({}) },
    });
    return synthflow.sources({} as never, {}).then(([src]) => {
      const pg = src!.pagination;
      if (pg.style !== 'page') throw new Error('page style expected');
      expect([pg.pageParam, pg.sizeParam, pg.firstPage, pg.size]).toEqual(['page_number', 'page_size', 1, 100]);
      expect(pg.hasMore(body(0, 100, 220), 1)).toBe(true);
      expect(pg.hasMore(body(200, 20, 220), 3)).toBe(false);
      expect(pg.hasMore(body(100, 100, '200'), 2)).toBe(false);
      expect(pg.hasMore(body(undefined, 100, 250), 2)).toBe(true);
      expect(() => pg.hasMore({ status: 'error' }, 1)).toThrow(/unexpected/);
      expect(src!.path).toBe('/simulations');
    });
  });
});
