/**
 * Shared pieces of the benchmarks: the machine, statistics, the load generator (bench/loadgen.ts,
 * always a separate Node process so that it never shares an event loop with the server under test),
 * verdict lines and the machine-readable result line that bench/run.ts collects.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimulatorSetOptions } from '../adapters/simulators.js';
import type { ProviderId } from '../schemas/run.js';
import type { ProviderTuning, TenantProvider } from '../src/config.js';
import type { Logger } from '../src/core/log.js';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(BENCH_DIR, '..');

export function machine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `machine: ${cpus[0]?.model.trim() ?? 'unknown cpu'} · ${cpus.length} cores · node ${process.version} · load avg ${load}`;
}

/** Prints the benchmark's title and the machine it runs on; ends the process if it outlives `maxS`. */
export function header(title: string, maxS = 150): void {
  console.log(`\n=== ${title} ===`);
  console.log(machine());
  setTimeout(() => {
    console.error(`${title}: still running after ${maxS} s; giving up`);
    process.exit(3);
  }, maxS * 1000).unref();
}

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
export const median = (xs: number[]): number => percentile(xs, 50);
export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
export const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : String(n));

export interface Result {
  bench: string;
  metric: string;
  value: number;
  target: string;
  pass: boolean;
  note: string;
}

/** Prints the one-line verdict and the result line bench/run.ts reads. */
export function verdict(r: Omit<Result, 'pass'>, op: '>=' | '<=', limit: number): Result {
  const pass = op === '>=' ? r.value >= limit : r.value <= limit;
  const out: Result = { ...r, pass };
  console.log(`VERDICT ${r.bench}: ${pass ? 'PASS' : 'FAIL'} — ${r.metric} = ${f(r.value, 3)} (target ${r.target})${r.note ? `; ${r.note}` : ''}`);
  console.log(`BENCH_RESULT ${JSON.stringify(out)}`);
  return out;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- the load generator (a child process) ----

/** Closed-loop load: `connections` keep-alive connections, each sending its next request when the last answered. */
export interface LoadJob {
  mode: 'load';
  /** Full URLs, cycled through (each connection starts at its own offset). */
  targets: string[];
  headers?: Record<string, string>;
  connections: number;
  warmupMs: number;
  durationMs: number;
  timeoutMs?: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  errors: number;
  statuses: Record<string, number>;
  bytes: number;
  p50: number;
  p90: number;
  p99: number;
  /** CPU time of the load generator / wall time of the measured window (1 = one core busy). */
  cpu: number;
}

/** Sequential requests, one after another on one keep-alive connection, each timed. */
export interface SeqJob {
  mode: 'seq';
  requests: Array<{ url: string; headers?: Record<string, string> }>;
  /** Response headers to return (lower case). */
  keepHeaders?: string[];
  keepBody?: boolean;
  timeoutMs?: number;
}

/** `rounds` times, all `requests` at once (one connection each); the wall time of each round until the last answer. */
export interface FanJob {
  mode: 'fan';
  rounds: number;
  requests: Array<{ url: string; headers?: Record<string, string> }>;
  timeoutMs?: number;
}

export interface SeqItem {
  ms: number;
  status: number;
  startedAt: number;
  endedAt: number;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Runs a job in a fresh `node --import tsx bench/loadgen.ts`. `onMeasure` is called when the load
 * generator ends its warm-up (so the caller can read its own counters for the same window).
 */
export function loadgen(job: LoadJob, onMeasure?: () => void): Promise<LoadResult>;
export function loadgen(job: SeqJob): Promise<SeqItem[]>;
export function loadgen(job: FanJob): Promise<number[]>;
export function loadgen(job: LoadJob | SeqJob | FanJob, onMeasure?: () => void): Promise<LoadResult | SeqItem[] | number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'loadgen.ts')], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    let result: LoadResult | SeqItem[] | number[] | undefined;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const msg = JSON.parse(line) as { event: string; result?: LoadResult | SeqItem[] | number[] };
        if (msg.event === 'measure') onMeasure?.();
        if (msg.event === 'result') result = msg.result;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => (result ? resolve(result) : reject(new Error(`load generator exited ${code} without a result`))));
    child.stdin.end(JSON.stringify(job));
  });
}

/** CPU seconds of this process since `from` (process.cpuUsage), per wall second since `wallFrom`. */
export function cpuShare(from: NodeJS.CpuUsage, wallFrom: number): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000 / (performance.now() - wallFrom);
}

export interface SimHost {
  providers: Partial<Record<ProviderId, TenantProvider>>;
  tuning: Partial<Record<ProviderId, ProviderTuning>>;
  close(): Promise<void>;
}

/** Starts bench/sims.ts (all five simulators) as a child process; `close` ends it through its stdin. */
export function startSimHost(opts: SimulatorSetOptions): Promise<SimHost> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'sims.ts'), JSON.stringify(opts)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      buf += c;
      if (!buf.includes('\n')) return;
      const { providers, tuning } = JSON.parse(buf.slice(0, buf.indexOf('\n'))) as Pick<SimHost, 'providers' | 'tuning'>;
      const close = (): Promise<void> => {
        child.stdin.end();
        return closed;
      };
      resolve({ providers, tuning, close });
    });
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`simulator host exited ${code}`)));
  });
}

/** A logger that keeps count of its warnings and errors (by provider, message and error), for the benchmarks' diagnostics. */
export function tallyLogger(): Logger & { tally: Map<string, number> } {
  const tally = new Map<string, number>();
  const make = (base: Record<string, unknown>): Logger => ({
    log(level, msg, fields = {}) {
      if (level !== 'warn' && level !== 'error') return;
      const all = { ...base, ...fields };
      const k = `${level} ${String(all['provider'] ?? '-')}: ${msg}${all['error'] ? ` (${String(all['error'])})` : all['reason'] ? ` (${String(all['reason'])})` : ''}`;
      tally.set(k, (tally.get(k) ?? 0) + 1);
    },
    child: (fields) => make({ ...base, ...fields }),
  });
  return Object.assign(make({}), { tally });
}

/** A throw-away redis-server on a free loopback port (no persistence); null when redis-server is not on the PATH. */
export async function startRedis(): Promise<{ url: string; proc: ChildProcess } | null> {
  if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) return null;
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (/ready to accept connections/i.test(out)) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`redis-server exited ${code}`)));
  });
  proc.stdout!.resume();
  process.on('exit', () => proc.kill('SIGTERM')); // also when the bench is cut short
  return { url: `redis://127.0.0.1:${port}/0`, proc };
}
