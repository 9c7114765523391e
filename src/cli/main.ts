/** The `simgate` command line: global options, the commands, and how errors become messages and exit codes (0 ok, 1 failed, 2 usage or config). */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { SimgateConnectionError, SimgateError } from '../../client/index.js';
import { configCommand } from './config-check.js';
import { contextOf, DEFAULT_URL, EXIT, UsageError, type Ctx, type Io, type Runner } from './context.js';
import { Out } from './output.js';
import { providersCommand } from './providers.js';
import { regressionsCommand } from './regressions.js';
import { reportCommand } from './report.js';
import { runsCommand } from './runs.js';

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** The envelope's message and code (with details, provider, request id) on stderr; the exit code. */
async function failure(io: Io, e: unknown, ctx?: Ctx): Promise<number> {
  if (e instanceof SimgateError) {
    const env = e.envelope?.error;
    const lines = [`simgate: ${e.message} (${e.code}, HTTP ${e.status})`];
    for (const d of env?.details ?? []) if (d.message !== e.message) lines.push(`  ${d.path}: ${d.message}`);
    if (env?.provider) lines.push(`  provider: ${env.provider}`);
    if (env?.request_id) lines.push(`  request id: ${env.request_id}`);
    if (e.status === 401 && ctx && !ctx.hasKey) lines.push('  no gateway key was given: pass --key or set SIMGATE_KEY');
    await io.err.write(`${lines.join('\n')}\n`);
    // a flag value the gateway refused is a usage error
    return e.code === 'invalid_request' ? EXIT.usage : EXIT.failed;
  }
  if (e instanceof SimgateConnectionError) {
    await io.err.write(`simgate: ${e.message} (is the gateway running? --url or SIMGATE_URL says where it is)\n`);
    return EXIT.failed;
  }
  if (e instanceof UsageError) {
    await io.err.write(`simgate: ${e.message}\n`);
    return EXIT.usage;
  }
  await io.err.write(`simgate: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return EXIT.failed;
}

export function program(io: Io, setCode: (code: number) => void, fetchImpl?: typeof fetch): Command {
  const p = new Command('simgate')
    .description('Talk to a running simgate gateway: reports, regressions, runs, providers; check a config offline.')
    .version(version())
    .addOption(new Option('--url <url>', 'the gateway').env('SIMGATE_URL').default(DEFAULT_URL))
    .addOption(new Option('--key <key>', 'a gateway key (scopes runs:read, reports:read)').env('SIMGATE_KEY'))
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => void io.out.write(s), writeErr: (s) => void io.err.write(s) })
    .addHelpText('after', '\nExit codes: 0 ok; 1 the gateway answered an error or could not be reached; 2 usage errors (also a flag value the gateway refused: invalid_request) and config problems.\n');
  const run: Runner = async (cmd, fn) => {
    const ctx = contextOf(cmd, io, fetchImpl);
    try {
      setCode(await fn(ctx));
    } catch (e) {
      setCode(await failure(io, e, ctx));
    }
  };
  reportCommand(p, run);
  regressionsCommand(p, run);
  runsCommand(p, run);
  providersCommand(p, run);
  configCommand(p, io, setCode);
  return p;
}

/** Runs the command line `argv` (process.argv shape) and resolves to its exit code. */
export async function main(argv: string[], io: Io = { out: new Out(process.stdout), err: new Out(process.stderr) }, fetchImpl?: typeof fetch): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program(io, (c) => (code = c), fetchImpl).parseAsync(argv);
  } catch (e) {
    // --help and --version end here with 0; unknown options, missing arguments, bad choices with 2
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return failure(io, e);
  }
  return code;
}
