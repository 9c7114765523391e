/** `simgate providers`: the tenant's providers with health, breaker and run index (GET /v1/providers). */
import { Option, type Command } from 'commander';
import { unwrap, type Provider } from '../../client/index.js';
import type { Ctx, Runner } from './context.js';
import { csv, json, table, type Cell } from './output.js';

export interface ProvidersOptions {
  format: 'table' | 'csv' | 'json';
}

const CSV_HEADER = ['id', 'name', 'health', 'breaker', 'last_success_at', 'last_error', 'index_state', 'index_runs', 'index_oldest', 'fresh_as_of', 'per_minute', 'concurrency', 'queued'];

const csvRow = (p: Provider): Cell[] => [
  p.id,
  p.name,
  p.health.state,
  p.health.breaker,
  p.health.last_success_at,
  p.health.last_error,
  p.index.state,
  p.index.runs,
  p.index.oldest,
  p.index.fresh_as_of,
  p.rate_limit.per_minute,
  p.rate_limit.concurrency,
  p.rate_limit.queued,
];

export function providersTable(data: Provider[]): string {
  const columns = [
    { header: 'id' },
    { header: 'name' },
    { header: 'health' },
    { header: 'breaker' },
    { header: 'index' },
    { header: 'runs', align: 'right' as const },
    { header: 'fresh_as_of' },
  ];
  const rows = data.map((p): Cell[] => [p.id, p.name, p.health.state, p.health.breaker, p.index.state, p.index.runs, p.index.fresh_as_of]);
  const errors = data.filter((p) => p.health.last_error).map((p) => `last error  ${p.id}: ${p.health.last_error}`);
  return table(columns, rows) + (errors.length ? `\n${errors.join('\n')}\n` : '');
}

export async function providers(ctx: Ctx, o: ProvidersOptions): Promise<number> {
  const body = unwrap(await ctx.client.GET('/v1/providers'));
  if (o.format === 'json') await ctx.out.write(json(body));
  else if (o.format === 'csv') await ctx.out.write(csv(body.data.map(csvRow), { header: CSV_HEADER }));
  else await ctx.out.write(providersTable(body.data));
  return 0;
}

export function providersCommand(program: Command, run: Runner): void {
  program
    .command('providers')
    .description("the tenant's providers: health, circuit breaker, run index (GET /v1/providers)")
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .action(async (o: ProvidersOptions, cmd: Command) => run(cmd, (ctx) => providers(ctx, o)));
}
