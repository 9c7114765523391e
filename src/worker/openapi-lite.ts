/**
 * @hono/zod-openapi for the Worker bundle (wrangler.toml `[alias]`): what the app calls on it at run time, without
 * the OpenAPI generator (@asteasolutions/zod-to-openapi) and without zod's whole namespace, which the real module
 * keeps alive by handing it to `extendZodWithOpenApi(z)`; together more than half of the bundle. Node and the type
 * checker use the real module; this one must behave as it does (node_modules/@hono/zod-openapi/dist/index.mjs):
 *
 * - `createRoute(config)`: the config with a non-enumerable `getRoutingPath()`.
 * - `OpenAPIHono#openapi(route, handler, hook)`: the same validators (@hono/zod-validator on query, params, headers,
 *   cookies, JSON and form bodies, the media-type gate of a body), the same hook (the route's, else the app's or a
 *   parent app's `defaultHook`), the route's middleware, `{id}` → `:id`; `hide` keeps a route out of the document.
 * - `openAPIRegistry`: records what is registered (routes, components), which names the document (openapi-doc.ts).
 * - `doc31(path, objectConfig)`: GET `path` answers the document the real module generates on Node, prebuilt
 *   by scripts/openapi-documents.ts (run by scripts/copy-docs-assets.mjs) into the static assets and read through
 *   the `ASSETS` binding, with the headers `c.json` gives it on Node.
 * - zod schemas get `.openapi()`, a no-op here (it only adds document metadata; the real one is on ZodType.prototype
 *   too). It must be installed before a schema is built: every module that calls it imports this one first.
 *
 * `getOpenAPIDocument` / `getOpenAPI31Document` have no generator to call here and throw, and so does `doc` (3.0).
 */
import { zValidator } from '@hono/zod-validator';
import { Hono, type Context, type Env, type MiddlewareHandler } from 'hono';
import type { HonoOptions } from 'hono/hono-base';
import { HTTPException } from 'hono/http-exception';
import { mergePath } from 'hono/utils/url';
import { ZodType } from 'zod';
import { GatewayError } from '../core/errors.js';
import { openapiAssetName, type RegistryDefinition } from './openapi-doc.js';

// zod copies the prototype's own members onto each schema it builds: from here on every schema has .openapi()
const zodProto = ZodType.prototype as { openapi?: unknown };
if (typeof zodProto.openapi === 'undefined') {
  zodProto.openapi = function openapi<T>(this: T): T {
    return this;
  };
}

type Loose = Record<string, unknown>;
type Hook = (result: Loose, c: Context) => unknown;
interface RouteConfig {
  method: string;
  path: string;
  middleware?: MiddlewareHandler | MiddlewareHandler[];
  hide?: boolean;
  request?: {
    query?: ZodType;
    params?: ZodType;
    headers?: ZodType;
    cookies?: ZodType;
    body?: { content?: Record<string, { schema?: unknown } | undefined>; required?: boolean };
  };
  [key: string]: unknown;
}
interface AssetsBinding {
  fetch(request: Request): Promise<Response>;
}

/** The registry's record of what the document has (the real one also keeps the schemas, to generate it from). */
export class OpenAPIRegistry {
  readonly definitions: Array<RegistryDefinition & Loose> = [];
  registerPath(route: RouteConfig): void {
    this.definitions.push({ type: 'route', route });
  }
  registerWebhook(webhook: RouteConfig): void {
    this.definitions.push({ type: 'webhook', webhook });
  }
  registerComponent(componentType: string, name: string, component?: unknown): { name: string; ref: { $ref: string } } {
    this.definitions.push({ type: 'component', componentType, name, component });
    return { name, ref: { $ref: `#/components/${componentType}/${name}` } };
  }
  register<T>(refId: string, schema: T): T {
    this.definitions.push({ type: 'schema', schema, refId });
    return schema;
  }
  registerParameter<T>(refId: string, schema: T): T {
    this.definitions.push({ type: 'parameter', schema, refId });
    return schema;
  }
}

function isZod(x: unknown): x is ZodType {
  if (!x || typeof x !== 'object') return false;
  const s = x as Loose;
  return typeof s.parse === 'function' && typeof s.safeParse === 'function' && typeof s.parseAsync === 'function' && typeof s.safeParseAsync === 'function';
}

function isJSONContentType(contentType: string): boolean {
  return /^application\/([a-z-.]+\+)?json/i.test(contentType);
}
function isFormContentType(contentType: string): boolean {
  const lower = contentType.toLowerCase();
  return lower.startsWith('multipart/form-data') || lower.startsWith('application/x-www-form-urlencoded');
}
const jsonRequestRegex = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const multipartRequestRegex = /^multipart\/form-data(;\s?boundary=[a-zA-Z0-9'"()+_,\-./:=?]+)?$/i;
const urlencodedRequestRegex = /^application\/x-www-form-urlencoded(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
function matchesMediaType(contentType: string, mediaType: string): boolean {
  if (mediaType === '*/*') return true;
  if (isJSONContentType(mediaType)) return jsonRequestRegex.test(contentType);
  if (isFormContentType(mediaType)) return multipartRequestRegex.test(contentType) || urlencodedRequestRegex.test(contentType);
  const essence = contentType.split(';')[0]!.trim().toLowerCase();
  if (mediaType.endsWith('/*')) return essence.startsWith(mediaType.slice(0, -1).toLowerCase());
  return essence === mediaType.toLowerCase();
}
async function hasRequestBody(c: Context): Promise<boolean> {
  const raw = c.req.raw;
  if (raw.body === null) return false;
  if (raw.bodyUsed) return (await c.req.arrayBuffer()).byteLength > 0;
  const body = raw.clone().body;
  if (body === null) return false;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      if (value.byteLength > 0) return true;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

const toRoutingPath = (path: string): string => path.replaceAll(/\/{(.+?)}/g, '/:$1');

export const createRoute = <R extends RouteConfig>(routeConfig: R): R & { getRoutingPath(): string } => {
  const route = { ...routeConfig, getRoutingPath: () => toRoutingPath(routeConfig.path) };
  return Object.defineProperty(route, 'getRoutingPath', { enumerable: false });
};

export const $ = <T>(app: T): T => app;
export const defineOpenAPIRoute = <T>(def: T): T => def;

export class OpenAPIHono<E extends Env = Env> extends Hono<E> {
  openAPIRegistry = new OpenAPIRegistry();
  defaultHook: Hook | undefined;
  #parentApp: OpenAPIHono | undefined;

  #resolveDefaultHook(): Hook | undefined {
    if (this.defaultHook) return this.defaultHook;
    const seen = new Set<OpenAPIHono>([this as unknown as OpenAPIHono]);
    let parent = this.#parentApp;
    while (parent && !seen.has(parent)) {
      if (parent.defaultHook) return parent.defaultHook;
      seen.add(parent);
      parent = parent.#parentApp;
    }
    return undefined;
  }

  openapi = ({ middleware: routeMiddleware, hide, ...route }: RouteConfig, handler: MiddlewareHandler, hook: Hook | undefined = undefined): this => {
    if (!hide) this.openAPIRegistry.registerPath(route);
    const effectiveHook: Hook =
      hook ??
      ((result, c) => {
        const resolved = this.#resolveDefaultHook();
        return resolved ? resolved(result, c) : undefined;
      });
    const validate = (target: 'query' | 'param' | 'header' | 'cookie' | 'json' | 'form', schema: ZodType): MiddlewareHandler =>
      zValidator(target, schema, effectiveHook as never) as unknown as MiddlewareHandler;
    const validators: MiddlewareHandler[] = [];
    const request = route.request;
    if (request?.query) validators.push(validate('query', request.query));
    if (request?.params) validators.push(validate('param', request.params));
    if (request?.headers) validators.push(validate('header', request.headers));
    if (request?.cookies) validators.push(validate('cookie', request.cookies));
    const bodyContent = request?.body?.content;
    if (bodyContent) {
      const declaredMediaTypes = Object.keys(bodyContent);
      if (declaredMediaTypes.some((m) => isZod(bodyContent[m]?.schema) && (isJSONContentType(m) || isFormContentType(m)))) {
        validators.push(async (c, next) => {
          const contentType = c.req.header('content-type');
          if (contentType) {
            if (!declaredMediaTypes.some((m) => matchesMediaType(contentType, m))) throw new HTTPException(415, { message: 'Unsupported Media Type' });
          } else if (await hasRequestBody(c)) throw new HTTPException(415, { message: 'Unsupported Media Type' });
          await next();
        });
      }
      for (const mediaType of declaredMediaTypes) {
        const schema = bodyContent[mediaType]?.schema;
        if (!isZod(schema)) continue;
        for (const [target, is] of [
          ['json', isJSONContentType],
          ['form', isFormContentType],
        ] as const) {
          if (!is(mediaType)) continue;
          const validator = validate(target, schema);
          if (request?.body?.required) validators.push(validator);
          else {
            validators.push(async (c, next) => {
              const contentType = c.req.header('content-type');
              if (contentType && is(contentType)) return await validator(c, next);
              c.req.addValidatedData(target, {});
              await next();
            });
          }
        }
      }
    }
    const middleware = routeMiddleware ? (Array.isArray(routeMiddleware) ? routeMiddleware : [routeMiddleware]) : [];
    this.on([route.method], [toRoutingPath(route.path)], ...(middleware as []), ...(validators as []), handler as never);
    return this;
  };

  openapiRoutes = (inputs: ReadonlyArray<{ route: RouteConfig; handler: MiddlewareHandler; hook?: Hook; addRoute?: boolean }>): this => {
    for (const { route, handler, hook, addRoute } of inputs) if (addRoute !== false) this.openapi(route, handler, hook);
    return this;
  };

  getOpenAPIDocument = (): never => {
    throw new Error('the Worker has no OpenAPI generator: its document is prebuilt (scripts/openapi-documents.ts)');
  };
  getOpenAPI31Document = this.getOpenAPIDocument;

  /** GET `path`: the prebuilt document of this app (see the top of this file). */
  doc31 = (path: string, configureObject: unknown | ((c: Context<E>) => unknown)): this => {
    const cached = new Map<string, Promise<string>>();
    this.get(path, async (c) => {
      const objectConfig = typeof configureObject === 'function' ? (configureObject as (c: Context<E>) => unknown)(c) : configureObject;
      const name = openapiAssetName(this.openAPIRegistry.definitions, objectConfig);
      let text = cached.get(name);
      if (!text) {
        text = readDocument((c.env as { ASSETS?: AssetsBinding } | undefined)?.ASSETS, name);
        cached.set(name, text);
        text.catch(() => cached.delete(name));
      }
      return c.body(await text, 200, { 'Content-Type': 'application/json' });
    });
    return this;
  };
  /** The OpenAPI 3.0 document: the app serves 3.1 only, and only its document is prebuilt. */
  doc = (): never => {
    throw new Error('the Worker serves the prebuilt OpenAPI 3.1 document only (doc31)');
  };

  constructor(init?: HonoOptions<E> & { defaultHook?: Hook }) {
    super(init);
    this.defaultHook = init?.defaultHook;
    // instance members, as in the real class, and typed as Hono's own (their generic signatures are Hono's)
    const route = this.route.bind(this);
    this.route = ((path: string, app: Hono) => {
      const pathForOpenAPI = path.replaceAll(/:([^/]+)/g, '{$1}');
      route(path, app as never);
      if (!(app instanceof OpenAPIHono)) return this;
      app.#parentApp ??= this as unknown as OpenAPIHono;
      const base = (app as unknown as { _basePath: string })._basePath.replaceAll(/:([^/]+)/g, '{$1}');
      for (const def of app.openAPIRegistry.definitions) {
        if (def.type === 'route' && def.route) this.openAPIRegistry.registerPath({ ...def.route, path: mergePath(pathForOpenAPI, base, def.route.path) });
        else if (def.type === 'webhook' && def.webhook) this.openAPIRegistry.registerWebhook({ ...def.webhook, path: mergePath(pathForOpenAPI, base, def.webhook.path) });
        else this.openAPIRegistry.definitions.push(def);
      }
      return this;
    }) as never;
    const basePath = this.basePath.bind(this);
    this.basePath = ((path: string) => {
      const cloned = basePath(path) as unknown as Loose;
      const newApp = new OpenAPIHono<E>({ defaultHook: this.defaultHook });
      Object.assign(newApp, { router: cloned.router, routes: cloned.routes, getPath: cloned.getPath, errorHandler: cloned.errorHandler, _basePath: cloned._basePath });
      return newApp;
    }) as never;
  }
}

async function readDocument(assets: AssetsBinding | undefined, name: string): Promise<string> {
  const missing = (why: string): GatewayError =>
    new GatewayError('internal', `the OpenAPI document of this build is not in the Worker's static assets (${why}); run scripts/copy-docs-assets.mjs before deploying`, {
      retryable: false,
    });
  if (!assets) throw missing('no ASSETS binding');
  const res = await assets.fetch(new Request(`https://assets/${name}`));
  if (!res.ok) throw missing(`${name}: ${res.status}`);
  return res.text();
}
