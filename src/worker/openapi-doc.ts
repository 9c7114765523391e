/**
 * The name of a prebuilt OpenAPI document in the Worker's assets. The Worker has no OpenAPI generator
 * (src/worker/openapi-lite.ts stands in for @hono/zod-openapi): scripts/openapi-documents.ts builds the app on Node
 * with the real one, for each variant of the app (with and without GET /metrics), and writes what Node answers to
 * GET /openapi.json as `openapi-<key>.json`. The key is taken from what the app registered in its OpenAPI registry
 * (its routes and components, in order) and from the document's own fields (version, description, tags): the two
 * sides compute it the same way from the same app, so the Worker serves the document Node would, and a build whose
 * assets are stale or missing says so instead of serving another document.
 *
 * Pure and runtime-neutral: imported by the Worker's shim and by the Node script.
 */

/** The part of an OpenAPI registry definition (@asteasolutions/zod-to-openapi) that names what it adds. */
export interface RegistryDefinition {
  type: string;
  route?: { method: string; path: string };
  webhook?: { method: string; path: string };
  componentType?: string;
  name?: string;
}

function entryOf(d: RegistryDefinition): string {
  if (d.type === 'route' && d.route) return `route ${d.route.method} ${d.route.path}`;
  if (d.type === 'webhook' && d.webhook) return `webhook ${d.webhook.method} ${d.webhook.path}`;
  if (d.type === 'component') return `component ${d.componentType} ${d.name}`;
  return d.type;
}

/** FNV-1a (32 bits), hex: a short, stable name, not a security measure. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The asset name of the document of an app that registered `definitions` and documents itself with `objectConfig`. */
export function openapiAssetName(definitions: readonly RegistryDefinition[], objectConfig: unknown): string {
  return `openapi-${fnv1a(`${definitions.map(entryOf).join('\n')}\n${JSON.stringify(objectConfig)}`)}.json`;
}

/** Matches every document name `openapiAssetName` gives (to clear the ones of an earlier build). */
export const OPENAPI_ASSET = /^openapi-[0-9a-f]{8}\.json$/;
