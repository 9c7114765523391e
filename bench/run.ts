/**
 * Runs every benchmark in sequence, each in its own process (so that one cannot warm or slow the
 * next), passes their output through and ends with a summary table of the verdicts.
 * Run: npx tsx bench/run.ts                  (the default set, about 6½ minutes)
 *      npx tsx bench/run.ts no-cache rate    (some; also upstream-calls, which is not in the default set)
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BENCH_DIR, ROOT, machine, type Result } from './lib.js';

/** The default set, in this order. */
const ALL = ['cache-hit', 'no-cache', 'index-size', 'rate', 'cold-walk', 'reports'];
/** Runnable by name, not in the default set (cold-walk supersedes it). */
const EXTRA = ['upstream-calls', 'workerd'];
/** Node flags a benchmark needs. */
const FLAGS: Record<string, string[]> = { 'index-size': ['--expose-gc'], reports: ['--expose-gc'] };

function runOne(name: string): Promise<{ results: Result[]; code: number | null; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(FLAGS[name] ?? []), '--import', 'tsx', path.join(BENCH_DIR, `${name}.ts`)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const results: Result[] = [];
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      buf += c;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.startsWith('BENCH_RESULT ')) results.push(JSON.parse(line.slice('BENCH_RESULT '.length)) as Result);
        else console.log(line);
      }
    });
    child.on('close', (code) => resolve({ results, code, seconds: (performance.now() - t0) / 1000 }));
  });
}

async function main(): Promise<void> {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
  const unknown = names.filter((n) => !ALL.includes(n) && !EXTRA.includes(n));
  if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${[...ALL, ...EXTRA].join(', ')}`);
  const rows: Array<Result & { seconds: number }> = [];
  for (const name of names) {
    const { results, code, seconds } = await runOne(name);
    if (!results.length) rows.push({ bench: name, metric: `exited ${code} without a result`, value: Number.NaN, target: '', pass: false, note: '', seconds });
    for (const r of results) rows.push({ ...r, seconds });
  }
  const w = (s: string, n: number): string => s.padEnd(n);
  console.log('\n=== summary ===');
  console.log(machine());
  console.log(`${w('benchmark', 26)}${w('metric', 38)}${w('ratio', 9)}${w('target', 28)}${w('verdict', 9)}${w('time', 7)}note`);
  for (const r of rows) {
    console.log(`${w(r.bench, 26)}${w(r.metric, 38)}${w(Number.isFinite(r.value) ? `${r.value.toFixed(3)}×` : '-', 9)}${w(r.target, 28)}${w(r.pass ? 'PASS' : 'FAIL', 9)}${w(`${r.seconds.toFixed(0)} s`, 7)}${r.note}`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
