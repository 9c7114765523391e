/** The SimgateState Durable Object (SQLite storage): a tenant's provider's run index and rollups, a vendor credential's budget, or a gateway key's requests per minute, for every isolate. */
import { DurableObject } from 'cloudflare:workers';
import { MemoryKeyLimiter } from '../core/ratelimit.js';
import { Grants } from './grants.js';
import type { AnswerOf, ArgsOf, Op } from './protocol.js';
import { SqlIndexStore } from './sql-index.js';

export class SimgateState extends DurableObject {
  /** Opened on first use: a budget object never creates the index's tables. */
  private index: SqlIndexStore | null = null;
  private readonly grants = new Grants();
  private readonly keys = new MemoryKeyLimiter();

  private store(): SqlIndexStore {
    const storage = this.ctx.storage;
    this.index ??= new SqlIndexStore(storage.sql, (fn) => storage.transactionSync(fn));
    return this.index;
  }

  /** One entry for every operation of protocol.ts. */
  async call(op: string, args: string): Promise<string> {
    const answer = await this.run(op as Op, JSON.parse(args) as ArgsOf<Op>);
    return JSON.stringify(answer ?? null);
  }

  private async run(op: Op, a: ArgsOf<Op>): Promise<AnswerOf<Op> | null> {
    switch (op) {
      case 'ix.get': {
        const [source, ids] = a as ArgsOf<'ix.get'>;
        return this.store().get(source, ids);
      }
      case 'ix.put': {
        const [source, items] = a as ArgsOf<'ix.put'>;
        return this.store().put(source, items);
      }
      case 'ix.range': {
        const [source, after, limit] = a as ArgsOf<'ix.range'>;
        return this.store().range(source, after, limit);
      }
      case 'ix.unfinished': {
        const [source, limit] = a as ArgsOf<'ix.unfinished'>;
        return this.store().unfinished(source, limit);
      }
      case 'ix.stats':
        return this.store().stats((a as ArgsOf<'ix.stats'>)[0]);
      case 'ix.cells': {
        const [source, from, to, grain] = a as ArgsOf<'ix.cells'>;
        return this.store().cells(source, from, to, grain);
      }
      case 'ix.room':
        return this.store().room((a as ArgsOf<'ix.room'>)[0]);
      case 'ix.getDocs':
        return this.store().getDocs((a as ArgsOf<'ix.getDocs'>)[0]);
      case 'ix.setDoc': {
        const [source, name, value] = a as ArgsOf<'ix.setDoc'>;
        this.store().setDoc(source, name, value);
        return null;
      }
      case 'ix.lease': {
        const [source, owner, ttlMs] = a as ArgsOf<'ix.lease'>;
        return this.store().lease(source, owner, ttlMs);
      }
      case 'ix.release': {
        const [source, owner] = a as ArgsOf<'ix.release'>;
        this.store().release(source, owner);
        return null;
      }
      case 'lim.acquire': {
        const [key, limits, priority, deadline, holdMs] = a as ArgsOf<'lim.acquire'>;
        return this.grants.acquire(key, limits, priority, deadline, holdMs);
      }
      case 'lim.release': {
        const [token, key, limits] = a as ArgsOf<'lim.release'>;
        this.grants.release(token);
        return this.grants.view(key, limits);
      }
      case 'lim.pause': {
        const [key, until] = a as ArgsOf<'lim.pause'>;
        this.grants.pause(key, until);
        return null;
      }
      case 'lim.hint': {
        const [key, remaining, until, sentAt, limits] = a as ArgsOf<'lim.hint'>;
        this.grants.hint(key, remaining, until, sentAt, limits);
        return null;
      }
      case 'key.hit': {
        const [id, perMinute] = a as ArgsOf<'key.hit'>;
        return this.keys.hit(id, perMinute);
      }
      default:
        throw new Error(`unknown operation ${String(op)}`);
    }
  }
}
