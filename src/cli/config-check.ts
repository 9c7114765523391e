/** `simgate config check FILE`: validates a gateway config offline with the gateway's own parser (`${ENV}` from this environment); one problem a line. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { EXIT, type Io } from './context.js';

export async function configCheck(io: Io, file: string, env: Record<string, string | undefined> = process.env): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    await io.err.write(`simgate: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT.usage;
  }
  // loaded here, not at start-up: zod and the schemas cost the other commands most of a second
  const { ConfigError, parseConfig } = await import('../config.js');
  try {
    const config = parseConfig(text, env);
    const tenants = Object.keys(config.tenants).length;
    await io.out.write('ok\n');
    await io.err.write(`simgate: ${file}: ${tenants} tenant${tenants === 1 ? '' : 's'}, no problems\n`);
    return EXIT.ok;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // the problems are the output (one a line, `json.path: message`, as `npm start` prints them); the count goes to stderr
    await io.out.write(e.problems.map((p) => `${p}\n`).join(''));
    await io.err.write(`simgate: ${file}: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}\n`);
    return EXIT.usage;
  }
}

export function configCommand(program: Command, io: Io, done: (code: number) => void): void {
  const config = program.command('config').description('gateway configuration files');
  config
    .command('check')
    .argument('<file>', 'a config file (JSON, as SIMGATE_CONFIG names it)')
    .description('validate a config offline: prints each problem with its JSON path and exits 2, or prints "ok"')
    .addHelpText('after', '\n${NAME} placeholders are replaced from this environment; a missing variable is a problem.\n')
    .action(async (file: string) => done(await configCheck(io, file)));
}
