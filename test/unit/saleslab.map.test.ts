/**
 * Sales Lab mapping: every table value, the documented quirks and drift, times, durations,
 * transcript roles, scorecard join, pushdown and the run id round trip. Fixtures are the
 * examples of the vendor page (scorecard.txt).
 */
import { describe, expect, it } from 'vitest';
import { Run } from '../../schemas/run.js';
import { MapError } from '../../src/core/types.js';
import { decodeKey } from '../../adapters/_shared/parse.js';
import { needsScorecards, nothingCanMatch, pushdown, saleslab, spec } from '../../adapters/saleslab/index.js';
import {
  ROLES,
  SESSION_STATUS,
  evaluationsOf,
  mapDetail,
  mapSession,
  mapTranscript,
  nameIndex,
  precisionOf,
  scorecardIdOf,
  summaryOf,
  withScorecard,
  type Names,
} from '../../adapters/saleslab/map.js';

/** The list item of the docs. */
const SESSION = {
  id: '30000000-0000-0000-0000-000000000001',
  user_id: 'a0000000-0000-0000-0000-000000000002',
  scenario_id: '10000000-0000-0000-0000-000000000004',
  status: 'scored',
  started_at: '2026-05-06T17:00:00Z',
  ended_at: '2026-05-06T17:07:00Z',
  duration_seconds: 420,
  created_at: '2026-05-06T17:00:00Z',
};
/** The scorecard of the docs, with the category breakdown the simulator serves. */
const SCORECARD = {
  overall_score: 87,
  verdict: 'crushed_it',
  headline: 'You earned the right to ask for the math by reframing his anger as data.',
  categories: [
    { key: 'opener', name: 'Opener', score: 90 },
    { key: 'booking', name: 'Booking the meeting', score: '72' },
  ],
  callouts: [{ type: 'strength', text: 'Confident, unhurried tone throughout.' }],
};
const NAMES: Names = {
  users: nameIndex([{ id: SESSION.user_id, full_name: 'Jordan Reyes', role: 'rep' }], 'full_name'),
  scenarios: nameIndex([{ id: SESSION.scenario_id, name: 'Cold Call — FSBO Seller', call_type: 'cold_call' }], 'name'),
};

describe('session status table', () => {
  const expected: Record<string, string> = {
    scored: 'completed',
    in_progress: 'running',
    live: 'running',
    ended: 'evaluating',
    scoring: 'evaluating',
    abandoned: 'failed',
    failed: 'failed',
  };
  it('has exactly the decided values', () => {
    expect(SESSION_STATUS).toEqual(expected);
  });
  for (const [vendor, unified] of Object.entries(expected)) {
    it(`${vendor} → ${unified}, outcome none before the scorecard`, () => {
      const run = mapSession({ ...SESSION, status: vendor });
      expect(run.status).toBe(unified);
      expect(run.status_raw).toBe(vendor);
      expect(run.outcome).toBe('none');
    });
  }
  it('an unknown status (drift "paused") → unknown with the vendor value kept', () => {
    const run = withScorecard(mapSession({ ...SESSION, status: 'paused' }), null);
    expect(run).toMatchObject({ status: 'unknown', status_raw: 'paused', outcome: 'none', score: null });
    expect(mapSession({ ...SESSION, status: 7 }).status).toBe('unknown');
  });
});

describe('mapSession', () => {
  it('maps the documented list item', () => {
    const run = mapSession(SESSION, NAMES);
    expect(Run.parse(run)).toEqual(run);
    expect(run).toMatchObject({
      id: 'saleslab:30000000-0000-0000-0000-000000000001',
      provider: 'saleslab',
      native_id: SESSION.id,
      group_id: null,
      agent: { id: SESSION.user_id, name: 'Jordan Reyes' },
      scenario: { id: SESSION.scenario_id, name: 'Cold Call — FSBO Seller' },
      channel: 'voice',
      target: null,
      source: 'unknown',
      started_at: '2026-05-06T17:00:00.000Z',
      started_at_precision: 's',
      ended_at: '2026-05-06T17:07:00.000Z',
      duration_ms: 420_000,
      recording: null,
      latency_ms: null,
      raw: { session: SESSION },
    });
    expect(run.transcript).toBeUndefined();
    expect(run.evaluations).toBeUndefined();
  });

  it('leaves names null when /users or /scenarios did not answer or do not know the id', () => {
    const run = mapSession(SESSION);
    expect(run.agent).toEqual({ id: SESSION.user_id, name: null });
    expect(run.scenario).toEqual({ id: SESSION.scenario_id, name: null });
    expect(mapSession({ ...SESSION, user_id: null }).agent).toEqual({ id: null, name: null });
  });

  it('reads times: zone-less is UTC, fractions give ms precision, created_at stands in for a missing started_at', () => {
    expect(mapSession({ ...SESSION, started_at: '2026-05-06T17:00:00' }).started_at).toBe('2026-05-06T17:00:00.000Z');
    const ms = mapSession({ ...SESSION, started_at: '2026-05-06T17:00:00.250Z' });
    expect([ms.started_at, ms.started_at_precision]).toEqual(['2026-05-06T17:00:00.250Z', 'ms']);
    expect(mapSession({ ...SESSION, started_at: '2026-05-06T19:00:00+02:00' }).started_at).toBe('2026-05-06T17:00:00.000Z');
    const { started_at: _s, ...noStart } = SESSION;
    expect(mapSession({ ...noStart, created_at: '2026-05-06T16:59:58Z' }).started_at).toBe('2026-05-06T16:59:58.000Z');
    expect(precisionOf('2026-05-06T17:00:00Z')).toBe('s');
    expect(precisionOf('2026-05-06T17:00:00.1Z')).toBe('ms');
  });

  it('throws MapError when the id or the start cannot be read', () => {
    expect(() => mapSession({ ...SESSION, id: '' })).toThrow(MapError);
    expect(() => mapSession({ ...SESSION, id: undefined })).toThrow(MapError);
    expect(() => mapSession({ ...SESSION, started_at: 'yesterday', created_at: undefined })).toThrow(MapError);
    expect(() => mapSession({ ...SESSION, started_at: undefined, created_at: undefined })).toThrow(MapError);
    expect(() => mapSession('not an object')).toThrow(MapError);
  });

  it('reads durations: seconds as a number or numeric string; null while running', () => {
    expect(mapSession({ ...SESSION, duration_seconds: '420' }).duration_ms).toBe(420_000);
    const running = mapSession({ ...SESSION, status: 'live', ended_at: null, duration_seconds: null });
    expect([running.ended_at, running.duration_ms]).toEqual([null, null]);
    const noEnd = mapSession({ ...SESSION, ended_at: undefined });
    expect(noEnd.ended_at).toBe('2026-05-06T17:07:00.000Z');
    const noDuration = mapSession({ ...SESSION, duration_seconds: undefined });
    expect(noDuration.duration_ms).toBe(420_000);
    expect(mapSession({ ...SESSION, duration_seconds: 'abc', ended_at: 'nope' }).duration_ms).toBeNull();
  });
});

describe('the scorecard join', () => {
  const scored = mapSession(SESSION, NAMES);

  it('completes a scored session: outcome by passScore, score over 100, verdict and headline in the summary', () => {
    const run = withScorecard(scored, SCORECARD);
    expect(Run.parse(run)).toEqual(run);
    expect(run).toMatchObject({
      status: 'completed',
      status_raw: 'scored',
      outcome: 'passed',
      score: { value: 0.87, raw: 87, max: 100 },
      summary: 'crushed_it: You earned the right to ask for the math by reframing his anger as data.',
      raw: { session: SESSION, scorecard: SCORECARD },
    });
    expect(run.evaluations).toEqual([
      { name: 'Opener', passed: null, score: 90, reasoning: null },
      { name: 'Booking the meeting', passed: null, score: 72, reasoning: null },
    ]);
  });

  it('passes at exactly passScore (default 70), fails below it, and honours a configured passScore', () => {
    expect(withScorecard(scored, { ...SCORECARD, overall_score: 70 }).outcome).toBe('passed');
    expect(withScorecard(scored, { ...SCORECARD, overall_score: 69 }).outcome).toBe('failed');
    expect(withScorecard(scored, SCORECARD, 90).outcome).toBe('failed');
    expect(withScorecard(scored, { ...SCORECARD, overall_score: 0 }, 0).outcome).toBe('passed');
  });

  it('reads an overall_score given as a string ("81", drift)', () => {
    const run = withScorecard(scored, { ...SCORECARD, overall_score: '81', verdict: 'solid' });
    expect(run).toMatchObject({ outcome: 'passed', score: { value: 0.81, raw: 81, max: 100 } });
  });

  it('keeps an unknown verdict (drift "legendary") in the summary and clamps a score above 100', () => {
    const run = withScorecard(scored, { ...SCORECARD, overall_score: 104, verdict: 'legendary' });
    expect(run.summary).toBe(`legendary: ${SCORECARD.headline}`);
    expect(run.score).toEqual({ value: 1, raw: 104, max: 100 });
  });

  it('an unreadable overall_score leaves the run completed without outcome or score', () => {
    const run = withScorecard(scored, { verdict: 'solid' });
    expect(run).toMatchObject({ status: 'completed', outcome: 'none', score: null, summary: 'solid', evaluations: [] });
  });

  it('404 (no scorecard yet) → evaluating, outcome none', () => {
    const run = withScorecard(scored, null);
    expect(run).toMatchObject({ status: 'evaluating', status_raw: 'scored', outcome: 'none', score: null, evaluations: [] });
  });

  it('leaves sessions that are not scored as they are, with no evaluations', () => {
    const live = mapSession({ ...SESSION, status: 'live' });
    expect(withScorecard(live, SCORECARD)).toEqual({ ...live, evaluations: [] });
  });

  it('finds the scorecard at scorecard_id, else scorecard.id, else the session id', () => {
    expect(scorecardIdOf({ ...SESSION, scorecard_id: 'sc-1', scorecard: { id: 'sc-2' } })).toBe('sc-1');
    expect(scorecardIdOf({ ...SESSION, scorecard: { id: 'sc-2' } })).toBe('sc-2');
    expect(scorecardIdOf(SESSION)).toBe(SESSION.id);
  });

  it('summary and evaluations tolerate missing parts', () => {
    expect(summaryOf({ headline: 'Only a headline.' })).toBe('Only a headline.');
    expect(summaryOf({})).toBeNull();
    expect(evaluationsOf({ categories: [{ key: 'tone', score: 'n/a' }, { score: 3 }, 'junk'] })).toEqual([
      { name: 'tone', passed: null, score: null, reasoning: null },
    ]);
    expect(evaluationsOf({ categories: 'nope' })).toEqual([]);
  });
});

describe('transcripts', () => {
  it('maps the documented turn: agent (the AI prospect) → tester, time seconds → at_ms', () => {
    expect(mapTranscript([{ role: 'agent', message: 'Hello?', time: 0 }])).toEqual([{ role: 'tester', text: 'Hello?', at_ms: 0 }]);
  });

  it('user and rep → target, any other role → system; unreadable times → null', () => {
    expect(ROLES).toEqual({ agent: 'tester', user: 'target', rep: 'target' });
    expect(
      mapTranscript([
        { role: 'user', message: 'Totally fair.', time: 12.5 },
        { role: 'Rep', message: 'What is your timeline?', time: '20' },
        { role: 'coach', message: 'Session ended.', time: null },
        { role: 'agent', time: 3 },
      ]),
    ).toEqual([
      { role: 'target', text: 'Totally fair.', at_ms: 12_500 },
      { role: 'target', text: 'What is your timeline?', at_ms: 20_000 },
      { role: 'system', text: 'Session ended.', at_ms: null },
    ]);
    expect(mapTranscript(undefined)).toEqual([]);
  });

  it('mapDetail gives the full run: transcript, evaluations, score', () => {
    const run = mapDetail({ ...SESSION, transcript: [{ role: 'agent', message: 'Hello?', time: 0 }] }, SCORECARD, NAMES);
    expect(Run.parse(run)).toEqual(run);
    expect(run.transcript).toEqual([{ role: 'tester', text: 'Hello?', at_ms: 0 }]);
    expect(run.evaluations).toHaveLength(2);
    expect(run.outcome).toBe('passed');
    expect(run.agent.name).toBe('Jordan Reyes');
  });
});

describe('run ids', () => {
  it('round-trip through encodeKey / decodeKey', () => {
    for (const id of [SESSION.id, 'odd id/with:chars~ü']) {
      const run = mapSession({ ...SESSION, id });
      expect(run.id).toMatch(/^saleslab:[A-Za-z0-9._~:-]+$/);
      expect(decodeKey(run.id.slice('saleslab:'.length), 1)).toEqual([id]);
    }
  });

  it('getRun answers null for a malformed key without calling the vendor', async () => {
    const ctx = { http: { json: () => Promise.reject(new Error('no call expected')) } } as never;
    expect(await saleslab.getRun(ctx, 'a:b')).toBeNull();
    expect(await saleslab.getRun(ctx, 'bad%20key')).toBeNull();
    expect(await saleslab.getRun(ctx, '')).toBeNull();
  });
});

describe('spec and pushdown', () => {
  it('has no default base URL, bearer auth, 60/min, and reads the vendor error body', () => {
    expect(spec.defaultBaseUrl).toBeUndefined();
    expect(spec.auth).toEqual({ header: 'Authorization', scheme: 'Bearer' });
    expect(spec.limits.perMinute).toBe(60);
    expect(spec.errorMessage({ ok: false, error: { code: 'FORBIDDEN', message: 'Missing scope: sessions:read' } })).toBe('Missing scope: sessions:read');
    expect(spec.errorMessage({ ok: false, error: { code: 'RATE_LIMITED' } })).toBe('RATE_LIMITED');
    expect(spec.errorMessage('<html>')).toBeUndefined();
  });

  it('sends from/to widened to whole seconds (inclusive bounds) and agent_id as user_id', () => {
    const from = Date.parse('2026-05-06T17:00:00.400Z');
    const to = Date.parse('2026-05-06T18:00:00.001Z');
    expect(pushdown({ from, to, agent_id: SESSION.user_id, q: 'x', status: ['completed'] })).toEqual({
      from: '2026-05-06T17:00:00Z',
      to: '2026-05-06T18:00:01Z',
      user_id: SESSION.user_id,
    });
    expect(pushdown({ to: Date.parse('2026-05-06T18:00:00Z') })).toEqual({ to: '2026-05-06T18:00:00Z' });
    expect(pushdown({ agent_id: 'not-a-uuid' })).toEqual({});
  });

  it('knows when no Sales Lab run can match, and when scorecards do not matter', () => {
    expect(nothingCanMatch({ channel: ['web', 'chat'] })).toBe(true);
    expect(nothingCanMatch({ channel: ['voice', 'web'] })).toBe(false);
    expect(nothingCanMatch({ group_id: 'cekura:1' })).toBe(true);
    expect(nothingCanMatch({ agent_id: 'agent_42' })).toBe(true);
    expect(nothingCanMatch({ agent_id: SESSION.user_id })).toBe(false);
    expect(needsScorecards({})).toBe(true);
    expect(needsScorecards({ status: ['running', 'failed'] })).toBe(false);
    expect(needsScorecards({ status: ['evaluating'] })).toBe(true);
  });
});
