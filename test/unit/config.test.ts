/** Config: validation with JSON paths, ${ENV} substitution, sha256 keys, and exit code 2 at start-up. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
  it('accepts the API.md example shape and substitutes ${ENV}', () => {
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
      JSON.stringify({ tenants: { a: { keys: [{ sha256: await sha256Hex('secret-key-a'), scopes: ['runs:read'] }], providers: {} }, b: { keys: [{ key: 'secret-key-b', scopes: ['reports:read'] }], providers: {} } } }),
      {},
    );
    const ring = await KeyRing.from(cfg);
    // no perMinute: the operator asked for no request limit
    expect(await ring.verify('secret-key-a')).toMatchObject({ tenant: 'a', scopes: ['runs:read'], perMinute: null });
    expect(await ring.verify('secret-key-b')).toMatchObject({ tenant: 'b', scopes: ['reports:read'] });
    expect(await ring.verify('secret-key-c')).toBeNull();
    expect(problems(JSON.stringify({ tenants: { a: { keys: [{ sha256: 'abc', scopes: ['runs:read'] }], providers: {} } } }))[0]).toMatch(/^tenants\.a\.keys\.0/);
  });

  it('index and requestTimeoutMs are validated with their paths', () => {
    const bad = { ...valid, requestTimeoutMs: 5, index: { horizonDays: 0, maxStalenessMs: -1, nope: true } };
    const p = problems(JSON.stringify(bad), { ACME_KEY: 'k', PATHSIM_API_KEY: 'p' });
    expect(p.some((x) => x.startsWith('requestTimeoutMs:'))).toBe(true);
    expect(p.some((x) => x.startsWith('index.horizonDays:'))).toBe(true);
    expect(p.some((x) => x.startsWith('index.maxStalenessMs:'))).toBe(true);
    expect(p).toContain('index: unknown key nope');
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
