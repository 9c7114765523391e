#!/usr/bin/env node
/**
 * Copies the static files the Worker serves through its ASSETS binding into dist/docs-assets, the `[assets]`
 * directory of wrangler.toml: the swagger-ui-dist files of /docs, and in dashboard/ the files of src/dashboard/
 * (the page at GET /) with uPlot's two dist files. Neither page needs the internet.
 * Run before `wrangler deploy` / `wrangler dev`: `node scripts/copy-docs-assets.mjs`.
 */
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DOCS_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];
export const UPLOT_ASSETS = ['uPlot.iife.min.js', 'uPlot.min.css'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const outDir = path.join(root, 'dist', 'docs-assets');
const dashboardDir = path.join(root, 'src', 'dashboard');

export async function copyDocsAssets(dest = outDir) {
  const req = createRequire(path.join(root, 'package.json'));
  const swagger = path.dirname(req.resolve('swagger-ui-dist/package.json'));
  const uplot = path.join(path.dirname(req.resolve('uplot/package.json')), 'dist');
  const dashDest = path.join(dest, 'dashboard');
  await mkdir(dashDest, { recursive: true });
  const dashboard = (await readdir(dashboardDir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  await Promise.all([
    ...DOCS_ASSETS.map((name) => copyFile(path.join(swagger, name), path.join(dest, name))),
    ...UPLOT_ASSETS.map((name) => copyFile(path.join(uplot, name), path.join(dashDest, name))),
    ...dashboard.map((name) => copyFile(path.join(dashboardDir, name), path.join(dashDest, name))),
  ]);
  return { dest, count: DOCS_ASSETS.length + UPLOT_ASSETS.length + dashboard.length };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { dest, count } = await copyDocsAssets();
  console.log(`copied ${count} docs and dashboard files to ${path.relative(root, dest)}`);
}
