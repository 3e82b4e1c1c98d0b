import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

jest.setTimeout(120_000);
const run = promisify(execFile);
const ROOT = join(__dirname, '../../..');

// The SDK's types are generated and committed; a route changed without `npm run sdk:generate` fails here.
test('the committed OpenAPI document and SDK types are what the current gateway generates (run `npm run sdk:generate`)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-sdk-'));
  try {
    await run(process.execPath, [join(ROOT, 'services/gateway/dist/docs/dump-openapi.js'), join(dir, 'openapi.json')]);
    await run(process.execPath, [join(ROOT, 'node_modules/openapi-typescript/bin/cli.js'), join(dir, 'openapi.json'), '-o', join(dir, 'schema.ts')], { cwd: ROOT });
    expect(readFileSync(join(dir, 'openapi.json'), 'utf8') === readFileSync(join(ROOT, 'sdks/openapi.json'), 'utf8')).toBe(true);
    expect(readFileSync(join(dir, 'schema.ts'), 'utf8') === readFileSync(join(ROOT, 'sdks/typescript/src/generated/schema.ts'), 'utf8')).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
