/** The adapters simgate ships, by provider id. The only place that names them all. */
import type { ProviderId } from '../schemas/run.js';
import type { Adapter } from '../src/core/types.js';
import { cekura } from './cekura/index.js';
import { pathsim } from './pathsim/index.js';
import { saleslab } from './saleslab/index.js';
import { sigmamind } from './sigmamind/index.js';
import { synthflow } from './synthflow/index.js';

export const adapters: Partial<Record<ProviderId, Adapter>> = { pathsim, synthflow, saleslab, sigmamind, cekura };
