/**
 * `npm run dev:edge`: the Worker as it deploys (wrangler dev, local workerd, the SimgateState Durable Object on local
 * SQLite in a temporary directory, so each start begins with an empty index, as the simulators' data is new) in front of the demo's built-in vendor simulators on loopback, tenant "demo", key "demo".
 * PORT (default 8787) and SIMGATE_DEMO_FAULTS as for `npm start`. Ctrl-C stops both.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoLimitLines, parseDemoFaults, startDemo } from '../src/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env['PORT'] ?? 8787);

const demo = await startDemo({ faults: parseDemoFaults(process.env['SIMGATE_DEMO_FAULTS']) });
const dir = await mkdtemp(path.join(tmpdir(), 'simgate-dev-edge-'));
// the config goes in as the SIMGATE_CONFIG binding, as `wrangler secret put` does in production (single-quoted: JSON has none)
const envFile = path.join(dir, '.dev.vars');
await writeFile(envFile, `SIMGATE_CONFIG='${JSON.stringify(demo.config)}'\n`);

const copy = spawn(process.execPath, [path.join(ROOT, 'scripts/copy-docs-assets.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
await new Promise<void>((resolve, reject) => copy.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`copy-docs-assets exited ${code}`)))));

const url = `http://127.0.0.1:${port}`;
const wrangler = spawn(
  path.join(ROOT, 'node_modules/.bin/wrangler'),
  ['dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--env-file', envFile, '--persist-to', path.join(dir, 'state'), '--show-interactive-dev-session=false'],
  { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' } },
);
let announced = false;
wrangler.stdout.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  if (announced || !/Ready on/.test(chunk.toString())) return;
  announced = true;
  console.log(
    [
      `simgate edge demo (wrangler dev, workerd): built-in vendor simulators on loopback, tenant "demo" with key "demo".`,
      `  curl -H 'Authorization: Bearer demo' ${url}/v1/runs`,
      `  dashboard: ${url}/ (sign in with the key "demo")`,
      `  budgets and the run index: the SimgateState Durable Object (local SQLite, new at each start)`,
      ...demoLimitLines(demo),
    ].join('\n'),
  );
});

const stop = async (code: number): Promise<void> => {
  wrangler.kill('SIGTERM');
  await demo.close();
  await rm(dir, { recursive: true, force: true });
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
wrangler.on('exit', (code) => void stop(code ?? 1));
