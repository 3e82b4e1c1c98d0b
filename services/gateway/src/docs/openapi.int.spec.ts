import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { OpenAPIObject } from '@nestjs/swagger';
import { TAGS } from './openapi-conventions';

const run = promisify(execFile);
const REDOCLY = resolve(__dirname, '../../../../node_modules/.bin/redocly');
// Nest 12 is ESM, which jest (CommonJS, Node 20) cannot load: the built dump runs as a child (npm test builds first).
const DUMP = resolve(__dirname, '../../dist/docs/dump-openapi.js');
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

let doc: OpenAPIObject;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'slipway-openapi-'));
  await run(process.execPath, [DUMP, join(dir, 'openapi.json')], { env: { ...process.env, LOG_LEVEL: 'error' } });
  doc = JSON.parse(readFileSync(join(dir, 'openapi.json'), 'utf8')) as OpenAPIObject;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function operations() {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((m) => (item[m] ? [{ where: `${m.toUpperCase()} ${path}`, op: item[m]! }] : [])));
}

test('redocly lint with its recommended rules and no configuration file: 0 errors, 0 warnings', async () => {
  const file = join(dir, 'openapi.json');
  // cwd is the empty temp dir, so no redocly.yaml can be picked up.
  const { stdout } = await run(REDOCLY, ['lint', file, '--format=json'], { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
  const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer: string }[] }[] };
  const problems = report.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
  expect(problems).toEqual([]);
  expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
}, 120_000);

test('operationIds are unique camelCase letters and digits; every route is listed once (the /api/v1 alias only stated)', () => {
  const ids = operations().map(({ op }) => op.operationId);
  for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]*$/);
  expect(new Set(ids).size).toBe(ids.length);
  expect(Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/'))).toEqual([]);
  expect(ids).toEqual(expect.arrayContaining(['listProjects', 'createProject', 'deployApplication', 'getDeployment', 'listApplications']));
  expect(doc.servers?.length).toBeGreaterThan(0);
  const limit = (doc.paths['/api/projects'].get?.parameters as { name: string; schema: { type: string } }[]).find((p) => p.name === 'limit');
  expect(limit?.schema.type).toBe('integer');
  expect(doc.info.description).toContain('/api/v1');
});

test('tags are declared with descriptions; public routes say security: []; POSTs take Idempotency-Key; 201s give Location', () => {
  const declared = new Set(TAGS.map((t) => t.name));
  for (const tag of doc.tags ?? []) expect(tag.description).toBeTruthy();
  for (const { op } of operations()) for (const tag of op.tags ?? []) expect(declared.has(tag)).toBe(true);
  const byId = new Map(operations().map(({ op }) => [op.operationId, op]));
  expect(byId.get('login')?.security).toEqual([]);
  expect(byId.get('getHealth')?.security).toEqual([]);
  expect(byId.get('listProjects')?.security).not.toEqual([]);
  for (const { where, op } of operations()) {
    if (where.startsWith('POST ')) expect(JSON.stringify(op.parameters)).toMatch(/Idempotency-?Key/i);
    const created = (op.responses as Record<string, { headers?: Record<string, unknown> }>)['201'];
    if (created?.headers) expect(Object.keys(created.headers)).toContain('Location');
    expect(JSON.stringify(op.responses['429'])).toContain('X-RateLimit-Remaining');
  }
});
