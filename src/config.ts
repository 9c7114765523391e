/**
 * The gateway's configuration (API.md "Config file"): `${ENV}` substitution, zod validation,
 * every problem reported with its JSON path. Runtime-neutral: the caller reads the file.
 */
import { z } from 'zod';
import { PROVIDER_IDS, type ProviderId } from '../schemas/run.js';

export const SCOPES = ['runs:read', 'reports:read'] as const;
export type Scope = (typeof SCOPES)[number];

/** Requests one gateway key may make per minute; absent = no limit. */
const perMinute = z.number().int().min(1).max(1_000_000).optional();
const KeyEntry = z.union([
  z.strictObject({ key: z.string().min(1), scopes: z.array(z.enum(SCOPES)).min(1), perMinute }),
  z.strictObject({
    sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters (the SHA-256 of the key)'),
    scopes: z.array(z.enum(SCOPES)).min(1),
    perMinute,
  }),
]);

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
  .transform((u) => u.replace(/\/+$/, ''));

const TenantProvider = z.strictObject({
  apiKey: z.string().min(1),
  baseUrl: httpUrl.optional(),
  passScore: z.number().min(0).max(100).optional(),
  agentIds: z.array(z.union([z.string().min(1), z.number().int()])).optional(),
});
export type TenantProvider = z.infer<typeof TenantProvider>;

const Tenant = z.strictObject({
  keys: z.array(KeyEntry).min(1),
  providers: z.partialRecord(z.enum(PROVIDER_IDS), TenantProvider),
});

const ProviderTuning = z.strictObject({
  rateLimit: z
    .strictObject({
      perMinute: z.number().int().min(1).max(1_000_000).optional(),
      concurrency: z.number().int().min(1).max(1000).optional(),
      /** For vendors whose window is not a minute: `perMinute` requests per `windowMs`. */
      windowMs: z.number().int().min(100).max(3_600_000).optional(),
    })
    .optional(),
  timeoutMs: z.number().int().min(100).max(300_000).optional(),
  retries: z.number().int().min(0).max(10).optional(),
  /** Circuit breaker: open after `failures` consecutive failed calls, probe again after `cooldownMs`. */
  breaker: z.strictObject({ failures: z.number().int().min(1).max(1000).optional(), cooldownMs: z.number().int().min(100).max(600_000).optional() }).optional(),
});
export type ProviderTuning = z.infer<typeof ProviderTuning>;

/** The run index (API.md "Freshness and deadlines"). */
const IndexConfig = z.strictObject({
  /** false: no index, every list walks the vendors live (the gateway before the index). Default true. */
  enabled: z.boolean().optional(),
  /** How far back the backfill reads (days); default: everything the vendor lists. Older runs are served live. */
  horizonDays: z.number().int().min(1).max(36_500).optional(),
  /** How old the index head may be before a list re-syncs it (ms, default 15 000). */
  maxStalenessMs: z.number().int().min(0).max(86_400_000).optional(),
  /** How far below the runs it held a head sync reads on, for ties and runs the vendor lists late (ms, default 3 600 000). */
  overlapMs: z.number().int().min(0).max(7 * 86_400_000).optional(),
  /**
   * Unfinished runs are re-read after 1/20 of their age, but no sooner than `refreshMinMs` (default 15 000) and no
   * later than `refreshMaxMs` (default 3 600 000): a run stuck `running` for weeks costs one call an hour.
   */
  refreshMinMs: z.number().int().min(100).max(86_400_000).optional(),
  refreshMaxMs: z.number().int().min(100).max(7 * 86_400_000).optional(),
  /** Runs the in-memory store holds before backfills stop (default 250 000); without Redis only. */
  maxRuns: z.number().int().min(100).max(50_000_000).optional(),
});

export const ConfigSchema = z.strictObject({
  tenants: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'tenant ids are 1-64 of [A-Za-z0-9_-]'), Tenant).refine(
    (t) => Object.keys(t).length > 0,
    'at least one tenant is required',
  ),
  providers: z.partialRecord(z.enum(PROVIDER_IDS), ProviderTuning).optional(),
  metrics: z.strictObject({ enabled: z.boolean() }).optional(),
  index: IndexConfig.optional(),
  /** No request waits for vendors longer than this (ms, default 10 000). */
  requestTimeoutMs: z.number().int().min(100).max(300_000).optional(),
  /** Secret for cursor integrity; defaults to a hash of the whole config (same on every instance). */
  cursorSecret: z.string().min(16).optional(),
});
export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

function pathString(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.') || '(root)';
}

/** Replaces `${NAME}` in every string of the parsed JSON; records each missing variable with its path. */
function substitute(v: unknown, env: Record<string, string | undefined>, path: string[], problems: string[]): unknown {
  if (typeof v === 'string') {
    return v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const val = env[name];
      if (val === undefined) {
        problems.push(`${pathString(path)}: environment variable ${name} is not set`);
        return '';
      }
      return val;
    });
  }
  if (Array.isArray(v)) return v.map((x, i) => substitute(x, env, [...path, String(i)], problems));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, env, [...path, k], problems)]));
  }
  return v;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return 'required';
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  return issue.message;
}

/** Parses and validates a config text; throws ConfigError listing every problem with its path. */
export function parseConfig(text: string, env: Record<string, string | undefined>): Config {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`(root): not valid JSON: ${e instanceof Error ? e.message : String(e)}`]);
  }
  const problems: string[] = [];
  const substituted = substitute(json, env, [], problems);
  const r = ConfigSchema.safeParse(substituted);
  if (!r.success) {
    // a value whose variable is missing is already reported; its emptiness is not a second problem
    const envPaths = new Set(problems.map((p) => p.slice(0, p.indexOf(': '))));
    for (const issue of r.error.issues) {
      if (envPaths.has(pathString(issue.path))) continue;
      if (issue.code === 'invalid_union') {
        // a key entry: say what is missing rather than "invalid input"
        problems.push(`${pathString(issue.path)}: needs "key" or "sha256", and "scopes"`);
      } else {
        problems.push(`${pathString(issue.path)}: ${describeIssue(issue)}`);
      }
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
