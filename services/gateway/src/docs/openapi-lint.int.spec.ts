import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { OpenAPIObject } from '@nestjs/swagger';

const run = promisify(execFile);
const DUMP = join(__dirname, '../../dist/docs/dump-openapi.js');

jest.setTimeout(120_000);

// Redocly's recommended rules, no config file: a route added without a tag,
// summary, camelCase operationId or valid example fails here, not in a client generator.
describe('OpenAPI document', () => {
  let doc: OpenAPIObject;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-openapi-'));
  beforeAll(async () => {
    // Nest 12 is ESM-only, which jest cannot load: the built dump script (npm test builds first) prints the document.
    await run(process.execPath, [DUMP, join(dir, 'openapi.json')]);
    doc = JSON.parse(readFileSync(join(dir, 'openapi.json'), 'utf8')) as OpenAPIObject;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes `redocly lint` (recommended rules) with no errors or warnings', async () => {
    const file = join(dir, 'openapi.json');
    const bin = require.resolve('@redocly/cli/bin/cli.js');
    const lint = await run(process.execPath, [bin, 'lint', file, '--format=json'], { cwd: dir, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } }).then(
      (r) => ({ code: 0, out: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
    const report = JSON.parse(lint.out.slice(lint.out.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string; location: { pointer?: string }[] }[] };
    const problems = report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    expect(lint.code).toBe(0);
  });

  it('lists each route once, under /api and not the /api/v1 alias', () => {
    const paths = Object.keys(doc.paths);
    expect(paths.length).toBeGreaterThan(20);
    expect(paths.filter((p) => !p.startsWith('/api/') || p.startsWith('/api/v1/'))).toEqual([]);
    expect(doc.servers?.length).toBeGreaterThan(0);
  });

  it('marks public routes with `security: []`', () => {
    expect(doc.paths['/api/auth/login']?.post?.security).toEqual([]);
    expect(doc.paths['/api/projects']?.get?.security?.length).toBeGreaterThan(0);
  });

  it('gives every operation a unique camelCase operationId and declares its tags', () => {
    const ids = Object.values(doc.paths).flatMap((item) => Object.values(item as Record<string, { operationId?: string; tags?: string[] }>).map((op) => op.operationId));
    expect(ids.filter((id) => !/^[a-z][A-Za-z0-9]*$/.test(id ?? ''))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['listProjects', 'createApplication', 'deployApplication', 'getDeployment']));
    expect(doc.tags?.every((t) => t.description)).toBe(true);
  });
});
