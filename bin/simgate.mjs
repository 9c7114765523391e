#!/usr/bin/env node
// `simgate` launcher: registers tsx (the repo runs its TypeScript through tsx) and runs src/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
