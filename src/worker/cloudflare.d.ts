/** The part of the `cloudflare:workers` module simgate uses (the Worker's types stay out of the Node type graph). */
declare module 'cloudflare:workers' {
  export abstract class DurableObject<Env = unknown> {
    protected readonly ctx: {
      storage: { sql: import('./sql-index.js').SqlStorage; transactionSync<T>(fn: () => T): T };
      blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
    };
    protected readonly env: Env;
    constructor(ctx: unknown, env: Env);
  }
}
