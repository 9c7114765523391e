/** `simgate report`: the cross-vendor summary (GET /v1/reports/summary) as a table, or the gateway's own JSON / CSV. */
import { Option, type Command } from 'commander';
import { unwrap, type ReportGroupKey, type ReportProviderStatus, type ReportTotals, type Summary, type SummaryQuery } from '../../client/index.js';
import { given, type Ctx, type Runner } from './context.js';
import { duration, fixed, json, percentOf, table, type Cell, type Column } from './output.js';

export interface ReportOptions {
  groupBy?: string;
  from?: string;
  to?: string;
  provider?: string;
  agentId?: string;
  channel?: string;
  q?: string;
  format: 'table' | 'csv' | 'json';
}

type Level = Summary['data']['group_by'][number];

const keyCell = (level: Level, k: ReportGroupKey): Cell => {
  if (level === 'agent') return k.agent?.name ?? k.agent?.id;
  if (level === 'scenario') return k.scenario?.name ?? k.scenario?.id;
  return k[level];
};

const FIGURE_COLUMNS: Column[] = ['runs', 'passed', 'failed', 'errored', 'pending', 'pass rate', 'avg score', 'p50 dur', 'p90 dur'].map((header) => ({ header, align: 'right' }));

const figures = (t: ReportTotals): Cell[] => [
  t.runs,
  t.passed,
  t.failed,
  t.errored,
  t.pending,
  percentOf(t.pass_rate, t.passed + t.failed),
  fixed(t.avg_score),
  duration(t.duration_ms.p50),
  duration(t.duration_ms.p90),
];

/** What the footer shows on lines of their own, or not at all. */
const NOT_FILTERS = new Set(['from', 'to', 'baseline_from', 'baseline_to', 'group_by', 'format']);

/** The lines under a report's table: the period, the filters, `partial`, and every provider in error. */
export function footer(d: { from: string; to: string; filters: Record<string, string> }, providers: Record<string, ReportProviderStatus>, partial: boolean, extra: string[] = []): string {
  const filters = Object.entries(d.filters).filter(([k]) => !NOT_FILTERS.has(k));
  const lines = [
    `period    ${d.from} .. ${d.to} (to exclusive)`,
    ...extra,
    ...(filters.length ? [`filters   ${filters.map(([k, v]) => `${k}=${v}`).join(' ')}`] : []),
    `partial   ${partial}`,
  ];
  for (const [id, p] of Object.entries(providers)) {
    if (p.error) lines.push(`error     ${id}: ${p.error.code}: ${p.error.message} (its runs are left out)`);
    if (p.sync_error) lines.push(`stale     ${id}: as of ${p.fresh_as_of ?? 'never'} (${p.sync_error.code}: ${p.sync_error.message})`);
    if (p.index === 'backfilling') lines.push(`note      ${id}: index still backfilling (holds runs since ${p.oldest ?? '?'})`);
  }
  return `\n${lines.join('\n')}\n`;
}

export function summaryTable(s: Summary): string {
  const levels = s.data.group_by;
  const columns: Column[] = [...(levels.length ? levels.map((l) => ({ header: l })) : [{ header: '' }]), ...FIGURE_COLUMNS];
  const rows = s.data.groups.map((g): Cell[] => [...levels.map((l) => keyCell(l, g.key)), ...figures(g.totals)]);
  const total: Cell[] = [levels.length ? 'total' : 'all', ...levels.slice(1).map(() => ''), ...figures(s.data.totals)];
  return table(columns, [...rows, total], levels.length ? { separatorBefore: rows.length } : {}) + footer(s.data, s.providers, s.partial);
}

export async function report(ctx: Ctx, o: ReportOptions): Promise<number> {
  const query: SummaryQuery = given({ group_by: o.groupBy, from: o.from, to: o.to, provider: o.provider, agent_id: o.agentId, channel: o.channel, q: o.q });
  if (o.format === 'csv') {
    // the gateway's CSV, byte for byte: one code path computes each figure
    await ctx.out.write(unwrap(await ctx.client.GET('/v1/reports/summary', { params: { query: { ...query, format: 'csv' } }, parseAs: 'text' })));
    return 0;
  }
  const body = unwrap(await ctx.client.GET('/v1/reports/summary', { params: { query } }));
  await ctx.out.write(o.format === 'json' ? json(body) : summaryTable(body));
  return 0;
}

export function reportCommand(program: Command, run: Runner): void {
  program
    .command('report')
    .description('the cross-vendor summary for a period: runs, buckets, pass rate, scores, durations (GET /v1/reports/summary)')
    .option('--group-by <levels>', 'one level or two, comma separated: provider, agent, scenario, channel, day, week')
    .option('--from <time>', 'period start, RFC 3339 or YYYY-MM-DD (default: the last 30 days)')
    .option('--to <time>', 'period end, exclusive')
    .option('--provider <ids>', 'comma list of provider ids')
    .option('--agent-id <id>', 'one agent')
    .option('--channel <channels>', 'comma list: voice, web, chat, unknown')
    .option('--q <text>', 'substring of agent name, scenario name or target')
    .addOption(new Option('--format <format>', 'table for people; csv and json are the gateway\'s own').choices(['table', 'csv', 'json']).default('table'))
    .addHelpText('after', '\nExamples:\n  simgate report --group-by provider\n  simgate report --group-by provider,day --from 2026-11-01 --format csv > november.csv\n')
    .action(async (o: ReportOptions, cmd: Command) => run(cmd, (ctx) => report(ctx, o)));
}
