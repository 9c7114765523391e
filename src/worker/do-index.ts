/** The Worker's index store: a thin client of the SimgateState Durable Object that holds each tenant × provider × credential's index. */
import type { Key } from '../core/cursor.js';
import { silentLogger, type Logger } from '../core/log.js';
import type { Cell, Grain } from '../reports/rollup.js';
import type { IndexedItem, IndexStore, SourceStats } from '../index/types.js';
import { Outage } from './outage.js';
import { ask, indexObject, type ArgsOf, type AnswerOf, type Op, type StateNamespace } from './protocol.js';

export class DurableIndexStore implements IndexStore {
  readonly name = 'durable-object';
  private readonly outage: Outage;

  constructor(
    private readonly ns: StateNamespace,
    /** Items one object holds before its backfills stop (its storage is bounded). */
    private readonly maxItems = 250_000,
    log: Logger = silentLogger,
    clock: () => number = Date.now,
  ) {
    this.outage = new Outage(log, 'run index object failed; serving live for a moment', clock);
  }

  healthy(): boolean {
    return !this.outage.down;
  }

  private async ask<O extends Op>(source: string, op: O, args: ArgsOf<O>): Promise<AnswerOf<O>> {
    try {
      return await ask(this.ns, indexObject(source), op, args);
    } catch (e) {
      // the engine falls back to the live path; `healthy` keeps the next reads from waiting on failures
      this.outage.failed(e, { op });
      throw e;
    }
  }

  async get(source: string, ids: string[]): Promise<Map<string, IndexedItem>> {
    if (!ids.length) return new Map();
    return new Map(Object.entries(await this.ask(source, 'ix.get', [source, ids])));
  }

  put(source: string, items: IndexedItem[]): Promise<number> {
    if (!items.length) return Promise.resolve(0);
    return this.ask(source, 'ix.put', [source, items]);
  }

  range(source: string, after: Key | null, limit: number): Promise<IndexedItem[]> {
    return this.ask(source, 'ix.range', [source, after, limit]);
  }

  unfinished(source: string, limit: number): Promise<IndexedItem[]> {
    return this.ask(source, 'ix.unfinished', [source, limit]);
  }

  stats(source: string): Promise<SourceStats> {
    return this.ask(source, 'ix.stats', [source]);
  }

  cells(source: string, fromDay: number, toDay: number, grain: Grain = 0): Promise<Cell[]> {
    return this.ask(source, 'ix.cells', [source, fromDay, toDay, grain]);
  }

  room(source: string): Promise<boolean> {
    return this.ask(source, 'ix.room', [this.maxItems]);
  }

  async getDoc(source: string, name: string): Promise<string | null> {
    return (await this.getDocs([[source, name]]))[0] ?? null;
  }

  setDoc(source: string, name: string, value: string): Promise<void> {
    return this.ask(source, 'ix.setDoc', [source, name, value]).then(() => undefined);
  }

  /** One call per object the keys live in, in parallel. */
  async getDocs(keys: Array<[string, string]>): Promise<Array<string | null>> {
    const byObject = new Map<string, number[]>();
    keys.forEach(([source], i) => {
      const o = indexObject(source);
      byObject.set(o, [...(byObject.get(o) ?? []), i]);
    });
    const out: Array<string | null> = keys.map(() => null);
    await Promise.all(
      [...byObject.values()].map(async (at) => {
        const values = await this.ask(keys[at[0]!]![0], 'ix.getDocs', [at.map((i) => keys[i]!)]);
        at.forEach((i, j) => (out[i] = values[j] ?? null));
      }),
    );
    return out;
  }

  lease(source: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.ask(source, 'ix.lease', [source, owner, ttlMs]);
  }

  release(source: string, owner: string): Promise<void> {
    return this.ask(source, 'ix.release', [source, owner]).then(() => undefined);
  }
}
