/** The reports' query parameters and answers (GET /v1/reports/summary and /v1/reports/regressions). */
// first: it gives zod's schemas .openapi() (the metadata of the OpenAPI document), which this module calls as it loads
import '@hono/zod-openapi';
import * as z from 'zod';
import { CHANNELS, PROVIDER_IDS } from './run.js';
import { LIST_PARAMS, commaList, instant, isBefore, oneOf, query, say, text } from './query.js';

export const GROUP_BYS = ['provider', 'agent', 'scenario', 'channel', 'day', 'week'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];
export const FORMATS = ['json', 'csv'] as const;

LIST_PARAMS.add('group_by');
const groupBy = z
  .string()
  .optional()
  .transform((s, ctx) => {
    const fail = (message: string): never => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (s === undefined) return [] as GroupBy[];
    if (s === '') return fail(say.empty('group_by'));
    const parts = s.split(',').map((p) => p.trim());
    const bad = parts.filter((p) => !(GROUP_BYS as readonly string[]).includes(p));
    if (bad.length) return fail(say.unknownValue('group_by', bad, GROUP_BYS));
    if (parts.length > 2) return fail('group_by takes one or two levels (e.g. provider,day)');
    if (parts.length === 2 && parts[0] === parts[1]) return fail('group_by names the same level twice');
    return parts as GroupBy[];
  })
  .openapi({ type: 'string', description: `One level or two, comma separated: ${GROUP_BYS.join(', ')}` });

const format = () => oneOf('format', FORMATS, '`csv` (or `Accept: text/csv`): one row per group or item, a header row first');
const agentId = () => text('agent_id', { description: 'Exact agent id' });

export const SummaryQuery = query({
  from: instant('from'),
  to: instant('to'),
  provider: commaList('provider', PROVIDER_IDS),
  agent_id: agentId(),
  channel: commaList('channel', CHANNELS),
  q: text('q', { description: 'Case-insensitive substring of agent name, scenario name or target' }),
  group_by: groupBy,
  format: format(),
}).refine((q) => isBefore(q.from, q.to), { message: say.before('from', 'to'), path: ['from'] });
export type SummaryQuery = z.output<typeof SummaryQuery>;

export const RegressionsQuery = query({
  from: instant('from'),
  to: instant('to'),
  baseline_from: instant('baseline_from'),
  baseline_to: instant('baseline_to'),
  provider: commaList('provider', PROVIDER_IDS),
  agent_id: agentId(),
  format: format(),
})
  .refine((q) => isBefore(q.from, q.to), { message: say.before('from', 'to'), path: ['from'] })
  .refine((q) => isBefore(q.baseline_from, q.baseline_to), { message: say.before('baseline_from', 'baseline_to'), path: ['baseline_from'] });
export type RegressionsQuery = z.output<typeof RegressionsQuery>;

export const Totals = z
  .object({
    runs: z.number().int().openapi({ description: 'Every run in the period (status `unknown` counts here only)' }),
    passed: z.number().int().openapi({ description: 'Completed with outcome `passed`' }),
    failed: z.number().int().openapi({ description: 'Completed with outcome `failed` (the agent failed)' }),
    errored: z.number().int().openapi({ description: 'Status `failed` or `timed_out` (the run itself broke: never counted against the agent)' }),
    pending: z.number().int().openapi({ description: 'Status `queued`, `running` or `evaluating`' }),
    cancelled: z.number().int(),
    not_evaluated: z.number().int().openapi({ description: 'Completed with outcome `none`' }),
    pass_rate: z.number().nullable().openapi({ description: 'passed / (passed + failed); null when that is 0' }),
    avg_score: z.number().nullable().openapi({ description: 'Mean score value (0..1) over the runs that have a score; null when none has' }),
    duration_ms: z
      .object({ p50: z.number().nullable(), p90: z.number().nullable() })
      .openapi({ description: 'Percentiles over the runs with a duration (a mergeable sketch, within 1 %); null when none has' }),
  })
  .openapi('ReportTotals');
export type Totals = z.infer<typeof Totals>;

const Ref = z.object({ id: z.string().nullable(), name: z.string().nullable() });

export const GroupKey = z
  .object({
    provider: z.enum(PROVIDER_IDS).optional(),
    agent: Ref.optional(),
    scenario: Ref.optional(),
    channel: z.enum(CHANNELS).optional(),
    day: z.string().optional().openapi({ description: 'YYYY-MM-DD (UTC)' }),
    week: z.string().optional().openapi({ description: 'The Monday (YYYY-MM-DD, UTC) of the ISO week' }),
  })
  .openapi('ReportGroupKey');
export type GroupKey = z.infer<typeof GroupKey>;

const ReportProviderError = z.object({ code: z.string(), message: z.string(), retryable: z.boolean() });

export const ReportProviderStatus = z
  .object({
    status: z.enum(['ok', 'error']),
    runs_seen: z.number().int().openapi({ description: "The provider's runs in the period (before grouping)" }),
    fresh_as_of: z.string().nullable(),
    index: z.enum(['ready', 'backfilling']).optional(),
    oldest: z.string().optional(),
    error: ReportProviderError.optional().openapi({ description: "Its index could not be brought up to date within the deadline: its runs are left out of the figures" }),
    sync_error: ReportProviderError.optional(),
  })
  .openapi('ReportProviderStatus');
export type ReportProviderStatus = z.infer<typeof ReportProviderStatus>;

/** What the figures were made with: the period, the filters, and what each bucket counts. */
const Basis = {
  filters: z.record(z.string(), z.string()).openapi({ description: 'The filters the report applied, as query parameters' }),
  definitions: z.record(z.string(), z.string()).openapi({ description: 'What each figure counts' }),
};

export const Summary = z
  .object({
    data: z.object({
      from: z.string(),
      to: z.string(),
      group_by: z.array(z.enum(GROUP_BYS)),
      ...Basis,
      totals: Totals,
      groups: z.array(z.object({ key: GroupKey, totals: Totals })),
    }),
    providers: z.record(z.string(), ReportProviderStatus),
    partial: z.boolean(),
  })
  .openapi('Summary');
export type Summary = z.infer<typeof Summary>;

export const VERDICTS = ['newly_failing', 'flaky', 'still_failing', 'fixed', 'new', 'stable_passing'] as const;
export type Verdict = (typeof VERDICTS)[number];

const Counts = z.object({ passed: z.number().int(), failed: z.number().int() });

export const RegressionItem = z
  .object({
    key: z.object({ provider: z.enum(PROVIDER_IDS), agent: Ref, scenario: Ref }),
    verdict: z.enum(VERDICTS),
    baseline: Counts,
    current: Counts,
    last_failed_run_id: z.string().nullable().openapi({ description: 'The newest failed run of the current period' }),
    last_passed_run_id: z.string().nullable().openapi({ description: 'The newest passed run of the current period' }),
  })
  .openapi('RegressionItem');
export type RegressionItem = z.infer<typeof RegressionItem>;

export const Regressions = z
  .object({
    data: z.object({
      from: z.string(),
      to: z.string(),
      baseline_from: z.string(),
      baseline_to: z.string(),
      ...Basis,
      items: z.array(RegressionItem),
    }),
    providers: z.record(z.string(), ReportProviderStatus),
    partial: z.boolean(),
  })
  .openapi('Regressions');
export type Regressions = z.infer<typeof Regressions>;
