/**
 * The unified model (docs/api.md "The Run") as zod schemas: the single source of the
 * OpenAPI document and of response validation.
 */
// first: it gives zod's schemas .openapi() (the metadata of the OpenAPI document), which this module calls as it loads
import '@hono/zod-openapi';
import * as z from 'zod';

export const PROVIDER_IDS = ['pathsim', 'synthflow', 'saleslab', 'sigmamind', 'cekura'] as const;
export const ProviderId = z.enum(PROVIDER_IDS).openapi('ProviderId');
export type ProviderId = z.infer<typeof ProviderId>;

export const CHANNELS = ['voice', 'web', 'chat', 'unknown'] as const;
export const SOURCES = ['campaign', 'ad_hoc', 'scheduled', 'api', 'unknown'] as const;
export const STATUSES = ['queued', 'running', 'evaluating', 'completed', 'failed', 'timed_out', 'cancelled', 'unknown'] as const;
export const OUTCOMES = ['passed', 'failed', 'none'] as const;
export const PRECISIONS = ['ms', 's', 'min'] as const;
export const ROLES = ['tester', 'target', 'system'] as const;

export type Channel = (typeof CHANNELS)[number];
export type Source = (typeof SOURCES)[number];
export type Status = (typeof STATUSES)[number];
export type Outcome = (typeof OUTCOMES)[number];
export type Precision = (typeof PRECISIONS)[number];
export type Role = (typeof ROLES)[number];

const Ref = z.object({ id: z.string().nullable(), name: z.string().nullable() });

export const Score = z
  .object({
    value: z.number().min(0).max(1).openapi({ description: 'Normalised to 0..1' }),
    raw: z.number().openapi({ description: 'As the vendor gave it' }),
    max: z.number().nullable(),
  })
  .openapi('Score');

export const Evaluation = z
  .object({
    name: z.string(),
    passed: z.boolean().nullable(),
    score: z.number().nullable(),
    reasoning: z.string().nullable(),
  })
  .openapi('Evaluation');
export type Evaluation = z.infer<typeof Evaluation>;

export const Turn = z
  .object({
    role: z.enum(ROLES).openapi({ description: '`tester`: the simulated caller / testing agent; `target`: the agent under test' }),
    text: z.string(),
    at_ms: z.number().nullable().openapi({ description: 'Offset from the start of the run, when the vendor gives one' }),
  })
  .openapi('Turn');
export type Turn = z.infer<typeof Turn>;

export const Run = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._~:-]+$/).openapi({ example: 'pathsim:68963b44e7b3ba1e58b7c60a' }),
    provider: ProviderId,
    native_id: z.string(),
    group_id: z.string().nullable(),
    agent: Ref.openapi({ description: 'The agent (or person) under test' }),
    scenario: Ref.openapi({ description: 'The test case / scenario / virtual customer' }),
    channel: z.enum(CHANNELS),
    target: z.string().nullable().openapi({ description: 'Phone number or URL that was tested' }),
    source: z.enum(SOURCES),
    status: z.enum(STATUSES),
    status_raw: z.string().openapi({ example: 'Connected/Achieved' }),
    outcome: z.enum(OUTCOMES),
    score: Score.nullable(),
    started_at: z.string().openapi({ example: '2025-08-08T18:00:00.000Z' }),
    started_at_precision: z.enum(PRECISIONS),
    ended_at: z.string().nullable(),
    duration_ms: z.number().nullable(),
    summary: z.string().nullable(),
    evaluations: z.array(Evaluation).optional().openapi({ description: 'With `include=evaluations` in lists; always on GET /v1/runs/{id}' }),
    transcript: z.array(Turn).optional().openapi({ description: 'With `include=transcript` in lists; always on GET /v1/runs/{id}' }),
    recording: z
      .object({ content_type: z.string(), url: z.string() })
      .nullable()
      .openapi({ description: "`url` is the gateway's /v1/runs/{id}/recording. Null when the run has none, or where the vendor's list does not say (see the run itself)." }),
    latency_ms: z
      .object({ avg: z.number().nullable(), min: z.number().nullable(), max: z.number().nullable(), p50: z.number().nullable() })
      .nullable(),
    raw: z.record(z.string(), z.unknown()).optional().openapi({ description: 'The vendor payload(s) as received; only with `include=raw`' }),
  })
  .openapi('Run');
export type Run = z.infer<typeof Run>;

export const ErrorCode = z.enum([
  'invalid_request',
  'invalid_cursor',
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'range_not_satisfiable',
  'rate_limited',
  'provider_error',
  'provider_unavailable',
  'provider_timeout',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string(),
      status: z.number().int(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      provider: ProviderId.optional(),
      retryable: z.boolean(),
      request_id: z.string(),
    }),
  })
  .openapi('Error');
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

const ProviderError = z.object({ code: ErrorCode, message: z.string(), retryable: z.boolean() });

export const ProviderStatus = z
  .object({
    status: z.enum(['ok', 'error']),
    cache: z
      .enum(['hit', 'miss', 'bypass', 'partial'])
      .optional()
      .openapi({ description: '`hit`: answered from the run index (or cache) without waiting for the vendor; `miss`: waited for it; `bypass`: `no-cache` re-synced the head' }),
    fresh_as_of: z
      .string()
      .nullable()
      .optional()
      .openapi({ description: "When this provider's index head was last synced with the vendor (the live path: when the vendor was read)" }),
    index: z.enum(['ready', 'backfilling']).optional().openapi({ description: 'The run index of this provider: `backfilling` while it is still reading older runs' }),
    oldest: z.string().optional().openapi({ description: 'While backfilling: the oldest started_at the index holds so far' }),
    error: ProviderError.optional(),
    sync_error: ProviderError.optional().openapi({
      description: 'The runs come from the index, but the head sync this request asked for failed or ran out of time: they are as of `fresh_as_of`',
    }),
    skipped_items: z.number().int().optional().openapi({ description: 'Vendor items that could not be mapped (logged)' }),
  })
  .openapi('ProviderStatus');
export type ProviderStatus = z.infer<typeof ProviderStatus>;

export const RunList = z
  .object({
    data: z.array(Run),
    next_cursor: z.string().nullable(),
    partial: z.boolean(),
    providers: z.record(z.string(), ProviderStatus),
  })
  .openapi('RunList');
export type RunList = z.infer<typeof RunList>;

export const Group = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._~:-]+$/).openapi({ example: 'cekura:4012' }),
    provider: ProviderId,
    native_id: z.string(),
    name: z.string().nullable(),
    started_at: z.string(),
    status: z.enum(STATUSES),
    counts: z.object({
      total: z.number().int(),
      passed: z.number().int(),
      failed: z.number().int(),
      errored: z.number().int(),
      pending: z.number().int(),
    }),
    pass_rate: z.number().min(0).max(1).nullable().openapi({ description: 'passed / (passed + failed); null when that is 0' }),
    raw: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi('Group');
export type Group = z.infer<typeof Group>;

export const GroupList = z
  .object({
    data: z.array(Group),
    next_cursor: z.string().nullable(),
    partial: z.boolean(),
    providers: z.record(z.string(), ProviderStatus),
  })
  .openapi('GroupList');
export type GroupList = z.infer<typeof GroupList>;

export const ProviderInfo = z
  .object({
    id: ProviderId,
    name: z.string(),
    capabilities: z.object({
      filters_pushed_down: z.array(z.string()),
      has_transcripts: z.boolean(),
      has_recordings: z.boolean(),
      has_scores: z.boolean(),
      has_groups: z.boolean(),
    }),
    health: z.object({
      state: z.enum(['ok', 'degraded', 'down']),
      breaker: z.enum(['closed', 'open', 'half_open']),
      last_success_at: z.string().nullable(),
      last_error: z.string().nullable(),
    }),
    rate_limit: z.object({ per_minute: z.number(), concurrency: z.number(), queued: z.number() }),
    index: z
      .object({
        state: z.enum(['empty', 'backfilling', 'ready', 'disabled']),
        runs: z.number().int(),
        oldest: z.string().nullable(),
        fresh_as_of: z.string().nullable(),
      })
      .openapi({ description: "The provider's run index: its state, the runs it holds, the oldest started_at, when its head was last synced" }),
  })
  .openapi('Provider');
export type ProviderInfo = z.infer<typeof ProviderInfo>;
