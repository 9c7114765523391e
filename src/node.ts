/**
 * Node entry: `npm start`. With SIMGATE_CONFIG, serves that config; without it, demo mode.
 * HOST / PORT; SIGTERM/SIGINT stop accepting, finish in-flight requests (up to 10 s), exit 0.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, parseConfig, type Config } from './config.js';
import { jsonLogger } from './core/log.js';
import { startDemo, startGateway, type Demo } from './server.js';

async function main(): Promise<void> {
  const log = jsonLogger();
  const file = process.env['SIMGATE_CONFIG'];
  let config: Config;
  let demo: Demo | null = null;
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      console.error(`simgate: cannot read SIMGATE_CONFIG=${file}: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(2);
    }
    try {
      config = parseConfig(text, process.env);
    } catch (e) {
      if (e instanceof ConfigError) {
        console.error(`simgate: invalid config ${file}:`);
        for (const p of e.problems) console.error(`  ${p}`);
        process.exit(2);
      }
      throw e;
    }
  } else {
    demo = await startDemo();
    config = demo.config;
  }
  const portText = process.env['PORT'] ?? '8787';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`simgate: PORT must be a port number, got ${portText}`);
    process.exit(2);
  }
  const host = process.env['HOST'] ?? '127.0.0.1';
  const redisUrl = process.env['REDIS_URL'];
  const running = await startGateway({ config, port, host, log, warm: true, ...(redisUrl ? { redisUrl } : {}) });
  log.log('info', 'listening', { url: running.url, mode: demo ? 'demo' : 'config', shared_state: redisUrl ? 'redis' : 'memory' });
  if (demo) {
    console.log(
      [
        `simgate demo: built-in vendor simulators on loopback, tenant "demo" with key "demo".`,
        `  curl -H 'Authorization: Bearer demo' ${running.url}/v1/runs`,
        `  API reference: ${running.url}/docs`,
        `  dashboard: ${running.url}/ (sign in with the key "demo")`,
      ].join('\n'),
    );
  }
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.log('info', 'shutting down', { signal });
    await running.close(10_000);
    await demo?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e: unknown) => {
  console.error(`simgate: failed to start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
