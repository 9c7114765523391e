/**
 * The index store contract (test/unit/index-store.contract.ts, as memory and Redis pass it) against the Worker's
 * DurableIndexStore: its calls go from Node into workerd (Miniflare), to the bundle's SimgateState object and its
 * SQLite storage. Each store under test gets objects of its own (a name prefix), so every test starts empty.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { Miniflare } from 'miniflare';
import { DurableIndexStore } from '../src/worker/do-index.js';
import type { StateNamespace, StateStub } from '../src/worker/protocol.js';
import { indexStoreContract } from './unit/index-store.contract.js';
import { bundleWorker, stateBinding } from './worker-harness.js';

let mf: Miniflare;
let ns: StateNamespace;

beforeAll(async () => {
  mf = new Miniflare({ workers: [{ ...bundleWorker(), name: 'store', bindings: {}, durableObjects: stateBinding() }] });
  await mf.ready;
  const real = await mf.getDurableObjectNamespace('STATE');
  ns = { idFromName: (name) => real.idFromName(name), get: (id) => real.get(id as Parameters<typeof real.get>[0]) as unknown as StateStub };
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
});

indexStoreContract('DurableIndexStore (SimgateState, SQLite, in workerd)', async () => {
  const prefix = randomUUID();
  const own: StateNamespace = { idFromName: (name) => ns.idFromName(`${prefix}/${name}`), get: (id) => ns.get(id) };
  return { store: new DurableIndexStore(own), close: async () => {} };
});
