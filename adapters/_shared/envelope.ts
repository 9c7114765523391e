/**
 * Every adapter checks the vendor's envelope with a zod schema before it reads it: a body of the
 * wrong shape is that vendor's provider_error, never a 500.
 */
import type * as z from 'zod';
import type { ProviderId } from '../../schemas/run.js';
import { GatewayError } from '../../src/core/errors.js';

/** An envelope check for one vendor: `envelope(schema, body, 'sessions')`. */
export function envelopeOf(provider: ProviderId, name: string) {
  return function envelope<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
    const r = schema.safeParse(body);
    if (!r.success) throw new GatewayError('provider_error', `${name}: unexpected ${what} body`, { provider });
    return r.data;
  };
}
