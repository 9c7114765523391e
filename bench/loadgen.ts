/**
 * The load generator, run as its own process by bench/lib.ts `loadgen()`: reads one job (JSON) on
 * stdin, writes `{"event":"measure"}` when its warm-up ends and `{"event":"result",...}` at the end.
 * Plain node:http with a keep-alive agent; loopback only.
 */
import http from 'node:http';
import type { FanJob, LoadJob, LoadResult, SeqItem, SeqJob } from './lib.js';

interface Target {
  hostname: string;
  port: number;
  path: string;
}

function target(url: string): Target {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') throw new Error(`refusing non-loopback target ${u.hostname}`);
  return { hostname: u.hostname, port: Number(u.port), path: u.pathname + u.search };
}

const emit = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n');

interface Answer {
  status: number;
  bytes: number;
  headers: http.IncomingHttpHeaders;
  body?: string;
}

function request(agent: http.Agent, t: Target, headers: Record<string, string>, timeoutMs: number, keepBody: boolean): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ ...t, agent, headers, method: 'GET', timeout: timeoutMs }, (res) => {
      let bytes = 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        if (keepBody) chunks.push(c);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, bytes, headers: res.headers, ...(keepBody ? { body: Buffer.concat(chunks).toString('utf8') } : {}) }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function load(job: LoadJob): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
  const targets = job.targets.map(target);
  const headers = job.headers ?? {};
  const timeoutMs = job.timeoutMs ?? 30_000;
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  let measuring = false;
  let stop = false;
  let errors = 0;
  let bytes = 0;
  const worker = async (k: number): Promise<void> => {
    let i = Math.floor((k * targets.length) / job.connections);
    while (!stop) {
      const t0 = performance.now();
      try {
        const a = await request(agent, targets[i++ % targets.length]!, headers, timeoutMs, false);
        if (measuring && !stop) {
          lat.push(performance.now() - t0);
          statuses[a.status] = (statuses[a.status] ?? 0) + 1;
          bytes += a.bytes;
        }
      } catch {
        if (measuring && !stop) errors += 1;
      }
    }
  };
  const workers = Array.from({ length: job.connections }, (_, k) => worker(k));
  await new Promise((r) => setTimeout(r, job.warmupMs));
  measuring = true;
  emit({ event: 'measure' });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, job.durationMs));
  stop = true;
  const wall = performance.now() - t0;
  const cu = process.cpuUsage(cpu0);
  await Promise.all(workers);
  agent.destroy();
  const sorted = lat.sort((a, b) => a - b);
  const pct = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
  return {
    requests: lat.length,
    rps: (lat.length / wall) * 1000,
    errors,
    statuses,
    bytes,
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    cpu: (cu.user + cu.system) / 1000 / wall,
  };
}

async function seq(job: SeqJob): Promise<SeqItem[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const out: SeqItem[] = [];
  for (const r of job.requests) {
    const startedAt = Date.now();
    const t0 = performance.now();
    const a = await request(agent, target(r.url), r.headers ?? {}, job.timeoutMs ?? 30_000, job.keepBody ?? false);
    const ms = performance.now() - t0;
    const headers: Record<string, string> = {};
    for (const h of job.keepHeaders ?? []) {
      const v = a.headers[h];
      if (v !== undefined) headers[h] = String(v);
    }
    out.push({ ms, status: a.status, startedAt, endedAt: Date.now(), headers, ...(a.body !== undefined ? { body: a.body } : {}) });
  }
  agent.destroy();
  return out;
}

async function fan(job: FanJob): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.requests.length });
  const out: number[] = [];
  for (let i = 0; i < job.rounds; i++) {
    const t0 = performance.now();
    const answers = await Promise.all(job.requests.map((r) => request(agent, target(r.url), r.headers ?? {}, job.timeoutMs ?? 30_000, false)));
    out.push(performance.now() - t0);
    if (answers.some((a) => a.status !== 200)) throw new Error(`fan: ${answers.map((a) => a.status).join(',')}`);
  }
  agent.destroy();
  return out;
}

const run = (job: LoadJob | SeqJob | FanJob): Promise<LoadResult | SeqItem[] | number[]> =>
  job.mode === 'load' ? load(job) : job.mode === 'seq' ? seq(job) : fan(job);

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c: string) => (input += c));
process.stdin.on('end', () => {
  run(JSON.parse(input) as LoadJob | SeqJob | FanJob).then(
    (result) => {
      // stdout is a pipe (asynchronous): exit once the result is written
      process.stdout.write(JSON.stringify({ event: 'result', result }) + '\n', () => process.exit(0));
    },
    (e: unknown) => {
      console.error('loadgen:', e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
});
