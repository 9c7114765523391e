/** The OpenAPI document is generated from the schemas, and the vendor types are fresh. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { generate, outFile, vendorYamls } from '../scripts/gen-vendor-types.js';
import type { RunningGateway } from '../src/server.js';
import { gatewayFor } from './helpers.js';

let gw: RunningGateway;
beforeAll(async () => {
  gw = await gatewayFor({ tenants: { t: { keys: [{ key: 'k-openapi', scopes: ['runs:read'] }], providers: {} } } });
});
afterAll(async () => gw?.close(100));

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 with every endpoint, the Run schema and the error envelope', async () => {
    const res = await fetch(`${gw.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    expect(doc.openapi).toBe('3.1.0');
    for (const p of ['/v1/runs', '/v1/runs/{id}', '/v1/runs/{id}/recording', '/v1/providers', '/v1/groups', '/v1/groups/{id}']) {
      expect(doc.paths[p]?.['get'], p).toBeDefined();
    }
    const run = doc.components.schemas['Run']!;
    for (const f of ['id', 'provider', 'native_id', 'group_id', 'agent', 'scenario', 'channel', 'target', 'source', 'status', 'status_raw', 'outcome', 'score', 'started_at', 'started_at_precision', 'ended_at', 'duration_ms', 'summary', 'evaluations', 'transcript', 'recording', 'latency_ms', 'raw']) {
      expect(run.properties?.[f], f).toBeDefined();
    }
    expect(doc.components.schemas['Error']).toBeDefined();
    const params = (doc.paths['/v1/runs']!['get'] as { parameters: Array<{ name: string }> }).parameters.map((p) => p.name).sort();
    expect(params).toEqual(['agent_id', 'channel', 'cursor', 'from', 'group_id', 'include', 'limit', 'outcome', 'provider', 'q', 'status', 'to']);
  });
});

describe('vendor types', () => {
  it('every schemas/vendors/*.yaml has a generated .gen.ts that is up to date', async () => {
    const yamls = await vendorYamls();
    expect(yamls).toEqual(['cekura.yaml', 'pathsim.yaml', 'saleslab.yaml', 'sigmamind.yaml', 'synthflow.yaml']);
    for (const y of yamls) {
      const current = await readFile(outFile(y), 'utf8').catch(() => '');
      expect(current, `${y}: run npm run gen:types`).toBe(await generate(y));
    }
  });
});
