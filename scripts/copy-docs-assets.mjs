#!/usr/bin/env node
/**
 * Copies the static files the Worker serves through its ASSETS binding into dist/docs-assets, the `[assets]`
 * directory of wrangler.toml: the swagger-ui-dist files of /docs, and in dashboard/ the files of src/dashboard/
 * (the page at GET /) with uPlot's two dist files. Neither page needs the internet. And the OpenAPI documents the
 * Worker serves at GET /openapi.json (its bundle has no OpenAPI generator): made by scripts/openapi-documents.ts
 * on Node, as Node serves them, one per variant of the app, named `openapi-<key>.json` (src/worker/openapi-doc.ts).
 * Run before `wrangler deploy` / `wrangler dev`: `node scripts/copy-docs-assets.mjs`.
 */
import { copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
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
  const documents = await writeOpenapiDocuments(dest);
  return { dest, count: DOCS_ASSETS.length + UPLOT_ASSETS.length + dashboard.length + documents.length };
}

/**
 * Writes the Worker's OpenAPI documents into `dest` and removes those of an earlier build; returns their names.
 * A document already there as it should be is left alone, and a new one appears whole (written beside `dest`,
 * then renamed into it): a Worker that is serving the directory meanwhile never reads half a document.
 */
export async function writeOpenapiDocuments(dest = outDir) {
  // the app is TypeScript: loaded through tsx, as `npm start` loads it
  const { tsImport } = await import('tsx/esm/api');
  const { OPENAPI_ASSET, openapiDocuments } = await tsImport('./openapi-documents.ts', import.meta.url);
  const documents = await openapiDocuments();
  await mkdir(dest, { recursive: true });
  const names = new Set(documents.map((d) => d.name));
  const present = await readdir(dest);
  await Promise.all(
    documents.map(async (d) => {
      const file = path.join(dest, d.name);
      if ((await readFile(file, 'utf8').catch(() => null)) === d.text) return;
      const tmp = path.join(path.dirname(dest), `.${d.name}.${process.pid}.tmp`);
      await writeFile(tmp, d.text);
      await rename(tmp, file);
    }),
  );
  await Promise.all(present.filter((name) => OPENAPI_ASSET.test(name) && !names.has(name)).map((name) => rm(path.join(dest, name), { force: true })));
  return [...names];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { dest, count } = await copyDocsAssets();
  console.log(`copied ${count} docs, dashboard and OpenAPI files to ${path.relative(root, dest)}`);
}
