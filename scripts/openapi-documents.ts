/**
 * The OpenAPI documents the Worker serves at GET /openapi.json. Its bundle has no OpenAPI generator
 * (src/worker/openapi-lite.ts stands in for @hono/zod-openapi there), so they are made here, on Node, by the real
 * one: the app of src/app.ts built once per variant of what it registers (GET /metrics on and off: config
 * `metrics.enabled`), asked GET /openapi.json, its answer kept byte for byte. scripts/copy-docs-assets.mjs writes
 * them into the Worker's static assets under the names src/worker/openapi-doc.ts gives them.
 */
import { adapters } from '../adapters/index.js';
import { buildApp } from '../src/app.js';
import type { Config } from '../src/config.js';
import { LocalLimiter } from '../src/core/limiter.js';
import { silentLogger } from '../src/core/log.js';
import { Metrics } from '../src/core/metrics.js';
import { OPENAPI_OBJECT } from '../src/routes/ops.js';
import { OPENAPI_ASSET, openapiAssetName, type RegistryDefinition } from '../src/worker/openapi-doc.js';

export { OPENAPI_ASSET };

export interface OpenapiDocument {
  /** Its file name in the assets directory. */
  name: string;
  /** The body of Node's answer to GET /openapi.json. */
  text: string;
  /** The variant: whether the app serves GET /metrics. */
  metricsEnabled: boolean;
}

/** What Node answers to GET /openapi.json, for each variant of the app, with the asset name of each. */
export async function openapiDocuments(): Promise<OpenapiDocument[]> {
  // the document names no tenant, key or provider: any config gives the same one (scripts/gen-client.ts uses this one)
  const config: Config = { tenants: { docs: { keys: [{ key: 'openapi-documents-only', scopes: ['runs:read'] }], providers: {} } } };
  const out: OpenapiDocument[] = [];
  for (const metricsEnabled of [true, false]) {
    const { app } = await buildApp({
      config,
      adapters,
      fetch: () => Promise.reject(new Error('the OpenAPI document calls no vendor')),
      limiter: new LocalLimiter(),
      log: silentLogger,
      clock: Date.now,
      cursorSecret: 'openapi-documents',
      metrics: new Metrics(),
      metricsEnabled,
    });
    const res = await app.request('/openapi.json');
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}: ${text.slice(0, 200)}`);
    const name = openapiAssetName(app.openAPIRegistry.definitions as RegistryDefinition[], OPENAPI_OBJECT);
    if (out.some((d) => d.name === name)) throw new Error(`two variants of the app have the same document name ${name}`);
    out.push({ name, text, metricsEnabled });
  }
  return out;
}
