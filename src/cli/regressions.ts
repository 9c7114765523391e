/** `simgate regressions`: what changed between two periods per provider, agent and scenario (GET /v1/reports/regressions). */
import { Option, type Command } from 'commander';
import { unwrap, type Regressions, type RegressionsQuery } from '../../client/index.js';
import { given, type Ctx, type Runner } from './context.js';
import { json, table, type Cell, type Column } from './output.js';
import { footer } from './report.js';

export interface RegressionsOptions {
  from?: string;
  to?: string;
  baselineFrom?: string;
  baselineTo?: string;
  provider?: string;
  agentId?: string;
  format: 'table' | 'csv' | 'json';
}

const COLUMNS: Column[] = [
  { header: 'verdict' },
  { header: 'provider' },
  { header: 'agent' },
  { header: 'scenario' },
  { header: 'baseline p/f', align: 'right' },
  { header: 'current p/f', align: 'right' },
  { header: 'last failed run', max: Infinity },
];

export function regressionsTable(r: Regressions): string {
  const rows = r.data.items.map((i): Cell[] => [
    i.verdict,
    i.key.provider,
    i.key.agent.name ?? i.key.agent.id,
    i.key.scenario.name ?? i.key.scenario.id,
    `${i.baseline.passed}/${i.baseline.failed}`,
    `${i.current.passed}/${i.current.failed}`,
    i.last_failed_run_id,
  ]);
  const counts = new Map<string, number>();
  for (const i of r.data.items) counts.set(i.verdict, (counts.get(i.verdict) ?? 0) + 1);
  const summary = `verdicts  ${[...counts].map(([v, n]) => `${v} ${n}`).join(', ') || 'none (no evaluated runs in the period)'}`;
  const baseline = `baseline  ${r.data.baseline_from} .. ${r.data.baseline_to}`;
  return table(COLUMNS, rows) + footer(r.data, r.providers, r.partial, [baseline, summary]);
}

export async function regressions(ctx: Ctx, o: RegressionsOptions): Promise<number> {
  const query: RegressionsQuery = given({
    from: o.from,
    to: o.to,
    baseline_from: o.baselineFrom,
    baseline_to: o.baselineTo,
    provider: o.provider,
    agent_id: o.agentId,
  });
  if (o.format === 'csv') {
    // the gateway's CSV, byte for byte
    await ctx.out.write(unwrap(await ctx.client.GET('/v1/reports/regressions', { params: { query: { ...query, format: 'csv' } }, parseAs: 'text' })));
    return 0;
  }
  const body = unwrap(await ctx.client.GET('/v1/reports/regressions', { params: { query } }));
  await ctx.out.write(o.format === 'json' ? json(body) : regressionsTable(body));
  return 0;
}

export function regressionsCommand(program: Command, run: Runner): void {
  program
    .command('regressions')
    .description('what changed between two periods, per provider, agent and scenario (GET /v1/reports/regressions)')
    .option('--from <time>', 'current period start, RFC 3339 or YYYY-MM-DD (default: the last 7 days)')
    .option('--to <time>', 'current period end, exclusive')
    .option('--baseline-from <time>', 'baseline start (default: the period of the same length just before --from)')
    .option('--baseline-to <time>', 'baseline end, exclusive')
    .option('--provider <ids>', 'comma list of provider ids')
    .option('--agent-id <id>', 'one agent')
    .addOption(new Option('--format <format>', 'table for people; csv and json are the gateway\'s own').choices(['table', 'csv', 'json']).default('table'))
    .addHelpText('after', '\nVerdicts, in this order: newly_failing, flaky, still_failing, fixed, new, stable_passing.\n')
    .action(async (o: RegressionsOptions, cmd: Command) => run(cmd, (ctx) => regressions(ctx, o)));
}
