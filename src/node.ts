/**
 * Node entry: `npm start` (tsx, the demo) and `node dist/src/node.js` (`npm run build`, production). With SIMGATE_CONFIG,
 * serves that config; without it, demo mode. HOST / PORT / REDIS_URL. SIGTERM/SIGINT stop accepting, let in-flight
 * requests finish (up to 10 s), close the index and Redis, log `"msg":"stopped"` last and exit 0.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ConfigError, parseConfig, type Config } from './config.js';
import { jsonLogger } from './core/log.js';
import { DemoFaultsError, demoLimitLines, parseDemoFaults, startDemo, startGateway, type Demo } from './server.js';

/** How long in-flight requests may take to finish after SIGTERM / SIGINT before their connections are closed. */
const GRACE_MS = 10_000;

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
    try {
      demo = await startDemo({ faults: parseDemoFaults(process.env['SIMGATE_DEMO_FAULTS']) });
    } catch (e) {
      if (e instanceof DemoFaultsError) {
        console.error(`simgate: ${e.message}`);
        process.exit(2);
      }
      throw e;
    }
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
        ...demoLimitLines(demo),
      ].join('\n'),
    );
  }
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return; // a second signal changes nothing: the drain has its own deadline
    stopping = true;
    const started = Date.now();
    log.log('info', 'shutting down', { signal, grace_ms: GRACE_MS });
    // the drain ends after GRACE_MS by closing what is still open; should closing itself hang, give up a little later
    setTimeout(() => {
      log.log('error', 'stopped', { signal, ms: Date.now() - started, exit_code: 1, error: 'shutdown did not finish in time' });
      process.exit(1);
    }, GRACE_MS + 5_000);
    // a kept-alive connection (a load balancer's) would outlive the drain: from now on each answer closes its
    // connection, and a connection left idle is closed at once instead of at its keep-alive timeout
    const http = running.server as Server;
    http.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    });
    setInterval(() => http.closeIdleConnections(), 100).unref();
    let code = 0;
    try {
      await running.close(GRACE_MS);
      await demo?.close();
    } catch (e) {
      code = 1;
      log.log('error', 'shutdown failed', { error: e instanceof Error ? e.message : String(e) });
    }
    log.log(code ? 'error' : 'info', 'stopped', { signal, ms: Date.now() - started, exit_code: code });
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e: unknown) => {
  console.error(`simgate: failed to start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
