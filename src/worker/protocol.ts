/** What the Worker's thin clients ask the SimgateState Durable Object, by operation: arguments and answers travel as JSON text. */
import type { Key } from '../core/cursor.js';
import type { Limits } from '../core/limiter.js';
import type { Cell, Grain } from '../reports/rollup.js';
import type { IndexedItem, SourceStats } from '../index/types.js';
import type { KeyHit } from '../core/ratelimit.js';
import type { BudgetView, Grant } from './grants.js';

/** Each operation's arguments and answer. */
export interface Ops {
  'ix.get': [[source: string, ids: string[]], Record<string, IndexedItem>];
  'ix.put': [[source: string, items: IndexedItem[]], number];
  'ix.range': [[source: string, after: Key | null, limit: number], IndexedItem[]];
  'ix.unfinished': [[source: string, limit: number], IndexedItem[]];
  'ix.stats': [[source: string], SourceStats];
  'ix.cells': [[source: string, fromDay: number, toDay: number, grain: Grain], Cell[]];
  'ix.room': [[maxItems: number], boolean];
  'ix.getDocs': [[keys: Array<[string, string]>], Array<string | null>];
  'ix.setDoc': [[source: string, name: string, value: string], null];
  'ix.lease': [[source: string, owner: string, ttlMs: number], boolean];
  'ix.release': [[source: string, owner: string], null];
  'lim.acquire': [[key: string, limits: Limits, priority: number, deadline: number | null, holdMs: number | null], Grant];
  'lim.release': [[token: string, key: string, limits: Limits], BudgetView];
  'lim.pause': [[key: string, untilMs: number], null];
  'lim.hint': [[key: string, remaining: number, untilMs: number, sentAt: number, limits: Limits], null];
  'key.hit': [[id: string, perMinute: number], KeyHit];
}

export type Op = keyof Ops;
export type ArgsOf<O extends Op> = Ops[O][0];
export type AnswerOf<O extends Op> = Ops[O][1];

/** A stub of the object (RPC): one method, so that the protocol is this file. */
export interface StateStub {
  call(op: string, args: string): Promise<string>;
}

/** The Durable Object namespace binding (`STATE` in wrangler.toml), the part used here. */
export interface StateNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): StateStub;
}

/** The object that holds a source's index: one per tenant × provider × credential (the first three parts of its key). */
export const indexObject = (source: string): string => `ix:${source.split('|').slice(0, 3).join('|')}`;

/** The object that holds a vendor credential's budget (the limiter key is provider × credential fingerprint). */
export const budgetObject = (key: string): string => `lim:${key}`;

/** The object that counts a gateway key's requests per minute (`id`: the key's public id, never the key). */
export const keyObject = (id: string): string => `key:${id}`;

/** Asks object `name` for `op` (throws when the object or its storage fails, or gives no answer within `withinMs`). */
export async function ask<O extends Op>(ns: StateNamespace, name: string, op: O, args: ArgsOf<O>, withinMs = Infinity): Promise<AnswerOf<O>> {
  const stub = ns.get(ns.idFromName(name));
  const answer = stub.call(op, JSON.stringify(args));
  if (!Number.isFinite(withinMs)) return JSON.parse(await answer) as AnswerOf<O>;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${op}: no answer within ${withinMs} ms`)), withinMs);
  });
  try {
    return JSON.parse(await Promise.race([answer, late])) as AnswerOf<O>;
  } finally {
    clearTimeout(timer);
  }
}
