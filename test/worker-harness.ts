/** What the Worker test files share: the bundle built once by test/worker-bundle.setup.ts, and Miniflare worker options over it. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import type { Miniflare } from 'miniflare';
import type { Client } from './helpers.js';
import type { WorkerBundle } from './worker-bundle.setup.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function workerBundle(): WorkerBundle {
  return inject('workerBundle');
}

/** The options every Miniflare worker running the bundle has. */
export function bundleWorker(): { modules: true; scriptPath: string; modulesRoot: string; compatibilityDate: string } {
  const b = workerBundle();
  return { modules: true, scriptPath: b.bundle, modulesRoot: b.outDir, compatibilityDate: b.compatibilityDate };
}

/** The static-assets binding as wrangler.toml declares it (the Worker runs first on every path). */
export const assetsBinding = {
  directory: path.join(ROOT, 'dist/docs-assets'),
  binding: 'ASSETS',
  routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
};

/** The SimgateState Durable Object of the bundle (SQLite storage), defined by the worker `scriptName` when given. */
export function stateBinding(scriptName?: string): { STATE: { className: string; useSQLite: true; scriptName?: string } } {
  return { STATE: { className: 'SimgateState', useSQLite: true, ...(scriptName ? { scriptName } : {}) } };
}

/** A test client (test/helpers.ts's) of one Miniflare worker; `no-cache` unless `cache`, as helpers.client. */
export function workerClient(mf: Miniflare, worker: string, defaultKey: string, o: { cache?: boolean } = {}): Client {
  const base: Record<string, string> = o.cache ? {} : { 'cache-control': 'no-cache' };
  const get = async (p: string, key: string | null = defaultKey, headers: Record<string, string> = {}): Promise<Response> => {
    const w = await mf.getWorker(worker);
    const res = await w.fetch(`http://simgate.test${p}`, { headers: { ...base, ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } });
    return res as unknown as Response;
  };
  return {
    url: `worker:${worker}`,
    get,
    async json<T>(p: string, key: string | null = defaultKey) {
      const res = await get(p, key);
      return { status: res.status, body: (await res.json()) as T, res };
    },
  };
}
