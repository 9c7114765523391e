/** docs/api.md stays true to the gateway: its endpoints, parameters, error codes and Run fields are those of /openapi.json and the code. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '../schemas/run.js';
import { STATUS_OF } from '../src/core/errors.js';
import type { RunningGateway } from '../src/server.js';
import { VERSION } from '../src/version.js';
import { gatewayFor } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOC_FILE = path.join(ROOT, 'docs/api.md');
const DOC = readFileSync(DOC_FILE, 'utf8');

interface Parameter {
  name: string;
  in: string;
}
interface Operation {
  operationId?: string;
  tags?: string[];
  parameters?: Parameter[];
}
interface OpenApi {
  info: { version: string };
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

/** The cells of a Markdown table row (`\|` inside a cell is not a separator), trimmed. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

/** The text of a backticked cell (`` `name` `` → name), or null when the cell is not one code span. */
const code = (cell: string): string | null => /^`([^`]+)`$/.exec(cell)?.[1] ?? null;

/** The lines from a heading to the next heading of the same or a higher level (or the end). */
function section(heading: string): string[] {
  const lines = DOC.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`docs/api.md has no heading ${heading}`);
  const level = /^#+/.exec(heading)![0].length;
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(start + 1, end < 0 ? lines.length : end);
}

/** The rows (as cells) of the first table in `lines` whose header starts with `first`; null when there is none. */
function table(lines: string[], first: string): string[][] | null {
  const i = lines.findIndex((l) => l.trim().startsWith('|') && cells(l)[0] === first);
  if (i < 0) return null;
  const rows: string[][] = [];
  for (let j = i + 2; j < lines.length && lines[j]!.trim().startsWith('|'); j++) rows.push(cells(lines[j]!));
  return rows;
}

/** `### GET /path` headings, in order. */
function endpointHeadings(): Array<{ method: string; path: string; heading: string }> {
  return DOC.split('\n')
    .map((l) => /^### (GET|POST|PUT|PATCH|DELETE) (\/\S*)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ method: m[1]!.toLowerCase(), path: m[2]!, heading: m[0] }));
}

/** The parameter rows of an endpoint's section: name and where it goes (`query`, `path`, `header`). */
function documentedParameters(heading: string): Parameter[] {
  const rows = table(section(heading), 'parameter') ?? [];
  return rows.map((r) => {
    const name = code(r[0] ?? '');
    if (!name) throw new Error(`${heading}: the parameter cell ${r[0]} is not one code span`);
    return { name, in: r[1] ?? '' };
  });
}

/** Paths the doc names: inline code spans that are paths, and the paths of the gateway URLs in its code blocks. */
function namedPaths(): string[] {
  const out = new Set<string>();
  for (const m of DOC.matchAll(/`([^`\n]+)`/g)) {
    const span = m[1]!;
    if (/^\/[A-Za-z0-9._~:{}/-]*(\?\S*)?$/.test(span)) out.add(span.split('?')[0]!);
  }
  for (const m of DOC.matchAll(/https?:\/\/(?:127\.0\.0\.1|localhost)(?::\d+)?(\/[^\s'"`)]*)?/g)) out.add((m[1] ?? '/').split('?')[0]!);
  return [...out].sort();
}

const templateMatches = (template: string, p: string): boolean =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(p);

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string): string =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

let gw: RunningGateway;
let doc: OpenApi;
beforeAll(async () => {
  gw = await gatewayFor({ tenants: { t: { keys: [{ key: 'k-docs-test', scopes: ['runs:read'] }], providers: {} } } });
  const res = await fetch(`${gw.url}/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as OpenApi;
});
afterAll(async () => gw?.close(100));

describe('the OpenAPI document', () => {
  it('carries the version of package.json (src/version.ts), servers, and an operationId and tags on every operation', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION, 'src/version.ts must say the version of package.json').toBe(pkg.version);
    expect(doc.info.version).toBe(pkg.version);
    expect(doc.servers?.length).toBeGreaterThan(0);
    const tags = new Set((doc.tags ?? []).map((t) => t.name));
    const ids: string[] = [];
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.operationId, `${method} ${p}: operationId`).toMatch(/^[a-z][A-Za-z]+$/);
        ids.push(op.operationId!);
        expect(op.tags?.length, `${method} ${p}: tags`).toBeGreaterThan(0);
        for (const t of op.tags ?? []) expect(tags.has(t), `${method} ${p}: tag ${t} is declared in the document's tags`).toBe(true);
      }
    }
    expect(new Set(ids).size, 'operationIds are unique').toBe(ids.length);
  });

  it('describes the operations endpoints too', () => {
    for (const p of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs', '/']) expect(doc.paths[p]?.['get'], p).toBeDefined();
  });
});

describe('docs/api.md', () => {
  it('has a "### GET <path>" section for every path of /openapi.json, and no other', () => {
    const headings = endpointHeadings();
    const documented = headings.map((h) => `${h.method} ${h.path}`);
    expect(new Set(documented).size, 'no endpoint documented twice').toBe(documented.length);
    const served = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect([...documented].sort()).toEqual([...served].sort());
  });

  it('names only paths that /openapi.json has', () => {
    const named = namedPaths();
    expect(named).toContain('/v1/runs/{id}/recording');
    const templates = Object.keys(doc.paths);
    const unknown = named.filter((p) => !templates.some((t) => templateMatches(t, p)));
    expect(unknown, 'paths in docs/api.md that the gateway does not serve').toEqual([]);
  });

  it("lists, for each endpoint, exactly the query and path parameters of the endpoint's OpenAPI operation", () => {
    for (const h of endpointHeadings()) {
      const op = doc.paths[h.path]?.[h.method];
      if (!op) continue; // the test above names it
      const rows = documentedParameters(h.heading);
      for (const r of rows) expect(['query', 'path', 'header'], `${h.heading}: \`${r.name}\` is in query, path or header`).toContain(r.in);
      for (const where of ['query', 'path']) {
        const inDoc = rows.filter((r) => r.in === where).map((r) => r.name).sort();
        const inApi = (op.parameters ?? []).filter((p) => p.in === where).map((p) => p.name).sort();
        expect(inDoc, `${h.heading}: ${where} parameters`).toEqual(inApi);
      }
    }
  });

  it('lists every error code with its status, and no code the gateway does not have', () => {
    const rows = table(section('## Errors'), 'code');
    expect(rows, 'docs/api.md "## Errors" has a | code | status | when | table').not.toBeNull();
    const documented = new Map(rows!.map((r) => [code(r[0] ?? '') ?? r[0]!, Number(r[1])]));
    const codes = ErrorCode.options as readonly string[];
    for (const c of codes) expect(documented.get(c), `${c}: status in docs/api.md`).toBe((STATUS_OF as Record<string, number>)[c]);
    for (const c of documented.keys()) expect(codes, `docs/api.md names ${c}`).toContain(c);
  });

  it('lists every field of the Run and of the Group, and no other', () => {
    for (const [heading, schema] of [
      ['## The Run', 'Run'],
      ['### Group', 'Group'],
    ] as const) {
      const rows = table(section(heading), 'field') ?? [];
      const fields = rows.map((r) => code(r[0] ?? '') ?? r[0]!).sort();
      // a Group's `raw` is never served (GET /v1/groups and /v1/groups/{id} leave it out)
      const props = Object.keys(doc.components.schemas[schema]?.properties ?? {}).filter((f) => !(schema === 'Group' && f === 'raw'));
      expect(fields, `${heading}: fields`).toEqual(props.sort());
    }
  });

  it('links to files that exist and to headings it has', () => {
    const anchors = new Set(DOC.split('\n').filter((l) => /^#+ /.test(l)).map((l) => slug(l.replace(/^#+ /, '').trim())));
    const links = [...DOC.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^https?:/.test(l));
    expect(links).toEqual(expect.arrayContaining(['run-index.md', 'reports.md']));
    for (const link of links) {
      const [file, anchor] = link.split('#') as [string, string | undefined];
      if (file) expect(existsSync(path.resolve(path.dirname(DOC_FILE), file)), `${link}: file`).toBe(true);
      else expect(anchors.has(anchor ?? ''), `${link}: heading`).toBe(true);
    }
  });
});
