// `npm run build`: the Node gateway compiled by tsc (tsconfig.build.json) into dist/ plus the dashboard's static files; `-- --out-dir <dir>` builds elsewhere.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const at = process.argv.indexOf('--out-dir');
const out = path.resolve(root, at >= 0 && process.argv[at + 1] ? process.argv[at + 1] : 'dist');

// a clean build: what an earlier build left (a source since deleted) is gone; dist/worker and dist/docs-assets stay
for (const dir of ['src', 'adapters', 'schemas']) rmSync(path.join(out, dir), { recursive: true, force: true });

const tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', out], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

// read at run time next to the compiled server (src/server.ts resolves ./dashboard/ from its own file)
cpSync(path.join(root, 'src', 'dashboard'), path.join(out, 'src', 'dashboard'), { recursive: true });
console.log(`built ${path.relative(root, path.join(out, 'src', 'node.js'))}`);
