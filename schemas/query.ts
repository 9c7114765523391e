/** Query parameters of every endpoint, validated by the same schemas the OpenAPI document shows, with one message for each kind of rule. */
// first: it gives zod's schemas .openapi() (the metadata of the OpenAPI document), which this module calls as it loads
import '@hono/zod-openapi';
import * as z from 'zod';
import { CHANNELS, OUTCOMES, PROVIDER_IDS, STATUSES } from './run.js';

const quote = (xs: readonly string[]): string => xs.map((x) => `'${x.length > 60 ? `${x.slice(0, 60)}…` : x}'`).join(', ');

/** The message of each kind of rule, the same on every endpoint (`repeated` and `invalid` are said by queryProblems, for the defaultHook in src/app.ts). */
export const say = {
  empty: (name: string) => `${name} must not be empty`,
  repeated: (name: string, times: number, list: boolean) =>
    `${name} is given ${times} times; give it once${list ? ` (several values go in one comma list: ${name}=a,b)` : ''}`,
  unknownValue: (name: string, bad: readonly string[], allowed: readonly string[]) => `unknown ${name} ${quote(bad)}; allowed: ${allowed.join(', ')}`,
  unknownParameter: (keys: readonly string[], allowed: readonly string[]) =>
    `unknown parameter${keys.length > 1 ? 's' : ''} ${quote(keys)}; ` + (allowed.length ? `allowed: ${allowed.join(', ')}` : 'this endpoint takes no query parameters'),
  tooLong: (name: string, max: number) => `${name} must be at most ${max} characters`,
  between: (name: string, min: number, max: number) => `${name} must be between ${min} and ${max}`,
  instant: (name: string) => `${name} must be an RFC 3339 date-time or a date (YYYY-MM-DD)`,
  before: (a: string, b: string) => `${a} must be before ${b}`,
  invalid: (name: string) => `${name} is not valid`,
};

/** Parameters whose value is a comma list (a repeated one gets the hint to join its values). */
export const LIST_PARAMS = new Set<string>();

type Ctx = z.core.$RefinementCtx;

function fail(ctx: Ctx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

/** A text parameter: non-empty, at most `max` characters. */
export function text(name: string, o: { max?: number; description?: string } = {}) {
  const max = o.max ?? 200;
  return z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      if (s === '') return fail(ctx, say.empty(name));
      return s.length > max ? fail(ctx, say.tooLong(name, max)) : s;
    })
    .openapi({ type: 'string', minLength: 1, maxLength: max, ...(o.description ? { description: o.description } : {}) });
}

/** A comma list whose every member must be one of `values`. */
export function commaList<T extends string>(name: string, values: readonly T[], description?: string) {
  LIST_PARAMS.add(name);
  return z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      if (s === '') return fail(ctx, say.empty(name));
      const parts = s.split(',').map((p) => p.trim()).filter(Boolean);
      if (!parts.length) return fail(ctx, say.empty(name));
      const bad = parts.filter((p) => !(values as readonly string[]).includes(p));
      if (bad.length) return fail(ctx, say.unknownValue(name, bad, values));
      return [...new Set(parts)] as T[];
    })
    .openapi({ type: 'string', description: description ?? `Comma list of: ${values.join(', ')}` });
}

/** One of `values`. */
export function oneOf<T extends string>(name: string, values: readonly T[], description?: string) {
  return z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return undefined;
      if (s === '') return fail(ctx, say.empty(name));
      return (values as readonly string[]).includes(s) ? (s as T) : fail(ctx, say.unknownValue(name, [s], values));
    })
    .openapi({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
}

/** A whole number from `min` to `max`, `dflt` when absent. */
export function wholeNumber(name: string, min: number, max: number, dflt: number) {
  return z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (s === undefined) return dflt;
      if (s === '') return fail(ctx, say.empty(name));
      const n = /^\d{1,6}$/.test(s) ? Number(s) : NaN;
      return n >= min && n <= max ? n : fail(ctx, say.between(name, min, max));
    })
    .openapi({ type: 'integer', minimum: min, maximum: max, default: dflt });
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
      if (s === undefined) return undefined;
      if (s === '') return fail(ctx, say.empty(name));
      const t = parseInstant(s);
      return t === null ? fail(ctx, say.instant(name)) : t;
    })
    .openapi({ type: 'string', description: 'RFC 3339 date-time or YYYY-MM-DD (UTC midnight)' });

/**
 * The query of one endpoint: exactly these parameters (any other is `unknown parameter 'x'; allowed: …`).
 * A parameter given twice is caught by the defaultHook (Hono hands the validator an array for it).
 */
export function query<S extends z.ZodRawShape>(shape: S) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, { error: (iss) => (iss.code === 'unrecognized_keys' ? say.unknownParameter(iss.keys, allowed) : undefined) });
}

/** Is `a` before `b` (when both are given)? */
export const isBefore = (a: number | undefined, b: number | undefined): boolean => a === undefined || b === undefined || a < b;

/** An endpoint without query parameters. */
export const NoQuery = query({});

/**
 * What the defaultHook answers for a failed query: one detail per problem, naming the parameter. A parameter
 * that arrived more than once (Hono passes it as an array, so any rule on it fails) is said to be repeated, once.
 */
export function queryProblems(issues: readonly z.core.$ZodIssue[], queries: Record<string, string[]>): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const repeated = new Set<string>();
  for (const i of issues) {
    if (i.code === 'unrecognized_keys') {
      for (const k of i.keys) out.push({ path: k, message: i.message });
      continue;
    }
    const name = i.path.map(String).join('.') || '(query)';
    const param = String(i.path[0] ?? '');
    const times = queries[param]?.length ?? 0;
    if (times > 1) {
      if (!repeated.has(param)) out.push({ path: param, message: say.repeated(param, times, LIST_PARAMS.has(param)) });
      repeated.add(param);
      continue;
    }
    // every rule of these schemas says its own message; anything else gets no validator wording
    out.push({ path: name, message: i.code === 'custom' ? i.message : say.invalid(name) });
  }
  return out;
}

export const INCLUDES = ['transcript', 'evaluations', 'raw'] as const;
export type Include = (typeof INCLUDES)[number];

const limit = wholeNumber('limit', 1, 100, 50);
const cursor = text('cursor', { max: 8192, description: '`next_cursor` of the previous page' });

export const RunsQuery = query({
  provider: commaList('provider', PROVIDER_IDS),
  status: commaList('status', STATUSES),
  outcome: commaList('outcome', OUTCOMES),
  channel: commaList('channel', CHANNELS),
  agent_id: text('agent_id', { description: 'Exact agent id' }),
  group_id: text('group_id', { description: 'Exact group id' }),
  q: text('q', { description: 'Case-insensitive substring of agent name, scenario name or target' }),
  from: instant('from'),
  to: instant('to'),
  limit,
  cursor,
  include: commaList('include', INCLUDES),
}).refine((q) => isBefore(q.from, q.to), { message: say.before('from', 'to'), path: ['from'] });
export type RunsQuery = z.output<typeof RunsQuery>;

/** GET /v1/runs/{id}: `include=raw` adds the vendor payload (transcript and evaluations are always there). */
export const RunQuery = query({ include: commaList('include', INCLUDES, 'Comma list of: transcript, evaluations, raw (`raw` adds the vendor payload)') });

/** GET /v1/groups: only the filters that apply to a group (a group has no outcome, channel or agent of its own). */
export const GroupsQuery = query({
  provider: commaList('provider', PROVIDER_IDS),
  status: commaList('status', STATUSES),
  group_id: text('group_id', { description: 'Exact group id' }),
  q: text('q', { description: 'Case-insensitive substring of the group name' }),
  from: instant('from'),
  to: instant('to'),
  limit,
  cursor,
}).refine((q) => isBefore(q.from, q.to), { message: say.before('from', 'to'), path: ['from'] });
export type GroupsQuery = z.output<typeof GroupsQuery>;

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

export function groupFilterOf(q: GroupsQuery): RunFilter {
  const { provider, status, group_id, q: text, from, to } = q;
  return { provider, status, group_id, q: text, from, to };
}
