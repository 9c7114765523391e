/**
 * All five vendor simulators at once, on loopback, with the tenant provider config that points
 * at them. Used by demo mode (`npm start` without SIMGATE_CONFIG) and by cross-vendor tests.
 * Node-only.
 */
import type { TenantProvider, ProviderTuning } from '../src/config.js';
import type { ProviderId } from '../schemas/run.js';
import type { SimLimits, SimulatorOptions } from './simkit.js';
import { startCekuraSimulator, type CekuraSimulator } from './cekura/simulator.js';
import { startPathsimSimulator, type PathsimSimulator } from './pathsim/simulator.js';
import { startSaleslabSimulator, type SaleslabSimulator } from './saleslab/simulator.js';
import { startSigmaMindSimulator, type SigmaMindSimulator } from './sigmamind/simulator.js';
import { startSynthflowSimulator, type SynthflowSimulator } from './synthflow/simulator.js';

export interface Simulators {
  pathsim: PathsimSimulator;
  synthflow: SynthflowSimulator;
  saleslab: SaleslabSimulator;
  sigmamind: SigmaMindSimulator;
  cekura: CekuraSimulator;
}

export interface SimulatorSet {
  sims: Simulators;
  /** `tenants.<t>.providers` for a tenant that reads every simulator. */
  providers: Partial<Record<ProviderId, TenantProvider>>;
  /** Top-level `providers` tuning that matches `limits` (when given). */
  tuning: Partial<Record<ProviderId, ProviderTuning>>;
  close(): Promise<void>;
}

export interface SimulatorSetOptions {
  seed?: number;
  now?: number;
  drift?: boolean;
  /** Overrides every simulator's limits (the demo and most tests raise them). */
  limits?: Partial<SimLimits>;
  latencyMs?: number;
  /** How many runs each simulator generates (default: each one's own). */
  counts?: Partial<Record<ProviderId, number>>;
}

export async function startSimulators(o: SimulatorSetOptions = {}): Promise<SimulatorSet> {
  const base: SimulatorOptions = {
    seed: o.seed ?? 1,
    ...(o.now !== undefined ? { now: o.now } : {}),
    ...(o.drift !== undefined ? { drift: o.drift } : {}),
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}),
  };
  const of = (p: ProviderId): SimulatorOptions => (o.counts?.[p] !== undefined ? { ...base, count: o.counts[p] } : base);
  const [pathsim, synthflow, saleslab, sigmamind, cekura] = await Promise.all([
    startPathsimSimulator(of('pathsim')),
    startSynthflowSimulator(of('synthflow')),
    startSaleslabSimulator(of('saleslab')),
    startSigmaMindSimulator(of('sigmamind')),
    startCekuraSimulator(of('cekura')),
  ]);
  const sims: Simulators = { pathsim, synthflow, saleslab, sigmamind, cekura };
  const providers: Partial<Record<ProviderId, TenantProvider>> = {};
  const tuning: Partial<Record<ProviderId, ProviderTuning>> = {};
  for (const [id, s] of Object.entries(sims) as Array<[ProviderId, { apiKey: string; baseUrl: string }]>) {
    providers[id] = { apiKey: s.apiKey, baseUrl: s.baseUrl };
    if (o.limits?.perWindow) tuning[id] = { rateLimit: { perMinute: o.limits.perWindow, ...(o.limits.concurrency ? { concurrency: o.limits.concurrency } : {}) } };
  }
  return {
    sims,
    providers,
    tuning,
    close: async () => {
      await Promise.all(Object.values(sims).map((s: { close(): Promise<void> }) => s.close()));
    },
  };
}
