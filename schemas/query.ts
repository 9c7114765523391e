/** Query parameters of the list endpoints, validated by the same schemas the OpenAPI document shows. */
import { z } from '@hono/zod-openapi';
import { CHANNELS, OUTCOMES, PROVIDER_IDS, STATUSES } from './run.js';

/** A comma list whose every member must be one of `values`. */
export function commaList<T extends string>(name: string, values: readonly T[]) {
  return z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return undefined;
      const parts = s.split(',').map((p) => p.trim()).filter(Boolean);
      const bad = parts.filter((p) => !(values as readonly string[]).includes(p));
      if (bad.length) {
        ctx.addIssue({ code: 'custom', message: `unknown ${name} ${bad.map((b) => `'${b}'`).join(', ')}; allowed: ${values.join(', ')}` });
        return z.NEVER;
      }
      return [...new Set(parts)] as T[];
    })
    .openapi({ type: 'string', description: `Comma list of: ${values.join(', ')}` });
}

/** RFC 3339 date-time or a bare date (`2025-08-01` = 00:00Z), as epoch ms. */
export function parseInstant(s: string): number | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const t = Date.parse(`${s}T00:00:00Z`);
    return Number.isNaN(t) ? null : t;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(s)) return null;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

export const instant = (name: string) =>
  z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined || s === '') return undefined;
      const t = parseInstant(s);
      if (t === null) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an RFC 3339 date-time or a date (YYYY-MM-DD)` });
        return z.NEVER;
      }
      return t;
    })
    .openapi({ type: 'string', description: 'RFC 3339 date-time or YYYY-MM-DD (UTC midnight)' });

export const INCLUDES = ['transcript', 'evaluations', 'raw'] as const;
export type Include = (typeof INCLUDES)[number];

export const RunsQuery = z
  .object({
    provider: commaList('provider', PROVIDER_IDS),
    status: commaList('status', STATUSES),
    outcome: commaList('outcome', OUTCOMES),
    channel: commaList('channel', CHANNELS),
    agent_id: z.string().min(1).max(200).optional(),
    group_id: z.string().min(1).max(200).optional(),
    q: z.string().min(1).max(200).optional().openapi({ description: 'Case-insensitive substring of agent name, scenario name or target' }),
    from: instant('from'),
    to: instant('to'),
    limit: z
      .string()
      .optional()
      .transform((s, ctx) => {
        if (s === undefined || s === '') return 50;
        const n = /^\d{1,4}$/.test(s) ? Number(s) : NaN;
        if (!(n >= 1 && n <= 100)) {
          ctx.addIssue({ code: 'custom', message: 'limit must be between 1 and 100' });
          return z.NEVER;
        }
        return n;
      })
      .openapi({ type: 'integer', minimum: 1, maximum: 100, default: 50 }),
    cursor: z.string().max(8192).optional().openapi({ description: '`next_cursor` of the previous page' }),
    include: commaList('include', INCLUDES),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, { message: 'from must be before to', path: ['from'] });
export type RunsQuery = z.output<typeof RunsQuery>;

/** The filter part of a runs query (what a cursor is bound to). */
export interface RunFilter {
  provider?: string[] | undefined;
  status?: string[] | undefined;
  outcome?: string[] | undefined;
  channel?: string[] | undefined;
  agent_id?: string | undefined;
  group_id?: string | undefined;
  q?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

export function filterOf(q: RunsQuery): RunFilter {
  const { provider, status, outcome, channel, agent_id, group_id, q: text, from, to } = q;
  return { provider, status, outcome, channel, agent_id, group_id, q: text, from, to };
}
