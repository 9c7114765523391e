/** Generates docs/config.schema.json, the JSON Schema of the config file, from src/config.ts's zod schema (`npm run gen:config-schema`; `--check`: exit 1 when stale). */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as z from 'zod';
import { ConfigSchema } from '../src/config.js';

export const outFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/config.schema.json');

/** The text of docs/config.schema.json: the schema of what the file may hold (the input side: before `${ENV}` is replaced and URLs trimmed). */
export function generate(): string {
  const { $schema, ...schema } = z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-2020-12' });
  return `${JSON.stringify({ $schema, $comment: 'Generated from src/config.ts by npm run gen:config-schema: do not edit.', ...schema }, null, 2)}\n`;
}

async function main(): Promise<void> {
  const text = generate();
  const old = await readFile(outFile, 'utf8').catch(() => '');
  const rel = path.relative(process.cwd(), outFile);
  if (old === text) {
    console.log(`${rel} is up to date`);
  } else if (process.argv.includes('--check')) {
    console.error(`stale: ${rel} (run npm run gen:config-schema)`);
    process.exit(1);
  } else {
    await writeFile(outFile, text);
    console.log(`wrote ${rel}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
