/**
 * The filterable fields of a run or a group (its facets) and the one rule that matches them against a
 * list filter. The live walk matches mapped items through it; the run index keeps the facets beside each
 * item, so that a filtered read opens only the items that match.
 */
import type { Group, Run } from '../../schemas/run.js';
import type { RunFilter } from '../../schemas/query.js';

export interface Facets {
  /** provider, status, outcome, channel, agent id, group id (a group's own id) */
  p: string;
  s: string;
  o: string | null;
  c: string | null;
  a: string | null;
  g: string | null;
  /** started_at (epoch ms) */
  t: number;
  /** What `q` searches, lower-cased: agent name, scenario name, target (a group: its name). */
  h: string[];
}

const lower = (xs: Array<string | null>): string[] => xs.filter((x): x is string => x !== null).map((x) => x.toLowerCase());

export function facetsOf(item: Run | Group): Facets {
  const t = Date.parse(item.started_at);
  if ('outcome' in item) {
    return { p: item.provider, s: item.status, o: item.outcome, c: item.channel, a: item.agent.id, g: item.group_id, t, h: lower([item.agent.name, item.scenario.name, item.target]) };
  }
  return { p: item.provider, s: item.status, o: null, c: null, a: null, g: item.id, t, h: lower([item.name]) };
}

/** Does an item with these facets match the filter? (Run-only filters never match a group: the groups route drops them.) */
export function matchFacets(x: Facets, f: RunFilter): boolean {
  if (f.provider && !f.provider.includes(x.p)) return false;
  if (f.status && !f.status.includes(x.s)) return false;
  if (f.outcome && (x.o === null || !f.outcome.includes(x.o))) return false;
  if (f.channel && (x.c === null || !f.channel.includes(x.c))) return false;
  if (f.agent_id !== undefined && x.a !== f.agent_id) return false;
  if (f.group_id !== undefined && x.g !== f.group_id) return false;
  if (f.from !== undefined && x.t < f.from) return false;
  if (f.to !== undefined && x.t >= f.to) return false;
  if (f.q !== undefined) {
    const q = f.q.toLowerCase();
    if (!x.h.some((h) => h.includes(q))) return false;
  }
  return true;
}
