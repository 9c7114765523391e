/** SigmaMind mapping: tables, quirks of both docs generations, times, transcript roles, ids. Fixtures from the vendor docs. */
import { describe, expect, it } from 'vitest';
import { Group, Run } from '../../schemas/run.js';
import { decodeKey } from '../../adapters/_shared/parse.js';
import {
  LIFECYCLE,
  ROLES,
  VERDICT,
  countsOf,
  groupId,
  isoPrecision,
  mapBatch,
  mapTestRun,
  runId,
  statusOf,
  transcriptOf,
} from '../../adapters/sigmamind/map.js';
import { parseGroupId, pushdown, sigmamind, spec } from '../../adapters/sigmamind/index.js';
import { MapError } from '../../src/core/types.js';

const AGENT = 'agent_D5D0p7TUs66TTAEAx';
const agentRef = { name: 'New AI Agent', agentId: AGENT, status: 'Live' };
const testCase = {
  testCaseId: 'tc_d17T6uReChpyfFeP',
  label: 'Angry Customer - Cancellation Flow',
  agent: agentRef,
  workspaceId: 'org_V6eZ2zg8ziDx5pft',
  llmModel: 'gpt-4o-mini',
  mockData: [
    { variableName: 'customer_name', value: 'John Doe' },
    { variableName: 'account_status', value: 'active' },
  ],
  userPrompt: 'You are an angry customer who wants to cancel your subscription.',
  attempt: 5,
  successCriteria: 'The agent should acknowledge the cancellation request, present retention alternatives, and confirm the cancellation if the customer insists.',
};
/** GET /v1/test-runs/{jobId} as in the vendor docs. */
const DOC_RUN = {
  batchId: 'batch_s0OJu2JWR8R45Fai',
  workspaceId: 'org_V6eZ2zg8ziDx5pft',
  agent: agentRef,
  testCase,
  jobId: 'job_ksUu5yRHGTLLrLeM',
  chatId: 'chat_IpELinkFvINQ1212',
  createdDate: '2026-03-26T10:52:45.565Z',
  completedDate: '2026-03-26T10:54:45.565Z',
  isSuccessful: true,
  remarks: "The Agent successfully maintained focus on the primary task of addressing the customer's order enquiry.",
  conversation: [{ role: 'user', content: 'I want to cancel my subscription immediately.' }],
};
/** GET /v1/batch-runs item as in the vendor docs. */
const DOC_BATCH = {
  batchId: 'batch_s0OJu2JWR8R45Fai',
  workspaceId: 'org_V6eZ2zg8ziDx5pft',
  agent: agentRef,
  createdDate: '2026-03-26T10:52:45.565Z',
  testCases: [testCase],
  successfulAttempts: 4,
  failedAttempts: 1,
  totalAttempts: 5,
};

describe('test run → Run', () => {
  it('maps the documented example', () => {
    const run = Run.parse(mapTestRun(DOC_RUN, AGENT));
    expect(run).toMatchObject({
      id: 'sigmamind:agent_D5D0p7TUs66TTAEAx:batch_s0OJu2JWR8R45Fai:job_ksUu5yRHGTLLrLeM',
      provider: 'sigmamind',
      native_id: 'job_ksUu5yRHGTLLrLeM',
      group_id: 'sigmamind:agent_D5D0p7TUs66TTAEAx:batch_s0OJu2JWR8R45Fai',
      agent: { id: AGENT, name: 'New AI Agent' },
      scenario: { id: 'tc_d17T6uReChpyfFeP', name: 'Angry Customer - Cancellation Flow' },
      channel: 'chat',
      target: null,
      source: 'unknown',
      status: 'completed',
      status_raw: 'completed/true',
      outcome: 'passed',
      score: null,
      started_at: '2026-03-26T10:52:45.565Z',
      started_at_precision: 'ms',
      ended_at: '2026-03-26T10:54:45.565Z',
      duration_ms: 120_000,
      summary: DOC_RUN.remarks,
      recording: null,
      latency_ms: null,
    });
    expect(run.evaluations).toEqual([{ name: 'success criteria', passed: true, score: null, reasoning: DOC_RUN.remarks }]);
    expect(run.transcript).toEqual([{ role: 'tester', text: 'I want to cancel my subscription immediately.', at_ms: null }]);
    expect(run.raw).toEqual({ testRun: DOC_RUN });
  });

  it('every lifecycle value: open → running, evaluated null → evaluating, a verdict → completed', () => {
    const cases: Array<[Record<string, unknown>, string, string, string]> = [
      [{ completedDate: null, isSuccessful: null }, 'running', 'none', 'open/null'],
      [{ completedDate: undefined, isSuccessful: undefined }, 'running', 'none', 'open/null'],
      [{ completedDate: null, isSuccessful: true }, 'running', 'none', 'open/true'],
      [{ isSuccessful: null }, 'evaluating', 'none', 'completed/null'],
      [{ isSuccessful: undefined }, 'evaluating', 'none', 'completed/null'],
      [{ isSuccessful: true }, 'completed', 'passed', 'completed/true'],
      [{ isSuccessful: false }, 'completed', 'failed', 'completed/false'],
    ];
    for (const [patch, status, outcome, raw] of cases) {
      const r = mapTestRun({ ...DOC_RUN, ...patch }, AGENT);
      expect([r.status, r.outcome, r.status_raw], JSON.stringify(patch)).toEqual([status, outcome, raw]);
    }
    expect(Object.values(LIFECYCLE).sort()).toEqual(['completed', 'completed', 'evaluating', 'running']);
    expect(VERDICT).toEqual({ true: 'passed', false: 'failed', null: 'pending' });
  });

  it('an unknown verdict value becomes status unknown, outcome none, and stays in status_raw', () => {
    const r = mapTestRun({ ...DOC_RUN, isSuccessful: 'partially' }, AGENT);
    expect([r.status, r.outcome, r.status_raw]).toEqual(['unknown', 'none', 'completed/partially']);
    expect(r.evaluations).toEqual([]);
    expect(statusOf({ completedDate: 'x', isSuccessful: 3 })).toEqual({ status: 'unknown', outcome: 'none', raw: 'completed/3' });
  });

  it('reads the older docs generation: isSuccesful typo, chat- ids, no label, no conversation', () => {
    const { isSuccessful: _v, conversation: _c, ...rest } = DOC_RUN;
    const old = { ...rest, chatId: 'chat-IpELinkFvINQ1212', testCase: { ...testCase, label: undefined }, isSuccesful: false };
    const r = Run.parse(mapTestRun(old, AGENT));
    expect([r.status, r.outcome, r.status_raw]).toEqual(['completed', 'failed', 'completed/false']);
    expect(r.scenario).toEqual({ id: 'tc_d17T6uReChpyfFeP', name: null });
    expect(r.transcript).toBeUndefined(); // the list does not have it: the detail is asked for
    expect(r.evaluations).toEqual([{ name: 'success criteria', passed: false, score: null, reasoning: DOC_RUN.remarks }]);
    // the newer spelling wins when both are present
    expect(mapTestRun({ ...DOC_RUN, isSuccesful: false }, AGENT).outcome).toBe('passed');
  });

  it('verdicts typed as strings are read', () => {
    expect(mapTestRun({ ...DOC_RUN, isSuccessful: 'false' }, AGENT).outcome).toBe('failed');
    expect(mapTestRun({ ...DOC_RUN, isSuccesful: 'true', isSuccessful: undefined }, AGENT).outcome).toBe('passed');
  });

  it('times: ms and s precision, zone-less is UTC, unreadable completedDate gives no end', () => {
    expect(isoPrecision('2026-03-26T10:52:45.565Z')).toBe('ms');
    expect(isoPrecision('2026-03-26T10:52:45Z')).toBe('s');
    expect(isoPrecision('2026-03-26T10:52Z')).toBe('min');
    const s = mapTestRun({ ...DOC_RUN, createdDate: '2026-03-26T10:52:45', completedDate: '2026-03-26T10:53:00' }, AGENT);
    expect([s.started_at, s.started_at_precision, s.ended_at, s.duration_ms]).toEqual(['2026-03-26T10:52:45.000Z', 's', '2026-03-26T10:53:00.000Z', 15_000]);
    const off = mapTestRun({ ...DOC_RUN, createdDate: '2026-03-26T12:52:45.5+02:00' }, AGENT);
    expect(off.started_at).toBe('2026-03-26T10:52:45.500Z');
    const bad = mapTestRun({ ...DOC_RUN, completedDate: 'soon' }, AGENT);
    expect([bad.status, bad.ended_at, bad.duration_ms]).toEqual(['completed', null, null]);
    const backwards = mapTestRun({ ...DOC_RUN, completedDate: '2026-03-26T10:50:00Z' }, AGENT);
    expect(backwards.duration_ms).toBeNull();
  });

  it('a run without createdDate, jobId or batchId cannot be mapped (MapError)', () => {
    for (const k of ['createdDate', 'jobId', 'batchId'] as const) {
      const { [k]: _gone, ...rest } = DOC_RUN;
      expect(() => mapTestRun(rest, AGENT), k).toThrow(MapError);
    }
    expect(() => mapTestRun({ ...DOC_RUN, createdDate: 'yesterday' }, AGENT)).toThrow(MapError);
    expect(() => mapTestRun('nope', AGENT)).toThrow(MapError);
  });

  it('agent: the run names it; the listing agent fills in what is missing', () => {
    const r = mapTestRun({ ...DOC_RUN, agent: undefined }, 'agent_X', 'Listed Name');
    expect(r.agent).toEqual({ id: 'agent_X', name: 'Listed Name' });
    expect(r.id.startsWith('sigmamind:agent_X:')).toBe(true);
  });

  it('transcript roles: user → tester, assistant/agent → target, anything else → system', () => {
    expect(ROLES).toEqual({ user: 'tester', assistant: 'target', agent: 'target' });
    const turns = transcriptOf([
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'agent', content: 'c' },
      { role: 'Assistant', content: 'd' },
      { role: 'tool', content: 'e' },
      { content: 'f' },
      { role: 'user' },
      'junk',
    ]);
    expect(turns).toEqual([
      { role: 'tester', text: 'a', at_ms: null },
      { role: 'target', text: 'b', at_ms: null },
      { role: 'target', text: 'c', at_ms: null },
      { role: 'target', text: 'd', at_ms: null },
      { role: 'system', text: 'e', at_ms: null },
      { role: 'system', text: 'f', at_ms: null },
    ]);
    expect(transcriptOf(undefined)).toBeUndefined();
    expect(transcriptOf([])).toEqual([]);
  });
});

describe('ids', () => {
  it('round trip through decodeKey, also for ids with characters outside the safe set', () => {
    for (const [a, b, j] of [
      [AGENT, 'batch_s0OJu2JWR8R45Fai', 'job_ksUu5yRHGTLLrLeM'],
      ['mJzLaPEo425lieb9', 'b/1 x', 'j:ö~'],
    ] as const) {
      const id = runId(a, b, j);
      expect(id).toMatch(/^sigmamind:[A-Za-z0-9._~:-]+$/);
      expect(decodeKey(id.slice('sigmamind:'.length), 3)).toEqual([a, b, j]);
      expect(parseGroupId(groupId(a, b))).toEqual({ agentId: a, batchId: b });
    }
    expect(parseGroupId('cekura:4012')).toBeNull();
    expect(parseGroupId('sigmamind:only-one')).toBeNull();
    expect(parseGroupId(`sigmamind:${AGENT}:b:c`)).toBeNull();
  });

  it('getRun and groups.get return null for malformed keys without asking the vendor', async () => {
    const ctx = { cfg: {}, http: { json: () => Promise.reject(new Error('no call expected')) } } as never;
    for (const k of ['', 'a:b', 'a:b:c:d', 'a b:c:d', 'a::c']) expect(await sigmamind.getRun(ctx, k), k).toBeNull();
    for (const k of ['', 'a', 'a:b:c', 'a:~ZZ']) expect(await sigmamind.groups!.get(ctx, k), k).toBeNull();
  });

  it('a run of an agent outside the configured agentIds is not found', async () => {
    const ctx = { cfg: { agentIds: ['other'] }, http: { json: () => Promise.reject(new Error('no call expected')) } } as never;
    expect(await sigmamind.getRun(ctx, `${AGENT}:b:j`)).toBeNull();
    expect(await sigmamind.groups!.get(ctx, `${AGENT}:b`)).toBeNull();
  });
});

describe('batch run → Group', () => {
  it('maps the documented example', () => {
    const g = Group.parse(mapBatch(DOC_BATCH, AGENT));
    expect(g).toMatchObject({
      id: 'sigmamind:agent_D5D0p7TUs66TTAEAx:batch_s0OJu2JWR8R45Fai',
      provider: 'sigmamind',
      native_id: 'batch_s0OJu2JWR8R45Fai',
      name: 'Angry Customer - Cancellation Flow',
      started_at: '2026-03-26T10:52:45.565Z',
      status: 'completed',
      counts: { total: 5, passed: 4, failed: 1, errored: 0, pending: 0 },
      pass_rate: 0.8,
    });
    expect(g.raw).toEqual({ batchRun: DOC_BATCH });
  });

  it('pending attempts make it running; names fall back to the agent; counts typed as strings are read', () => {
    const g = mapBatch({ ...DOC_BATCH, testCases: [{ testCaseId: 'x' }], successfulAttempts: '1', failedAttempts: '0', totalAttempts: '4' }, AGENT);
    expect(g.status).toBe('running');
    expect(g.counts).toEqual({ total: 4, passed: 1, failed: 0, errored: 0, pending: 3 });
    expect(g.pass_rate).toBe(1);
    expect(g.name).toBe('New AI Agent');
    const two = mapBatch({ ...DOC_BATCH, testCases: [testCase, { ...testCase, label: 'Second' }] }, AGENT);
    expect(two.name).toBe('Angry Customer - Cancellation Flow, Second');
    expect(mapBatch({ batchId: 'b', createdDate: '2026-01-01T00:00:00Z' }, AGENT, 'Listed').name).toBe('Listed');
  });

  it('no judged attempts → pass_rate null; a missing total is at least passed + failed', () => {
    expect(mapBatch({ ...DOC_BATCH, successfulAttempts: 0, failedAttempts: 0, totalAttempts: 3 }, AGENT).pass_rate).toBeNull();
    expect(countsOf({ successfulAttempts: 2, failedAttempts: 1 })).toEqual({ total: 3, passed: 2, failed: 1, errored: 0, pending: 0 });
    expect(countsOf({})).toEqual({ total: 0, passed: 0, failed: 0, errored: 0, pending: 0 });
  });

  it('a batch without batchId or createdDate cannot be mapped', () => {
    expect(() => mapBatch({ ...DOC_BATCH, batchId: undefined }, AGENT)).toThrow(MapError);
    expect(() => mapBatch({ ...DOC_BATCH, createdDate: null }, AGENT)).toThrow(MapError);
  });
});

describe('spec and push-down', () => {
  it('X-API-Key without a scheme, Spring error messages', () => {
    expect(spec.auth).toEqual({ header: 'X-API-Key' });
    expect(spec.defaultBaseUrl).toBe('https://api.sigmamind.ai');
    expect(spec.errorMessage({ error: 'Bad Request', message: 'Invalid request parameters', path: '/v1/batch-runs', status: 400 })).toBe('Invalid request parameters');
    expect(spec.errorMessage({ error: 'Not Found' })).toBe('Not Found');
    expect(spec.errorMessage('oops')).toBeUndefined();
  });

  it('agent_id keeps that agent only; group_id keeps its agent and filters by batchId', () => {
    const agents = [{ id: 'a1', name: null }, { id: 'a2', name: null }];
    expect(pushdown(agents, {})).toEqual({ agents, query: {} });
    expect(pushdown(agents, { agent_id: 'a2' })).toEqual({ agents: [agents[1]], query: {} });
    expect(pushdown(agents, { agent_id: 'zz' })).toEqual({ agents: [], query: {} });
    expect(pushdown(agents, { group_id: groupId('a1', 'b9') })).toEqual({ agents: [agents[0]], query: { batchId: 'b9' } });
    expect(pushdown(agents, { group_id: groupId('a1', 'b9'), agent_id: 'a2' }).agents).toEqual([]);
    expect(pushdown(agents, { group_id: 'cekura:12' }).agents).toEqual([]);
    expect(pushdown(agents, { status: ['running'], outcome: ['passed'], q: 'x', from: 1, to: 2 })).toEqual({ agents, query: {} });
    expect(sigmamind.capabilities.filters_pushed_down).toEqual(['agent_id', 'group_id']);
  });
});
