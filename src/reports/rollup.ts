/**
 * A run's contribution to the report rollups: the cell it counts in (provider, agent, scenario, channel,
 * target, UTC day) and integer counters (buckets, score, a duration sketch's bin). Stores add a new
 * contribution and subtract the one it replaces in the same write, so a run that changes status moves
 * buckets once and is never counted twice.
 */
import type { Run } from '../../schemas/run.js';
import { addBin, addBins, binsOf, durationBin, trimBins, type Bins } from './sketch.js';

export const DAY_MS = 86_400_000;

/**
 * Counter names: n runs, p passed, f failed, e errored, w pending, x cancelled, ne not evaluated, sn/ss score count/sum
 * (×1e6), dn durations; in a run's contribution also `k<bin>`, its duration's bin (a cell holds those as its Bins).
 */
export type Counters = Record<string, number>;

/** The newest final passed (`lp`) or failed (`lf`) run of a cell: [started_at ms, id]. */
export type Latest = [number, string];

export interface Roll {
  /** UTC day number (epoch ms / 86 400 000, floored). */
  d: number;
  /** The cell key (see cellKey): the fine grain. */
  c: string;
  /**
   * The key of the coarse cell it also counts in (grain 1: the provider's day, see dayKey), counters only, no marks. A
   * report that neither filters nor groups below provider and day reads those: a few cells per day, however many runs.
   */
  g?: string;
  v: Counters;
  lp?: Latest;
  lf?: Latest;
}

/** The two grains of the rollups: 0 (provider, agent, scenario, channel, target, day), 1 (provider, day). */
export type Grain = 0 | 1;

/** What a cell key names, in this order. */
export interface CellId {
  provider: string;
  agentId: string | null;
  agentName: string | null;
  scenarioId: string | null;
  scenarioName: string | null;
  channel: string;
  target: string | null;
}

/** The coarse cell of a provider's day (grain 1). */
export const dayKey = (provider: string): string => JSON.stringify([provider]);

export const cellKey = (r: Run): string =>
  JSON.stringify([r.provider, r.agent.id, r.agent.name, r.scenario.id, r.scenario.name, r.channel, r.target]);

/** What a cell key names (a coarse cell names its provider only: the rest is null). */
export function parseCell(c: string): CellId {
  const [provider, agentId = null, agentName = null, scenarioId = null, scenarioName = null, channel = null, target = null] = JSON.parse(c) as Array<string | null>;
  return { provider: provider!, agentId, agentName, scenarioId, scenarioName, channel: channel ?? 'unknown', target };
}

export const SCORE_UNIT = 1e6;

/** The bucket a status and outcome count in (null: `runs` only). */
function bucket(r: Run): string | null {
  switch (r.status) {
    case 'completed':
      return r.outcome === 'passed' ? 'p' : r.outcome === 'failed' ? 'f' : 'ne';
    case 'failed':
    case 'timed_out':
      return 'e';
    case 'queued':
    case 'running':
    case 'evaluating':
      return 'w';
    case 'cancelled':
      return 'x';
    default:
      return null;
  }
}

/** The contribution of a run (`final`: it cannot change any more; only final runs name a cell's newest passed/failed run). */
export function rollOf(r: Run, final: boolean): Roll {
  const t = Date.parse(r.started_at);
  const v: Counters = { n: 1 };
  const b = bucket(r);
  if (b) v[b] = 1;
  if (r.score && Number.isFinite(r.score.value)) {
    v['sn'] = 1;
    v['ss'] = Math.round(r.score.value * SCORE_UNIT);
  }
  if (r.duration_ms !== null && Number.isFinite(r.duration_ms) && r.duration_ms >= 0) {
    v['dn'] = 1;
    v[`k${durationBin(r.duration_ms)}`] = 1;
  }
  const roll: Roll = { d: Math.floor(t / DAY_MS), c: cellKey(r), g: dayKey(r.provider), v };
  if (final && b === 'p') roll.lp = [t, r.id];
  if (final && b === 'f') roll.lf = [t, r.id];
  return roll;
}

/** The newer of two latest marks (ties: the smaller id, the keyset's order). */
export function newer(a: Latest | undefined, b: Latest | undefined): Latest | undefined {
  if (!a) return b;
  if (!b) return a;
  return a[0] > b[0] || (a[0] === b[0] && a[1] < b[1]) ? a : b;
}

/** One cell of one day as a store holds it: counters without bins, the duration bins apart (dense). */
export interface Cell {
  d: number;
  c: string;
  v: Counters;
  b?: Bins;
  lp?: Latest;
  lf?: Latest;
}

/** Adds `v` × `sign` into `into`, dropping counters that reach 0. */
export function addCounters(into: Counters, v: Counters, sign = 1): void {
  for (const k in v) {
    const x = (into[k] ?? 0) + sign * v[k]!;
    if (x === 0) delete into[k];
    else into[k] = x;
  }
}

/**
 * `cell` (absent: a new one of day `d`, key `c`) with the contribution `r` added (sign 1) or taken back (sign -1); null
 * once no run is left in it. Fine cells (`marks`) also keep the newest final passed/failed run: only final runs carry
 * marks, and a final run is never replaced, so a mark is only ever added. Every store's cell arithmetic is this one.
 */
export function moveCell(cell: Cell | undefined, d: number, c: string, r: Roll, sign: 1 | -1, marks: boolean): Cell | null {
  const out = cell ?? { d, c, v: {} };
  addContribution(out, r.v, sign);
  if (marks && sign > 0) {
    const lp = newer(out.lp, r.lp);
    const lf = newer(out.lf, r.lf);
    if (lp) out.lp = lp;
    if (lf) out.lf = lf;
  }
  return out.v['n'] ? out : null;
}

/** A contribution's counters × `sign` into a cell: its `k<bin>` one into the cell's bins, the rest into `v`. */
export function addContribution(into: { v: Counters; b?: Bins }, v: Counters, sign = 1): void {
  let binned = false;
  for (const k in v) {
    const n = sign * v[k]!;
    if (k.charCodeAt(0) === 107 /* k */) {
      into.b = addBin(into.b, k.slice(1), n);
      binned = true;
      continue;
    }
    const x = (into.v[k] ?? 0) + n;
    if (x === 0) delete into.v[k];
    else into.v[k] = x;
  }
  if (binned) setBins(into, trimBins(into.b));
}

/** A cell's counters held flat (`k<bin>` ones among the rest, as a Redis hash holds them) split into counters and bins. */
function splitCounters(flat: Counters): { v: Counters; b?: Bins } {
  const v: Counters = {};
  const bins: Counters = {};
  let binned = false;
  for (const k in flat) {
    if (flat[k] === 0) continue;
    if (k.charCodeAt(0) === 107 /* k */) {
      bins[k.slice(1)] = flat[k]!;
      binned = true;
    } else v[k] = flat[k]!;
  }
  const b = binned ? trimBins(binsOf(bins)) : undefined;
  return b ? { v, b } : { v };
}

/**
 * A cell as a store held it with its counters flat (a Redis hash; a Durable Object's row written before the bins were
 * dense): its `k<bin>` counters moved into its bins. A cell without them is handed back as it is.
 */
export function currentCell(cell: Cell): Cell {
  for (const k in cell.v) if (k.charCodeAt(0) === 107 /* k */) return { ...cell, ...splitCounters(cell.v) };
  return cell;
}

/** Adds a cell (counters and bins) into `into`. */
export function addCell(into: { v: Counters; b?: Bins }, cell: { v: Counters; b?: Bins | undefined }): void {
  addCounters(into.v, cell.v);
  if (cell.b) into.b = addBins(into.b, cell.b);
}

function setBins(into: { b?: Bins }, b: Bins | undefined): void {
  if (b) into.b = b;
  else delete into.b;
}
