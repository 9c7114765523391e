/** `simgate runs`: every run matching the filters of GET /v1/runs, following the cursor to the end, as NDJSON or CSV, with a progress line on stderr. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { runPages, type Run, type RunsQuery } from '../../client/index.js';
import { given, type Ctx, type Runner } from './context.js';
import { csv, type Cell } from './output.js';
import { Progress } from './progress.js';

export interface RunsOptions {
  provider?: string;
  status?: string;
  outcome?: string;
  channel?: string;
  agentId?: string;
  groupId?: string;
  q?: string;
  from?: string;
  to?: string;
  limit: number;
  include?: string;
  format: 'ndjson' | 'csv';
  quiet?: boolean;
}

export const CSV_COLUMNS = ['id', 'provider', 'native_id', 'group_id', 'agent_id', 'agent_name', 'scenario_id', 'scenario_name', 'channel', 'status', 'outcome', 'score', 'started_at', 'ended_at', 'duration_ms', 'target'];

/** One flat CSV row per run; `score` is the normalised value (0..1). */
export const csvRow = (r: Run): Cell[] => [
  r.id,
  r.provider,
  r.native_id,
  r.group_id,
  r.agent.id,
  r.agent.name,
  r.scenario.id,
  r.scenario.name,
  r.channel,
  r.status,
  r.outcome,
  r.score?.value,
  r.started_at,
  r.ended_at,
  r.duration_ms,
  r.target,
];

function pageSize(v: string): number {
  const n = /^\d{1,3}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= 100)) throw new InvalidArgumentError('the page size must be an integer from 1 to 100');
  return n;
}

export async function runs(ctx: Ctx, o: RunsOptions): Promise<number> {
  const query: RunsQuery = {
    ...given({ provider: o.provider, status: o.status, outcome: o.outcome, channel: o.channel, agent_id: o.agentId, group_id: o.groupId, q: o.q, from: o.from, to: o.to, include: o.include }),
    limit: o.limit,
  };
  const progress = new Progress(ctx.err, !o.quiet);
  const failed = new Map<string, string>();
  let first = true;
  for await (const page of runPages(ctx.client, query)) {
    for (const [id, p] of Object.entries(page.providers)) if (p.error) failed.set(id, p.error.code);
    const text = o.format === 'csv' ? csv(page.data.map(csvRow), first ? { header: CSV_COLUMNS } : {}) : page.data.map((r) => `${JSON.stringify(r)}\n`).join('');
    first = false;
    await ctx.out.write(text);
    await progress.page(page.data.length);
    if (ctx.out.closed) {
      await progress.done('stopped: stdout was closed');
      return 0;
    }
  }
  if (first && o.format === 'csv') await ctx.out.write(csv([], { header: CSV_COLUMNS }));
  const note = failed.size ? `partial pages from ${[...failed].map(([id, code]) => `${id} (${code})`).join(', ')}` : '';
  await progress.done(note);
  return 0;
}

export function runsCommand(program: Command, run: Runner): void {
  program
    .command('runs')
    .description('every run matching the filters, following the cursor to the end: NDJSON (default) or CSV on stdout, progress on stderr (GET /v1/runs)')
    .option('--provider <ids>', 'comma list of provider ids')
    .option('--status <statuses>', 'comma list: queued, running, evaluating, completed, failed, timed_out, cancelled, unknown')
    .option('--outcome <outcomes>', 'comma list: passed, failed, none')
    .option('--channel <channels>', 'comma list: voice, web, chat, unknown')
    .option('--agent-id <id>', 'exact agent id')
    .option('--group-id <id>', 'exact group id')
    .option('--q <text>', 'substring of agent name, scenario name or target')
    .option('--from <time>', 'started_at >= from, RFC 3339 or YYYY-MM-DD')
    .option('--to <time>', 'started_at < to')
    .option('--limit <n>', 'page size, 1-100', pageSize, 100)
    .option('--include <parts>', 'comma list: transcript, evaluations, raw (NDJSON only; CSV has flat columns)')
    .addOption(new Option('--format <format>', 'ndjson: one run per line; csv: one flat row per run').choices(['ndjson', 'csv']).default('ndjson'))
    .option('--quiet', 'no progress line on stderr')
    .addHelpText('after', `\nCSV columns: ${CSV_COLUMNS.join(', ')}\n\nExamples:\n  simgate runs --provider pathsim --format csv > pathsim.csv\n  simgate runs --status failed,timed_out --from 2026-11-01 | jq .id\n`)
    .action(async (o: RunsOptions, cmd: Command) => run(cmd, (ctx) => runs(ctx, o)));
}
