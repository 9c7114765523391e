/**
 * The gateway's configuration (README.md "Configuration"; docs/run-index.md for `index`): `${ENV}` substitution, zod validation,
 * every problem reported once with its JSON path, the rule and the allowed values. Runtime-neutral: the caller reads the file.
 * docs/config.schema.json is generated from ConfigSchema (npm run gen:config-schema).
 */
import * as z from 'zod';
import { PROVIDER_IDS, type ProviderId } from '../schemas/run.js';

export const SCOPES = ['runs:read', 'reports:read'] as const;
export type Scope = (typeof SCOPES)[number];

// ---- the rules, each with its message (the value that broke it is added by parseConfig, never a secret)

/** A schema-level message for a value of the wrong type (a missing one is `required`, said by parseConfig, as are the other problems). */
const given =
  (message: string) =>
  (iss: { code?: string; input?: unknown }): string | undefined =>
    iss.input !== undefined && (iss.code === 'invalid_type' || iss.code === 'invalid_union') ? message : undefined;

/** A number within bounds; every way of breaking it gets the one message that states the whole rule. */
function num(o: { min: number; max?: number; whole?: boolean; description: string }) {
  const rule = `must be ${o.whole === false ? 'a number' : 'a whole number'} ${o.max === undefined ? `≥ ${o.min}` : `from ${o.min} to ${o.max}`}`;
  let s = z.number({ error: given(rule) });
  if (o.whole !== false) s = s.int({ error: rule });
  s = s.min(o.min, { error: rule });
  if (o.max !== undefined) s = s.max(o.max, { error: rule });
  return s.describe(o.description);
}

const nonEmpty = (description: string) => z.string({ error: given('must be a string') }).min(1, { error: 'must not be empty' }).describe(description);

const isHttpUrl = (u: string): boolean => {
  if (!/^https?:\/\/[^/]/.test(u)) return false;
  try {
    new URL(u);
    return true;
  } catch {
    return false;
  }
};

/** An http(s) URL without its trailing slashes; `missing` is the message when it is required and absent. */
const httpUrl = (description: string, missing?: string) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? missing : 'must be an http(s) URL') })
    .refine(isHttpUrl, { message: 'must be an http(s) URL', params: { got: true } })
    .transform((u) => u.replace(/\/+$/, ''))
    .meta({ description, format: 'uri', pattern: '^https?://[^/]' });

/** One of `values`: `unknown <noun> "x"; allowed: …`. */
const oneOf = <T extends string>(noun: string, values: readonly [T, ...T[]]) =>
  z.enum(values, {
    error: (iss) =>
      iss.input === undefined ? undefined : typeof iss.input === 'string' ? `unknown ${noun} ${JSON.stringify(iss.input)}; allowed: ${values.join(', ')}` : `must be one of: ${values.join(', ')}`,
  });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Refinements that run even when a field of the object is wrong (zod skips them by default), but not on a non-object. */
const onObject = { when: (p: { value: unknown }) => isObject(p.value) };

// ---- the schema

const KeyEntry = z
  .strictObject({
    key: nonEmpty('The gateway key itself (usually `${ENV_VAR}`)').optional(),
    sha256: z
      .string({ error: given('must be a string') })
      .regex(/^[0-9a-fA-F]{64}$/, { error: 'must be 64 hex characters (the SHA-256 of the key)' })
      .describe('Hex SHA-256 of the gateway key, instead of `key`: no secret in the file')
      .optional(),
    scopes: z
      .array(oneOf('scope', SCOPES), { error: given(`must be a list of scopes (${SCOPES.join(', ')})`) })
      .min(1, { error: `must list at least one scope; allowed: ${SCOPES.join(', ')}` })
      .describe('`runs:read` (runs, groups, recordings), `reports:read` (reports, dashboard data)'),
    perMinute: num({ min: 1, description: "Requests this key may make per minute (429 past it); absent: no limit" }).optional(),
  })
  .meta({ description: 'A gateway key: `key` or `sha256` (one of them), with its scopes', oneOf: [{ required: ['key'] }, { required: ['sha256'] }] })
  .refine((k) => k.key !== undefined || k.sha256 !== undefined, { message: 'needs "key" or "sha256"', params: { missing: ['key', 'sha256'] }, ...onObject })
  .refine((k) => k.key === undefined || k.sha256 === undefined, { message: 'give "key" or "sha256", not both', ...onObject })
  .transform((k): KeyEntry => {
    const rest = { scopes: k.scopes, ...(k.perMinute !== undefined ? { perMinute: k.perMinute } : {}) };
    return k.key !== undefined ? { key: k.key, ...rest } : { sha256: k.sha256!, ...rest };
  });
/** A gateway key entry: the key itself or its SHA-256. */
export type KeyEntry = ({ key: string } | { sha256: string }) & { scopes: Scope[]; perMinute?: number };

const providerFields = {
  apiKey: nonEmpty("The vendor's API key or token (usually `${ENV_VAR}`)"),
  baseUrl: httpUrl("The vendor's API base as its docs name it (default: the vendor's public API)").optional(),
  passScore: num({ min: 0, max: 100, whole: false, description: 'Sales Lab: the score (0-100) from which a session passes' }).optional(),
  agentIds: z
    .array(
      z.union([z.string({ error: given('must be a string') }).min(1, { error: 'must not be empty' }), z.number().int()], {
        error: given('must be an agent id: a non-empty string or a whole number'),
      }),
      { error: given('must be a list of agent ids') },
    )
    .describe('SigmaMind, Cekura: the agents to read (default: every agent of the key)')
    .optional(),
};
const TenantProvider = z.strictObject(providerFields);
export type TenantProvider = z.infer<typeof TenantProvider>;

const SALESLAB_BASE = 'required: Sales Lab has no default; give the origin of your Sales Lab API (e.g. https://saleslab.example)';

const TenantProviders = z
  .strictObject({
    pathsim: TenantProvider.optional(),
    synthflow: TenantProvider.optional(),
    saleslab: z.strictObject({ ...providerFields, baseUrl: httpUrl('The origin of your Sales Lab API (required: it has no default)', SALESLAB_BASE) }).optional(),
    sigmamind: TenantProvider.optional(),
    cekura: TenantProvider.optional(),
  })
  .meta({ description: "The vendors this tenant reads, with the tenant's credentials (at least one)", minProperties: 1 })
  .refine((p) => Object.keys(p).length > 0, {
    message: `a tenant needs at least one provider; allowed: ${PROVIDER_IDS.join(', ')}`,
    params: { missing: [...PROVIDER_IDS] },
    // an unknown provider is its own problem ("unknown provider …"), not a second one
    when: (p) => isObject(p.value) && !p.issues.some((i) => i.code === 'unrecognized_keys' && !i.path?.length),
  });

const Tenant = z.strictObject({
  keys: z
    .array(KeyEntry, { error: given('must be a list of key entries') })
    .min(1, { error: 'must list at least one key entry' })
    .describe('The gateway keys of this tenant'),
  providers: TenantProviders,
});

const ProviderTuning = z.strictObject({
  rateLimit: z
    .strictObject({
      perMinute: num({ min: 1, max: 1_000_000, description: 'Vendor calls per minute (per `windowMs` when given) for one vendor credential' }).optional(),
      concurrency: num({ min: 1, max: 1000, description: 'Vendor calls in flight at once for one vendor credential' }).optional(),
      windowMs: num({ min: 100, max: 3_600_000, description: 'For vendors whose window is not a minute: `perMinute` calls per `windowMs`' }).optional(),
    })
    .describe("Defaults: the vendor's published limits")
    .optional(),
  timeoutMs: num({ min: 100, max: 300_000, description: 'Timeout of one vendor call (ms)' }).optional(),
  retries: num({ min: 0, max: 10, description: 'Retries of a failed idempotent vendor call' }).optional(),
  breaker: z
    .strictObject({
      failures: num({ min: 1, max: 1000, description: 'Consecutive failed calls that open the breaker' }).optional(),
      cooldownMs: num({ min: 100, max: 600_000, description: 'How long it stays open before a probe (ms)' }).optional(),
    })
    .describe('Circuit breaker')
    .optional(),
});
export type ProviderTuning = z.infer<typeof ProviderTuning>;

/** The run index (docs/api.md "Freshness and deadlines", docs/run-index.md "Configuration"). */
const IndexConfig = z.strictObject({
  enabled: z.boolean({ error: given('must be true or false') }).describe('false: no index, every list walks the vendors live. Default true').optional(),
  horizonDays: num({ min: 1, max: 36_500, description: 'How far back the backfill reads (days); default: everything the vendor lists. Older runs are served live' }).optional(),
  maxStalenessMs: num({ min: 0, max: 86_400_000, description: 'How old the index head may be before a list re-syncs it (ms, default 15 000)' }).optional(),
  overlapMs: num({ min: 0, max: 7 * 86_400_000, description: 'How far below the runs it held a head sync reads on (ms, default 3 600 000)' }).optional(),
  refreshMinMs: num({ min: 100, max: 86_400_000, description: 'Unfinished runs are re-read after 1/20 of their age, no sooner than this (ms, default 15 000)' }).optional(),
  refreshMaxMs: num({ min: 100, max: 7 * 86_400_000, description: '… and no later than this (ms, default 3 600 000)' }).optional(),
  maxRuns: num({ min: 100, max: 50_000_000, description: 'Runs the in-memory store holds before backfills stop (default 250 000); without Redis only' }).optional(),
});

export const ConfigSchema = z
  .strictObject({
    tenants: z
      .record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'is not a tenant id (1-64 of A-Z a-z 0-9 _ -)' }), Tenant, { error: given('must be an object of tenants') })
      .refine((t) => Object.keys(t).length > 0, 'at least one tenant is required')
      .meta({ description: 'Tenants by id: their gateway keys and the vendors they read', minProperties: 1 }),
    providers: z
      .strictObject(Object.fromEntries(PROVIDER_IDS.map((p) => [p, ProviderTuning.optional()])) as Record<ProviderId, z.ZodOptional<typeof ProviderTuning>>)
      .describe('Tuning of a provider for every tenant')
      .optional(),
    metrics: z.strictObject({ enabled: z.boolean({ error: given('must be true or false') }).describe('Serve GET /metrics (default true)') }).optional(),
    cors: z
      .strictObject({
        origins: z
          .array(
            z
              .string({ error: given('must be a string') })
              .refine((o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o), { message: 'must be an origin (scheme://host[:port], no path) or "*"' }),
            { error: given('must be a list of origins') },
          )
          .describe('Browser origins allowed to call the API (CORS); none by default'),
      })
      .describe('Cross-origin requests from browsers: nothing is allowed unless listed')
      .optional(),
    index: IndexConfig.describe('The run index').optional(),
    requestTimeoutMs: num({ min: 100, max: 300_000, description: 'No request waits for vendors longer than this (ms, default 10 000)' }).optional(),
    cursorSecret: z
      .string({ error: given('must be a string') })
      .min(16, { error: 'must be at least 16 characters' })
      .describe('Secret for cursor integrity; default: a hash of the whole config (the same on every instance)')
      .optional(),
  })
  .meta({ title: 'simgate configuration', description: 'The file SIMGATE_CONFIG names. `${NAME}` in any string is replaced by the environment variable NAME.' });

type Parsed = z.output<typeof ConfigSchema>;
/** A tenant as code builds it (the parser is stricter: Sales Lab needs `baseUrl`, a tenant at least one provider). */
export interface TenantConfig {
  keys: KeyEntry[];
  providers: Partial<Record<ProviderId, TenantProvider>>;
}
export type Config = Omit<Parsed, 'tenants'> & { tenants: Record<string, TenantConfig> };

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

// ---- the messages

function pathString(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.') || '(root)';
}

/** Replaces `${NAME}` in every string of the parsed JSON; records each missing variable, and where the text came from. */
function substitute(v: unknown, env: Record<string, string | undefined>, path: string[], problems: string[], templates: Map<string, string>): unknown {
  if (typeof v === 'string') {
    if (/\$\{[A-Za-z_][A-Za-z0-9_]*\}/.test(v)) templates.set(pathString(path), v);
    return v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const val = env[name];
      if (val === undefined) {
        problems.push(`${pathString(path)}: environment variable ${name} is not set`);
        return '';
      }
      return val;
    });
  }
  if (Array.isArray(v)) return v.map((x, i) => substitute(x, env, [...path, String(i)], problems, templates));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, env, [...path, k], problems, templates)]));
  return v;
}

/** Fields whose values are never repeated in a message (messages reach logs, and a Worker's error answer). */
const SECRET_FIELDS = new Set(['key', 'sha256', 'apiKey', 'cursorSecret']);

const kind = (v: unknown): string =>
  typeof v === 'string' ? 'a string' : typeof v === 'number' ? 'a number' : typeof v === 'boolean' ? 'a boolean' : v === null ? 'null' : Array.isArray(v) ? 'a list' : 'an object';

/** The value that broke a rule, as a message shows it: `"120" (a string)`, `0`, `a list`; a secret only by its kind. */
function shown(v: unknown, path: readonly PropertyKey[], withKind: boolean, templates: Map<string, string>): string {
  const field = [...path].reverse().find((p) => typeof p === 'string');
  const template = templates.get(pathString(path));
  const clip = (s: string): string => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
  if (template !== undefined) return `${clip(template)} (${kind(v)}, from the environment)`;
  if (typeof field === 'string' && SECRET_FIELDS.has(field)) return typeof v === 'string' ? `a string of ${v.length} characters` : kind(v);
  if (typeof v === 'string') return withKind ? `${clip(v)} (a string)` : clip(v);
  if (typeof v === 'number' || typeof v === 'boolean') return withKind ? `${v} (${kind(v)})` : String(v);
  return kind(v);
}

/** A schema described in words (for the messages zod would word itself). */
function ruleOf(s: unknown): string {
  if (s instanceof z.ZodOptional) return ruleOf(s.unwrap());
  if (s instanceof z.ZodPipe) return ruleOf(s.in);
  if (s instanceof z.ZodNumber) return s.isInt ? 'a whole number' : 'a number';
  if (s instanceof z.ZodString) return (s.minLength ?? 0) > 0 ? 'a non-empty string' : 'a string';
  if (s instanceof z.ZodBoolean) return 'true or false';
  if (s instanceof z.ZodEnum) return `one of: ${s.options.join(', ')}`;
  if (s instanceof z.ZodArray) return 'a list';
  if (s instanceof z.ZodObject || s instanceof z.ZodRecord) return 'an object';
  if (s instanceof z.ZodUnion) return (s.options as unknown[]).map(ruleOf).join(' or ');
  return 'a valid value';
}

/** Edit distance ≤ 2, a difference of case, or one name inside the other: a misspelling of `known`? */
function near(name: string, known: string): boolean {
  const a = name.toLowerCase();
  const b = known.toLowerCase();
  if (a === b || (Math.min(a.length, b.length) >= 3 && (a.includes(b) || b.includes(a)))) return true;
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]! <= 2 && b.length > 3;
}

/** Parses and validates a config text; throws ConfigError listing every problem once, with its path. */
export function parseConfig(text: string, env: Record<string, string | undefined>): Config {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`(root): not valid JSON: ${e instanceof Error ? e.message : String(e)}`]);
  }
  const problems: string[] = [];
  const templates = new Map<string, string>();
  const substituted = substitute(json, env, [], problems, templates);
  // the fields each object allows, by path, for its "unknown field" messages
  const allowed = new Map<string, string[]>();
  const r = ConfigSchema.safeParse(substituted, {
    reportInput: true,
    error: (iss) => {
      if (iss.code === 'unrecognized_keys') {
        if (iss.inst instanceof z.ZodObject) allowed.set(pathString(iss.path ?? []), Object.keys(iss.inst.shape));
        return 'unknown field';
      }
      if (iss.code === 'invalid_type') return iss.input === undefined ? 'required' : `must be ${ruleOf(iss.inst)}`;
      if (iss.code === 'invalid_union') return `must be ${ruleOf(iss.inst)}`;
      if (iss.code === 'invalid_key') return iss.issues[0]?.message ?? 'is not an allowed name';
      return 'is not valid';
    },
  });
  if (!r.success) {
    // a value whose variable is missing is already reported; its emptiness is not a second problem
    const envPaths = new Set(problems.map((p) => p.slice(0, p.indexOf(': '))));
    // a misspelt field ("scope", "apikey") is one problem: the unknown field, not also the missing one it was meant to be
    const meant = new Set<string>();
    for (const issue of r.error.issues) {
      if (issue.code !== 'unrecognized_keys') continue;
      const fields = allowed.get(pathString(issue.path)) ?? [];
      for (const k of issue.keys) {
        const m = fields.find((f) => near(k, f));
        if (m) meant.add(`${pathString(issue.path)}|${m}`);
      }
    }
    for (const issue of r.error.issues) {
      const at = pathString(issue.path);
      if (envPaths.has(at)) continue;
      if (issue.code === 'unrecognized_keys') {
        const fields = allowed.get(at) ?? [];
        const noun = fields.length && fields.every((f) => (PROVIDER_IDS as readonly string[]).includes(f)) ? 'provider' : 'field';
        for (const k of issue.keys) {
          const m = fields.find((f) => near(k, f));
          problems.push(`${at}: unknown ${noun} ${JSON.stringify(k)}${m ? ` (did you mean ${JSON.stringify(m)}?)` : ''}; allowed: ${fields.join(', ')}`);
        }
        continue;
      }
      const parent = pathString(issue.path.slice(0, -1));
      const last = String(issue.path[issue.path.length - 1] ?? '');
      const missing = issue.code === 'invalid_type' && issue.input === undefined;
      if (missing && meant.has(`${parent}|${last}`)) continue;
      const params = issue.code === 'custom' ? (issue.params as { missing?: string[]; got?: boolean } | undefined) : undefined;
      if (params?.missing?.some((f) => meant.has(`${at}|${f}`))) continue;
      if (issue.code === 'invalid_key') {
        problems.push(`${parent}: ${JSON.stringify(last)} ${issue.message}`);
        continue;
      }
      // the value that broke the rule, after the rule (never for "required", "must not be empty" or a refinement's own words)
      const got =
        !missing &&
        issue.input !== undefined &&
        issue.input !== '' &&
        (typeof issue.input !== 'object' || issue.input === null || issue.code === 'invalid_type') &&
        (issue.code === 'invalid_type' || issue.code === 'too_small' || issue.code === 'too_big' || issue.code === 'invalid_union' || issue.code === 'invalid_format' || params?.got === true || (issue.code === 'invalid_value' && typeof issue.input !== 'string'));
      const withKind = issue.code === 'invalid_union' || issue.code === 'invalid_value' || (issue.code === 'invalid_type' && !(typeof issue.input === 'number' && (issue.expected === 'int' || issue.expected === 'number')));
      problems.push(`${at}: ${issue.message}${got ? `, got ${shown(issue.input, issue.path, withKind, templates)}` : ''}`);
    }
  }
  if (problems.length) throw new ConfigError([...new Set(problems)]);
  return r.data!;
}

/** The provider ids a tenant has configured. */
export function tenantProviders(cfg: Config, tenant: string): ProviderId[] {
  const t = cfg.tenants[tenant];
  return t ? (Object.keys(t.providers) as ProviderId[]) : [];
}
