/** PathSim mapping: every enum value, times, durations, transcript roles; fixtures from the vendor page. */
import { describe, expect, it } from 'vitest';
import { CONNECTED, OBJECTIVE, SOURCE, TEST_TYPE, mapDetail, mapRow, parseTime, splitTranscript, startOf, statusOf, testIdTime } from '../../adapters/pathsim/map.js';
import { MapError } from '../../src/core/types.js';
import { Run } from '../../schemas/run.js';

// the vendor page's own examples
const VOICE_ROW = {
  Time: '08/08/2025 18:00',
  'Test Type': 'Voice',
  Objective: 'Achieved',
  Connected: 'Connected',
  'Virtual Customer': 'National Weather Service Test',
  Target: '+18316561725',
  Source: 'Campaign',
  _id: '68963b44e7b3ba1e58b7c60a',
  test_id: 'call_87ef5ad91dfd8bddbfb651e70c7',
};
const WEB_ROW = {
  Time: '08/08/2025 14:21',
  'Test Type': 'Web',
  Objective: 'Achieved',
  Connected: 'Connected',
  'Virtual Customer': 'chatbot.com price finder',
  Target: 'https://chatbot.com',
  Source: 'Campaign',
  _id: '689607cce7b3ba1e58b7c4da',
  test_id: 'test_20250808_142100_719132',
};

describe('enum tables', () => {
  it('maps every Test Type, Source and unknown values', () => {
    expect(TEST_TYPE).toEqual({ Voice: 'voice', Web: 'web' });
    expect(SOURCE).toEqual({ Campaign: 'campaign', 'Ad-hoc': 'ad_hoc' });
    expect(mapRow({ ...VOICE_ROW, 'Test Type': 'SMS' }).channel).toBe('unknown');
    expect(mapRow({ ...VOICE_ROW, Source: 'API' }).source).toBe('unknown');
    expect(mapRow({ ...VOICE_ROW, Source: 'Ad-hoc' }).source).toBe('ad_hoc');
  });

  it('maps every Connected × Objective combination per the decisions table', () => {
    expect(Object.keys(CONNECTED).sort()).toEqual(['Connected', 'Failed', 'In Progress', 'System Error']);
    expect(Object.keys(OBJECTIVE).sort()).toEqual(['--', 'Achieved', 'Not Achieved']);
    expect(statusOf('In Progress', '--')).toEqual({ status: 'running', outcome: 'none' });
    expect(statusOf('Failed', '--')).toEqual({ status: 'failed', outcome: 'none' });
    expect(statusOf('System Error', '--')).toEqual({ status: 'failed', outcome: 'none' });
    expect(statusOf('Connected', '--')).toEqual({ status: 'evaluating', outcome: 'none' });
    expect(statusOf('Connected', 'Achieved')).toEqual({ status: 'completed', outcome: 'passed' });
    expect(statusOf('Connected', 'Not Achieved')).toEqual({ status: 'completed', outcome: 'failed' });
    expect(statusOf('Failed', 'Achieved')).toEqual({ status: 'failed', outcome: 'none' });
    expect(statusOf('Voicemail', 'Achieved')).toEqual({ status: 'unknown', outcome: 'none' });
    expect(statusOf('Connected', 'Partially Achieved')).toEqual({ status: 'unknown', outcome: 'none' });
  });

  it('keeps the vendor values in status_raw', () => {
    expect(mapRow({ ...VOICE_ROW, Connected: 'Voicemail', Objective: '--' }).status_raw).toBe('Voicemail/--');
  });
});

describe('times', () => {
  it('reads Time as UTC at minute precision', () => {
    expect(parseTime('08/08/2025 18:00')).toBe(Date.UTC(2025, 7, 8, 18, 0));
    const r = mapRow(VOICE_ROW);
    expect(r.started_at).toBe('2025-08-08T18:00:00.000Z');
    expect(r.started_at_precision).toBe('min');
  });

  it('takes the exact start of web runs from test_id (microseconds truncated to ms)', () => {
    expect(testIdTime('test_20250808_142100_719132')).toBe(Date.UTC(2025, 7, 8, 14, 21, 0, 719));
    const r = mapRow(WEB_ROW);
    expect(r.started_at).toBe('2025-08-08T14:21:00.719Z');
    expect(r.started_at_precision).toBe('ms');
  });

  it('ignores a test_id that disagrees with the Time minute', () => {
    expect(startOf({ ...WEB_ROW, test_id: 'test_20250808_150000_000001' })).toEqual({ ms: Date.UTC(2025, 7, 8, 14, 21), precision: 'min' });
    expect(testIdTime('call_87ef5ad91dfd8bddbfb651e70c7')).toBeNull();
  });

  it('rejects unreadable times with MapError (the item is skipped, not the page)', () => {
    for (const t of ['2025-08-08 18:00', '13/08/2025 18:00', '08/08/2025 25:00', '', undefined]) {
      expect(() => mapRow({ ...VOICE_ROW, Time: t })).toThrow(MapError);
    }
    expect(() => mapRow({ ...VOICE_ROW, _id: undefined })).toThrow(MapError);
  });
});

describe('detail', () => {
  const detail = {
    ...VOICE_ROW,
    duration: '4m 28s',
    recording_url: 'https://api.pathsim.com/v1/sessions/68963b44e7b3ba1e58b7c60a/recording',
    summary: 'The user provided the business hours of the company...',
    call_successful: true,
    test_successful: true,
    objective_met: true,
    transcript: 'user: Good day. ABC Test Company. This is Sarah speaking...\nagent: Hi Sarah, what are your hours?\nuser: Nine to five.',
    to_number: '+18316561725',
    disconnection_reason: 'agent_hangup',
    user_sentiment: 'Positive',
    far_end_latency_stats: { average_ms: 180, min_ms: 120, max_ms: 320, valid_measurements: 18 },
  };

  it('maps duration, transcript roles, evaluations, latency and recording', () => {
    const r = Run.parse(mapDetail(detail));
    expect(r.duration_ms).toBe(268_000);
    expect(r.ended_at).toBe('2025-08-08T18:04:28.000Z');
    expect(r.transcript).toEqual([
      { role: 'target', text: 'Good day. ABC Test Company. This is Sarah speaking...', at_ms: null },
      { role: 'tester', text: 'Hi Sarah, what are your hours?', at_ms: null },
      { role: 'target', text: 'Nine to five.', at_ms: null },
    ]);
    expect(r.evaluations?.map((e) => [e.name, e.passed])).toEqual([
      ['call_successful', true],
      ['test_successful', true],
      ['objective_met', true],
    ]);
    expect(r.latency_ms).toEqual({ avg: 180, min: 120, max: 320, p50: null });
    expect(r.recording).toEqual({ content_type: 'audio/wav', url: '/v1/runs/pathsim:68963b44e7b3ba1e58b7c60a/recording' });
    expect(r.summary).toMatch(/business hours/);
  });

  it('maps web steps to tester turns with offsets', () => {
    const start = Date.UTC(2025, 7, 8, 14, 21, 0, 719);
    const r = mapDetail({
      ...WEB_ROW,
      steps: [{ step_number: 1, action: 'navigate', target: 'Navigated to the sign-in page', value: 'Successfully reached the sign-in page', status: 'completed', timestamp: start + 1500 }],
      recording_url: 'x',
      reached_target_website: true,
      intent_achieved: false,
    });
    expect(r.transcript).toEqual([{ role: 'tester', text: 'navigate: Navigated to the sign-in page — Successfully reached the sign-in page', at_ms: 1500 }]);
    expect(r.recording?.content_type).toBe('video/mp4');
    expect(r.evaluations?.find((e) => e.name === 'intent_achieved')?.passed).toBe(false);
  });

  it('splits a one-line transcript and keeps unknown speakers as system', () => {
    expect(splitTranscript('user: Hello. agent: Hi there. operator: one moment')).toEqual([
      { role: 'target', text: 'Hello.', at_ms: null },
      { role: 'tester', text: 'Hi there. operator: one moment', at_ms: null },
    ]);
    expect(splitTranscript('system: call started\nuser: hi')[0]).toEqual({ role: 'system', text: 'call started', at_ms: null });
    expect(splitTranscript('')).toEqual([]);
    expect(splitTranscript(42)).toEqual([]);
  });
});
