/**
 * Strict, clear inputs on every endpoint: exactly its own query parameters (an unknown one names the allowed ones),
 * a repeated or empty one is a clear 400, enum values list the allowed ones, no validator wording; a Range past the
 * end of a recording is the 416 envelope with a Content-Range that gives the recording's size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type SimulatorSet } from '../../adapters/simulators.js';
import { CHANNELS, PROVIDER_IDS, STATUSES, type ErrorEnvelope, type Run, type RunList } from '../../schemas/run.js';
import { GROUP_BYS } from '../../schemas/report.js';
import type { RunningGateway } from '../../src/server.js';
import { unsatisfiable } from '../../src/core/details.js';
import { type Client, client, gatewayFor } from '../helpers.js';

const KEY = 'inputs-key-0001';
const NOW = Date.UTC(2026, 10, 22, 8, 0, 0);
let set: SimulatorSet;
let gw: RunningGateway;
let c: Client;

beforeAll(async () => {
  set = await startSimulators({ seed: 9, now: NOW, limits: { perWindow: 100_000, concurrency: 50 } });
  gw = await gatewayFor({ tenants: { t: { keys: [{ key: KEY, scopes: ['runs:read', 'reports:read'] }], providers: set.providers } }, providers: set.tuning });
  c = client(gw.url, KEY);
});
afterAll(async () => {
  await gw?.close(100);
  await set?.close();
});

const RUNS = ['provider', 'status', 'outcome', 'channel', 'agent_id', 'group_id', 'q', 'from', 'to', 'limit', 'cursor', 'include'];
const GROUPS = ['provider', 'status', 'group_id', 'q', 'from', 'to', 'limit', 'cursor'];
const SUMMARY = ['from', 'to', 'provider', 'agent_id', 'channel', 'q', 'group_by', 'format'];
const REGRESSIONS = ['from', 'to', 'baseline_from', 'baseline_to', 'provider', 'agent_id', 'format'];

interface Endpoint {
  path: string;
  allowed: string[];
  /** A single-valued parameter and a valid value of it. */
  single?: [string, string];
  /** A parameter that must not be empty. */
  empty?: string;
  /** An enum parameter, a bad value, and the values allowed. */
  enumOf?: [string, string, readonly string[]];
}

const ENDPOINTS: Endpoint[] = [
  { path: '/v1/runs', allowed: RUNS, single: ['limit', '5'], empty: 'agent_id', enumOf: ['status', 'done', STATUSES] },
  { path: '/v1/runs/pathsim:abc', allowed: ['include'], single: ['include', 'raw'], empty: 'include', enumOf: ['include', 'everything', ['transcript', 'evaluations', 'raw']] },
  { path: '/v1/runs/pathsim:abc/recording', allowed: [] },
  { path: '/v1/groups', allowed: GROUPS, single: ['cursor', 'abc'], empty: 'group_id', enumOf: ['provider', 'nope', PROVIDER_IDS] },
  { path: '/v1/groups/cekura:1', allowed: [] },
  { path: '/v1/reports/summary', allowed: SUMMARY, single: ['from', '2026-11-01'], empty: 'q', enumOf: ['format', 'xml', ['json', 'csv']] },
  { path: '/v1/reports/regressions', allowed: REGRESSIONS, single: ['baseline_to', '2026-11-01'], empty: 'agent_id', enumOf: ['provider', 'nope', PROVIDER_IDS] },
  { path: '/v1/providers', allowed: [] },
];

const VALIDATOR_WORDING = /Invalid input|expected string|expected array|Too small|Too big|Invalid option|Unrecognized key/i;

async function bad(path: string, query: string): Promise<ErrorEnvelope['error']> {
  const r = await c.json<ErrorEnvelope>(`${path}?${query}`);
  expect(r.status, `${path}?${query}`).toBe(400);
  expect(r.res.headers.get('content-type')).toMatch(/^application\/json/);
  const e = r.body.error;
  expect(e).toMatchObject({ code: 'invalid_request', status: 400, retryable: false, request_id: expect.any(String) });
  expect(e.message, `${path}?${query}`).not.toMatch(VALIDATOR_WORDING);
  for (const d of e.details ?? []) expect(d.message).not.toMatch(VALIDATOR_WORDING);
  return e;
}

const unknownMessage = (name: string, allowed: string[]): string =>
  `unknown parameter '${name}'; ${allowed.length ? `allowed: ${allowed.join(', ')}` : 'this endpoint takes no query parameters'}`;

describe('every endpoint takes exactly its own query parameters', () => {
  for (const e of ENDPOINTS) {
    it(`${e.path}: an unknown parameter is named, with the allowed ones`, async () => {
      const err = await bad(e.path, 'limt=5');
      expect(err.message).toBe(unknownMessage('limt', e.allowed));
      expect(err.details).toEqual([{ path: 'limt', message: unknownMessage('limt', e.allowed) }]);
      // several at once: each is named
      const two = await bad(e.path, 'limt=5&sort=asc');
      expect(two.details?.map((d) => d.path)).toEqual(['limt', 'sort']);
      expect(two.message).toBe(`unknown parameters 'limt', 'sort'; ${e.allowed.length ? `allowed: ${e.allowed.join(', ')}` : 'this endpoint takes no query parameters'}`);
    });

    if (e.single) {
      const [name, value] = e.single;
      it(`${e.path}: ${name} given twice is a clear 400`, async () => {
        const err = await bad(e.path, `${name}=${value}&${name}=${value}`);
        const list = name === 'include' || name === 'provider' || name === 'status';
        expect(err.message).toBe(`${name} is given 2 times; give it once${list ? ` (several values go in one comma list: ${name}=a,b)` : ''}`);
        expect(err.details).toEqual([{ path: name, message: err.message }]);
        expect((await bad(e.path, `${name}=${value}&${name}=${value}&${name}=${value}`)).message).toMatch(new RegExp(`^${name} is given 3 times; give it once`));
      });
    } else {
      it(`${e.path}: a repeated or empty parameter is still an unknown one`, async () => {
        expect((await bad(e.path, 'x=1&x=2')).message).toBe(unknownMessage('x', []));
        expect((await bad(e.path, 'x=')).message).toBe(unknownMessage('x', []));
      });
    }

    if (e.empty) {
      const name = e.empty;
      it(`${e.path}: an empty ${name} says so`, async () => {
        const err = await bad(e.path, `${name}=`);
        expect(err.message).toBe(`${name} must not be empty`);
        expect(err.details).toEqual([{ path: name, message: `${name} must not be empty` }]);
        expect((await bad(e.path, name)).message).toBe(`${name} must not be empty`);
      });
    }

    if (e.enumOf) {
      const [name, value, allowed] = e.enumOf;
      it(`${e.path}: an unknown ${name} lists the allowed values`, async () => {
        const err = await bad(e.path, `${name}=${value}`);
        expect(err.message).toBe(`unknown ${name} '${value}'; allowed: ${allowed.join(', ')}`);
        expect(err.details).toEqual([{ path: name, message: err.message }]);
      });
    }
  }

  it('the same rule gives the same message on every endpoint', async () => {
    for (const path of ['/v1/runs', '/v1/groups', '/v1/reports/summary', '/v1/reports/regressions']) {
      expect((await bad(path, 'provider=nope')).message).toBe(`unknown provider 'nope'; allowed: ${PROVIDER_IDS.join(', ')}`);
      expect((await bad(path, 'provider=')).message).toBe('provider must not be empty');
      expect((await bad(path, 'from=yesterday')).message).toBe('from must be an RFC 3339 date-time or a date (YYYY-MM-DD)');
      expect((await bad(path, 'from=2026-02-01&to=2026-01-01')).message).toBe('from must be before to');
      expect((await bad(path, 'from=&from=')).message).toBe('from is given 2 times; give it once');
    }
    for (const path of ['/v1/runs', '/v1/reports/summary']) {
      expect((await bad(path, 'channel=fax')).message).toBe(`unknown channel 'fax'; allowed: ${CHANNELS.join(', ')}`);
      expect((await bad(path, `q=${'x'.repeat(201)}`)).message).toBe('q must be at most 200 characters');
    }
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'limit=']) {
      for (const path of ['/v1/runs', '/v1/groups']) {
        expect((await bad(path, q)).message).toBe(q === 'limit=' ? 'limit must not be empty' : 'limit must be between 1 and 100');
      }
    }
    expect((await bad('/v1/reports/summary', 'group_by=month')).message).toBe(`unknown group_by 'month'; allowed: ${GROUP_BYS.join(', ')}`);
    expect((await bad('/v1/reports/summary', 'group_by=day&group_by=week')).message).toBe(
      'group_by is given 2 times; give it once (several values go in one comma list: group_by=a,b)',
    );
    expect((await bad('/v1/reports/regressions', 'baseline_from=2026-02-01&baseline_to=2026-01-01')).message).toBe('baseline_from must be before baseline_to');
  });

  it('several problems at once: one detail each, one message joining them', async () => {
    const err = await bad('/v1/runs', 'limit=5&limit=6&status=done&agent_id=');
    expect(err.details).toEqual([
      { path: 'status', message: `unknown status 'done'; allowed: ${STATUSES.join(', ')}` },
      { path: 'agent_id', message: 'agent_id must not be empty' },
      { path: 'limit', message: 'limit is given 2 times; give it once' },
    ]);
    expect(err.message).toBe(err.details!.map((d) => d.message).join('; '));
  });

  it('groups reject the run-only filters they used to ignore', async () => {
    for (const name of ['include', 'outcome', 'channel', 'agent_id']) {
      const err = await bad('/v1/groups', `${name}=x`);
      expect(err.message).toBe(unknownMessage(name, GROUPS));
    }
    // and their own filters still work
    const ok = await c.json<{ data: Array<{ provider: string }> }>('/v1/groups?provider=cekura&limit=5');
    expect(ok.status).toBe(200);
    expect(ok.body.data.every((g) => g.provider === 'cekura')).toBe(true);
  });

  it('valid queries still answer 200', async () => {
    for (const path of ['/v1/runs?limit=5&provider=pathsim,cekura&status=completed', '/v1/providers', '/v1/reports/summary?group_by=provider,day', '/v1/reports/regressions?format=json']) {
      expect((await c.get(path)).status, path).toBe(200);
    }
  });

  it('the OpenAPI document lists exactly these parameters', async () => {
    const doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as {
      paths: Record<string, { get: { parameters?: Array<{ name: string; in: string }>; responses: Record<string, unknown> } }>;
      components: { schemas: Record<string, { properties: { error: { properties: { code: { enum: string[] } } } } }> };
    };
    const query = (p: string): string[] => (doc.paths[p]!.get.parameters ?? []).filter((x) => x.in === 'query').map((x) => x.name).sort();
    expect(query('/v1/runs')).toEqual([...RUNS].sort());
    expect(query('/v1/groups')).toEqual([...GROUPS].sort());
    expect(query('/v1/runs/{id}')).toEqual(['include']);
    expect(query('/v1/reports/summary')).toEqual([...SUMMARY].sort());
    expect(query('/v1/reports/regressions')).toEqual([...REGRESSIONS].sort());
    for (const p of ['/v1/runs/{id}/recording', '/v1/groups/{id}', '/v1/providers']) expect(query(p), p).toEqual([]);
    for (const p of Object.keys(doc.paths).filter((x) => x.startsWith('/v1/'))) expect(doc.paths[p]!.get.responses['400'], p).toBeDefined();
    expect(doc.paths['/v1/runs/{id}/recording']!.get.responses['416']).toBeDefined();
    expect(doc.components.schemas['Error']!.properties.error.properties.code.enum).toContain('range_not_satisfiable');
  });
});

describe('a recording Range that cannot be satisfied', () => {
  it('is the 416 envelope with Content-Range: bytes */N, for each vendor with recordings', async () => {
    for (const p of ['pathsim', 'synthflow', 'cekura']) {
      const page = await c.json<RunList>(`/v1/runs?limit=100&provider=${p}&status=completed`);
      expect(page.status).toBe(200);
      // lists may leave the recording to the detail: the first completed run whose detail has one
      let url: string | undefined;
      for (const r of page.body.data.slice(0, 30)) {
        const one = await c.json<{ data: Run }>(`/v1/runs/${r.id}`);
        if (one.body.data.recording) {
          url = one.body.data.recording.url;
          break;
        }
      }
      expect(url, `a ${p} run with a recording`).toBeDefined();
      const whole = await c.get(url!);
      expect(whole.status, url).toBe(200);
      const size = (await whole.arrayBuffer()).byteLength;
      expect(size).toBeGreaterThan(0);

      for (const range of [`bytes=${size}-`, `bytes=${size + 1000}-${size + 2000}`, 'bytes=-0']) {
        const r = await c.get(url!, undefined, { range });
        expect(r.status, `${p} ${range}`).toBe(416);
        expect(r.headers.get('content-type')).toMatch(/^application\/json/);
        expect(r.headers.get('content-range')).toBe(`bytes */${size}`);
        const body = (await r.json()) as ErrorEnvelope;
        expect(body.error).toMatchObject({
          code: 'range_not_satisfiable',
          status: 416,
          retryable: false,
          message: `the Range ${range} asks for no byte of the recording (${size} bytes)`,
          request_id: expect.any(String),
        });
      }
      // a satisfiable Range is still the vendor's 206
      const part = await c.get(url!, undefined, { range: 'bytes=0-9' });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 0-9/${size}`);
      expect((await part.arrayBuffer()).byteLength).toBe(10);
    }
  });

  it('unsatisfiable(): which Ranges ask for no byte (for vendors that ignore Range)', () => {
    expect(unsatisfiable('bytes=100-', 100)).toBe(true);
    expect(unsatisfiable('bytes=100-200, 300-', 100)).toBe(true);
    expect(unsatisfiable('bytes=-0', 100)).toBe(true);
    expect(unsatisfiable('bytes=99-', 100)).toBe(false);
    expect(unsatisfiable('bytes=-5', 100)).toBe(false);
    expect(unsatisfiable('bytes=150-, 0-1', 100)).toBe(false);
    // a Range that cannot be read is ignored (the whole file), as HTTP says
    expect(unsatisfiable('items=0-5', 100)).toBe(false);
    expect(unsatisfiable('bytes=abc', 100)).toBe(false);
    expect(unsatisfiable('bytes=-', 100)).toBe(false);
  });
});
