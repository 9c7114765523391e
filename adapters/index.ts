/** The adapters simgate ships, by provider id. The only place that names them all. */
import type { ProviderId } from '../schemas/run.js';
import type { Adapter } from '../src/core/types.js';
import { pathsim } from './pathsim/index.js';
import { sigmamind } from './sigmamind/index.js';

export const adapters: Partial<Record<ProviderId, Adapter>> = { pathsim, sigmamind };
