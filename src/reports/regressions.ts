/**
 * Regressions between a baseline and a current period, per (provider, agent, scenario): the evaluated
 * runs (passed, failed) of each period from the rollup cells, a verdict by the first rule that holds,
 * the newest failed and passed run of the current period, and the contract's sort order.
 */
import { VERDICTS, type RegressionItem, type Verdict } from '../../schemas/report.js';
import type { ProviderId } from '../../schemas/run.js';
import { matchCell, type CellFilter } from './figures.js';
import { newer, parseCell, type Cell, type Latest } from './rollup.js';

export function verdictOf(bp: number, bf: number, cp: number, cf: number): Verdict {
  if (bp + bf === 0) return 'new';
  if (bf === 0 && cf > 0) return 'newly_failing';
  if (cp > 0 && cf > 0) return 'flaky';
  if (cf > 0) return 'still_failing';
  if (bf > 0) return 'fixed';
  return 'stable_passing';
}

interface Acc {
  item: Omit<RegressionItem, 'verdict' | 'last_failed_run_id' | 'last_passed_run_id'>;
  lp?: Latest | undefined;
  lf?: Latest | undefined;
}

/** The regression items of the current period's cells against the baseline's, sorted. */
export function regressions(current: Map<ProviderId, Cell[]>, baseline: Map<ProviderId, Cell[]>, f: CellFilter): RegressionItem[] {
  const keys = new Map<string, Acc>();
  for (const [cells, cur] of [[current, true], [baseline, false]] as const) {
    for (const [provider, list] of cells) {
      for (const cell of list) {
        const id = parseCell(cell.c);
        if (!matchCell(id, f)) continue;
        const p = cell.v['p'] ?? 0;
        const fl = cell.v['f'] ?? 0;
        if (!p && !fl) continue;
        const k = JSON.stringify([provider, id.agentId, id.agentName, id.scenarioId, id.scenarioName]);
        let a = keys.get(k);
        if (!a) {
          a = {
            item: {
              key: { provider, agent: { id: id.agentId, name: id.agentName }, scenario: { id: id.scenarioId, name: id.scenarioName } },
              baseline: { passed: 0, failed: 0 },
              current: { passed: 0, failed: 0 },
            },
          };
          keys.set(k, a);
        }
        const side = cur ? a.item.current : a.item.baseline;
        side.passed += p;
        side.failed += fl;
        if (cur) {
          a.lp = newer(a.lp, cell.lp);
          a.lf = newer(a.lf, cell.lf);
        }
      }
    }
  }
  const items: RegressionItem[] = [];
  for (const a of keys.values()) {
    const { baseline: b, current: c } = a.item;
    if (c.passed + c.failed === 0) continue;
    items.push({ ...a.item, verdict: verdictOf(b.passed, b.failed, c.passed, c.failed), last_failed_run_id: a.lf?.[1] ?? null, last_passed_run_id: a.lp?.[1] ?? null });
  }
  const rank = (v: Verdict): number => VERDICTS.indexOf(v);
  const text = (s: string | null): string => s ?? '\uffff';
  return items.sort(
    (x, y) =>
      rank(x.verdict) - rank(y.verdict) ||
      cmp(x.key.provider, y.key.provider) ||
      cmp(text(x.key.agent.name), text(y.key.agent.name)) ||
      cmp(text(x.key.scenario.name), text(y.key.scenario.name)) ||
      cmp(text(x.key.agent.id), text(y.key.agent.id)) ||
      cmp(text(x.key.scenario.id), text(y.key.scenario.id)),
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
