import { defineConfig } from 'vitest/config';

/**
 * Two projects: everything in parallel first, then the deadline tests alone. Those measure answer times
 * against `requestTimeoutMs` + 1 s: with other test files competing for this machine's two cores they
 * would measure the machine, not the gateway.
 */
const TIMED = ['test/e2e/deadlines.e2e.test.ts'];
const common = { testTimeout: 30_000, hookTimeout: 60_000, pool: 'forks' as const };

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { test: { ...common, name: 'suite', include: ['test/**/*.test.ts'], exclude: TIMED, globalSetup: ['test/worker-bundle.setup.ts'] } },
      { test: { ...common, name: 'timed', include: TIMED, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
