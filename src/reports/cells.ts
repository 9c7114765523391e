/**
 * Gathers the rollup cells a report needs from the run index: per provider, its head brought up to date
 * and its backfill down to the period's start (both within the request's deadline), then the cells of
 * the whole UTC days in the period, plus the runs of a partial first or last day read one by one (each
 * carries its own contribution). A provider that cannot be brought up to date in time is left out, with
 * its error.
 */
import type { ReportProviderStatus } from '../../schemas/report.js';
import type { ProviderId } from '../../schemas/run.js';
import { GatewayError, asGatewayError } from '../core/errors.js';
import type { Gateway } from '../core/gateway.js';
import type { RequestScope } from '../core/scope.js';
import type { Syncable } from '../index/absorb.js';
import type { SourceSync } from '../index/source.js';
import type { IndexStore } from '../index/types.js';
import { DAY_MS, moveCell, type Cell, type Grain } from './rollup.js';

/** Time kept back from the deadline to compute and send the answer. */
const ANSWER_MS = 100;
/** Items read at once while scanning a partial day. */
const SCAN_BATCH = 500;

export interface Period {
  from: number;
  to: number;
}


export interface Gathered {
  /** Per period asked for (in order): the cells of the providers that answered, per provider. */
  cells: Array<Map<ProviderId, Cell[]>>;
  status: Record<string, ReportProviderStatus>;
  partial: boolean;
}

const errorOf = (e: GatewayError): { code: string; message: string; retryable: boolean } => ({ code: e.code, message: e.message, retryable: e.retryable });

/** Has this source's backfill read everything down to `from` (or all there is)? */
const reaches = (s: SourceSync<Syncable>, from: number): boolean => s.bf.done !== false || (s.bf.reached !== null && s.bf.reached < from);

/** The cells of `source` of one grain for `period`: whole days from the rollups, partial days from their runs. */
export async function periodCells(store: IndexStore, source: string, period: Period, grain: Grain = 0): Promise<Cell[]> {
  const firstWhole = Math.ceil(period.from / DAY_MS);
  const endWhole = Math.floor(period.to / DAY_MS);
  if (firstWhole >= endWhole) return scan(store, source, period.from, period.to, grain);
  const out = await store.cells(source, firstWhole, endWhole, grain);
  if (period.from < firstWhole * DAY_MS) out.push(...(await scan(store, source, period.from, firstWhole * DAY_MS, grain)));
  if (endWhole * DAY_MS < period.to) out.push(...(await scan(store, source, endWhole * DAY_MS, period.to, grain)));
  return out;
}

/** The contributions of the runs with `from` ≤ started_at < `to`, one cell each (keyset read, newest first). */
async function scan(store: IndexStore, source: string, from: number, to: number, grain: Grain): Promise<Cell[]> {
  const out: Cell[] = [];
  let after: [number, string] = [to, ''];
  for (;;) {
    const batch = await store.range(source, after, SCAN_BATCH);
    for (const item of batch) {
      if (item.t < from) return out;
      const r = item.roll;
      if (item.t >= to || !r) continue;
      // the run's own cell, as a store would hold it with only this run in it
      const c = grain === 0 ? r.c : r.g;
      const cell = c === undefined ? null : moveCell(undefined, r.d, c, r, 1, grain === 0);
      if (cell) out.push(cell);
    }
    if (batch.length < SCAN_BATCH) return out;
    const last = batch.at(-1)!;
    after = [last.t, last.id];
  }
}

/**
 * The cells of `periods` (the first is the one the report is about; regressions add a baseline) for each of the
 * tenant's `providers`.
 */
export async function gather(gw: Gateway, tenant: string, providers: ProviderId[], periods: Period[], scope: RequestScope, grain: Grain = 0): Promise<Gathered> {
  const ix = gw.index;
  if (!ix?.usable()) {
    throw new GatewayError('provider_unavailable', ix ? 'the run index is unavailable for a moment; reports read it: retry' : 'reports need the run index, which the config turns off (index.enabled)', {
      retryable: ix !== null,
    });
  }
  const at = gw.deps.clock();
  const deadline = scope.deadline - ANSWER_MS;
  const from = Math.min(...periods.map((p) => p.from));
  const cells = periods.map(() => new Map<ProviderId, Cell[]>());
  const status: Record<string, ReportProviderStatus> = {};
  await Promise.all(
    providers.map(async (p) => {
      const pi = await ix.provider(tenant, p, 'runs');
      if (!pi) return;
      try {
        const prep = await pi.prepare({ fromHead: true, noCache: scope.bypassCache, at, deadline, scope });
        // the head is as fresh as it could be made; the backfill must reach the period's start
        const short = prep.syncs.filter((s) => !reaches(s, from));
        await Promise.all(
          short.map((s) => {
            s.kick('backfill', scope);
            return s.wait(() => reaches(s, from), ['backfill'], deadline, 'the index did not reach back to the start of the period', () => s.kick('backfill', scope));
          }),
        );
        for (const [i, period] of periods.entries()) {
          const mine: Cell[] = [];
          for (const s of prep.syncs) mine.push(...(await periodCells(ix.store, s.d.key, period, grain)));
          cells[i]!.set(p, mine);
        }
        const st = pi.status(prep.syncs);
        status[p] = { status: 'ok', runs_seen: 0, ...st, ...(prep.syncError ? { sync_error: errorOf(prep.syncError) } : {}) };
      } catch (e) {
        const err = asGatewayError(e);
        const report =
          err.code === 'provider_timeout'
            ? new GatewayError('provider_timeout', `${err.message.split(':')[0]}: its index could not be brought up to date within the request deadline; its runs are left out, and its sync goes on`, { retryable: true })
            : err;
        status[p] = { status: 'error', runs_seen: 0, ...pi.status(pi.known), error: errorOf(report) };
      }
    }),
  );
  return { cells, status, partial: Object.values(status).some((s) => s.status === 'error') };
}
