/**
 * The five vendor simulators in their own process (bench/lib.ts `startSimHost`), so that their CPU
 * work is not done on the gateway's event loop, as with real vendors. Reads the
 * startSimulators options (JSON) as argv[2], prints `{providers, tuning}` as one line, and stops
 * when its stdin closes.
 */
import { startSimulators, type SimulatorSetOptions } from '../adapters/simulators.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as SimulatorSetOptions;
const set = await startSimulators(opts);
process.stdout.write(JSON.stringify({ providers: set.providers, tuning: set.tuning }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => {
  void set.close().then(() => process.exit(0));
});
