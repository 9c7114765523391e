/** One typed error for every failure path, rendered as the envelope of docs/api.md "Errors". */
import type { ErrorCode, ErrorEnvelope, ProviderId } from '../../schemas/run.js';

export const STATUS_OF: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_cursor: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  range_not_satisfiable: 416,
  rate_limited: 429,
  provider_error: 502,
  provider_unavailable: 503,
  provider_timeout: 504,
  internal: 500,
};

export interface ErrorDetail {
  path: string;
  message: string;
}

export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;
  readonly provider: ProviderId | undefined;
  readonly retryable: boolean;
  readonly retryAfterS: number | undefined;
  readonly headers: Record<string, string>;
  /** The vendor's HTTP status behind a provider error, when it answered one. */
  readonly upstreamStatus: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    o: {
      status?: number;
      details?: ErrorDetail[];
      provider?: ProviderId;
      retryable?: boolean;
      retryAfterS?: number;
      headers?: Record<string, string>;
      upstreamStatus?: number;
    } = {},
  ) {
    super(message);
    this.name = 'GatewayError';
    this.code = code;
    this.status = o.status ?? STATUS_OF[code];
    this.details = o.details;
    this.provider = o.provider;
    this.retryable = o.retryable ?? (code === 'rate_limited' || code === 'provider_unavailable' || code === 'provider_timeout');
    this.retryAfterS = o.retryAfterS;
    this.headers = o.headers ?? {};
    this.upstreamStatus = o.upstreamStatus;
  }
}

export function envelope(e: GatewayError, requestId: string): ErrorEnvelope {
  return {
    error: {
      code: e.code,
      message: e.message,
      status: e.status,
      ...(e.details ? { details: e.details } : {}),
      ...(e.provider ? { provider: e.provider } : {}),
      retryable: e.retryable,
      request_id: requestId,
    },
  };
}

/** Any thrown value as a GatewayError; unknown errors become `internal` with a generic message. */
export function asGatewayError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  return new GatewayError('internal', 'internal error', { retryable: false });
}

/** The most telling status among several provider failures (timeout > unavailable > error). */
export function worstProviderError(errors: GatewayError[]): GatewayError {
  const rank: Partial<Record<ErrorCode, number>> = { provider_timeout: 3, provider_unavailable: 2, rate_limited: 2, provider_error: 1 };
  return [...errors].sort((a, b) => (rank[b.code] ?? 0) - (rank[a.code] ?? 0))[0]!;
}
