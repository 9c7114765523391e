/** What every command gets: the typed client for --url/--key (or SIMGATE_URL/SIMGATE_KEY), stdout and stderr writers, and the exit codes. */
import type { Command } from 'commander';
import { createSimgateClient, type SimgateClient } from '../../client/index.js';
import { Out } from './output.js';

export const DEFAULT_URL = 'http://127.0.0.1:8787';

/** 0 ok; 1 the gateway (or the connection to it) failed; 2 usage errors (a flag value the gateway refused, too) and config problems. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A usage error found by a command itself (commander finds the others): exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Io {
  out: Out;
  err: Out;
}

export interface Ctx extends Io {
  client: SimgateClient;
  url: string;
  /** Whether a key was given (a 401 without one gets a hint). */
  hasKey: boolean;
}

interface GlobalOptions {
  url: string;
  key?: string;
}

export function contextOf(cmd: Command, io: Io, fetchImpl?: typeof fetch): Ctx {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  let url: URL;
  try {
    url = new URL(g.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got ${JSON.stringify(g.url)}`);
  }
  const baseUrl = url.href.replace(/\/+$/, '');
  const key = g.key?.trim() || undefined;
  return { ...io, url: baseUrl, hasKey: !!key, client: createSimgateClient({ baseUrl, key, ...(fetchImpl ? { fetch: fetchImpl } : {}) }) };
}

/** How main runs a command's body: builds its context, maps errors to messages and exit codes. */
export type Runner = (cmd: Command, fn: (ctx: Ctx) => Promise<number>) => Promise<void>;

/** The query parameters that were given (commander leaves the others undefined). */
export function given<T extends Record<string, string | number | undefined>>(q: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '')) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
