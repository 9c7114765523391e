/** `npm start` without SIMGATE_CONFIG: demo mode answers with the built-in simulators; SIGTERM exits 0, through npm too. */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';

describe('demo mode', () => {
  it('starts, prints how to call it and where the dashboard is, serves runs for key "demo", and stops cleanly on SIGTERM', async () => {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: '0' };
    delete env['SIMGATE_CONFIG'];
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/node.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no start-up line: ${out}`)), 30_000);
      const check = (): void => {
        const m = /curl -H 'Authorization: Bearer demo' (http:\/\/[0-9.:]+)\/v1\/runs/.exec(out);
        if (m && out.includes('/docs') && out.includes('dashboard: ')) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      };
      child.stdout.on('data', check);
    });
    expect(out).toContain('/docs');
    expect(out).toContain(`dashboard: ${url}/ `);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('Gateway key');
    const res = await fetch(`${url}/v1/runs?limit=5`, { headers: { authorization: 'Bearer demo' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Array<{ provider: string }>; next_cursor: string | null };
    expect(body.data).toHaveLength(5);
    expect(body.next_cursor).not.toBeNull();
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(out.trim().split('\n').at(-1)).toContain('"msg":"stopped"');
  });

  it('`npm start` itself: SIGTERM to npm reaches the gateway (no orphan left holding the port), which logs "stopped"; npm exits 0', async () => {
    const env: Record<string, string> = { ...(process.env as Record<string, string>), PORT: '0' };
    delete env['SIMGATE_CONFIG'];
    const npm = spawn('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    npm.stdout.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no start-up line: ${out}`)), 30_000);
      npm.stdout.on('data', () => {
        const m = /"msg":"listening","url":"([^"]+)"/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const code = await new Promise<number | null>((resolve) => {
      npm.on('exit', (c) => resolve(c));
      npm.kill('SIGTERM');
    });
    expect(code).toBe(0);
    expect(out).toContain('"msg":"stopped","signal":"SIGTERM"');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
