/** The reports as CSV (RFC 4180, a header row, one row per group or item), each record written by d3-dsv (runs on Workers too). */
import { csvFormatRow } from 'd3-dsv';
import type { GroupBy, GroupKey, Regressions, Summary, Totals } from '../../schemas/report.js';

type Value = string | number | null;

const KEY_COLUMNS: Record<GroupBy, string[]> = {
  provider: ['provider'],
  agent: ['agent_id', 'agent_name'],
  scenario: ['scenario_id', 'scenario_name'],
  channel: ['channel'],
  day: ['day'],
  week: ['week'],
};

const FIGURES = ['runs', 'passed', 'failed', 'errored', 'pending', 'cancelled', 'not_evaluated', 'pass_rate', 'avg_score', 'duration_ms_p50', 'duration_ms_p90'];

function keyValues(by: GroupBy, k: GroupKey): Value[] {
  switch (by) {
    case 'agent':
      return [k.agent?.id ?? null, k.agent?.name ?? null];
    case 'scenario':
      return [k.scenario?.id ?? null, k.scenario?.name ?? null];
    default:
      return [k[by] ?? null];
  }
}

const figures = (t: Totals): Value[] => [t.runs, t.passed, t.failed, t.errored, t.pending, t.cancelled, t.not_evaluated, t.pass_rate, t.avg_score, t.duration_ms.p50, t.duration_ms.p90];

/**
 * RFC 4180 text of `rows` (the first one the header): CRLF after every record, a field quoted when it holds a comma,
 * a quote or a line break (its quotes doubled). null and undefined are empty fields; numbers as JSON writes them (the
 * API's figures).
 */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<Value | undefined>>): string {
  let out = '';
  for (const r of rows) out += `${csvFormatRow(r.map((v) => (v === null || v === undefined ? '' : String(v))))}\r\n`;
  return out;
}


export function summaryCsv(s: Summary): string {
  const by = s.data.group_by;
  const header = [...by.flatMap((b) => KEY_COLUMNS[b]), ...FIGURES];
  const rows = by.length ? s.data.groups.map((g) => [...by.flatMap((b) => keyValues(b, g.key)), ...figures(g.totals)]) : [figures(s.data.totals)];
  return toCsv([header, ...rows]);
}

export function regressionsCsv(r: Regressions): string {
  const header = ['provider', 'agent_id', 'agent_name', 'scenario_id', 'scenario_name', 'verdict', 'baseline_passed', 'baseline_failed', 'current_passed', 'current_failed', 'last_failed_run_id', 'last_passed_run_id'];
  const rows = r.data.items.map((i) => [
    i.key.provider,
    i.key.agent.id,
    i.key.agent.name,
    i.key.scenario.id,
    i.key.scenario.name,
    i.verdict,
    i.baseline.passed,
    i.baseline.failed,
    i.current.passed,
    i.current.failed,
    i.last_failed_run_id,
    i.last_passed_run_id,
  ]);
  return toCsv([header, ...rows]);
}
