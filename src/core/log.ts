/** Structured JSON logs. Values are passed through `redact` so no credential can reach a line. */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const SECRET_KEYS = /^(authorization|apikey|api_key|x-api-key|x-cekura-api-key|key|token|password|secret)$/i;

export function redact(v: unknown, depth = 0): unknown {
  if (depth > 5) return '[…]';
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : redact(x, depth + 1)]));
  }
  return v;
}

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function jsonLogger(
  write: (line: string) => void = (l) => console.log(l),
  min: Level = 'info',
  base: Record<string, unknown> = {},
): Logger {
  return {
    log(level, msg, fields = {}) {
      if (ORDER[level] < ORDER[min]) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...base, ...(redact(fields) as object) }));
    },
    child(fields) {
      return jsonLogger(write, min, { ...base, ...fields });
    },
  };
}

export const silentLogger: Logger = { log() {}, child: () => silentLogger };
