/**
 * The one place a report's figures are computed: cells filtered by the report's filters, summed per
 * group key, and turned into totals (buckets, pass rate with its denominator, mean score, duration
 * percentiles). The API, its CSV, the CLI and the dashboard all show what this computes.
 */
import type { GroupBy, GroupKey, Totals } from '../../schemas/report.js';
import type { Channel, ProviderId } from '../../schemas/run.js';
import { DAY_MS, SCORE_UNIT, addCell, parseCell, type Cell, type CellId, type Counters, type Grain } from './rollup.js';
import { durationPercentiles, type Bins } from './sketch.js';

export interface CellFilter {
  agent_id?: string | undefined;
  channel?: string[] | undefined;
  q?: string | undefined;
}

/** Does a cell (all of whose runs share these fields) match the report's filters? */
export function matchCell(id: CellId, f: CellFilter): boolean {
  if (f.agent_id !== undefined && id.agentId !== f.agent_id) return false;
  if (f.channel && !f.channel.includes(id.channel)) return false;
  if (f.q !== undefined) {
    const q = f.q.toLowerCase();
    if (![id.agentName, id.scenarioName, id.target].some((x) => x !== null && x.toLowerCase().includes(q))) return false;
  }
  return true;
}

/** The coarsest grain that answers a report: a provider's days when nothing filters or groups below them. */
export function grainFor(f: CellFilter, groupBy: GroupBy[]): Grain {
  const fine = f.agent_id !== undefined || f.channel !== undefined || f.q !== undefined || groupBy.some((g) => g !== 'provider' && g !== 'day' && g !== 'week');
  return fine ? 0 : 1;
}

/** The figures of summed counters and duration bins. */
export function totalsOf({ v, b }: { v: Counters; b?: Bins | undefined }): Totals {
  const n = (k: string): number => v[k] ?? 0;
  const evaluated = n('p') + n('f');
  return {
    runs: n('n'),
    passed: n('p'),
    failed: n('f'),
    errored: n('e'),
    pending: n('w'),
    cancelled: n('x'),
    not_evaluated: n('ne'),
    pass_rate: evaluated ? n('p') / evaluated : null,
    avg_score: n('sn') ? n('ss') / SCORE_UNIT / n('sn') : null,
    duration_ms: durationPercentiles(b),
  };
}

const isoDay = (d: number): string => new Date(d * DAY_MS).toISOString().slice(0, 10);

/** The Monday (UTC) of the ISO week of day number `d` (1970-01-01, day 0, was a Thursday). */
const mondayOf = (d: number): number => d - ((d + 3) % 7);

/** One level of a group key, and the value it sorts by. */
function level(by: GroupBy, provider: ProviderId, id: CellId, d: number): { key: GroupKey; sort: Array<string | number> } {
  switch (by) {
    case 'provider':
      return { key: { provider }, sort: [provider] };
    case 'agent':
      return { key: { agent: { id: id.agentId, name: id.agentName } }, sort: [id.agentName ?? '\uffff', id.agentId ?? '\uffff'] };
    case 'scenario':
      return { key: { scenario: { id: id.scenarioId, name: id.scenarioName } }, sort: [id.scenarioName ?? '\uffff', id.scenarioId ?? '\uffff'] };
    case 'channel':
      return { key: { channel: id.channel as Channel }, sort: [id.channel] };
    case 'day':
      return { key: { day: isoDay(d) }, sort: [d] };
    case 'week':
      return { key: { week: isoDay(mondayOf(d)) }, sort: [mondayOf(d)] };
  }
}

function compare(a: Array<string | number>, b: Array<string | number>): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** Counters and duration bins summed over cells. */
interface Sum {
  v: Counters;
  b?: Bins;
}

export interface Grouped {
  totals: Totals;
  groups: Array<{ key: GroupKey; totals: Totals }>;
}

/** Sums the matching cells of every provider, in total and per group key (`groupBy` of zero, one or two levels). */
export function summarize(cells: Map<ProviderId, Cell[]>, f: CellFilter, groupBy: GroupBy[], seen: (p: ProviderId, runs: number) => void): Grouped {
  const all: Sum = { v: {} };
  const groups = new Map<string, { key: GroupKey; sort: Array<string | number>; sum: Sum }>();
  // a cell key recurs on every day of the period: parsed, filtered and keyed once per report
  const byCell = new Map<string, { id: CellId; part: string } | null>();
  const isTime = (by: GroupBy): boolean => by === 'day' || by === 'week';
  const times = groupBy.filter(isTime);
  for (const [provider, list] of cells) {
    let runs = 0;
    for (const cell of list) {
      let known = byCell.get(cell.c);
      if (known === undefined) {
        const id = parseCell(cell.c);
        known = matchCell(id, f) ? { id, part: JSON.stringify(groupBy.map((by) => (isTime(by) ? null : level(by, provider, id, 0).key[by]))) } : null;
        byCell.set(cell.c, known);
      }
      if (!known) continue;
      runs += cell.v['n'] ?? 0;
      if (!groupBy.length) {
        addCell(all, cell);
        continue;
      }
      let k = known.part;
      for (const by of times) k += ` ${by === 'day' ? cell.d : mondayOf(cell.d)}`;
      let g = groups.get(k);
      if (!g) {
        const levels = groupBy.map((by) => level(by, provider, known.id, cell.d));
        groups.set(k, (g = { key: Object.assign({}, ...levels.map((l) => l.key)) as GroupKey, sort: levels.flatMap((l) => l.sort), sum: { v: {} } }));
      }
      addCell(g.sum, cell);
    }
    seen(provider, runs);
  }
  // grouped: the totals are the sum of the groups (each cell is added once)
  for (const g of groups.values()) addCell(all, g.sum);
  return {
    totals: totalsOf(all),
    groups: [...groups.values()].sort((a, b) => compare(a.sort, b.sort)).map((g) => ({ key: g.key, totals: totalsOf(g.sum) })),
  };
}

/** What each figure counts, carried in every report (an export says how it was made). */
export const DEFINITIONS: Record<string, string> = {
  runs: 'every run that started in the period (status unknown counts here only)',
  passed: 'completed runs with outcome passed',
  failed: 'completed runs with outcome failed (the agent failed)',
  errored: 'runs with status failed or timed_out (the run itself broke; never counted against the agent)',
  pending: 'runs with status queued, running or evaluating',
  cancelled: 'runs with status cancelled',
  not_evaluated: 'completed runs with outcome none',
  pass_rate: 'passed / (passed + failed); null when that is 0',
  avg_score: 'mean score value (0..1) over the runs with a score',
  duration_ms: 'p50 and p90 of duration_ms over the runs with a duration (value at rank floor(q*(n-1)), within 1 %)',
  period: 'started_at >= from and < to; days and weeks are UTC, weeks start on Monday',
};
