/** Config: validation with JSON paths and one exact message per problem, ${ENV} substitution, sha256 keys, exit code 2 at start-up, the JSON Schema. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, parseConfig } from '../../src/config.js';
import { KeyRing } from '../../src/auth.js';
import { sha256Hex } from '../../src/core/crypto.js';

const problems = (text: string, env: Record<string, string> = {}): string[] => {
  try {
    parseConfig(text, env);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
};

const valid = {
  tenants: {
    acme: {
      keys: [{ key: '${ACME_KEY}', scopes: ['runs:read', 'reports:read'] }],
      providers: { pathsim: { apiKey: '${PATHSIM_API_KEY}' }, saleslab: { apiKey: 'x', baseUrl: 'https://saleslab.example/', passScore: 70 } },
    },
  },
  providers: { pathsim: { rateLimit: { perMinute: 100, concurrency: 10 }, timeoutMs: 10000 } },
};

describe('config', () => {
  it('accepts the shape of the README.md config example and substitutes ${ENV}', () => {
    const cfg = parseConfig(JSON.stringify(valid), { ACME_KEY: 'k-acme', PATHSIM_API_KEY: 'p-key' });
    expect(cfg.tenants.acme!.keys[0]).toEqual({ key: 'k-acme', scopes: ['runs:read', 'reports:read'] });
    expect(cfg.tenants.acme!.providers.pathsim!.apiKey).toBe('p-key');
    expect(cfg.tenants.acme!.providers.saleslab!.baseUrl).toBe('https://saleslab.example');
  });

  it('reports each problem with its JSON path', () => {
    const bad = {
      tenants: {
        acme: {
          keys: [{ scopes: ['runs:read'] }, { key: 'k', scopes: ['admin'] }],
          providers: { pathsim: {}, nope: { apiKey: 'x' }, synthflow: { apiKey: 'x', baseUrl: 'ftp://x' } },
        },
      },
      providers: { pathsim: { timeoutMs: -1 } },
      extra: true,
    };
    const p = problems(JSON.stringify(bad));
    expect(p).toContain('tenants.acme.providers.pathsim.apiKey: required');
    expect(p.some((x) => x.startsWith('tenants.acme.keys.0:'))).toBe(true);
    expect(p.some((x) => x.startsWith('tenants.acme.keys.1'))).toBe(true);
    expect(p.some((x) => x.startsWith('tenants.acme.providers') && x.includes('nope'))).toBe(true);
    expect(p.some((x) => x.startsWith('tenants.acme.providers.synthflow.baseUrl:'))).toBe(true);
    expect(p.some((x) => x.startsWith('providers.pathsim.timeoutMs:'))).toBe(true);
    expect(p.some((x) => x.includes('extra'))).toBe(true);
  });

  it('a missing environment variable is a config error naming the path and the variable', () => {
    const p = problems(JSON.stringify(valid), { ACME_KEY: 'k' });
    expect(p).toEqual(['tenants.acme.providers.pathsim.apiKey: environment variable PATHSIM_API_KEY is not set']);
  });

  it('invalid JSON and an empty tenants object are errors', () => {
    expect(problems('{ nope')[0]).toMatch(/^\(root\): not valid JSON/);
    expect(problems(JSON.stringify({ tenants: {} }))[0]).toMatch(/^tenants: at least one tenant/);
  });

  it('a sha256 key entry authenticates the key it hashes, in constant time against every entry', async () => {
    const cfg = parseConfig(
      JSON.stringify({
        tenants: {
          a: { keys: [{ sha256: await sha256Hex('secret-key-a'), scopes: ['runs:read'] }], providers: { pathsim: { apiKey: 'p' } } },
          b: { keys: [{ key: 'secret-key-b', scopes: ['reports:read'] }], providers: { cekura: { apiKey: 'c' } } },
        },
      }),
      {},
    );
    const ring = await KeyRing.from(cfg);
    // no perMinute: the operator asked for no request limit
    expect(await ring.verify('secret-key-a')).toMatchObject({ tenant: 'a', scopes: ['runs:read'], perMinute: null });
    expect(await ring.verify('secret-key-b')).toMatchObject({ tenant: 'b', scopes: ['reports:read'] });
    expect(await ring.verify('secret-key-c')).toBeNull();
    expect(problems(JSON.stringify({ tenants: { a: { keys: [{ sha256: 'abc', scopes: ['runs:read'] }], providers: { pathsim: { apiKey: 'p' } } } } }))[0]).toMatch(/^tenants\.a\.keys\.0/);
  });

  it('index and requestTimeoutMs are validated with their paths', () => {
    const bad = { ...valid, requestTimeoutMs: 5, index: { horizonDays: 0, maxStalenessMs: -1, nope: true } };
    const p = problems(JSON.stringify(bad), { ACME_KEY: 'k', PATHSIM_API_KEY: 'p' });
    expect(p.some((x) => x.startsWith('requestTimeoutMs:'))).toBe(true);
    expect(p.some((x) => x.startsWith('index.horizonDays:'))).toBe(true);
    expect(p.some((x) => x.startsWith('index.maxStalenessMs:'))).toBe(true);
    expect(p).toContain('index: unknown field "nope"; allowed: enabled, horizonDays, maxStalenessMs, overlapMs, refreshMinMs, refreshMaxMs, maxRuns');
    const ok = parseConfig(JSON.stringify({ ...valid, requestTimeoutMs: 3000, index: { horizonDays: 30, maxStalenessMs: 5000, enabled: true } }), { ACME_KEY: 'k', PATHSIM_API_KEY: 'p' });
    expect(ok.index).toEqual({ horizonDays: 30, maxStalenessMs: 5000, enabled: true });
    expect(ok.requestTimeoutMs).toBe(3000);
  });

  it('npm start with an invalid config prints every problem with its path and exits 2', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'simgate-cfg-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ tenants: { acme: { keys: [{ key: '${MISSING_KEY_VAR}', scopes: ['runs:read'] }], providers: { pathsim: {} } } } }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/node.ts'], { env: { ...process.env, SIMGATE_CONFIG: file, PORT: '0' }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('tenants.acme.providers.pathsim.apiKey: required');
    expect(r.stderr).toContain('tenants.acme.keys.0.key: environment variable MISSING_KEY_VAR is not set');
  });
});

/** A config with one tenant `acme` whose key entry and providers are given (the rest valid). */
const acme = (key: Record<string, unknown>, providers: Record<string, unknown> = { pathsim: { apiKey: 'p' } }, top: Record<string, unknown> = {}): string =>
  JSON.stringify({ tenants: { acme: { keys: [key], providers } }, ...top });
const KEY = { key: 'k-acme-0001', scopes: ['runs:read'] };
const KEY_FIELDS = 'allowed: key, sha256, scopes, perMinute';
const PROVIDER_FIELDS = 'allowed: apiKey, baseUrl, passScore, agentIds';
const PROVIDERS = 'allowed: pathsim, synthflow, saleslab, sigmamind, cekura';

describe('config messages: one per problem, naming the field, the rule and the allowed values', () => {
  it('an unknown scope names the scopes allowed', () => {
    expect(problems(acme({ key: 'k', scopes: ['runs:read', 'runs:write'] }))).toEqual(['tenants.acme.keys.0.scopes.1: unknown scope "runs:write"; allowed: runs:read, reports:read']);
    expect(problems(acme({ key: 'k', scopes: [] }))).toEqual(['tenants.acme.keys.0.scopes: must list at least one scope; allowed: runs:read, reports:read']);
  });

  it('a number of the wrong type or out of range states the whole rule and what it got', () => {
    expect(problems(acme({ ...KEY, perMinute: '120' }))).toEqual(['tenants.acme.keys.0.perMinute: must be a whole number ≥ 1, got "120" (a string)']);
    expect(problems(acme({ ...KEY, perMinute: 0 }))).toEqual(['tenants.acme.keys.0.perMinute: must be a whole number ≥ 1, got 0']);
    expect(problems(acme({ ...KEY, perMinute: 1.5 }))).toEqual(['tenants.acme.keys.0.perMinute: must be a whole number ≥ 1, got 1.5']);
    // a value from the environment is a string, and is shown as written, not as its (maybe secret) value
    expect(problems(acme({ ...KEY, perMinute: '${RATE}' }), { RATE: '120' })).toEqual([
      'tenants.acme.keys.0.perMinute: must be a whole number ≥ 1, got "${RATE}" (a string, from the environment)',
    ]);
    expect(problems(acme(KEY, { saleslab: { apiKey: 's', baseUrl: 'https://saleslab.example', passScore: 170 } }))).toEqual([
      'tenants.acme.providers.saleslab.passScore: must be a number from 0 to 100, got 170',
    ]);
    expect(problems(acme(KEY, undefined, { requestTimeoutMs: 5, providers: { pathsim: { timeoutMs: -1, rateLimit: { perMinute: 'x' } } } }))).toEqual([
      'providers.pathsim.rateLimit.perMinute: must be a whole number from 1 to 1000000, got "x" (a string)',
      'providers.pathsim.timeoutMs: must be a whole number from 100 to 300000, got -1',
      'requestTimeoutMs: must be a whole number from 100 to 300000, got 5',
    ]);
    expect(problems(acme(KEY, undefined, { metrics: { enabled: 'yes' } }))).toEqual(['metrics.enabled: must be true or false, got "yes" (a string)']);
  });

  it('a misspelt field is one problem: the unknown field, what it probably meant, and the fields allowed', () => {
    expect(problems(acme({ key: 'k', scope: ['runs:read'] }))).toEqual([`tenants.acme.keys.0: unknown field "scope" (did you mean "scopes"?); ${KEY_FIELDS}`]);
    expect(problems(acme({ apikey: 'k', scopes: ['runs:read'] }))).toEqual([`tenants.acme.keys.0: unknown field "apikey" (did you mean "key"?); ${KEY_FIELDS}`]);
    expect(problems(acme(KEY, { pathsim: { apikey: 'p' } }))).toEqual([`tenants.acme.providers.pathsim: unknown field "apikey" (did you mean "apiKey"?); ${PROVIDER_FIELDS}`]);
    expect(problems(acme(KEY, { pathsm: { apiKey: 'p' } }))).toEqual([`tenants.acme.providers: unknown provider "pathsm" (did you mean "pathsim"?); ${PROVIDERS}`]);
    expect(problems(acme(KEY, { nope: { apiKey: 'p' } }))).toEqual([`tenants.acme.providers: unknown provider "nope"; ${PROVIDERS}`]);
    expect(problems(acme({ ...KEY, colour: 'red' }))).toEqual([`tenants.acme.keys.0: unknown field "colour"; ${KEY_FIELDS}`]);
    expect(problems(acme(KEY, undefined, { extra: true }))).toEqual(['(root): unknown field "extra"; allowed: tenants, providers, metrics, cors, index, requestTimeoutMs, cursorSecret']);
  });

  it('cors.origins takes origins or "*", nothing else', () => {
    expect(problems(acme(KEY, undefined, { cors: { origins: ['https://app.example', 'http://localhost:3000', '*'] } }))).toEqual([]);
    expect(problems(acme(KEY, undefined, { cors: { origins: ['https://app.example/path'] } }))).toEqual(['cors.origins.0: must be an origin (scheme://host[:port], no path) or "*"']);
    expect(problems(acme(KEY, undefined, { cors: { origins: 'https://app.example' } }))).toEqual(['cors.origins: must be a list of origins, got "https://app.example" (a string)']);
  });

  it('a key entry needs exactly one of key and sha256', () => {
    expect(problems(acme({ scopes: ['runs:read'] }))).toEqual(['tenants.acme.keys.0: needs "key" or "sha256"']);
    expect(problems(acme({ ...KEY, sha256: 'a'.repeat(64) }))).toEqual(['tenants.acme.keys.0: give "key" or "sha256", not both']);
    expect(problems(acme({ sha256: 'abc', scopes: ['runs:read'] }))).toEqual(['tenants.acme.keys.0.sha256: must be 64 hex characters (the SHA-256 of the key), got a string of 3 characters']);
    expect(problems(acme({ key: '', scopes: ['runs:read'] }))).toEqual(['tenants.acme.keys.0.key: must not be empty']);
  });

  it('a bad baseUrl is reported once, with the value', () => {
    expect(problems(acme(KEY, { synthflow: { apiKey: 's', baseUrl: 'ftp://x' } }))).toEqual(['tenants.acme.providers.synthflow.baseUrl: must be an http(s) URL, got "ftp://x"']);
    expect(problems(acme(KEY, { synthflow: { apiKey: 's', baseUrl: 'not a url' } }))).toEqual(['tenants.acme.providers.synthflow.baseUrl: must be an http(s) URL, got "not a url"']);
    expect(problems(acme(KEY, { synthflow: { apiKey: 's', baseUrl: 5 } }))).toEqual(['tenants.acme.providers.synthflow.baseUrl: must be an http(s) URL, got 5 (a number)']);
  });

  it('Sales Lab without baseUrl and a tenant without providers are errors, not a gateway that fails later', () => {
    expect(problems(acme(KEY, { saleslab: { apiKey: 's' } }))).toEqual([
      'tenants.acme.providers.saleslab.baseUrl: required: Sales Lab has no default; give the origin of your Sales Lab API (e.g. https://saleslab.example)',
    ]);
    expect(problems(acme(KEY, {}))).toEqual([`tenants.acme.providers: a tenant needs at least one provider; ${PROVIDERS}`]);
  });

  it('other shapes: lists, agent ids, tenant ids, the root', () => {
    expect(problems(JSON.stringify({ tenants: { acme: { keys: 'k', providers: { pathsim: { apiKey: 'p' } } } } }))).toEqual(['tenants.acme.keys: must be a list of key entries, got "k" (a string)']);
    expect(problems(acme(KEY, { cekura: { apiKey: 'c', agentIds: ['', true, 7] } }))).toEqual([
      'tenants.acme.providers.cekura.agentIds.0: must not be empty',
      'tenants.acme.providers.cekura.agentIds.1: must be an agent id: a non-empty string or a whole number, got true (a boolean)',
    ]);
    expect(problems(JSON.stringify({ tenants: { 'a b': { keys: [KEY], providers: { pathsim: { apiKey: 'p' } } } } }))).toEqual(['tenants: "a b" is not a tenant id (1-64 of A-Z a-z 0-9 _ -)']);
    expect(problems('[]')).toEqual(['(root): must be an object, got a list']);
  });

  it('never repeats a secret: keys, vendor keys and the cursor secret are shown by their kind only', () => {
    const p = problems(JSON.stringify({ tenants: { acme: { keys: [{ key: 40_417_733, scopes: ['runs:read'] }], providers: { pathsim: { apiKey: 90_210_555 } } } }, cursorSecret: 'short-secret' }));
    expect(p).toEqual([
      'tenants.acme.keys.0.key: must be a string, got a number',
      'tenants.acme.providers.pathsim.apiKey: must be a string, got a number',
      'cursorSecret: must be at least 16 characters, got a string of 12 characters',
    ]);
    expect(p.join('\n')).not.toMatch(/40417733|90210555|short-secret/);
  });

  it('`simgate config check` prints the same messages as the start-up (one code path)', async () => {
    const { configCheck } = await import('../../src/cli/config-check.js');
    const { Out } = await import('../../src/cli/output.js');
    const { PassThrough } = await import('node:stream');
    const dir = mkdtempSync(path.join(tmpdir(), 'simgate-cfg-'));
    const file = path.join(dir, 'bad.json');
    const text = acme({ key: 'k', scope: ['runs:read'] }, { saleslab: { apiKey: 's' } });
    writeFileSync(file, text);
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (b: Buffer) => chunks.push(b.toString()));
    const code = await configCheck({ out: new Out(out), err: new Out(new PassThrough()) }, file, {});
    expect(code).toBe(2);
    expect(chunks.join('').trimEnd().split('\n')).toEqual(problems(text));
    expect(problems(text)).toHaveLength(2);
  });

  it('npm start refuses Sales Lab without baseUrl and a tenant without providers (exit 2)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'simgate-cfg-'));
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ tenants: { acme: { keys: [KEY], providers: { saleslab: { apiKey: 's' } } }, empty: { keys: [{ key: 'k-empty-0001', scopes: ['runs:read'] }], providers: {} } } }));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/node.ts'], { env: { ...process.env, SIMGATE_CONFIG: file, PORT: '0' }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('tenants.acme.providers.saleslab.baseUrl: required: Sales Lab has no default');
    expect(r.stderr).toContain(`tenants.empty.providers: a tenant needs at least one provider; ${PROVIDERS}`);
  });
});

describe('docs/config.schema.json', () => {
  it('is the JSON Schema of ConfigSchema as it is today (npm run gen:config-schema)', async () => {
    const { generate, outFile } = await import('../../scripts/gen-config-schema.js');
    const committed = readFileSync(outFile, 'utf8');
    expect(committed, 'docs/config.schema.json is stale: run npm run gen:config-schema').toBe(generate());
    const schema = JSON.parse(committed) as { $schema: string; properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(Object.keys(schema.properties)).toEqual(['tenants', 'providers', 'metrics', 'cors', 'index', 'requestTimeoutMs', 'cursorSecret']);
    expect(schema.required).toEqual(['tenants']);
    expect(schema.additionalProperties).toBe(false);
    // what the parser adds to zod's own: one of key/sha256, Sales Lab's baseUrl, at least one provider
    expect(committed).toContain('"oneOf"');
    expect(committed).toContain('"minProperties": 1');
  });
});
