/** The reports behind the routes: the period and filters of a query, the cells from the index, the figures. */
import type { RegressionsQuery, Regressions, Summary, SummaryQuery } from '../../schemas/report.js';
import type { ProviderId } from '../../schemas/run.js';
import type { Gateway } from '../core/gateway.js';
import type { RequestScope } from '../core/scope.js';
import { gather, type Period } from './cells.js';
import { DEFINITIONS, grainFor, summarize } from './figures.js';
import { regressions } from './regressions.js';
import { DAY_MS } from './rollup.js';

const iso = (t: number): string => new Date(t).toISOString();

/** The default period: the last `days` whole UTC days, today included. */
function lastDays(now: number, days: number): Period {
  const to = (Math.floor(now / DAY_MS) + 1) * DAY_MS;
  return { from: to - days * DAY_MS, to };
}

/** A period from the query's bounds, either of which may be left to the default length. */
function periodOf(from: number | undefined, to: number | undefined, now: number, days: number): Period {
  const d = lastDays(now, days);
  if (from !== undefined && to !== undefined) return { from, to };
  if (from !== undefined) return { from, to: Math.max(d.to, from + DAY_MS) };
  if (to !== undefined) return { from: to - days * DAY_MS, to };
  return d;
}

/** The filters as query parameters (what an export carries). */
function filtersOf(q: Record<string, unknown>, period: Period, extra: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { from: iso(period.from), to: iso(period.to), ...extra };
  for (const k of ['provider', 'agent_id', 'channel', 'q', 'group_by']) {
    const v = q[k];
    if (Array.isArray(v) ? v.length : v !== undefined) out[k] = Array.isArray(v) ? v.join(',') : String(v);
  }
  return out;
}

export class Reports {
  constructor(private readonly gw: Gateway) {}

  private providers(tenant: string, asked: string[] | undefined): ProviderId[] {
    const mine = this.gw.providersOf(tenant);
    return asked ? mine.filter((p) => asked.includes(p)) : mine;
  }

  async summary(tenant: string, q: SummaryQuery, scope: RequestScope): Promise<Summary> {
    const period = periodOf(q.from, q.to, this.gw.deps.clock(), 30);
    const g = await gather(this.gw, tenant, this.providers(tenant, q.provider), [period], scope, grainFor(q, q.group_by));
    const { totals, groups } = summarize(g.cells[0]!, q, q.group_by, (p, runs) => (g.status[p]!.runs_seen = runs));
    return {
      data: { from: iso(period.from), to: iso(period.to), group_by: q.group_by, filters: filtersOf(q, period), definitions: DEFINITIONS, totals, groups },
      providers: g.status,
      partial: g.partial,
    };
  }

  async regressions(tenant: string, q: RegressionsQuery, scope: RequestScope): Promise<Regressions> {
    const current = periodOf(q.from, q.to, this.gw.deps.clock(), 7);
    const len = current.to - current.from;
    // the baseline: as given, else of the current period's length, just before it
    const bf = q.baseline_from ?? (q.baseline_to !== undefined ? q.baseline_to - len : current.from - len);
    const baseline: Period = { from: bf, to: q.baseline_to ?? bf + len };
    const g = await gather(this.gw, tenant, this.providers(tenant, q.provider), [current, baseline], scope);
    const items = regressions(g.cells[0]!, g.cells[1]!, q);
    for (const [p, cells] of g.cells[0]!) g.status[p]!.runs_seen = cells.reduce((n, c) => n + (c.v['n'] ?? 0), 0);
    return {
      data: {
        from: iso(current.from),
        to: iso(current.to),
        baseline_from: iso(baseline.from),
        baseline_to: iso(baseline.to),
        filters: filtersOf(q, current, { baseline_from: iso(baseline.from), baseline_to: iso(baseline.to) }),
        definitions: {
          evaluated: 'completed runs with outcome passed or failed; only these count',
          verdict: 'the first that holds: new (no baseline runs), newly_failing (no baseline failure, a current one), flaky (current passes and failures), still_failing (current failures), fixed (baseline failures, none now), stable_passing',
          last_failed_run_id: 'the newest failed run of the current period',
        },
        items,
      },
      providers: g.status,
      partial: g.partial,
    };
  }
}
