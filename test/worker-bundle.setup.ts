/** Vitest global setup: builds the Worker bundle once (`wrangler deploy --dry-run`, as `npm run build:worker`) for every Worker test file. */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What the Worker test files get (test/worker-harness.ts reads it). */
export interface WorkerBundle {
  outDir: string;
  bundle: string;
  metafile: string;
  compatibilityDate: string;
  stdout: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    workerBundle: WorkerBundle;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'simgate-worker-'));
  // the [assets] directory (docs, dashboard, the prebuilt OpenAPI documents) must exist before wrangler bundles
  await run(process.execPath, [path.join(ROOT, 'scripts/copy-docs-assets.mjs')], { cwd: ROOT });
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: '1', NO_COLOR: '1' };
  const metafile = path.join(outDir, 'meta.json');
  const { stdout } = await run(path.join(ROOT, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', outDir, '--metafile', metafile], { cwd: ROOT, env });
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(await readFile(path.join(ROOT, 'wrangler.toml'), 'utf8'))?.[1] ?? '';
  project.provide('workerBundle', { outDir, bundle: path.join(outDir, 'worker.js'), metafile, compatibilityDate, stdout });
  return async () => {
    await rm(outDir, { recursive: true, force: true });
  };
}
