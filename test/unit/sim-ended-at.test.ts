/** The simulators' generated runs never end after the simulators' `now`: every ended_at (mapped as the gateway maps it) lies in the past. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulators, type SimulatorSet } from '../../adapters/simulators.js';
import { mapDetail as mapPathsim } from '../../adapters/pathsim/map.js';
import { mapSimulation } from '../../adapters/synthflow/map.js';
import { mapDetail as mapSaleslab } from '../../adapters/saleslab/map.js';
import { mapTestRun } from '../../adapters/sigmamind/map.js';
import { mapRun as mapCekura } from '../../adapters/cekura/map.js';
import type { Run } from '../../schemas/run.js';

/** Every run of a simulator set, mapped from the simulators' ground truth (details included, where ended_at is computed). */
function mappedRuns(set: SimulatorSet): Run[] {
  const { pathsim, synthflow, saleslab, sigmamind, cekura } = set.sims;
  const results = new Map(cekura.results().map((r) => [r.id, r as unknown as Record<string, unknown>]));
  return [
    ...pathsim.sessions().map((s) => mapPathsim(s.detail)),
    ...synthflow.simulations().map((s) => mapSimulation(s)),
    ...saleslab.sessions().map((s) => mapSaleslab({ ...s.session, transcript: s.transcript }, s.scorecard)),
    ...sigmamind.testRuns().map((t) => mapTestRun(t.run, t.agentId)),
    ...cekura.allRuns().map((run) => mapCekura(results.get(run.result_id)!, run as unknown as Record<string, unknown>)),
  ];
}

// a fixed `now` on a minute boundary, one just after it, and one in the middle of a minute (PathSim and Sales Lab round to minutes and seconds)
const NOWS = [Date.parse('2026-12-02T06:40:00.000Z'), Date.parse('2026-12-02T06:40:00.999Z'), Date.parse('2026-05-06T18:31:27.412Z')];
const SEEDS = [1, 2, 3, 7, 11, 42];

describe('simulated runs end in the past', () => {
  const sets: Array<{ seed: number; now: number; set: SimulatorSet }> = [];
  beforeAll(async () => {
    for (const seed of SEEDS) for (const now of NOWS) sets.push({ seed, now, set: await startSimulators({ seed, now }) });
  });
  afterAll(async () => {
    await Promise.all(sets.map((s) => s.set.close()));
  });

  it('no generated run (completed or not) has ended_at after now, and every duration fits between started_at and now', () => {
    for (const { seed, now, set } of sets) {
      const runs = mappedRuns(set);
      expect(runs.length).toBeGreaterThan(1000);
      const late = runs
        .filter((r) => (r.ended_at !== null && Date.parse(r.ended_at) > now) || (r.duration_ms !== null && Date.parse(r.started_at) + r.duration_ms > now))
        .map((r) => `${r.id} ${r.status} ${r.started_at} → ${r.ended_at} (${r.duration_ms} ms)`);
      expect(late, `seed ${seed}, now ${new Date(now).toISOString()}`).toEqual([]);
      const completed = runs.filter((r) => r.status === 'completed' && r.ended_at !== null);
      expect(completed.length).toBeGreaterThan(100);
    }
  });
});
