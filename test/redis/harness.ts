/** Real redis-server and real gateway processes for the shared-state tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  client(): Redis;
}

/** A redis-server on a free loopback port, without persistence; start/stop can repeat on the same port. */
export async function redisServer(): Promise<RedisServer> {
  const port = await freePort();
  let proc: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}/0`;
  const srv: RedisServer = {
    url,
    port,
    async start() {
      proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      proc.once('error', (e) => {
        throw new Error(`redis-server could not start (apt-get install -y redis-server): ${e.message}`);
      });
      const c = new Redis(url, { lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: 0 });
      c.on('error', () => {});
      for (let i = 0; i < 100; i++) {
        try {
          if (c.status !== 'ready') await c.connect().catch(() => {});
          if ((await c.ping()) === 'PONG') break;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      c.disconnect();
    },
    async stop() {
      const p = proc;
      proc = null;
      if (!p || p.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        p.once('exit', () => resolve());
        p.kill('SIGKILL');
      });
    },
    client() {
      const c = new Redis(url);
      c.on('error', () => {});
      return c;
    },
  };
  await srv.start();
  return srv;
}

export interface GatewayProcess {
  url: string;
  logs: string[];
  stop(): Promise<number | null>;
}

/** `npm start` as its own process (node --import tsx src/node.ts) with a config file and REDIS_URL. */
/**
 * The URL a gateway process says it listens on (its `listening` log line, or the first line `url` matches), collecting every line it prints into
 * `lines`; rejects with those lines when it exits first or says nothing within `timeoutMs`.
 */
export function listening(child: ChildProcess, lines: string[], timeoutMs: number, url = /"msg":"listening","url":"([^"]+)"/): Promise<string> {
  let buf = '';
  return new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`gateway did not start:\n${lines.join('\n')}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        const m = url.exec(line);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}:\n${lines.join('\n')}`)));
  });
}

export async function gatewayProcess(config: Config, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), 'simgate-gw-'));
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/node.ts'], {
    env: { ...(process.env as Record<string, string>), SIMGATE_CONFIG: file, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const url = await listening(child, logs, 30_000);
  return {
    url,
    logs,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (c) => resolve(c));
        child.kill('SIGTERM');
      }),
  };
}
