#!/usr/bin/env node
/**
 * Copies the swagger-ui-dist files the /docs page uses into dist/docs-assets, the `[assets]` directory of
 * wrangler.toml, so the Worker serves them through its ASSETS binding (the docs page needs no internet).
 * Run before `wrangler deploy` / `wrangler dev`: `node scripts/copy-docs-assets.mjs`.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const DOCS_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const outDir = path.join(root, 'dist', 'docs-assets');

export async function copyDocsAssets(dest = outDir) {
  const src = path.dirname(createRequire(path.join(root, 'package.json')).resolve('swagger-ui-dist/package.json'));
  await mkdir(dest, { recursive: true });
  await Promise.all(DOCS_ASSETS.map((name) => copyFile(path.join(src, name), path.join(dest, name))));
  return dest;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dest = await copyDocsAssets();
  console.log(`copied ${DOCS_ASSETS.length} swagger-ui-dist files to ${path.relative(root, dest)}`);
}
