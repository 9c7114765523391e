/**
 * What the index benchmarks need of the vendors themselves, without the gateway: which requests in a
 * simulator's log are *list* calls (the endpoints the index syncs from), and a bare client that walks
 * each vendor's run list directly at page size 100 — the vendor's own minimum number of list calls
 * for the data it holds. Plain `fetch` and the vendors' documented paging; only the auth header name
 * comes from the adapters' spec.
 */
import { adapters } from '../adapters/index.js';
import type { ProviderId } from '../schemas/run.js';
import type { TenantProvider } from '../src/config.js';

export const PROVIDERS: ProviderId[] = ['pathsim', 'synthflow', 'saleslab', 'sigmamind', 'cekura'];

/** The list endpoints (path only), as test/e2e/index.e2e.test.ts counts them. */
export const LIST_PATHS: Record<ProviderId, RegExp> = {
  pathsim: /\/workspaces\/[^/]+\/sessions$/,
  synthflow: /\/simulations$/,
  saleslab: /\/api\/v1\/sessions$/,
  sigmamind: /\/v1\/test-runs$/,
  cekura: /\/results\/$/,
} as Record<ProviderId, RegExp>;

export const SCORECARD_PATH = '/api/v1/scorecards/';

export function vendorHeaders(p: ProviderId, t: TenantProvider): Record<string, string> {
  const { header, scheme } = adapters[p]!.spec.auth;
  return { [header]: scheme ? `${scheme} ${t.apiKey}` : String(t.apiKey), accept: 'application/json' };
}

export interface DirectWalk {
  /** List calls made (every page of every source). */
  lists: number;
  /** Sources walked (workspaces, agents, or 1). */
  sources: number;
  /** Items listed (with Sales Lab's inclusive-cursor repeats removed). */
  items: number;
  /** Calls to reference lists (workspaces, agents) needed to find the sources. */
  reference: number;
  /** The first list URL of each source at page size 100 (for round-trip baselines). */
  firstUrls: string[];
}

type Json = Record<string, unknown>;

/** Walks one vendor's run list(s) to the end at page size 100, as a bare client would. */
export async function walkDirect(p: ProviderId, t: TenantProvider): Promise<DirectWalk> {
  const base = t.baseUrl!.replace(/\/$/, '');
  const headers = vendorHeaders(p, t);
  const out: DirectWalk = { lists: 0, sources: 0, items: 0, reference: 0, firstUrls: [] };
  const get = async (path: string, q: Record<string, string>, list: boolean): Promise<Json> => {
    const url = `${base}${path}?${new URLSearchParams(q).toString()}`;
    const res = await fetch(url, { headers });
    if (res.status !== 200) throw new Error(`${p} ${path}: ${res.status} ${await res.text()}`);
    if (list) out.lists += 1;
    else out.reference += 1;
    return (await res.json()) as Json;
  };
  const first = (path: string, q: Record<string, string>): void => void out.firstUrls.push(`${base}${path}?${new URLSearchParams(q).toString()}`);
  switch (p) {
    case 'pathsim': {
      const ws = ((await get('/workspaces', {}, false))['data'] as Json[]).map((w) => String(w['id']));
      for (const w of ws) {
        out.sources += 1;
        const path = `/workspaces/${encodeURIComponent(w)}/sessions`;
        first(path, { limit: '100', offset: '0' });
        for (let off = 0; ; ) {
          const b = await get(path, { limit: '100', offset: String(off) }, true);
          const data = b['data'] as unknown[];
          out.items += data.length;
          off += data.length;
          if (!(b['pagination'] as Json)['hasMore'] || !data.length) break;
        }
      }
      break;
    }
    case 'synthflow': {
      out.sources = 1;
      first('/simulations', { page_number: '1', page_size: '100' });
      for (let page = 1; ; page++) {
        const r = (await get('/simulations', { page_number: String(page), page_size: '100' }, true))['response'] as Json;
        const items = r['items'] as unknown[];
        const total = Number((r['pagination'] as Json)['total_records']);
        out.items += items.length;
        if (!items.length || (page - 1) * 100 + items.length >= total) break;
      }
      break;
    }
    case 'saleslab': {
      out.sources = 1;
      first('/api/v1/sessions', { limit: '100' });
      const seen = new Set<string>();
      let cursor: string | null = null;
      for (;;) {
        const q: Record<string, string> = { limit: '100', ...(cursor ? { cursor } : {}) };
        const b = await get('/api/v1/sessions', q, true);
        const data = b['data'] as Json[];
        for (const s of data) seen.add(String(s['id']));
        const next = (b['next_cursor'] as string | null | undefined) ?? null;
        // the cursor is inclusive (a page repeats the previous one's last timestamp): a cursor that does not move ends the walk
        if (next === null || next === cursor || !data.length) break;
        cursor = next;
      }
      out.items = seen.size;
      break;
    }
    case 'sigmamind': {
      const agents = ((await get('/v1/agents', { page: '0', size: '100' }, false))['data'] as Json[]).map((a) => String(a['agentId']));
      for (const a of agents) {
        out.sources += 1;
        first('/v1/test-runs', { agentId: a, page: '0', size: '100' });
        for (let page = 0; ; page++) {
          const b = await get('/v1/test-runs', { agentId: a, page: String(page), size: '100' }, true);
          out.items += (b['data'] as unknown[]).length;
          if (!b['hasNext'] || !(b['data'] as unknown[]).length) break;
        }
      }
      break;
    }
    case 'cekura': {
      const V1 = '/test_framework/v1';
      const agents = ((await get(`${V1}/aiagents/`, { page: '1', page_size: '100' }, false))['results'] as Json[]).map((a) => String(a['id']));
      for (const a of agents) {
        out.sources += 1;
        first(`${V1}/results/`, { agent_id: a, page: '1', page_size: '100' });
        for (let page = 1; ; page++) {
          const b = await get(`${V1}/results/`, { agent_id: a, page: String(page), page_size: '100' }, true);
          out.items += (b['results'] as unknown[]).length;
          if (b['next'] === null || !(b['results'] as unknown[]).length) break;
        }
      }
      break;
    }
  }
  return out;
}
